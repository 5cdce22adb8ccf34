"""Defined terms of the coded DICOM attributes that de-identification keeps.

A Code String is only a shape (upper case, digits, space, underscore, 16 characters), and
``SMITH JOHN`` has that shape. So the coded attributes that the de-identified header, the
database, warnings and audit payloads carry are checked against the values DICOM defines
for them (PS3.3, and PS3.16 Annex L for Body Part Examined); any other value is dropped
and never quoted back. Values are compared after stripping padding and upper-casing, as
many modalities write ``chest`` or ``DERIVED ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydicom.dataset import Dataset


def _terms(text: str) -> frozenset[str]:
    """Read a whitespace-separated list of terms (kept as text, as the standard lists them)."""
    return frozenset(text.split())


# PS3.3 C.7.3.1.1.1 Modality, current and retired defined terms.
MODALITIES = _terms(
    """
    ANN AR ASMT AU BDUS BI BMD CFM CR CT CTPROTOCOL DG DMS DOC DX ECG EEG EMG EOG EPS ES FID
    GM HC HD IO IOL IVOCT IVUS KER KO LEN LS M3D MG MR NM OAM OCT OP OPM OPT OPTBSV OPTENF
    OPV OSS OT PA PLAN POS PR PT PX REG RESP RF RG RTDOSE RTIMAGE RTINTENT RTPLAN RTRAD
    RTRECORD RTSEGANN RTSTRUCT RWV SEG SM SMR SR SRF STAIN TEXTUREMAP TG US VA XA XAPROTOCOL
    XC
    AS CD CF CP CS DD DF DM DS EC FA FS LP MA MS OPR ST VF
    """
)
# PS3.3 C.8.1.1 (CR) and C.8.11.5 (DX) View Position, plus the vendor spellings of
# lateral and oblique views that the intake recognises for its warnings.
FRONTAL_VIEWS = frozenset({"AP", "PA"})
LATERAL_VIEWS = frozenset({"LL", "RL", "LAT", "LATERAL"})
OTHER_NON_FRONTAL_VIEWS = frozenset(
    {"RLD", "LLD", "RLO", "LLO", "RAO", "LAO", "RPO", "LPO"}
)
VIEW_POSITIONS = FRONTAL_VIEWS | LATERAL_VIEWS | OTHER_NON_FRONTAL_VIEWS
# Body parts the engine accepts as chest films. THORAX and LUNG(S) are not Annex L terms
# but are what veterinary and some human CR systems write.
CHEST_BODY_PARTS = frozenset({"CHEST", "THORAX", "LUNG", "LUNGS"})
# PS3.16 Annex L Body Part Examined defined terms (CID 4031 Common Anatomic Regions and
# the regions of CID 4030), so that a non-chest film is named in its warning.
BODY_PARTS = (
    CHEST_BODY_PARTS
    | _terms(
        """
    ABDOMEN ABDOMENPELVIS ACJOINT ADRENAL AMNIOTICFLUID ANKLE ANUS AORTA APPENDIX ARM AXILLA
    BACK BILEDUCT BLADDER BRAIN BREAST BRONCHUS BUTTOCK CALCANEUS CALF CAROTID CEREBELLUM
    CERVIX CHEEK CHESTABDOMEN CHESTABDPELVIS CIRCLEOFWILLIS CLAVICLE COCCYX COLON CORNEA
    CORONARYARTERY CSPINE CTSPINE DUODENUM EAR ELBOW ESOPHAGUS EXTREMITY EYE EYELID FACE
    FEMUR FINGER FOOT FOREARM GALLBLADDER HAND HEAD HEADNECK HEART HIP HUMERUS IAC ILEUM
    ILIUM JAW JEJUNUM KIDNEY KNEE LARYNX LEG LIVER LSPINE LSSPINE MAXILLA MEDIASTINUM MOUTH
    NECK NECKCHEST NECKCHESTABDOMEN NECKCHESTABDPELV NOSE ORBIT OVARY PANCREAS PAROTID
    PATELLA PELVIS PENIS PHARYNX PROSTATE RECTUM RIB SACRUM SCALP SCAPULA SCLERA SCROTUM
    SHOULDER SKULL SPINE SPLEEN STERNUM STOMACH SUBMANDIBULAR TESTIS THIGH THUMB THYMUS
    THYROID TLSPINE TMJ TOE TONGUE TRACHEA TSPINE UPRURINARYTRACT URETER URETHRA UTERUS
    VAGINA VULVA WHOLEBODY WRIST ZYGOMA
    """
    )
    | frozenset({"WHOLE BODY"})
)
# PS3.3 C.7.6.1.1.2 Image Type: Value 1 and Value 2. Later values are implementation
# specific (vendors write protocol names there), so they are never kept.
IMAGE_TYPE_VALUES: tuple[frozenset[str], ...] = (
    frozenset({"ORIGINAL", "DERIVED"}),
    frozenset({"PRIMARY", "SECONDARY"}),
)
# PS3.3 C.7.6.1.1.1 Patient Orientation: each value is one to three direction letters,
# for humans A P R L H F, for quadrupeds also LE RT D V CR CD M PR DI PA PL.
_ORIENTATION = re.compile(r"(?:[APRLHF]|LE|RT|D|V|CR|CD|M|PR|DI|PA|PL){1,3}")

_RESCALE_TYPES = frozenset(
    {"OD", "HU", "US", "MGML", "Z_EFF", "ED", "EDW", "HU_MOD", "PCT"}
)

DEFINED_TERMS: Mapping[str, frozenset[str]] = {
    "Modality": MODALITIES,
    "ViewPosition": VIEW_POSITIONS,
    "BodyPartExamined": BODY_PARTS,
    "PresentationIntentType": frozenset({"FOR PRESENTATION", "FOR PROCESSING"}),
    "PhotometricInterpretation": _terms(
        """MONOCHROME1 MONOCHROME2 RGB YBR_FULL YBR_FULL_422 YBR_PARTIAL_422
        YBR_PARTIAL_420 YBR_ICT YBR_RCT XYB"""
    )
    | {"PALETTE COLOR"},
    "ImageLaterality": frozenset({"R", "L", "U", "B"}),
    "Laterality": frozenset({"R", "L"}),
    "BurnedInAnnotation": frozenset({"YES", "NO"}),
    "LossyImageCompression": frozenset({"00", "01"}),
    "LossyImageCompressionMethod": _terms(
        """ISO_10918_1 ISO_14495_1 ISO_15444_1 ISO_15444_15 ISO_18181_1 ISO_13818_2
        ISO_14496_10 ISO_23008_2"""
    ),
    "PixelSpacingCalibrationType": frozenset({"GEOMETRY", "FIDUCIAL"}),
    # PS3.3 C.11.1.1.2; US means "unspecified".
    "RescaleType": _RESCALE_TYPES,
    "ModalityLUTType": _RESCALE_TYPES,
    "VOILUTFunction": frozenset({"LINEAR", "LINEAR_EXACT", "SIGMOID"}),
    "PresentationLUTShape": frozenset({"IDENTITY", "INVERSE"}),
    "PixelIntensityRelationship": frozenset({"LIN", "LOG", "DISP"}),
}
CODED_ATTRIBUTES = frozenset({*DEFINED_TERMS, "ImageType", "PatientOrientation"})
"""Every kept string attribute; its values are checked by ``defined_values``."""


def _normalise(value: object) -> str:
    return " ".join(str(value if value is not None else "").split()).upper()


def defined_values(keyword: str, values: list[object]) -> list[str] | None:
    """Return the values normalised when DICOM defines them for ``keyword``, else None.

    Image Type keeps its defined Value 1 and Value 2 and drops the later,
    implementation-specific values; every other attribute is kept whole or not at all.

    Raises:
        KeyError: ``keyword`` is not one of ``CODED_ATTRIBUTES`` (a programming error).
    """
    clean = [_normalise(v) for v in values]
    if keyword == "ImageType":
        head = clean[: len(IMAGE_TYPE_VALUES)]
        if len(head) < 2 or not all(
            v in terms for v, terms in zip(head, IMAGE_TYPE_VALUES, strict=True)
        ):
            return None
        return head
    if keyword == "PatientOrientation":
        ok = len(clean) == 2 and all(_ORIENTATION.fullmatch(v) for v in clean)
        return clean if ok else None
    terms = DEFINED_TERMS[keyword]
    return clean if clean and all(v in terms for v in clean) else None


def coded_value(ds: Dataset, keyword: str) -> str | None:
    """Return a single-valued coded attribute as its defined term, or None.

    None means absent, empty, unreadable or not a defined term; callers that warn about
    it name the attribute, never the value.
    """
    try:
        if keyword not in ds:
            return None
        element = ds[keyword]
        value = element.value
    except (ValueError, TypeError, LookupError, NotImplementedError):
        return None
    if value is None or value == "":
        return None
    values = list(value) if element.VM > 1 else [value]
    if len(values) != 1:
        return None
    kept = defined_values(keyword, values)
    return kept[0] if kept else None


def has_value(ds: Dataset, keyword: str) -> bool:
    """Whether the attribute is present with any non-blank value (readable or not)."""
    try:
        value = ds.get(keyword)
    except (ValueError, TypeError, LookupError, NotImplementedError):
        return True
    return value is not None and str(value).strip() not in ("", "[]")

"""Read a DICOM radiograph: check it, decode it, de-identify it, and note its issues.

Accepted: Computed Radiography, Digital X-Ray (for presentation and for processing) and
single-frame secondary captures, in any transfer syntax an installed, permissively
licensed decoder reads (pydicom native, pylibjpeg + openjpeg + rle, python-gdcm,
pyjpegls, Pillow). Cross-sectional and other non-projection images are refused; lateral,
non-chest and non-human films are imported with a warning.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import re
import struct
import sys
import tempfile
import threading
import warnings
import zlib
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
from pydicom import dcmread
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGExtended12Bit,
)

from cases.calibration import calibration_from_dataset
from cases.content_store import pixel_sha256
from cases.decoded import DecodedImage, IntakeLimits, check_shape
from cases.defined_terms import (
    CHEST_BODY_PARTS,
    LATERAL_VIEWS,
    OTHER_NON_FRONTAL_VIEWS,
    coded_value,
    has_value,
)
from cases.deidentify import (
    DEID_METHOD,
    deidentify_header,
    header_bytes,
    header_changes,
    is_registered_sop_class,
    is_valid_uid,
    mark_pixels_cleaned,
)
from cases.display import display_params_from_dataset
from cases.errors import (
    InvalidImageFile,
    UnsupportedImage,
    UnsupportedTransferSyntax,
    safe_reason,
)
from cases.model import (
    BlankedBox,
    BurnedInPolicy,
    DeidSummary,
    ImageId,
    ImportIssue,
    IssueCode,
    Severity,
    SourceFormat,
)
from cases.pixel_redaction import DETECTOR_VERSION, redact_burned_in_text

logger = logging.getLogger(__name__)


class RedactQuotedValues(logging.Filter):
    """Redact quoted values from pydicom's log records.

    pydicom's validation warnings quote header values ("Invalid value for VR CS: 'Jane
    Smith'"), which would carry identifying text into the logs before de-identification.
    """

    QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, with every quoted value replaced."""
        record.msg = self.QUOTED.sub("'<redacted>'", record.getMessage())
        record.args = ()
        return True


logging.getLogger("pydicom").addFilter(RedactQuotedValues())

CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
DX_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
RADIOGRAPH_SOP_CLASSES = {CR_STORAGE, DX_PRESENTATION, DX_PROCESSING}
SECONDARY_CAPTURE_CLASSES = {
    SECONDARY_CAPTURE,
    "1.2.840.10008.5.1.4.1.1.7.2",
    "1.2.840.10008.5.1.4.1.1.7.3",
}
RADIOGRAPH_MODALITIES = {"CR", "DX"}
# Modalities that are never a projection chest radiograph, even inside a secondary capture.
REFUSED_MODALITIES = {
    "CT", "MR", "PT", "NM", "US", "MG", "XA", "RF", "IO", "PX", "OP", "OPT", "ES", "SM",
    "RTIMAGE", "RTDOSE", "RTSTRUCT", "RTPLAN", "SEG", "SR", "ECG", "HD", "KO", "PR", "REG",
}  # fmt: skip
LOSSY_TRANSFER_SYNTAXES = {
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203",
}  # fmt: skip
HUMAN_SPECIES_CODES = {"337915000", "L-85B00"}  # SNOMED CT / SNOMED RT "Homo sapiens"
SMALL_IMAGE_PX = 256

# Free-text attributes searched for hints before they are discarded. Messages name the
# attribute only, never its text, so no identity reaches the database through a warning.
_HINT_ATTRIBUTES = (
    "SeriesDescription", "StudyDescription", "ProtocolName", "AcquisitionDeviceProcessingDescription",
    "PerformedProcedureStepDescription", "RequestedProcedureDescription", "ImageComments",
    "InstitutionName", "InstitutionalDepartmentName", "StationName", "AdditionalPatientHistory",
)  # fmt: skip
_PERSON_ATTRIBUTES = (
    "ReferringPhysicianName",
    "RequestingPhysician",
    "PerformingPhysicianName",
)
_VETERINARY_WORDS = re.compile(
    r"\b(CANINE|FELINE|EQUINE|BOVINE|OVINE|PORCINE|VETERINAR\w*|VET|DOG|CAT|HORSE|PUPPY|KITTEN)\b"
)
_VETERINARY_PERSON = re.compile(r"VETERINAR")
_LATERAL_WORDS = re.compile(r"\b(LAT|LATERAL|LL|RL)\b")
_VETERINARY_ATTRIBUTES = (
    "PatientBreedDescription", "PatientBreedCodeSequence", "BreedRegistrationSequence",
    "ResponsiblePerson", "ResponsibleOrganization", "StrainDescription",
)  # fmt: skip

# pydicom and its decoder plugins signal malformed input with many exception types
# (BytesLengthException and LookupError for unknown character sets were found by fuzzing).
_DECODE_ERRORS = (
    ValueError, TypeError, LookupError, AttributeError, OSError, EOFError, ArithmeticError,
    RuntimeError, NotImplementedError, struct.error, zlib.error, InvalidDicomError,
    BytesLengthException,
)  # fmt: skip


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, list | tuple) or (
        hasattr(value, "__iter__") and not isinstance(value, str | bytes)
    ):
        try:
            return " ".join(str(v) for v in value)
        except TypeError:
            return str(value)
    return str(value)


def _code_string(ds: Dataset, keyword: str) -> str | None:
    """Return a coded attribute as its DICOM defined term, or None (see ``defined_terms``).

    Only defined terms reach the database, warnings and audit payloads: a value such as
    ``SMITH JOHN`` in Body Part Examined has the shape of a code string, not its meaning.
    """
    return coded_value(ds, keyword)


def _undefined(ds: Dataset, keyword: str) -> bool:
    """Whether the attribute holds a value that is not a defined term (never shown)."""
    return _code_string(ds, keyword) is None and has_value(ds, keyword)


def _parse(data: bytes, name: str) -> Dataset:
    raw = data[128:132] != b"DICM"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dcmread(io.BytesIO(data), force=raw)
            ds.decode()  # apply Specific Character Set now, so bad text fails here
    except _DECODE_ERRORS as exc:
        raise InvalidImageFile(
            f"{name}: not a readable DICOM file ({_reason(exc)})"
        ) from exc
    if len(ds) == 0:
        raise InvalidImageFile(
            f"{name}: not a readable DICOM file ({_empty_reason(data)})"
        )
    return ds


def _empty_reason(data: bytes) -> str:
    """Say why pydicom read no elements after the file meta header.

    pydicom returns an empty dataset, not an error, when encapsulated pixel data ends
    before its sequence delimiter: everything read before it is discarded too.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header = dcmread(
                io.BytesIO(data),
                force=data[128:132] != b"DICM",
                stop_before_pixels=True,
            )
    except _DECODE_ERRORS:
        header = None
    if header is not None and len(header) > 0:
        return (
            "it is truncated inside the pixel data; copy the file again from its source"
        )
    return "it ends after the file meta header; truncated?"


def _reason(exc: BaseException) -> str:
    # pydicom quotes the offending header value ("Unknown ... value 'SMITH JOHN'"),
    # raw bytes, tag numbers read from the file and sometimes a whole traceback.
    return safe_reason(exc, known_tag=lambda tag: keyword_for_tag(tag) != "")


def _check_kind(ds: Dataset, name: str) -> None:
    if "PixelData" not in ds:
        kind = (
            "float"
            if ("FloatPixelData" in ds or "DoubleFloatPixelData" in ds)
            else "no"
        )
        raise UnsupportedImage(
            f"{name}: DICOM file has {kind} pixel data (modality {_code_string(ds, 'Modality') or 'unknown'}); "
            "import CR, DX or secondary-capture radiographs"
        )
    modality = _code_string(ds, "Modality") or ""
    sop_class = str(ds.get("SOPClassUID") or "")
    if sop_class in RADIOGRAPH_SOP_CLASSES or modality in RADIOGRAPH_MODALITIES:
        return
    if sop_class in SECONDARY_CAPTURE_CLASSES and modality not in REFUSED_MODALITIES:
        return
    described = modality or "unknown modality"
    if is_registered_sop_class(sop_class):
        # Only a registered class is named: free text in the UID could be identity.
        described += f", {UID(sop_class).name}"
    raise UnsupportedImage(
        f"{name}: {described} is not a projection radiograph; import CR, DX or secondary-capture chest images"
    )


def _check_matrix(ds: Dataset, name: str, limits: IntakeLimits) -> None:
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames") or 1)
        samples = int(ds.get("SamplesPerPixel") or 1)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InvalidImageFile(
            f"{name}: Rows/Columns/Number of Frames are missing or invalid"
        ) from exc
    if rows <= 0 or columns <= 0:
        raise InvalidImageFile(f"{name}: image size {columns}x{rows} is empty")
    limits.check_matrix(name, rows, columns, max(frames, 1))
    if frames > 1:
        raise UnsupportedImage(
            f"{name}: multi-frame image ({frames} frames); export the radiograph as a single frame"
        )
    if samples not in (1, 3):
        raise UnsupportedImage(
            f"{name}: {samples} samples per pixel; only grayscale or RGB images can be imported"
        )
    _check_bits(ds, name)
    check_shape(name, rows, columns)


def _check_bits(ds: Dataset, name: str) -> None:
    """Refuse pixel depths no radiograph uses, before any decoder sees them.

    Radiographs and their secondary captures store 8 or 16 bits per sample. Other
    depths are refused up front because python-gdcm aborts the whole process (an
    uncatchable C++ exception) on JPEG data that declares 32 or 64 bits (found by
    fuzzing).
    """
    try:
        allocated = int(ds.BitsAllocated)
        stored = int(ds.get("BitsStored") or allocated)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InvalidImageFile(
            f"{name}: Bits Allocated/Stored are missing or invalid"
        ) from exc
    if allocated not in (8, 16):
        raise UnsupportedImage(
            f"{name}: {allocated} bits allocated per sample; radiographs store 8 or 16"
        )
    if not 1 <= stored <= allocated:
        raise InvalidImageFile(
            f"{name}: Bits Stored {stored} does not fit in Bits Allocated {allocated}"
        )


def _transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    if meta is not None and meta.get("TransferSyntaxUID"):
        return UID(str(meta.TransferSyntaxUID))
    # A raw dataset without file meta: use the encoding pydicom detected while reading.
    implicit, little = getattr(ds, "original_encoding", (True, True))
    if not little:
        syntax = ExplicitVRBigEndian
    else:
        syntax = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds.ensure_file_meta()
    ds.file_meta.TransferSyntaxUID = syntax
    return syntax


def _check_decoder(ds: Dataset, name: str) -> UID:
    syntax = _transfer_syntax(ds)
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as exc:
        raise UnsupportedTransferSyntax(
            f"{name}: transfer syntax {_syntax_label(syntax)} has no pixel decoder; "
            "convert the file to an uncompressed or JPEG/JPEG 2000/RLE syntax"
        ) from exc
    _check_jpeg_extended_12_bit(ds, name, syntax)
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies) or "no plugin"
        raise UnsupportedTransferSyntax(
            f"{name}: no installed decoder for {syntax.name} ({missing}); install a decoder plugin "
            "or convert the file"
        )
    return syntax


def _syntax_label(syntax: UID) -> str:
    """Name a transfer syntax for a message, never quoting a free-text value."""
    if not is_valid_uid(syntax):
        return "(not a valid UID, value not shown)"
    if syntax.is_transfer_syntax:
        return f"{syntax.name} ({syntax})"
    return f"{syntax} (not a registered transfer syntax)"


def _check_jpeg_extended_12_bit(ds: Dataset, name: str, syntax: UID) -> None:
    """Refuse 12-bit JPEG Extended up front, naming the conversion to make.

    Only pylibjpeg-libjpeg decodes 12-bit JPEG Extended (Process 4), and it is GPL
    licensed, so the casebook does not install it; GDCM and Pillow read the 8-bit
    process only and fail with a message that looks like a truncated file.
    """
    if syntax != JPEGExtended12Bit:
        return
    try:
        stored = int(ds.get("BitsStored") or 8)
    except (TypeError, ValueError):
        return  # _check_bits has already refused unreadable bit depths
    if stored <= 8 or importlib.util.find_spec("libjpeg") is not None:
        return
    raise UnsupportedTransferSyntax(
        f"{name}: transfer syntax {syntax.name} ({syntax}) with {stored}-bit samples has "
        "no permissively licensed decoder (the only one, pylibjpeg-libjpeg, is GPL and "
        "not installed); convert the file to JPEG 2000 or uncompressed first, e.g. "
        "`gdcmconv --j2k IN OUT` or `dcmdjpeg IN OUT`"
    )


def _plugin_panic(exc: BaseException) -> bool:
    """Whether a decoder written in Rust (pylibjpeg-rle, via PyO3) panicked.

    PyO3 turns a panic into ``pyo3_runtime.PanicException``, a ``BaseException`` that
    cannot be imported by name; damaged RLE data triggers it (found by fuzzing).
    """
    return type(exc).__name__ == "PanicException"


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _decoder_stderr() -> Iterator[list[str]]:
    """Capture what C decoders write to file descriptor 2 inside the block.

    libjpeg (inside python-gdcm) reports corrupt entropy-coded data only as a warning on
    stderr ("Corrupt JPEG data: premature end of data segment") and returns garbage
    pixels; OpenJPEG prints similar lines. Python sees neither, so the block yields a
    list that receives the captured text when the block ends. Descriptor 2 belongs to
    the whole process, so captures are serialised by a lock (the dashboard imports from
    several threads). Another thread that writes to stderr during a decode is captured
    too and makes that file look corrupt: a refusal, never a garbage image. Without a
    usable descriptor 2 nothing is captured, and nothing can leak either.
    """
    captured: list[str] = []
    with _STDERR_LOCK, contextlib.ExitStack() as stack:
        try:
            sink = stack.enter_context(tempfile.TemporaryFile())
            if sys.stderr is not None:
                sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            yield captured
            return
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read(4096).decode("utf-8", "replace"))


def _first_line(captured: list[str]) -> str:
    lines = (" ".join(line.split()) for text in captured for line in text.splitlines())
    return next((line[:120] for line in lines if line), "")


def _decode(ds: Dataset, name: str) -> npt.NDArray[np.generic]:
    try:
        with _decoder_stderr() as stderr, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels: npt.NDArray[np.generic] = ds.pixel_array
    except BaseException as exc:
        if not (isinstance(exc, _DECODE_ERRORS) or _plugin_panic(exc)):
            raise
        raise InvalidImageFile(
            f"{name}: pixel data could not be decoded, the file may be truncated ({_reason(exc)})"
        ) from exc
    complaint = _first_line(stderr)
    if complaint:
        logger.debug("decoder wrote to stderr: %s", " | ".join(stderr).strip())
        raise InvalidImageFile(
            f"{name}: corrupt compressed pixel data (the decoder reported: {complaint}); "
            "re-export the image from the source system"
        )
    expected = (int(ds.Rows), int(ds.Columns))
    if pixels.shape[:2] != expected:
        raise InvalidImageFile(
            f"{name}: decoded pixels are {pixels.shape}, header says {expected}"
        )
    if pixels.dtype.kind not in "ui":
        raise UnsupportedImage(f"{name}: {pixels.dtype} pixel data is not a radiograph")
    return pixels


def _to_gray(pixels: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    """Convert RGB pixels to 8-bit luminance (ITU-R BT.601 weights)."""
    rgb = pixels.astype(np.float64)
    if pixels.dtype.itemsize > 1:
        rgb = rgb / float(np.iinfo(pixels.dtype).max) * 255.0  # type: ignore[type-var]
    gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def _warning(
    code: IssueCode, message: str, severity: Severity = Severity.WARNING
) -> ImportIssue:
    return ImportIssue(code=code, severity=severity, message=message)


def _attribute_label(ds: Dataset, keyword: str) -> str:
    try:
        return str(ds[keyword].name)
    except KeyError:
        return keyword


def _non_human_attributes(ds: Dataset) -> list[str]:
    found: list[str] = []
    species = _text(ds, "PatientSpeciesDescription").upper()
    if species and "HOMO SAPIENS" not in species and "HUMAN" not in species:
        found.append("Patient Species Description")
    for item in ds.get("PatientSpeciesCodeSequence") or []:
        if str(item.get("CodeValue", "")) not in HUMAN_SPECIES_CODES:
            found.append("Patient Species Code Sequence")
    found += [_attribute_label(ds, k) for k in _VETERINARY_ATTRIBUTES if ds.get(k)]
    found += [
        _attribute_label(ds, k)
        for k in _HINT_ATTRIBUTES
        if _VETERINARY_WORDS.search(_text(ds, k).upper())
    ]
    found += [
        _attribute_label(ds, k)
        for k in _PERSON_ATTRIBUTES
        if _VETERINARY_PERSON.search(_text(ds, k).upper())
    ]
    return list(dict.fromkeys(found))


def _view_issues(ds: Dataset) -> list[ImportIssue]:
    view = _code_string(ds, "ViewPosition")
    if view in LATERAL_VIEWS:
        return [
            _warning(
                IssueCode.LATERAL_VIEW,
                f"lateral view (View Position {view}); the engine expects frontal (PA/AP) chest films",
            )
        ]
    if view in OTHER_NON_FRONTAL_VIEWS:
        return [
            _warning(
                IssueCode.NON_FRONTAL_VIEW,
                f"non-frontal view (View Position {view}); the engine expects frontal (PA/AP) chest films",
            )
        ]
    if view:
        return []
    if _undefined(ds, "ViewPosition"):
        return [
            _warning(
                IssueCode.VIEW_POSITION_MISSING,
                "View Position (0018,5101) holds no DICOM defined term (value not shown, "
                "removed by de-identification): check that this is a frontal (PA/AP) film",
            )
        ]
    hints = [
        _attribute_label(ds, k)
        for k in _HINT_ATTRIBUTES
        if _LATERAL_WORDS.search(_text(ds, k).upper())
    ]
    if hints:
        return [
            _warning(
                IssueCode.LATERAL_VIEW,
                f"no View Position, and {', '.join(hints)} suggests a lateral view; the engine expects frontal chest films",
            )
        ]
    return [
        _warning(
            IssueCode.VIEW_POSITION_MISSING,
            "no View Position (0018,5101): check that this is a frontal (PA/AP) film",
        )
    ]


_MISSING_MODALITY = {
    False: "missing",
    True: "not a DICOM defined term (value not shown)",
}


def _content_issues(ds: Dataset, rows: int, columns: int) -> list[ImportIssue]:
    """Return the warnings a reader must see before trusting the engine on this image."""
    issues: list[ImportIssue] = []
    if _code_string(ds, "BurnedInAnnotation") == "YES":
        issues.append(
            _warning(
                IssueCode.BURNED_IN_ANNOTATION,
                "Burned In Annotation is YES: the pixels may show identifying text",
            )
        )
    issues += _view_issues(ds)
    body_part = _code_string(ds, "BodyPartExamined")
    if body_part and body_part not in CHEST_BODY_PARTS:
        issues.append(
            _warning(
                IssueCode.NON_CHEST_BODY_PART,
                f"body part {body_part} is not the chest; the engine expects chest films",
            )
        )
    elif _undefined(ds, "BodyPartExamined"):
        issues.append(
            _warning(
                IssueCode.BODY_PART_UNRECOGNISED,
                "Body Part Examined (0018,0015) holds no DICOM defined term (value not "
                "shown, removed by de-identification): check that this is a chest film",
            )
        )
    non_human = _non_human_attributes(ds)
    if non_human:
        issues.append(
            _warning(
                IssueCode.NON_HUMAN,
                f"non-human subject suspected ({', '.join(non_human)}); the engine expects human chest films",
            )
        )
    modality = _code_string(ds, "Modality")
    if modality not in RADIOGRAPH_MODALITIES:
        issues.append(
            _warning(
                IssueCode.NOT_A_RADIOGRAPH_MODALITY,
                f"modality {modality or _MISSING_MODALITY[_undefined(ds, 'Modality')]} is not "
                "CR or DX; check that this is a chest radiograph",
            )
        )
    if (
        str(ds.get("SOPClassUID") or "") == DX_PROCESSING
        or _code_string(ds, "PresentationIntentType") == "FOR PROCESSING"
    ):
        issues.append(
            _warning(
                IssueCode.FOR_PROCESSING,
                "DX image For Processing: raw detector data, not meant for display; contrast may look flat",
            )
        )
    if min(rows, columns) < SMALL_IMAGE_PX:
        issues.append(
            _warning(
                IssueCode.SMALL_IMAGE,
                f"image is only {columns}x{rows} px; findings and measurements are unreliable",
            )
        )
    return issues


def _lossy(ds: Dataset, syntax: UID) -> bool:
    return (
        str(syntax) in LOSSY_TRANSFER_SYNTAXES
        or _code_string(ds, "LossyImageCompression") == "01"
    )


def blanked_issue(blanked: tuple[BlankedBox, ...]) -> ImportIssue:
    """Return the warning shown on an image whose burned-in text was blanked."""
    return _warning(
        IssueCode.BURNED_IN_TEXT_BLANKED,
        f"{len(blanked)} burned-in text region(s) near the border were blanked in the "
        "pixels (see the de-identification report); check that no anatomy was covered",
    )


def read_dicom(
    data: bytes,
    *,
    name: str,
    salt: bytes,
    limits: IntakeLimits,
    burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
) -> DecodedImage:
    """Decode and de-identify a DICOM radiograph (see ``cases.intake.read_image``).

    ``burned_in`` says when to look for burned-in text in the pixels and blank it.

    Raises:
        InvalidImageFile: not parseable, truncated or undecodable.
        UnsupportedImage: not a projection radiograph, multi-frame or without pixel data.
        UnsupportedTransferSyntax: no installed decoder.
        ImageTooLarge: the pixel matrix exceeds ``limits.max_pixels``.
    """
    ds = _parse(data, name)
    _check_kind(ds, name)
    _check_matrix(ds, name, limits)
    syntax = _check_decoder(ds, name)
    pixels = _decode(ds, name)
    issues: list[ImportIssue] = []
    converted = pixels.ndim == 3
    if converted:
        pixels = _to_gray(pixels)
        issues.append(
            _warning(
                IssueCode.COLOR_CONVERTED,
                "colour image converted to 8-bit grayscale",
                Severity.INFO,
            )
        )
    display, display_issues = display_params_from_dataset(
        ds, grayscale_converted=converted
    )
    # The file's own calibration always wins: a spacing typed for PNG/JPEG files in the
    # same import must not silently calibrate a DICOM image that lacks one.
    calibration, calibration_issues = calibration_from_dataset(ds)
    issues += _content_issues(ds, pixels.shape[0], pixels.shape[1])
    issues += [*display_issues, *calibration_issues]
    if _lossy(ds, syntax):
        issues.append(
            _warning(
                IssueCode.LOSSY_COMPRESSION,
                "lossy compression: fine detail may be altered",
                Severity.INFO,
            )
        )

    flagged = _burned_in(ds)
    searched = burned_in is BurnedInPolicy.ALWAYS or (
        burned_in is BurnedInPolicy.AUTO and flagged is True
    )
    blanked: tuple[BlankedBox, ...] = ()
    if searched:
        pixels, blanked = redact_burned_in_text(pixels)
    if blanked:
        issues.append(blanked_issue(blanked))

    image_id = ImageId(pixel_sha256(pixels))
    header = deidentify_header(ds, salt=salt, fallback_uid_seed=image_id)
    if blanked:
        mark_pixels_cleaned(header)
    removed, replaced, emptied, dropped = header_changes(ds, header)
    method = DEID_METHOD + ("; burned-in text blanked in the pixels" if blanked else "")
    logger.debug(
        "decoded DICOM image %s (%s, %dx%d)",
        image_id[:12],
        syntax.name,
        pixels.shape[1],
        pixels.shape[0],
    )
    return DecodedImage(
        image_id=image_id,
        pixels=pixels,
        source_format=SourceFormat.DICOM,
        calibration=calibration,
        display=display,
        modality=_code_string(ds, "Modality"),
        sop_class_uid=str(header.SOPClassUID),
        study_uid=str(header.StudyInstanceUID),
        series_uid=str(header.SeriesInstanceUID),
        sop_instance_uid=str(header.SOPInstanceUID),
        transfer_syntax_uid=str(syntax),
        lossy_compression=_lossy(ds, syntax),
        view_position=_code_string(ds, "ViewPosition"),
        body_part=_code_string(ds, "BodyPartExamined"),
        burned_in_annotation=flagged,
        deid_method=method,
        header=header_bytes(header),
        issues=tuple(issues),
        deid=DeidSummary(
            method=method,
            removed=removed,
            replaced=replaced,
            emptied=emptied,
            dropped_values=dropped,
            burned_in_annotation=flagged,
            pixel_policy=burned_in,
            pixels_searched=searched,
            detector=DETECTOR_VERSION if searched else None,
            blanked=blanked,
        ),
    )


def _burned_in(ds: Dataset) -> bool | None:
    value = _code_string(ds, "BurnedInAnnotation")
    return None if value is None else value == "YES"

"""De-identification of DICOM headers on import (DICOM PS3.15 Annex E, Basic Profile).

The Basic Application Level Confidentiality Profile lets an implementation remove every
attribute it does not need. We do exactly that: the de-identified header is built from an
**allow-list** of technical attributes (image pixel description, LUTs, spacing, view and
body part), never by deleting known-bad attributes from a copy, so names, ids, dates,
addresses, institutions, physicians, operators, accession numbers, device serials,
private tags and free text (comments, descriptions) cannot slip through. The Type 2
identifying attributes that exports need are present but empty (the profile's "Z"
action). UIDs are replaced by ``2.25.<decimal>`` UIDs derived from a per-installation
salt, so the same source UID always maps to the same new UID in one installation and
cannot be reversed without the salt.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re

from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag
from pydicom.uid import UID, ExplicitVRLittleEndian, SecondaryCaptureImageStorage

from cases.defined_terms import CODED_ATTRIBUTES, coded_value, defined_values

DEID_METHOD = (
    "DICOM PS3.15 Basic Application Level Confidentiality Profile (allow-list, cases v1); "
    "UIDs remapped with installation salt; dates, free text and private tags removed"
)
PIXELS_ONLY_METHOD = "PNG/JPEG: pixels only, file metadata discarded (cases v1)"

# Technical attributes that carry no identity and that display, calibration, warnings or
# later exports (DICOM SR, overlays) need. Everything else is dropped.
KEPT_ATTRIBUTES: tuple[str, ...] = (
    "Modality", "ImageType", "PresentationIntentType",
    "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns", "BitsAllocated",
    "BitsStored", "HighBit", "PixelRepresentation", "PlanarConfiguration", "PixelAspectRatio",
    "PixelSpacing", "ImagerPixelSpacing", "EstimatedRadiographicMagnificationFactor",
    "PixelSpacingCalibrationType",
    "RescaleIntercept", "RescaleSlope", "RescaleType",
    "WindowCenter", "WindowWidth", "VOILUTFunction", "PresentationLUTShape",
    "PixelIntensityRelationship", "PixelIntensityRelationshipSign",
    "ViewPosition", "BodyPartExamined", "ImageLaterality", "Laterality", "PatientOrientation",
    "BurnedInAnnotation", "LossyImageCompression", "LossyImageCompressionRatio",
    "LossyImageCompressionMethod",
)  # fmt: skip
REMAPPED_UIDS: tuple[str, ...] = (
    "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID",
)  # fmt: skip
# Present but empty, as the profile's "Z" action asks, so exported objects stay valid.
EMPTIED_ATTRIBUTES: tuple[str, ...] = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber",
)  # fmt: skip
# LUT items keep their table only; LUTExplanation is free text.
_LUT_ITEM_KEEP = {
    "ModalityLUTSequence": ("LUTDescriptor", "ModalityLUTType", "LUTData"),
    "VOILUTSequence": ("LUTDescriptor", "LUTData"),
}
_STRING_VRS = {"CS", "LO", "SH", "ST", "LT", "UT", "PN", "UC"}
_NUMERIC_STRING_VRS = {"DS", "IS"}


_UID_SHAPE = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
# Image storage classes by modality, for a file whose SOP Class UID is not a valid,
# registered one (PS3.4 B.5): CR Image Storage, DX Image Storage - For Presentation.
_STORAGE_CLASS_FOR_MODALITY = {
    "CR": "1.2.840.10008.5.1.4.1.1.1",
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",
}


def is_valid_uid(value: object) -> bool:
    """Whether ``value`` is a DICOM UID (PS3.5 9.1): dotted digits, at most 64 chars."""
    text = str(value or "")
    return len(text) <= 64 and _UID_SHAPE.match(text) is not None


def is_registered_sop_class(value: object) -> bool:
    """Whether ``value`` is a valid UID that DICOM registers as a SOP Class (PS3.6 A)."""
    if not is_valid_uid(value):
        return False
    return UID(str(value)).type == "SOP Class"


def _sop_class_uid(source: Dataset, modality: str | None) -> tuple[str, bool]:
    """Return the SOP Class UID for the clean header, and whether it was replaced.

    A SOP Class UID that is free text, malformed or not registered (``SMITH^JOHN``,
    ``1.2.3.4-private``) never survives: it could carry identity, and no viewer or
    exporter could use it. The image's modality then chooses the storage class.
    """
    try:
        value = source.get("SOPClassUID")
    except (ValueError, TypeError, LookupError, NotImplementedError):
        value = None
    if is_registered_sop_class(value):
        return str(value), False
    replacement = _STORAGE_CLASS_FOR_MODALITY.get(
        modality or "", SecondaryCaptureImageStorage
    )
    return replacement, value is not None


def remap_uid(uid: str, salt: bytes) -> str:
    """Return the de-identified UID for ``uid`` (deterministic for one salt).

    The result is a ``2.25`` UID (PS3.5 B.2): 128 bits of SHA-256 as a decimal, at most
    44 characters, well inside the 64-character limit.
    """
    digest = hashlib.sha256(
        salt + b"\x00" + uid.strip().encode("ascii", "replace")
    ).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def _safe_numbers(element: DataElement) -> bool:
    values = element.value if element.VM > 1 else [element.value]
    try:
        [float(v) for v in values if v not in (None, "")]
    except (TypeError, ValueError):
        return False
    return True


def _copy_coded(element: DataElement) -> DataElement | None:
    """Return a kept string element holding only its defined terms, or None.

    A value that merely looks like a Code String can still be a name (``SMITH JOHN`` in
    Body Part Examined), so only DICOM's defined terms are copied.
    """
    if element.keyword not in CODED_ATTRIBUTES:
        return None
    if element.value is None or element.value == "":
        return copy.deepcopy(element)
    values = list(element.value) if element.VM > 1 else [element.value]
    kept = defined_values(element.keyword, values)
    if kept is None:
        return None
    return DataElement(element.tag, element.VR, kept if len(kept) > 1 else kept[0])


def _copy_element(element: DataElement) -> DataElement | None:
    """Return a copy of a kept element, or None when its value could carry text."""
    if element.VR in _STRING_VRS:
        return _copy_coded(element)
    if element.VR in _NUMERIC_STRING_VRS and not _safe_numbers(element):
        return None
    return copy.deepcopy(element)


def _copy_lut_sequence(source: Dataset, keyword: str) -> DicomSequence | None:
    items = []
    for item in source.get(keyword) or []:
        clean = Dataset()
        for kept in _LUT_ITEM_KEEP[keyword]:
            if kept in item:
                element = _copy_element(item[kept])
                if element is not None:
                    clean.add(element)
        if "LUTDescriptor" in clean and "LUTData" in clean:
            items.append(clean)
    return DicomSequence(items) if items else None


def deidentify_header(
    source: Dataset, *, salt: bytes, fallback_uid_seed: str
) -> Dataset:
    """Return a de-identified copy of ``source``'s header, without pixel data.

    Args:
        source: the dataset as read from the file.
        salt: the installation's UID salt (``ContentStore.salt()``).
        fallback_uid_seed: stable text (the pixel hash) for UIDs missing from the source.
    """
    clean = Dataset()
    sop_class, _ = _sop_class_uid(source, coded_value(source, "Modality"))
    clean.SOPClassUID = sop_class
    for keyword in KEPT_ATTRIBUTES:
        if keyword in source:
            element = _copy_element(source[keyword])
            if element is not None:
                clean.add(element)
    for keyword in _LUT_ITEM_KEEP:
        sequence = _copy_lut_sequence(source, keyword)
        if sequence is not None:
            setattr(clean, keyword, sequence)
    for keyword in REMAPPED_UIDS:
        original = str(source.get(keyword) or "")
        if original or keyword != "FrameOfReferenceUID":
            setattr(
                clean,
                keyword,
                remap_uid(original or f"{keyword}:{fallback_uid_seed}", salt),
            )
    for keyword in EMPTIED_ATTRIBUTES:
        setattr(clean, keyword, "")
    clean.SpecificCharacterSet = "ISO_IR 192"
    clean.PatientIdentityRemoved = "YES"
    clean.DeidentificationMethod = DEID_METHOD[:64]
    code = Dataset()
    code.CodeValue = "113100"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    clean.DeidentificationMethodCodeSequence = DicomSequence([code])
    return clean


def mark_pixels_cleaned(header: Dataset) -> None:
    """Record in a de-identified header that burned-in text was blanked in the pixels.

    Adds the PS3.16 code 113101 "Clean Pixel Data Option" to the De-identification
    Method Code Sequence. Burned In Annotation keeps the file's value: a detector can
    miss text, so the header does not claim the pixels are clean.
    """
    code = Dataset()
    code.CodeValue = "113101"
    code.CodingSchemeDesignator = "DCM"
    code.CodeMeaning = "Clean Pixel Data Option"
    header.DeidentificationMethodCodeSequence.append(code)


def _tags(ds: Dataset) -> list[BaseTag]:
    # Tags only: iterating a Dataset converts every raw value, which can fail.
    return list(ds.keys())


def _tag_name(tag: BaseTag) -> str | None:
    """Return the attribute's keyword, or None for a private or unknown tag.

    Tag numbers outside the dictionary are never named: a crafted file can spell text
    with them ((4143,414E) is "CANA"), so they are only counted (``_unnamed``).
    """
    if tag.is_private:
        return None
    return keyword_for_tag(tag) or None


def _unnamed(tags: list[BaseTag], prefix: str = "") -> list[str]:
    """Count the private and unknown tags among ``tags``, e.g. ``3 private tags``."""
    private = sum(1 for tag in tags if tag.is_private)
    unknown = sum(1 for tag in tags if not tag.is_private and not keyword_for_tag(tag))
    counts = [(private, "private tag"), (unknown, "unrecognised tag")]
    return [f"{prefix}{n} {label}{'s' if n > 1 else ''}" for n, label in counts if n]


def _has_value(source: Dataset, keyword: str) -> bool:
    try:
        element = source.get(keyword)
    except (ValueError, TypeError, LookupError, NotImplementedError):
        return True  # unreadable, so certainly not empty
    return element is not None and str(element).strip() != ""


def _shortened(source: Dataset, clean: Dataset, keyword: str) -> bool:
    """Whether some values of a kept multi-valued attribute were dropped (Image Type)."""
    try:
        return int(source[keyword].VM) > int(clean[keyword].VM)
    except (ValueError, TypeError, LookupError, NotImplementedError):
        return True


def header_changes(
    source: Dataset, clean: Dataset
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Return what de-identification did, by attribute name only (never a value).

    Works on tags alone, so an element whose value cannot even be parsed is still
    reported (as removed) instead of failing the import.

    Returns:
        (removed, replaced, emptied, dropped_values): attributes of the file that were
        not kept (file meta attributes prefixed ``file meta``), UIDs that were remapped,
        identifying attributes kept present but empty, and kept attributes whose value
        (or some of whose values) was dropped because it is not a DICOM defined term
        and so could carry text. Pixel data is stored separately and is
        not listed.
    """
    kept = {keyword_for_tag(tag) for tag in _tags(clean)}
    removed: list[str] = []
    unnamed: list[BaseTag] = []
    for tag in _tags(source):
        keyword = keyword_for_tag(tag)
        if (
            tag == 0x7FE00010
            or keyword in kept
            or keyword in KEPT_ATTRIBUTES
            or keyword == "SOPClassUID"
        ):
            continue  # pixels; kept; or a kept attribute whose value was dropped (below)
        name = _tag_name(tag)
        if name is None:
            unnamed.append(tag)
        else:
            removed.append(name)
    removed += _unnamed(unnamed)
    meta = getattr(source, "file_meta", None)
    kept_meta = {"FileMetaInformationGroupLength", "FileMetaInformationVersion",
                 "MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID",
                 "TransferSyntaxUID"}  # fmt: skip
    meta_tags = _tags(meta) if meta is not None else []
    unnamed_meta: list[BaseTag] = []
    for tag in meta_tags:
        if keyword_for_tag(tag) in kept_meta:
            continue
        name = _tag_name(tag)
        if name is None:
            unnamed_meta.append(tag)
        else:
            removed.append(f"file meta {name}")
    removed += _unnamed(unnamed_meta, "file meta ")
    replaced = tuple(k for k in REMAPPED_UIDS if k in kept)
    if _sop_class_uid(source, coded_value(source, "Modality"))[1]:
        replaced += ("SOPClassUID",)
    if any(keyword_for_tag(tag) == "MediaStorageSOPInstanceUID" for tag in meta_tags):
        replaced += ("file meta MediaStorageSOPInstanceUID",)
    source_keywords = {keyword_for_tag(tag) for tag in _tags(source)}
    emptied = tuple(
        k for k in EMPTIED_ATTRIBUTES if k in source_keywords and _has_value(source, k)
    )
    dropped = tuple(
        k
        for k in KEPT_ATTRIBUTES
        if k in source_keywords and (k not in kept or _shortened(source, clean, k))
    )
    return tuple(removed), replaced, emptied, dropped


def header_bytes(header: Dataset) -> bytes:
    """Serialise a de-identified header as a DICOM Part 10 file (no pixel data)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = header.SOPClassUID
    meta.MediaStorageSOPInstanceUID = header.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    header.file_meta = meta
    buffer = io.BytesIO()
    header.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()

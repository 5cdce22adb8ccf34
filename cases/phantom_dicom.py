"""Write a chest phantom as a DICOM CR or DX file, with every encoding choice exposed.

Tests and ``casebook demo`` use this to make files whose truth is known: photometric
interpretation, bits stored, rescale, window, which spacing attribute carries the pixel
size, compressed transfer syntaxes, and, on request, identifying data in every attribute
group (patient, study, series, equipment, institution, physicians, operators, accession,
device serial, private tags, free-text comments) to prove that the intake removes it.
All identifying values are invented.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
)

from cases.dicom_import import CR_STORAGE, DX_PRESENTATION, DX_PROCESSING
from cases.phantom import Phantom


class SpacingAttribute(StrEnum):
    """Which DICOM attribute carries the phantom's pixel spacing."""

    PIXEL_SPACING = "PixelSpacing"
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"
    IMAGER_PIXEL_SPACING_ERMF = "ImagerPixelSpacing+ERMF"
    ZERO_PIXEL_SPACING = "zero"
    """PixelSpacing present as ``0\\0`` (as in the DICOM WG-04 chest images)."""
    NONE = "none"


SUPPORTED_TRANSFER_SYNTAXES = (
    ExplicitVRLittleEndian,
    RLELossless,
    JPEG2000Lossless,
    JPEGLSLossless,
    JPEGBaseline8Bit,
)
"""JPEG Baseline is lossy and needs ``bits_stored=8``; pydicom has no encoder for it, so
Pillow writes the JPEG stream."""

# Invented identifying values, one per attribute group. Tests search the database, the
# store and the logs for each string after import.
PHI_VALUES: Mapping[str, str] = {
    "PatientName": "PHIDOE^JANE^QUINN",
    "PatientID": "PHI-MRN-44170923",
    "IssuerOfPatientID": "PHI-ISSUER-HOSP",
    "PatientBirthDate": "19430817",
    "PatientAddress": "17 Phinney Lane, Phitown",
    "PatientTelephoneNumbers": "555-0199-PHI",
    "OtherPatientIDs": "PHI-OTHER-5512",
    "PatientMotherBirthName": "PHIMOTHER^MAIDEN",
    "PatientComments": "PHI patient comment: allergic to penicillin",
    "AdditionalPatientHistory": "PHI history: smoker 40 pack years",
    "StudyDate": "20190314",
    "StudyTime": "101530",
    "AccessionNumber": "PHIACC7781",
    "StudyID": "PHISTUDY93",
    "StudyDescription": "PHI study description chest",
    "SeriesDescription": "PHI series description",
    "InstitutionName": "PHI Memorial Hospital",
    "InstitutionAddress": "1 Phi Plaza, Phitown",
    "InstitutionalDepartmentName": "PHI Radiology Department",
    "StationName": "PHISTATION7",
    "ReferringPhysicianName": "PHIREFER^ROSS",
    "PerformingPhysicianName": "PHIPERFORM^LEE",
    "NameOfPhysiciansReadingStudy": "PHIREADER^KIM",
    "RequestingPhysician": "PHIREQUEST^NGUYEN",
    "OperatorsName": "PHIOPERATOR^SAM",
    "DeviceSerialNumber": "PHISERIAL-0042",
    "DetectorID": "PHIDETECTOR-77",
    "ProtocolName": "PHI protocol name",
    "ImageComments": "PHI image comment: Jane Doe, bed 12",
}
PHI_PRIVATE_CREATOR = "PHI PRIVATE CREATOR"
PHI_PRIVATE_VALUE = "PHIPRIVATEVALUE-31337"
PHI_NESTED_ACCESSION = "PHINESTACC-2020"
PHI_SOURCE_AE_TITLE = "PHIAETITLE"
PHI_STRINGS: tuple[str, ...] = (
    *PHI_VALUES.values(),
    PHI_PRIVATE_CREATOR,
    PHI_PRIVATE_VALUE,
    PHI_NESTED_ACCESSION,
    PHI_SOURCE_AE_TITLE,
)
"""Every identifying string a PHI phantom carries (UIDs excepted, see ``original_uids``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DicomOptions:
    """How to encode a phantom as DICOM."""

    modality: str = "DX"
    """``CR`` or ``DX``."""
    for_processing: bool = False
    """DX only: write Digital X-Ray Image Storage - For Processing."""
    photometric: str = "MONOCHROME2"
    bits_stored: int = 12
    rescale_slope: float | None = None
    rescale_intercept: float | None = None
    window: tuple[float, float] | None = None
    """(center, width) in modality units (after rescale)."""
    voi_lut_function: str | None = None
    spacing: SpacingAttribute = SpacingAttribute.PIXEL_SPACING
    magnification: float = 1.1
    """Estimated Radiographic Magnification Factor written with ``IMAGER_PIXEL_SPACING_ERMF``."""
    transfer_syntax: UID = ExplicitVRLittleEndian
    view_position: str | None = "PA"
    body_part: str | None = "CHEST"
    burned_in_annotation: str | None = "NO"
    species_description: str | None = None
    include_phi: bool = False
    uid_seed: str = "phantom"
    """Seed for the phantom's own (original) UIDs; equal seeds give equal study UIDs."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More attributes by keyword, set last (for tests of unusual headers)."""
    burned_in_text: tuple[str, ...] = ()
    """Lines of text drawn white into the top-left corner of the pixels (burned-in PHI)."""

    def __post_init__(self) -> None:
        if self.modality not in ("CR", "DX"):
            raise ValueError(f"modality must be CR or DX, got {self.modality!r}")
        if self.photometric not in ("MONOCHROME1", "MONOCHROME2"):
            raise ValueError(
                f"photometric must be MONOCHROME1 or MONOCHROME2, got {self.photometric!r}"
            )
        if not 8 <= self.bits_stored <= 16:
            raise ValueError(f"bits_stored must be 8..16, got {self.bits_stored}")
        if self.transfer_syntax not in SUPPORTED_TRANSFER_SYNTAXES:
            raise ValueError(
                f"transfer_syntax must be one of {[s.name for s in SUPPORTED_TRANSFER_SYNTAXES]}"
            )
        if self.transfer_syntax == JPEGBaseline8Bit and self.bits_stored != 8:
            raise ValueError(
                f"JPEG Baseline stores 8 bits per sample, got bits_stored={self.bits_stored}"
            )
        if self.rescale_slope == 0:
            raise ValueError("rescale_slope must not be 0")


def _uid(seed: str, role: str) -> str:
    digest = hashlib.sha256(f"{seed}|{role}".encode()).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def original_uids(options: DicomOptions) -> dict[str, str]:
    """Return the UIDs a phantom file carries before de-identification."""
    return {
        "StudyInstanceUID": _uid(options.uid_seed, "study"),
        "SeriesInstanceUID": _uid(options.uid_seed, "series"),
        "SOPInstanceUID": _uid(options.uid_seed, "instance"),
        "FrameOfReferenceUID": _uid(options.uid_seed, "frame"),
    }


def burned_in_text_mask(
    shape: tuple[int, int], lines: tuple[str, ...]
) -> npt.NDArray[np.float64]:
    """Return text drawn at the top-left corner as coverage in [0, 1] (1 = glyph).

    The font is about 1/40 of the image height, as modalities burn in names and dates.
    """
    canvas = PILImage.new("L", (shape[1], shape[0]), 0)
    if lines:
        size = max(16, shape[0] // 40)
        font = ImageFont.load_default(size=size)
        draw = ImageDraw.Draw(canvas)
        for number, line in enumerate(lines):
            draw.text(
                (size, size + number * round(size * 1.4)), line, fill=255, font=font
            )
    return np.asarray(canvas, dtype=np.float64) / 255.0


def stored_values(phantom: Phantom, options: DicomOptions) -> npt.NDArray[np.uint16]:
    """Return the phantom as stored pixel values (before any rescale) for ``options``."""
    top = 2**options.bits_stored - 1
    attenuation = phantom.pixels.astype(np.float64)
    if options.burned_in_text:
        # Burned-in text is drawn at full brightness, as modalities do.
        text = burned_in_text_mask(attenuation.shape, options.burned_in_text)
        attenuation = np.maximum(attenuation, text)
    if options.photometric == "MONOCHROME1":
        attenuation = (
            1.0 - attenuation
        )  # MONOCHROME1: the lowest value is displayed white
    dtype = np.uint8 if options.bits_stored <= 8 else np.uint16
    return np.rint(attenuation * top).astype(dtype)  # type: ignore[return-value]


def _sop_class(options: DicomOptions) -> str:
    if options.modality == "CR":
        return CR_STORAGE
    return DX_PROCESSING if options.for_processing else DX_PRESENTATION


def _set_spacing(ds: Dataset, phantom: Phantom, options: DicomOptions) -> None:
    spacing = phantom.truth.spacing_mm
    match options.spacing:
        case SpacingAttribute.PIXEL_SPACING:
            ds.PixelSpacing = [spacing, spacing]
        case SpacingAttribute.IMAGER_PIXEL_SPACING:
            ds.ImagerPixelSpacing = [spacing, spacing]
        case SpacingAttribute.IMAGER_PIXEL_SPACING_ERMF:
            # At the detector the image is magnified: detector spacing = patient spacing x factor.
            detector = round(spacing * options.magnification, 6)
            ds.ImagerPixelSpacing = [detector, detector]
            ds.EstimatedRadiographicMagnificationFactor = options.magnification
        case SpacingAttribute.ZERO_PIXEL_SPACING:
            ds.PixelSpacing = [0.0, 0.0]
        case SpacingAttribute.NONE:
            pass


def _add_phi(ds: Dataset) -> None:
    for keyword, value in PHI_VALUES.items():
        setattr(ds, keyword, value)
    block = ds.private_block(0x0029, PHI_PRIVATE_CREATOR, create=True)
    block.add_new(0x10, "LO", PHI_PRIVATE_VALUE)
    request = Dataset()
    request.AccessionNumber = PHI_NESTED_ACCESSION
    request.RequestedProcedureID = "PHIREQPROC1"
    ds.RequestAttributesSequence = DicomSequence([request])
    ds.PatientSex = "F"
    ds.PatientAge = "081Y"


def phantom_dataset(phantom: Phantom, options: DicomOptions | None = None) -> Dataset:
    """Return the phantom as a DICOM dataset (file meta included, pixel data encoded)."""
    options = options or DicomOptions()
    pixels = stored_values(phantom, options)
    uids = original_uids(options)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(_sop_class(options))
    ds.file_meta.MediaStorageSOPInstanceUID = UID(uids["SOPInstanceUID"])
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = _sop_class(options)
    for keyword, value in uids.items():
        setattr(ds, keyword, value)
    ds.Modality = options.modality
    if options.modality == "DX":
        ds.PresentationIntentType = (
            "FOR PROCESSING" if options.for_processing else "FOR PRESENTATION"
        )
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PatientName = ""
    ds.PatientID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "CXR Casebook phantom"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = options.photometric
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated = 8 if pixels.dtype == np.uint8 else 16
    ds.BitsStored = options.bits_stored
    ds.HighBit = options.bits_stored - 1
    ds.PixelRepresentation = 0
    _set_optional(ds, options)
    _set_lookups(ds, options)
    _set_spacing(ds, phantom, options)
    if options.include_phi:
        _add_phi(ds)
        ds.file_meta.SourceApplicationEntityTitle = PHI_SOURCE_AE_TITLE
    for keyword, value in options.extra.items():
        setattr(ds, keyword, value)
    ds.PixelData = pixels.tobytes()
    if options.transfer_syntax == JPEGBaseline8Bit:
        _compress_jpeg_baseline(ds, pixels)
    elif options.transfer_syntax != ExplicitVRLittleEndian:
        ds.compress(options.transfer_syntax, pixels, generate_instance_uid=False)
    return ds


def _set_optional(ds: Dataset, options: DicomOptions) -> None:
    """Write the optional attributes the options give (a missing one stays absent)."""
    optional = {
        "ViewPosition": options.view_position,
        "BodyPartExamined": options.body_part,
        "BurnedInAnnotation": options.burned_in_annotation,
        "PatientSpeciesDescription": options.species_description,
    }
    for keyword, value in optional.items():
        if value is not None:
            setattr(ds, keyword, value)


def _set_lookups(ds: Dataset, options: DicomOptions) -> None:
    """Write the modality LUT (rescale) and the VOI window the options give."""
    if options.rescale_slope is not None or options.rescale_intercept is not None:
        ds.RescaleSlope = (
            options.rescale_slope if options.rescale_slope is not None else 1.0
        )
        ds.RescaleIntercept = options.rescale_intercept or 0.0
        ds.RescaleType = "US"
    if options.window is not None:
        ds.WindowCenter, ds.WindowWidth = options.window
        if options.voi_lut_function:
            ds.VOILUTFunction = options.voi_lut_function


def _compress_jpeg_baseline(ds: Dataset, pixels: npt.NDArray[np.uint16]) -> None:
    buffer = io.BytesIO()
    PILImage.fromarray(pixels.astype(np.uint8), mode="L").save(
        buffer, format="JPEG", quality=90
    )
    ds.PixelData = encapsulate([buffer.getvalue()])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"


def phantom_dicom_bytes(phantom: Phantom, options: DicomOptions | None = None) -> bytes:
    """Return the phantom as the bytes of a DICOM Part 10 file."""
    buffer = io.BytesIO()
    phantom_dataset(phantom, options).save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()

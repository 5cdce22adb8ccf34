"""The grayscale display pipeline of DICOM PS3.3 C.11: modality LUT, VOI, polarity.

Stored pixel values become presentation values in [0, 1] where 1 is white (most
attenuating), the input the engine and the canvas expect:

1. Modality LUT: the Modality LUT Sequence, else Rescale Slope/Intercept.
2. VOI: the first VOI LUT Sequence item, else the first Window Center/Width pair with its
   VOI LUT Function (LINEAR, LINEAR_EXACT, SIGMOID), else the image's own value range
   (8-bit images without VOI are shown as stored, 0 black, 255 white).
3. Polarity: MONOCHROME1 (or Presentation LUT Shape INVERSE) is inverted so that low
   stored values, which are white on such films, end up near 1.
"""

from __future__ import annotations

import io
import math

import numpy as np
import numpy.typing as npt
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from cases.decoded import DecodedImage
from cases.model import (
    DisplayParams,
    ImportIssue,
    IssueCode,
    ModalityLutSource,
    Severity,
    VoiSource,
)

_VOI_FUNCTIONS = {"LINEAR", "LINEAR_EXACT", "SIGMOID"}


def _first_number(value: object) -> float | None:
    """Return the first value of a possibly multi-valued DS attribute."""
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple) or (
        hasattr(value, "__getitem__") and not isinstance(value, str)
    ):
        try:
            value = value[0]  # type: ignore[index]
        except (IndexError, TypeError):
            return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _invert(ds: Dataset) -> bool:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    if photometric == "MONOCHROME1":
        return True
    # Presentation LUT Shape INVERSE on a MONOCHROME2 image asks for inversion as well;
    # on MONOCHROME1 it only restates the polarity (PS3.3 C.8.11.6), so never invert twice.
    return str(ds.get("PresentationLUTShape", "")).strip() == "INVERSE"


def _window(
    ds: Dataset, function: str
) -> tuple[float | None, float | None, ImportIssue | None]:
    center = _first_number(ds.get("WindowCenter"))
    width = _first_number(ds.get("WindowWidth"))
    if center is None or width is None:
        return None, None, None
    minimum = 1.0 if function == "LINEAR" else 0.0
    if width < minimum or (function != "LINEAR" and width <= 0):
        issue = ImportIssue(
            code=IssueCode.INVALID_WINDOW,
            severity=Severity.INFO,
            message=f"Window Width {width:g} is not valid for {function}; the image's value range is shown instead",
        )
        return None, None, issue
    return center, width, None


def display_params_from_dataset(
    ds: Dataset, *, grayscale_converted: bool = False
) -> tuple[DisplayParams, tuple[ImportIssue, ...]]:
    """Return the display pipeline of a DICOM image and any issue with its VOI values.

    Args:
        ds: the dataset as read (only technical attributes are used).
        grayscale_converted: the colour pixels were converted to 8-bit gray on import,
            so the file's LUTs no longer apply.
    """
    if grayscale_converted:
        return bitmap_display_params(8), ()
    bits_stored = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    representation = int(ds.get("PixelRepresentation") or 0)
    slope, intercept = 1.0, 0.0
    if ds.get("ModalityLUTSequence"):
        modality = ModalityLutSource.MODALITY_LUT_SEQUENCE
    else:
        file_slope = _first_number(ds.get("RescaleSlope"))
        file_intercept = _first_number(ds.get("RescaleIntercept"))
        has_rescale = file_slope is not None or file_intercept is not None
        modality = (
            ModalityLutSource.RESCALE if has_rescale else ModalityLutSource.IDENTITY
        )
        # A zero slope would flatten the image; PS3.3 requires it non-zero, so ignore it.
        slope = file_slope if file_slope else 1.0
        intercept = file_intercept or 0.0
    function = str(ds.get("VOILUTFunction") or "LINEAR").strip().upper()
    function = function if function in _VOI_FUNCTIONS else "LINEAR"
    issues: list[ImportIssue] = []
    center = width = None
    if ds.get("VOILUTSequence"):
        voi = VoiSource.VOI_LUT_SEQUENCE
    else:
        center, width, issue = _window(ds, function)
        if issue is not None:
            issues.append(issue)
        if center is not None:
            voi = VoiSource.WINDOW
        elif (
            bits_stored <= 8
            and representation == 0
            and modality is ModalityLutSource.IDENTITY
        ):
            voi = VoiSource.BIT_DEPTH
        else:
            voi = VoiSource.MIN_MAX
    params = DisplayParams(
        photometric_interpretation=str(
            ds.get("PhotometricInterpretation", "MONOCHROME2")
        ).strip(),
        bits_stored=bits_stored,
        pixel_representation=representation,
        modality_lut=modality,
        rescale_slope=float(slope),
        rescale_intercept=float(intercept),
        voi=voi,
        window_center=center,
        window_width=width,
        voi_lut_function=function if voi is VoiSource.WINDOW else None,
        invert=_invert(ds),
    )
    return params, tuple(issues)


def bitmap_display_params(bits: int) -> DisplayParams:
    """Return the display pipeline of a PNG/JPEG (or gray-converted) image."""
    return DisplayParams(
        photometric_interpretation="MONOCHROME2",
        bits_stored=bits,
        pixel_representation=0,
        modality_lut=ModalityLutSource.IDENTITY,
        rescale_slope=1.0,
        rescale_intercept=0.0,
        voi=VoiSource.BIT_DEPTH if bits <= 8 else VoiSource.MIN_MAX,
        window_center=None,
        window_width=None,
        voi_lut_function=None,
        invert=False,
    )


def apply_window(
    values: npt.NDArray[np.float64], center: float, width: float, function: str
) -> npt.NDArray[np.float64]:
    """Map modality values to [0, 1] with a VOI window (PS3.3 C.11.2.1.2)."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    return (
        np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)
        if width > 1
        else (values >= center).astype(np.float64)
    )


def _stretch(
    values: npt.NDArray[np.float64], low: float, high: float
) -> npt.NDArray[np.float64]:
    if high <= low:
        return np.zeros_like(values)
    return np.clip((values - low) / (high - low), 0.0, 1.0)


def _lut_range(header: Dataset) -> tuple[float, float]:
    item = header.VOILUTSequence[0]
    data = item.LUTData
    if isinstance(data, bytes | bytearray):
        bits = int(item.LUTDescriptor[2])
        table = np.frombuffer(data, dtype="<u2" if bits > 8 else "u1")
    else:
        table = np.asarray(
            data
            if isinstance(data, list | tuple) or hasattr(data, "__len__")
            else [data]
        )
    return float(table.min()), float(table.max())


def to_display(
    pixels: npt.NDArray[np.generic],
    params: DisplayParams,
    header: Dataset | None = None,
) -> npt.NDArray[np.float32]:
    """Return presentation values in [0, 1] (1 = white) for stored pixels.

    Args:
        pixels: the stored pixel array.
        params: the image's display pipeline.
        header: the de-identified header; needed only for LUT sequences.

    Raises:
        ValueError: the pipeline needs a LUT sequence but no header was given.
    """
    values = pixels.astype(np.float64)
    if params.modality_lut is ModalityLutSource.MODALITY_LUT_SEQUENCE:
        if header is None:
            raise ValueError("the Modality LUT Sequence needs the image's header")
        values = apply_modality_lut(pixels, header).astype(np.float64)
    elif params.modality_lut is ModalityLutSource.RESCALE:
        values = values * params.rescale_slope + params.rescale_intercept

    if params.voi is VoiSource.VOI_LUT_SEQUENCE:
        if header is None:
            raise ValueError("the VOI LUT Sequence needs the image's header")
        # LUT entries are indexed by integer input values (pydicom warns on floats).
        lut_input = np.rint(values).astype(np.int64)
        mapped = apply_voi_lut(lut_input, header, index=0, prefer_lut=True).astype(
            np.float64
        )
        shown = _stretch(mapped, *_lut_range(header))
    elif (
        params.voi is VoiSource.WINDOW
        and params.window_center is not None
        and params.window_width is not None
    ):
        shown = apply_window(
            values,
            params.window_center,
            params.window_width,
            params.voi_lut_function or "LINEAR",
        )
    elif params.voi is VoiSource.BIT_DEPTH:
        shown = _stretch(values, 0.0, float(2**params.bits_stored - 1))
    else:
        shown = _stretch(values, float(values.min()), float(values.max()))

    if params.invert:
        shown = 1.0 - shown
    return shown.astype(np.float32)


def needs_header(params: DisplayParams) -> bool:
    """Whether the pipeline reads a LUT table that lives in the DICOM header."""
    return (
        params.modality_lut is ModalityLutSource.MODALITY_LUT_SEQUENCE
        or params.voi is VoiSource.VOI_LUT_SEQUENCE
    )


def decoded_display(decoded: DecodedImage) -> npt.NDArray[np.float32]:
    """Return presentation values in [0, 1] (1 = white) for an image read but not stored.

    For ``casebook ask IMAGE``-style use: the same pipeline as ``CaseStore.load_display``.
    """
    header = None
    if decoded.header is not None and needs_header(decoded.display):
        header = dcmread(io.BytesIO(decoded.header))
    return to_display(decoded.pixels, decoded.display, header)

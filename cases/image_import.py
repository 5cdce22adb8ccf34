"""Read a PNG or JPEG radiograph (8- or 16-bit grayscale; colour is converted to gray).

Only the pixels are kept: PNG text chunks and JPEG EXIF/comments can carry names and
dates, so no file metadata reaches the store. The pixel count is checked from the PNG
header (or Pillow's lazy header read for JPEG) before anything is decompressed.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage

from cases.calibration import calibration_from_user
from cases.content_store import pixel_sha256
from cases.decoded import DecodedImage, IntakeLimits, check_shape
from cases.deidentify import PIXELS_ONLY_METHOD
from cases.display import bitmap_display_params
from cases.errors import InvalidImageFile, UnsupportedImage, safe_reason
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

# Pillow signals malformed files with these (SyntaxError for bad headers, by design).
_PIL_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    PILImage.DecompressionBombError,
)
_GRAY_MODES = {"L", "I;16", "I;16B", "I;16L", "I;16N", "I"}


def _png_size(data: bytes, name: str) -> tuple[int, int]:
    """Return (width, height) from the PNG IHDR chunk, without decompressing anything."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise InvalidImageFile(f"{name}: PNG header is truncated or has no IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise InvalidImageFile(
            f"{name}: PNG header gives an empty image ({width}x{height})"
        )
    return width, height


def _open(
    data: bytes, name: str, kind: SourceFormat, limits: IntakeLimits
) -> PILImage.Image:
    if kind is SourceFormat.PNG:
        width, height = _png_size(data, name)
        limits.check_matrix(name, height, width)
    try:
        with warnings.catch_warnings():
            # Our own limit applies; Pillow's DecompressionBombWarning would only repeat it.
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data), formats=[kind.value.upper()])
            limits.check_matrix(name, image.height, image.width)
            image.load()
    except PILImage.DecompressionBombError as exc:
        raise InvalidImageFile(
            f"{name}: image is too large to decode safely ({safe_reason(exc)})"
        ) from exc
    except _PIL_ERRORS as exc:
        reason = safe_reason(exc)
        raise InvalidImageFile(
            f"{name}: not a readable {kind.value.upper()} file ({reason})"
        ) from exc
    check_shape(name, image.height, image.width)
    return image


def _gray_pixels(
    image: PILImage.Image, name: str
) -> tuple[npt.NDArray[np.generic], bool]:
    """Return grayscale pixels and whether colour had to be dropped."""
    if image.mode in _GRAY_MODES:
        pixels = np.asarray(image)
        if image.mode == "I":
            # 16-bit PNGs may open as 32-bit "I"; keep them 16-bit when the values fit.
            if pixels.min() < 0 or pixels.max() > 65535:
                raise UnsupportedImage(
                    f"{name}: 32-bit pixel values are not a radiograph export"
                )
            pixels = pixels.astype(np.uint16)
        return pixels, False
    if image.mode in ("1", "LA", "La"):
        return np.asarray(image.convert("L")), False
    rgb = np.asarray(image.convert("RGB"))
    gray_already = bool(
        np.array_equal(rgb[..., 0], rgb[..., 1])
        and np.array_equal(rgb[..., 1], rgb[..., 2])
    )
    return np.asarray(image.convert("L")), not gray_already


# Pillow's names for standard file metadata; anything else (PNG text chunks, JPEG
# comments) is counted, not named, because its key itself could be free text.
_STANDARD_METADATA = {
    "dpi", "gamma", "icc_profile", "exif", "transparency", "aspect", "chromaticity",
    "srgb", "jfif", "jfif_version", "jfif_unit", "jfif_density", "adobe",
    "adobe_transform", "progression", "progressive", "interlace", "photoshop", "xmp",
    "comment", "bkgd",
}  # fmt: skip


def _metadata_removed(image: PILImage.Image) -> tuple[str, ...]:
    named = sorted(f"file metadata {k}" for k in image.info if k in _STANDARD_METADATA)
    others = sum(1 for k in image.info if k not in _STANDARD_METADATA)
    if others:
        named.append(
            f"file metadata: {others} text entr{'y' if others == 1 else 'ies'}"
        )
    return tuple(named)


def read_bitmap(
    data: bytes,
    *,
    name: str,
    kind: SourceFormat,
    spacing_mm: float | None,
    limits: IntakeLimits,
    burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
) -> DecodedImage:
    """Decode a PNG or JPEG radiograph (see ``cases.intake.read_image``).

    A PNG or JPEG has no Burned In Annotation flag: its pixels are searched for text
    only with ``BurnedInPolicy.ALWAYS``.

    Raises:
        InvalidImageFile: truncated, corrupt or too large to decode safely.
        ImageTooLarge: the header declares more pixels than ``limits.max_pixels``.
        UnsupportedImage: 32-bit or otherwise unusable pixel values.
    """
    image = _open(data, name, kind, limits)
    pixels, converted = _gray_pixels(image, name)
    pixels = np.ascontiguousarray(pixels)
    issues: list[ImportIssue] = []
    if converted:
        issues.append(
            ImportIssue(
                code=IssueCode.COLOR_CONVERTED,
                severity=Severity.INFO,
                message="colour image converted to 8-bit grayscale",
            )
        )
    searched = burned_in is BurnedInPolicy.ALWAYS
    blanked: tuple[BlankedBox, ...] = ()
    if searched:
        pixels, blanked = redact_burned_in_text(pixels)
    if blanked:
        issues.append(
            ImportIssue(
                code=IssueCode.BURNED_IN_TEXT_BLANKED,
                severity=Severity.WARNING,
                message=f"{len(blanked)} burned-in text region(s) near the border were "
                "blanked in the pixels (see the de-identification report); check that "
                "no anatomy was covered",
            )
        )
    method = PIXELS_ONLY_METHOD + (
        "; burned-in text blanked in the pixels" if blanked else ""
    )
    calibration, calibration_issues = calibration_from_user(spacing_mm)
    issues += calibration_issues
    bits = 8 if pixels.dtype == np.uint8 else 16
    return DecodedImage(
        image_id=ImageId(pixel_sha256(pixels)),
        pixels=pixels,
        source_format=kind,
        calibration=calibration,
        display=bitmap_display_params(bits),
        lossy_compression=kind is SourceFormat.JPEG,
        deid_method=method,
        issues=tuple(issues),
        deid=DeidSummary(
            method=method,
            removed=_metadata_removed(image),
            pixel_policy=burned_in,
            pixels_searched=searched,
            detector=DETECTOR_VERSION if searched else None,
            blanked=blanked,
        ),
    )

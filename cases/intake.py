"""Intake: turn one file (DICOM, PNG or JPEG) into de-identified pixels and metadata.

Nothing here touches the database; ``CaseStore.import_file`` stores what ``read_image``
returns. Every refusal is a ``CasesError`` whose message starts with the file name and
says why, so a folder import can report each file on one line.
"""

from __future__ import annotations

from pathlib import Path

from cases.decoded import DecodedImage, IntakeLimits, check_spacing
from cases.dicom_import import read_dicom
from cases.errors import InvalidImageFile
from cases.image_import import read_bitmap
from cases.model import BurnedInPolicy, SourceFormat

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


def sniff_format(data: bytes) -> SourceFormat | None:
    """Guess the file format from its first bytes (never from the file name)."""
    if data.startswith(_PNG_SIGNATURE):
        return SourceFormat.PNG
    if data.startswith(_JPEG_SIGNATURE):
        return SourceFormat.JPEG
    if data[128:132] == b"DICM" or data[:2] in (b"\x02\x00", b"\x08\x00"):
        # Part 10 files have "DICM" after a 128-byte preamble; old raw datasets start
        # directly with a group 0002 or 0008 tag (little endian).
        return SourceFormat.DICOM
    return None


def read_image(
    data: bytes,
    *,
    name: str,
    salt: bytes,
    spacing_mm: float | None = None,
    limits: IntakeLimits | None = None,
    burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
) -> DecodedImage:
    """Decode and de-identify one image file held in memory.

    Args:
        data: the file's bytes.
        name: how to name the file in messages (its path as the user gave it).
        salt: installation salt for UID remapping.
        spacing_mm: pixel size typed by the user, for PNG/JPEG files (a DICOM file's own
            calibration, or its absence, is always kept).
        limits: size limits; defaults to ``IntakeLimits.from_env()``.
        burned_in: when to look for burned-in text in the pixels and blank it.

    Raises:
        InvalidImageFile: empty, truncated, corrupt or not an image.
        UnsupportedImage: a valid file the casebook does not hold (CT, multi-frame, ...).
        UnsupportedTransferSyntax: no installed decoder for the DICOM transfer syntax.
        ImageTooLarge: the file or pixel matrix exceeds ``limits``.
    """
    limits = limits or IntakeLimits.from_env()
    check_spacing(spacing_mm)
    if not data:
        raise InvalidImageFile(f"{name}: file is empty (0 bytes)")
    limits.check_bytes(name, len(data))
    kind = sniff_format(data)
    if kind is SourceFormat.DICOM:
        return read_dicom(
            data, name=name, salt=salt, limits=limits, burned_in=burned_in
        )
    if kind in (SourceFormat.PNG, SourceFormat.JPEG):
        return read_bitmap(
            data,
            name=name,
            kind=kind,
            spacing_mm=spacing_mm,
            limits=limits,
            burned_in=burned_in,
        )
    raise InvalidImageFile(
        f"{name}: not a DICOM, PNG or JPEG file (no DICOM, PNG or JPEG signature at "
        "its start); import radiographs as DICOM, PNG or JPEG"
    )


def read_image_file(
    path: Path,
    *,
    salt: bytes,
    spacing_mm: float | None = None,
    limits: IntakeLimits | None = None,
    burned_in: BurnedInPolicy = BurnedInPolicy.AUTO,
) -> DecodedImage:
    """Read, decode and de-identify one image file (see ``read_image``).

    Raises:
        InvalidImageFile: the path is not a readable file, or see ``read_image``.
    """
    limits = limits or IntakeLimits.from_env()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InvalidImageFile(f"{path}: not a regular file")
        limits.check_bytes(str(path), size)
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidImageFile(f"{path}: no such file") from exc
    except PermissionError as exc:
        raise InvalidImageFile(f"{path}: permission denied") from exc
    except IsADirectoryError as exc:
        raise InvalidImageFile(f"{path}: is a folder") from exc
    except OSError as exc:
        raise InvalidImageFile(
            f"{path}: cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc
    return read_image(
        data,
        name=str(path),
        salt=salt,
        spacing_mm=spacing_mm,
        limits=limits,
        burned_in=burned_in,
    )

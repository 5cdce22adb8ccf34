"""Content-addressed files beside the database: pixels, de-identified headers, analyses.

Layout of the store folder (``<db stem>.store/`` next to ``<db stem>.duckdb``)::

    pixels/ab/<sha256>.npy        decoded pixel array (NumPy .npy, exact dtype and shape)
    headers/ab/<sha256>.dcm       de-identified DICOM header of that image, no pixel data
    analyses/ab/<sha256>.bin      cached engine analysis, keyed by the payload's own sha256
    deid_salt                     per-installation secret for UID remapping (mode 0600)

``ab`` is the first two hex digits of the file's key, so no folder holds more than a few
hundred files per 100k images. Every file is written to a temporary name in its final
folder and renamed into place, so a reader never sees half a file; an existing file with
the same key is left alone, because equal keys mean equal content.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cases.errors import StoreCorrupted, StoreUnwritable

SALT_FILE = "deid_salt"

logger = logging.getLogger(__name__)


def pixel_sha256(pixels: npt.NDArray[np.generic]) -> str:
    """Return the SHA-256 of a pixel array's dtype, shape and bytes (the image id).

    The dtype is normalised to little-endian first, so big-endian DICOM files and their
    little-endian copies hash alike.
    """
    array = np.ascontiguousarray(pixels, dtype=pixels.dtype.newbyteorder("<"))
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}|{'x'.join(map(str, array.shape))}|".encode())
    digest.update(array.data)
    return digest.hexdigest()


def salt_fingerprint(salt: bytes) -> str:
    """Return a SHA-256 that identifies the salt without revealing it (a 32-byte secret)."""
    return hashlib.sha256(b"casebook deid salt fingerprint\x00" + salt).hexdigest()


STORED_KINDS = ("pixels", "headers", "analyses")
"""The folders of content-addressed files (everything else in the store is kept)."""


def store_dir_for(db_path: Path) -> Path:
    """Return the store folder that belongs to a database file."""
    return db_path.with_name(f"{db_path.stem}.store")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    """Where a file went, and whether this call created it (so a rollback can remove it)."""

    relative: str
    created: bool


@dataclass(frozen=True, slots=True)
class ContentStore:
    """Files keyed by SHA-256 under one root folder."""

    root: Path

    def __post_init__(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnwritable(
                f"store folder {self.root} cannot be created", exc
            ) from exc

    # ------------------------------------------------------------------ writes

    def put_pixels(self, sha256: str, pixels: npt.NDArray[np.generic]) -> StoredFile:
        """Store a pixel array under its hash."""
        relative = self._relative("pixels", sha256, ".npy")
        if (self.root / relative).exists():
            return StoredFile(relative=relative, created=False)
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(pixels), allow_pickle=False)
        self._write_atomic(relative, buffer.getvalue())
        return StoredFile(relative=relative, created=True)

    def put_header(self, sha256: str, header: bytes) -> StoredFile:
        """Store the de-identified DICOM header (no pixel data) of an image."""
        relative = self._relative("headers", sha256, ".dcm")
        if (self.root / relative).exists():
            return StoredFile(relative=relative, created=False)
        self._write_atomic(relative, header)
        return StoredFile(relative=relative, created=True)

    def put_blob(self, data: bytes) -> tuple[str, StoredFile]:
        """Store bytes under their own SHA-256; return the hash and the file."""
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self._relative("analyses", sha256, ".bin")
        if (self.root / relative).exists():
            return sha256, StoredFile(relative=relative, created=False)
        self._write_atomic(relative, data)
        return sha256, StoredFile(relative=relative, created=True)

    def discard(self, files: list[StoredFile]) -> None:
        """Remove the files a rolled-back write created (files that existed before stay)."""
        for stored in files:
            if stored.created:
                try:
                    (self.root / stored.relative).unlink(missing_ok=True)
                except OSError as exc:
                    # Keep the error that caused the rollback; this file is orphaned.
                    logger.warning("could not remove %s: %s", stored.relative, exc)

    # ------------------------------------------------------------------ reads

    def load_pixels(self, relative: str) -> npt.NDArray[np.generic]:
        """Load a stored pixel array.

        Raises:
            StoreCorrupted: the file is missing or not a NumPy array file.
        """
        path = self._existing(relative)
        try:
            array: npt.NDArray[np.generic] = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise StoreCorrupted(
                f"pixel file {path} is unreadable ({exc}); restore the store from a backup"
            ) from exc
        return array

    def read_bytes(self, relative: str) -> bytes:
        """Read a stored header or blob.

        Raises:
            StoreCorrupted: the file is missing.
        """
        return self._existing(relative).read_bytes()

    def salt(self) -> bytes:
        """Return the installation's de-identification salt, creating it on first use.

        Raises:
            StoreUnwritable: the salt file cannot be created or read.
            StoreCorrupted: the salt file is too short to be one.
        """
        path = self.root / SALT_FILE
        if not path.exists():
            self._write_atomic(SALT_FILE, secrets.token_bytes(32), mode=0o600)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreUnwritable(
                f"de-identification salt {path} cannot be read", exc
            ) from exc
        if len(data) < 16:
            raise StoreCorrupted(
                f"de-identification salt {path} is damaged; restore it from a backup"
            )
        return data

    def stored_files(self) -> list[str]:
        """Return every content-addressed file (relative path), in-flight temporaries too.

        A temporary ``.tmp-*`` file is what a writer killed mid-write leaves behind.
        """
        found: list[str] = []
        for kind in STORED_KINDS:
            folder = self.root / kind
            if folder.is_dir():
                found += sorted(
                    p.relative_to(self.root).as_posix()
                    for p in folder.rglob("*")
                    if p.is_file() or p.is_symlink()
                )
        return found

    def remove(self, relative: str) -> None:
        """Remove one stored file (an orphan that no row references).

        Raises:
            StoreCorrupted: the path points outside the store.
            StoreUnwritable: the file cannot be removed.
        """
        path = self.root / relative
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise StoreCorrupted(f"store path {relative!r} points outside the store")
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreUnwritable(f"cannot remove {path}", exc) from exc

    def size_bytes(self) -> int:
        """Total size of all files in the store."""
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _relative(kind: str, sha256: str, suffix: str) -> str:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(
                f"store keys are lowercase sha256 hex digests, got {sha256!r}"
            )
        return f"{kind}/{sha256[:2]}/{sha256}{suffix}"

    def _existing(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StoreCorrupted(f"store path {relative!r} points outside the store")
        if not path.is_file():
            raise StoreCorrupted(
                f"store file {path} is missing; restore the store folder from a backup "
                "or re-import the image"
            )
        return path

    def _write_atomic(self, relative: str, data: bytes, *, mode: int = 0o644) -> None:
        """Write a file whole or not at all.

        Raises:
            StoreUnwritable: the folder cannot be created or the file written (a file in
                the way, permissions, a full disk).
        """
        target = self.root / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        except OSError as exc:
            raise StoreUnwritable(f"cannot write {target}", exc) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp_name).chmod(mode)
            Path(temp_name).replace(target)
        except BaseException as exc:
            Path(temp_name).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise StoreUnwritable(f"cannot write {target}", exc) from exc
            raise

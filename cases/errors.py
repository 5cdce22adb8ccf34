"""Errors raised by the case database and the image intake.

Every message is one line that names the file or record and says what to do next, so the
command line and the dashboard can show it as it is. Bad-input errors also subclass
``ValueError`` (pydicom's convention), lookups also subclass ``LookupError``.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

_TRACEBACK = re.compile(r"Traceback \(most recent call last\).*", re.DOTALL)
_BYTES = re.compile(r"b'(?:[^'\\]|\\.)*'" + r'|b"(?:[^"\\]|\\.)*"')
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_TAG = re.compile(r"\(\s*([0-9A-Fa-f]{4})\s*,\s*([0-9A-Fa-f]{4})\s*\)")
_TAG_HEX = re.compile(r"\b0x[0-9A-Fa-f]{8}\b")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]")
REASON_LIMIT = 200


def safe_reason(exc: BaseException, known_tag: object = None) -> str:
    """Return a library's error text fit for a refusal message (one line, no file data).

    Decoders quote what they failed on: header values (``'SMITH JOHN'``), raw bytes
    (``b'...'``), tag numbers made of file bytes (``(4143,414E)`` spells
    "CANA"), and some chain whole tracebacks into their message. All of that is cut;
    what stays is the library's reason.

    Args:
        exc: the error raised by pydicom, Pillow or a decoder plugin.
        known_tag: a predicate telling whether a tag number is in the DICOM dictionary;
            such tags are kept (``(0028,0010)`` says which attribute failed), others are
            replaced. Without it every tag number is replaced.
    """
    text = _TRACEBACK.sub("", str(exc))
    text = _BYTES.sub("<bytes>", text)
    text = _QUOTED.sub("'<redacted>'", text)
    text = _TAG_HEX.sub("<tag>", text)

    def tag(match: re.Match[str]) -> str:
        number = int(match.group(1) + match.group(2), 16)
        keep = callable(known_tag) and bool(known_tag(number))
        return match.group(0) if keep else "(unknown tag)"

    text = _TAG.sub(tag, text)
    text = _UNPRINTABLE.sub("?", " ".join(text.split()))
    return text[:REASON_LIMIT] or type(exc).__name__


class CasesError(Exception):
    """Base class of every error the ``cases`` package raises on purpose."""


class DatabaseLocked(CasesError):
    """Another process holds the DuckDB file (DuckDB allows one process per file).

    The message names the holder (``cases.connection.describe_holder``): the dashboard
    only holds the file while it works, so waiting is the fix there; another command
    holds it until it ends.
    """

    def __init__(
        self,
        path: Path | str,
        pid: int | None = None,
        *,
        holder: str | None = None,
        waited_s: float | None = None,
    ) -> None:
        self.path = Path(path)
        self.pid = pid
        self.holder = holder or (
            f"another process (PID {pid})" if pid is not None else "another process"
        )
        waited = f" for {waited_s:g} s" if waited_s else ""
        if self.holder.startswith("the dashboard"):
            hint = (
                "it is busy; try again in a moment, raise CASEBOOK_LOCK_WAIT_S, or stop "
                "it with `casebook stop`"
            )
        elif self.holder.startswith("the command"):
            hint = "wait for that command to finish, or use another --db"
        else:
            hint = "end that process, or use another --db"
        super().__init__(
            f"database {self.path} is in use by {self.holder}{waited}: {hint}"
        )

    @classmethod
    def from_duckdb_message(cls, path: Path | str, message: str) -> DatabaseLocked:
        """Build the error from DuckDB's ``IOException`` text, which names the PID."""
        match = re.search(r"\(PID (\d+)\)", message)
        return cls(path, int(match.group(1)) if match else None)


class InvalidDatabase(CasesError, ValueError):
    """The file at --db exists but is not a DuckDB database written by casebook."""


class SchemaTooNew(CasesError):
    """The database was written by a newer casebook than this one."""


class InvalidImageFile(CasesError, ValueError):
    """The file is not a readable DICOM, PNG or JPEG image (empty, truncated, text, ...)."""


class UnsupportedImage(CasesError, ValueError):
    """The file is a valid image, but not one the casebook can hold (e.g. CT, multi-frame)."""


class UnsupportedTransferSyntax(CasesError, ValueError):
    """No installed decoder can read the DICOM transfer syntax of the file."""


class ImageTooLarge(CasesError, ValueError):
    """The file or its pixel matrix exceeds the configured intake limits."""


class InvalidRecord(CasesError, ValueError):
    """A write asks for something the case database cannot store consistently."""


class RecordNotFound(CasesError, LookupError):
    """A case, image, conversation or turn that the caller named does not exist."""


class WriteConflict(CasesError):
    """Another session wrote the same record first; reload and try again."""


class StoreUnwritable(CasesError):
    """The store folder beside the database, or a file in it, cannot be created or written."""

    def __init__(self, action: str, exc: OSError) -> None:
        self.errno = exc.errno
        reason = exc.strerror or type(exc).__name__
        in_the_way = (
            f"a file is in the way at {_blocking_file(Path(exc.filename))}; move it "
            "aside or use another --db"
            if exc.filename
            else "a file is in the way; move it aside or use another --db"
        )
        permissions = "check the folder's owner and permissions, or use another --db"
        hint = {
            errno.EEXIST: in_the_way,
            errno.ENOTDIR: in_the_way,
            errno.EACCES: permissions,
            errno.EPERM: permissions,
            errno.EROFS: "the file system is read-only; use another --db",
            errno.ENOSPC: "the disk is full; free some space and try again",
            errno.EDQUOT: "the disk quota is used up; free some space and try again",
        }.get(exc.errno or 0, "check the folder and try again, or use another --db")
        super().__init__(f"{action} ({reason}): {hint}")


def _blocking_file(path: Path) -> Path:
    """Return the first part of ``path`` that exists but is not a folder."""
    for part in (*reversed(path.parents), path):
        if part.exists() and not part.is_dir():
            return part
    return path


class StoreCorrupted(CasesError):
    """A file in the content-addressed store is missing or does not match its hash."""


class BackupError(CasesError):
    """A backup cannot be written or restored (target not empty, checksum mismatch, ...)."""

"""Share one DuckDB file between the dashboard and the command line: connections by lease.

DuckDB lets one process at a time open a database file read-write, and a process that
holds a connection holds the file. The dashboard used to keep its connection for its
whole life, so every ``casebook`` command, read-only ones and ``audit verify`` and
``backup`` included, was refused while a browser was open.

A ``DatabaseLease`` opens the file when a unit of work starts and closes it once the
process has been idle for ``IDLE_RELEASE_S`` (closing also checkpoints the write-ahead
log). A process that finds the file taken retries for up to ``lock_wait_s`` (default
``DEFAULT_LOCK_WAIT_S``, ``CASEBOOK_LOCK_WAIT_S``) before giving up with a
``DatabaseLocked`` that names the holder: the dashboard or a ``casebook`` command, and
its PID. A process that has held the file for ``MAX_HOLD_S`` releases it at its next
idle moment, even a short one, and waits ``YIELD_S`` before taking it again, so a busy
dashboard cannot starve a scheduled backup. The design and its alternatives are in
docs/architecture.md ("One database, several processes").
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from cases.errors import CasesError, DatabaseLocked, InvalidDatabase

DEFAULT_LOCK_WAIT_S = 30.0
IDLE_RELEASE_S = 0.5
"""Idle time after which a process closes the file (an open costs about 37 ms, bench/bench_shared_database.py)."""
MAX_HOLD_S = 5.0
YIELD_S = 0.15
"""Longer than a waiting process's retry interval, so that it gets the file."""
_RETRY_S = (0.02, 0.05, 0.1)


def lock_wait_s() -> float:
    """Return how long to wait for a database another process holds (seconds)."""
    try:
        return max(0.0, float(os.environ.get("CASEBOOK_LOCK_WAIT_S", "")))
    except ValueError:
        return DEFAULT_LOCK_WAIT_S


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file once, turning DuckDB's errors into ours.

    Raises:
        DatabaseLocked: another process holds the file.
        InvalidDatabase: the file is not a DuckDB database.
        CasesError: any other reason the file cannot be opened.
    """
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            pid = _pid_in(message)
            raise DatabaseLocked(path, pid, holder=describe_holder(pid)) from exc
        if "not a valid DuckDB database" in message:
            raise InvalidDatabase(
                f"{path} is not a DuckDB database; point --db at a casebook database or a new file name"
            ) from exc
        raise CasesError(
            f"cannot open database {path}: {' '.join(message.split())}"
        ) from exc


def connect_waiting(path: Path | str, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, retrying for up to ``wait_s`` while another process holds it.

    Raises:
        DatabaseLocked: the file was still held after ``wait_s`` (says by whom).
    """
    deadline = time.monotonic() + wait_s
    attempt = 0
    while True:
        try:
            return connect(path)
        except DatabaseLocked as exc:
            if time.monotonic() >= deadline:
                raise DatabaseLocked(
                    path, exc.pid, holder=exc.holder, waited_s=wait_s
                ) from exc
        time.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
        attempt += 1


def checkpoint(path: Path | str, wait_s: float | None = None) -> None:
    """Write the database's write-ahead log into the file, so no ``.wal`` remains.

    Raises:
        DatabaseLocked: another process holds the file for longer than ``wait_s``.
    """
    connection = connect_waiting(path, lock_wait_s() if wait_s is None else wait_s)
    try:
        connection.execute("CHECKPOINT")
    finally:
        connection.close()


def _pid_in(message: str) -> int | None:
    match = re.search(r"\(PID (\d+)\)", message)
    return int(match.group(1)) if match else None


def describe_holder(pid: int | None) -> str:
    """Say which process holds a database: the dashboard, a casebook command, or other."""
    if pid is None:
        return "another process"
    if pid == os.getpid():
        return f"another connection of this process (PID {pid})"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"another process (PID {pid})"
    words = [w.decode("utf-8", "replace") for w in raw.split(b"\0") if w]
    if is_dashboard_command(words):
        return f"the dashboard (PID {pid})"
    command = _casebook_command(words)
    if command is not None:
        return f"the command `casebook {command}` (PID {pid})"
    name = Path(words[0]).name if words else "unknown"
    return f"another process (PID {pid}, {name})"


DASHBOARD_SCRIPTS = frozenset({"app.py", "asgi_app.py"})
"""The files ``streamlit run`` serves the dashboard from (``casebook serve`` runs
``dashboard/asgi_app.py``, which wraps ``app.py``; a developer may run ``app.py``)."""


def is_dashboard_command(words: Sequence[str]) -> bool:
    """Whether a command line (its words) is ``streamlit run`` of the dashboard.

    By file name, not by a substring: ``streamlit run myapp.py`` is someone else's app.
    """
    runs_streamlit = any(Path(word).name == "streamlit" for word in words)
    return runs_streamlit and any(
        Path(word).name in DASHBOARD_SCRIPTS for word in words
    )


def _casebook_command(words: list[str]) -> str | None:
    """Return the subcommand of a ``casebook`` (or ``python -m cli``) command line."""
    for index, word in enumerate(words):
        if Path(word).name == "casebook" or (
            word == "cli" and index and words[index - 1] == "-m"
        ):
            rest = words[index + 1 :]
            while rest and rest[0].startswith("-"):
                # --db takes a value; the other global options are flags.
                rest = rest[2:] if rest[0] == "--db" else rest[1:]
            return rest[0] if rest else "(no subcommand)"
    return None


class DatabaseLease:
    """One process's connection to a database file, open only while it is in use.

    ``acquire`` returns the open connection (opening it, or waiting for another process
    to release the file); ``release`` hands it back, and the last release starts the
    idle timer. Thread-safe. An in-memory database (``path`` None) is never released.
    """

    def __init__(
        self,
        path: Path | None,
        connection: duckdb.DuckDBPyConnection,
        *,
        wait_s: float | None = None,
    ) -> None:
        self._path = path
        self._connection: duckdb.DuckDBPyConnection | None = connection
        self._wait_s = lock_wait_s() if wait_s is None else wait_s
        self._users = 0
        self._opened_at = time.monotonic()
        self._yield_until = 0.0
        self._timer: threading.Timer | None = None
        self._guard = threading.Lock()
        self._closed = False

    def acquire(self) -> duckdb.DuckDBPyConnection:
        """Return the open connection, opening the file when needed.

        Raises:
            DatabaseLocked: another process kept the file for longer than the wait.
            CasesError: the store was closed.
        """
        with self._guard:
            if self._closed:
                raise CasesError("the case store was closed; open it again")
            self._cancel_timer()
            if self._connection is None:
                pause = self._yield_until - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # let a waiting process take its turn
                if self._path is None:  # an in-memory connection is never closed
                    raise CasesError("the in-memory case store was closed")
                self._connection = connect_waiting(self._path, self._wait_s)
                self._opened_at = time.monotonic()
            self._users += 1
            return self._connection

    def release(self) -> None:
        """Hand the connection back; the last user starts the idle timer."""
        with self._guard:
            self._users -= 1
            if self._users > 0 or self._path is None or self._connection is None:
                return
            if time.monotonic() - self._opened_at >= MAX_HOLD_S:
                self._close_connection()
                self._yield_until = time.monotonic() + YIELD_S
                return
            self._timer = threading.Timer(IDLE_RELEASE_S, self._close_if_idle)
            self._timer.daemon = True
            self._timer.start()

    def close(self) -> None:
        """Close the connection for good (the store is closed)."""
        with self._guard:
            self._cancel_timer()
            self._close_connection()
            self._closed = True

    def _close_if_idle(self) -> None:
        with self._guard:
            if self._users == 0 and not self._closed:
                self._close_connection()

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

"""The ``casebook`` command line: one entry point, subcommands from the ``cli/*.py`` modules.

Adding a subcommand: create ``cli/<topic>.py`` with a function
``register(subparsers, common)`` that calls ``subparsers.add_parser(name, parents=[common],
help=...)`` and ``parser.set_defaults(handler=run_something)``. The handler takes the
parsed ``argparse.Namespace`` and returns an exit code. Nothing else needs editing: the
module is found by its name. Keep module-level imports to the standard library and
import ``cases``/``engine`` inside handlers, so ``casebook --help`` starts fast; never
import streamlit from a command module.

Every subcommand gets ``--db PATH`` (default ``$CASEBOOK_DB``, else
``./data/casebook.duckdb``) and ``--json``. Expected errors (``CasesError``,
``EngineError``, ``OntologyError``, ``CommandError``, bad arguments, file-system errors)
end with exit code 1 (2 for usage errors) and one line on stderr, ``casebook: error:
<reason>``. A closed output pipe (``casebook list | head``) ends the command quietly
with exit code 141, as SIGPIPE would.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import getpass
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

PROG = "casebook"
DEFAULT_DB = Path("data") / "casebook.duckdb"
# Base classes of the errors each package raises on purpose. They are looked up in
# sys.modules, never imported here: an error class that was never imported cannot have
# been raised.
EXPECTED_ERRORS = {
    "cases.errors": "CasesError",
    "engine.errors": "EngineError",
    "ontology.errors": "OntologyError",
}
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# What a shell reports for a process ended by SIGPIPE (128 + 13), as `casebook list |
# head` would end without Python's handler.
EXIT_BROKEN_PIPE = 141

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """An expected failure that a command reports in one line (exit code 1)."""


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors become one line instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# ---------------------------------------------------------------------- helpers for commands


def default_db() -> Path:
    """Return the database path used when ``--db`` is not given."""
    return Path(os.environ.get("CASEBOOK_DB") or DEFAULT_DB)


def db_path(args: argparse.Namespace) -> Path:
    """Return the database path a command should use."""
    return Path(args.db).expanduser() if getattr(args, "db", None) else default_db()


def require_existing_db(args: argparse.Namespace) -> Path:
    """Return the database path, or fail when there is no database there yet.

    Raises:
        CommandError: the file does not exist.
    """
    path = db_path(args)
    if not path.exists():
        raise CommandError(
            f"no database at {path}; import images with `casebook import PATH` "
            "or build the demo with `casebook demo`, or pass --db"
        )
    return path


def default_actor() -> str:
    """Return who the audit log names for commands run from this shell."""
    return os.environ.get("CASEBOOK_ACTOR") or f"cli:{getpass.getuser()}"


def to_jsonable(value: Any) -> Any:
    """Turn records (dataclasses, enums, dates, paths, tuples) into JSON-ready values.

    Dataclass fields declared with ``repr=False`` (pixel arrays, raw headers) are left out.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.repr
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any, stream: TextIO | None = None) -> None:
    """Print ``value`` as one JSON document on stdout."""
    out = stream or sys.stdout
    json.dump(to_jsonable(value), out, ensure_ascii=False, indent=2)
    out.write("\n")


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal.

    Result lines go through ``write`` so that they do not collide with the bar.
    """

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()

    def _clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def write(self, line: str, out: TextIO | None = None) -> None:
        """Print a result line above the bar."""
        self._clear()
        print(line, file=out or sys.stdout, flush=True)
        self._draw()

    def advance(self, step: int = 1) -> None:
        """Count finished items and redraw."""
        self.done += step
        self._draw()

    def close(self) -> None:
        """Remove the bar."""
        self._clear()


# ---------------------------------------------------------------------- parser and main


def common_options() -> argparse.ArgumentParser:
    """Return the parent parser that gives every subcommand ``--db`` and ``--json``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="case database file (default: $CASEBOOK_DB, else ./data/casebook.duckdb)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print machine-readable JSON on stdout",
    )
    return common


def command_modules() -> list[str]:
    """Return the names of the command modules of the ``cli`` package, sorted."""
    package = Path(__file__).resolve().parent
    return sorted(
        f"cli.{info.name}"
        for info in pkgutil.iter_modules([str(package)])
        if info.name not in {"main", "__main__"}
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every registered subcommand."""
    common = common_options()
    parser = _Parser(
        prog=PROG,
        description="CXR Casebook: chest radiograph cases and grounded AI conversations "
        "(decision support for trained readers, not a diagnostic device).",
        parents=[common],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules():
        module = importlib.import_module(name)
        register = getattr(module, "register", None)
        if callable(register):
            register(subparsers, common)
    return parser


def os_reason(path: object | None, exc: OSError) -> str:
    """Return an OS error as one line that names its file: ``PATH: reason``."""
    named = exc.filename or path
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{named}: {reason}" if named else reason


def _expected(exc: BaseException) -> bool:
    # Errors from the file system (a file in the way, a full disk, permissions) are the
    # user's to fix, so they get one line, never a traceback.
    if isinstance(exc, CommandError | OSError):
        return True
    for module_name, class_name in EXPECTED_ERRORS.items():
        module = sys.modules.get(module_name)
        base = getattr(module, class_name, None) if module else None
        if isinstance(base, type) and isinstance(exc, base):
            return True
    return False


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        return  # stdout is not a real file (tests): nothing will be flushed to it


def fail(message: str) -> None:
    """Print one ``casebook: error:`` line on stderr."""
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.db = getattr(args, "db", None)
        args.json = getattr(args, "json", False)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return EXIT_USAGE
        return handler(args)
    except UsageError as exc:
        fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`casebook list | head`): stop quietly, as Unix tools
        # do. Point stdout at /dev/null so Python's final flush does not complain.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if not _expected(exc):
            raise
        fail(
            os_reason(None, exc)
            if isinstance(exc, OSError)
            else str(exc) or type(exc).__name__
        )
        return EXIT_FAILED


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy, so that the command modules and
    # main() share one CommandError class.
    from cli.main import main as _main

    sys.exit(_main())

"""Where a served dashboard keeps its PID, log and heartbeat files.

Both the ``serve`` command and the running dashboard (which writes the heartbeat) need
these names, so they live here rather than in either of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The served dashboard finds its heartbeat file through this environment variable.
STATUS_ENV = "CASEBOOK_SERVE_STATUS"


@dataclass(frozen=True, slots=True)
class ServePaths:
    """The files ``casebook serve`` keeps beside a database."""

    pid: Path
    log: Path
    status: Path


def serve_paths(db: Path) -> ServePaths:
    """Return the PID, log and status file paths of a database."""
    db = Path(db).expanduser().resolve()
    return ServePaths(
        pid=db.with_name(db.name + ".serve.pid"),
        log=db.with_name(db.name + ".serve.log"),
        status=db.with_name(db.name + ".serve.json"),
    )

"""How a training run names its data in what it ships (model JSON, cards).

The JSRT sets are read from wherever they lie on the training machine, but a shipped model
must not carry that machine's paths. A data folder is recorded as ``$CXR_DATA/<name>``:
``$CXR_DATA`` stands for the folder holding the sets (``cxr-train/``, ``cxr/``), which is
never shipped (JSRT terms: research and education use, no redistribution).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

DATA_ROOT = "$CXR_DATA"


def data_name(path: str | Path) -> str:
    """Return a data folder (or a file in it, such as its manifest) as ``$CXR_DATA/...``."""
    resolved = Path(path).expanduser().resolve()
    if resolved.is_file():
        return f"{DATA_ROOT}/{resolved.parent.name}/{resolved.name}"
    return f"{DATA_ROOT}/{resolved.name}"


def _is_data(arg: str) -> bool:
    path = Path(arg).expanduser()
    if path.is_dir():
        return (path / "manifest.csv").is_file()
    return path.name == "manifest.csv" and path.is_file()


def command_line(module: str, argv: Sequence[str]) -> str:
    """Return the command that ran, with each data folder or manifest named portably."""
    shown = [data_name(arg) if _is_data(arg) else arg for arg in argv]
    return " ".join(["python -m " + module, *shown])

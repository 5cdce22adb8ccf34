"""Shared kernel: the value types every package uses, defined once.

Standard library only, and it imports nothing of ours, so ``ontology``, ``engine``,
``cases``, ``services``, ``cli`` and ``dashboard`` can all depend on it.
"""

from kernel.calibration import Calibration
from kernel.errors import InvalidValue, KernelError
from kernel.geometry import Box, Geometry, GeometryKind, Point
from kernel.turns import FIRST_TURN, TurnNumber, turn_number
from kernel.vocabulary import (
    AnchorKind,
    AnchorStatus,
    CalibrationSource,
    Language,
    Side,
)

__all__ = [
    "FIRST_TURN",
    "AnchorKind",
    "AnchorStatus",
    "Box",
    "Calibration",
    "CalibrationSource",
    "Geometry",
    "GeometryKind",
    "InvalidValue",
    "KernelError",
    "Language",
    "Point",
    "Side",
    "TurnNumber",
    "turn_number",
]

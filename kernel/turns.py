"""The one turn numbering: turns count from 1, as the reader sees "turn 1".

The engine, the case store, the exports and the user interface all use this number as
it is; nothing converts it.
"""

from __future__ import annotations

from typing import Final, NewType

from kernel.errors import InvalidValue

TurnNumber = NewType("TurnNumber", int)
"""The position of a turn in its conversation, counted from ``FIRST_TURN``."""

FIRST_TURN: Final = TurnNumber(1)


def turn_number(value: int) -> TurnNumber:
    """Return ``value`` as a turn number.

    Raises:
        InvalidValue: ``value`` is not an integer >= 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < FIRST_TURN:
        raise InvalidValue(
            f"turn numbers count from {FIRST_TURN} (turn 1 is the first question), "
            f"got {value!r}"
        )
    return TurnNumber(value)

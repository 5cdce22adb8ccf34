"""The one row mapping: every stored record covers its table's columns exactly once."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from cases import model
from cases.rows import Stored, zip_row
from kernel import Side

RECORDS = [
    cls
    for _, cls in inspect.getmembers(model, inspect.isclass)
    if issubclass(cls, Stored) and cls is not Stored
]


def test_every_table_record_uses_the_one_mapping():
    assert {r.__name__ for r in RECORDS} == {
        "Image", "DeidReport", "Case", "Conversation", "Turn", "Anchor", "AnchorEvent",
        "Measurement", "SignMatch", "Annotation", "AuditRecord",
    }  # fmt: skip
    for record_type in RECORDS:
        assert "__slots__" in vars(record_type), record_type  # still slotted
        assert "from_row" not in vars(record_type), "hand-written from_row is back"
        assert "to_row" not in vars(record_type), "hand-written to_row is back"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Probe(Stored):
    number: int
    side: Side | None
    when: datetime
    tags: tuple[str, ...]
    extra: dict[str, object]

    COLUMNS: ClassVar[tuple[str, ...]] = ("number", "side", "at", "tags", "extra")
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset({"extra"})
    RENAMED: ClassVar[dict[str, str]] = {"when": "at"}


def test_a_record_round_trips_through_its_row():
    probe = _Probe(
        number=3,
        side=Side.LEFT,
        when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        tags=("a", "b"),
        extra={"k": [1, 2]},
    )
    row = probe.to_row()
    assert row == {
        "number": 3,
        "side": "left",
        "at": datetime(2026, 1, 2, 3, 4, 5),
        "tags": ["a", "b"],
        "extra": '{"k":[1,2]}',
    }
    assert _Probe.from_row([row[c] for c in _Probe.COLUMNS]) == probe


def test_a_column_without_a_field_is_refused():
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Broken(Stored):
        number: int
        COLUMNS: ClassVar[tuple[str, ...]] = ("number", "forgotten")

    with pytest.raises(TypeError, match="forgotten"):
        Broken(number=1).to_row()


def test_a_short_row_is_a_bad_record():
    with pytest.raises(model.InvalidRecord, match="row has 1 values, expected 2"):
        zip_row(("a", "b"), [1])

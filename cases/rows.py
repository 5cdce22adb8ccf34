"""One mapping between the stored records and their DuckDB rows.

A record (``cases.model``) is a frozen dataclass that names its columns (``COLUMNS``, the
table's contract). ``Stored`` derives ``from_row`` and ``to_row`` from the dataclass fields
and their types, so a record only says where it differs from the default of one field,
one column of the same name:

* ``RENAMED``: a field stored under another column name (``Turn.index`` -> ``turn_index``);
* ``CODECS``: a field whose type does not say how it is stored (geometry JSON);
* ``PARTS``: a field spread over several columns (``Image.calibration``);
* ``DERIVED``: a column computed from the record, written but never read back.

The type decides the rest: a ``StrEnum`` is stored as its value, a ``datetime`` as naive
UTC, a ``dict`` as canonical JSON, a tuple as a list, a float as a float (DuckDB's
DOUBLE reads back a float, so an int written as such would hash differently).
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from cases.errors import InvalidRecord

Columns = dict[str, Any]


def canonical_json(value: object) -> str:
    """Serialise ``value`` canonically: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def to_db_time(value: datetime) -> datetime:
    """Return ``value`` as DuckDB's TIMESTAMP holds it: naive UTC."""
    return value.astimezone(UTC).replace(tzinfo=None)


def from_db_time(value: datetime) -> datetime:
    """Return a TIMESTAMP read from DuckDB as an aware UTC time."""
    return value.replace(tzinfo=UTC)


def _same(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class Codec:
    """How one field's value becomes one column value and back."""

    dump: Callable[[Any], Any] = _same
    load: Callable[[Any], Any] = _same

    def optional(self) -> Codec:
        """The same codec for a field that may be None (stored as NULL)."""
        dump, load = self.dump, self.load
        return Codec(
            dump=lambda v: None if v is None else dump(v),
            load=lambda v: None if v is None else load(v),
        )


JSON = Codec(dump=canonical_json, load=json.loads)
TIME = Codec(dump=to_db_time, load=from_db_time)


@dataclasses.dataclass(frozen=True, slots=True)
class Part:
    """The columns one field is stored in."""

    field: str
    columns: tuple[str, ...]
    dump: Callable[[Any], Columns]
    load: Callable[[Columns], Any]

    @classmethod
    def single(cls, field: str, column: str, codec: Codec) -> Part:
        return cls(
            field=field,
            columns=(column,),
            dump=lambda value: {column: codec.dump(value)},
            load=lambda row: codec.load(row[column]),
        )


def _without_none(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (Union, types.UnionType):
        rest = [a for a in get_args(hint) if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return hint, False


def codec_for(hint: Any) -> Codec:
    """Return how a field of type ``hint`` is stored (see the module docs)."""
    base, optional = _without_none(hint)
    while hasattr(base, "__supertype__"):  # a NewType: stored as what it wraps
        base = base.__supertype__
    if isinstance(base, type) and issubclass(base, StrEnum):
        codec = Codec(dump=lambda v: v.value, load=base)
    elif base is datetime:
        codec = TIME
    elif base is float:
        codec = Codec(dump=float)
    elif get_origin(base) is dict:
        codec = JSON
    elif get_origin(base) is tuple:
        codec = Codec(dump=list, load=tuple)
    else:
        codec = Codec()
    return codec.optional() if optional else codec


def zip_row(columns: tuple[str, ...], row: Sequence[Any]) -> Columns:
    """Return a row selected with ``columns`` as a column -> value mapping.

    Raises:
        InvalidRecord: the row does not have one value per column.
    """
    if len(row) != len(columns):
        raise InvalidRecord(f"row has {len(row)} values, expected {len(columns)}")
    return dict(zip(columns, row, strict=True))


class Stored:
    """Base of the stored records: ``from_row`` and ``to_row`` from the fields."""

    __slots__ = ()

    COLUMNS: ClassVar[tuple[str, ...]]
    JSON_COLUMNS: ClassVar[frozenset[str]] = frozenset()
    RENAMED: ClassVar[Mapping[str, str]] = {}
    CODECS: ClassVar[Mapping[str, Codec]] = {}
    PARTS: ClassVar[Mapping[str, Part]] = {}
    DERIVED: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Self:
        """Build the record from a row selected with its ``COLUMNS``."""
        values = zip_row(cls.COLUMNS, row)
        return cls(**{part.field: part.load(values) for part in _layout(cls)})

    def to_row(self) -> Columns:
        """Return the column values to insert, one per column of ``COLUMNS``."""
        row: Columns = {}
        for part in _layout(type(self)):
            row.update(part.dump(getattr(self, part.field)))
        for column, compute in self.DERIVED.items():
            row[column] = compute(self)
        return row


_LAYOUTS: dict[type[Stored], tuple[Part, ...]] = {}


def _layout(record_type: type[Stored]) -> tuple[Part, ...]:
    """The parts of a record type (worked out once per type)."""
    layout = _LAYOUTS.get(record_type)
    if layout is None:
        layout = _LAYOUTS[record_type] = _build_layout(record_type)
    return layout


def _build_layout(record_type: type[Stored]) -> tuple[Part, ...]:
    """The parts of a record type, checked to cover its columns exactly once."""
    hints = get_type_hints(record_type)
    parts = []
    for field in dataclasses.fields(record_type):  # type: ignore[arg-type]
        if not field.init:
            continue
        name = field.name
        if name in record_type.PARTS:
            parts.append(record_type.PARTS[name])
            continue
        codec = record_type.CODECS.get(name) or codec_for(hints[name])
        parts.append(Part.single(name, record_type.RENAMED.get(name, name), codec))
    stored = [c for p in parts for c in p.columns] + list(record_type.DERIVED)
    if sorted(stored) != sorted(record_type.COLUMNS):
        raise TypeError(
            f"{record_type.__name__} stores {sorted(stored)} but its table has "
            f"{sorted(record_type.COLUMNS)}"
        )
    return tuple(parts)


def flattened(
    field: str,
    nested: type[Any],
    *,
    renamed: Mapping[str, str] | None = None,
    codecs: Mapping[str, Codec] | None = None,
) -> Part:
    """A field that holds a nested dataclass, stored as one column per nested field."""
    renamed, codecs = renamed or {}, codecs or {}
    hints = get_type_hints(nested)
    inner = [
        Part.single(
            f.name,
            renamed.get(f.name, f.name),
            codecs.get(f.name) or codec_for(hints[f.name]),
        )
        for f in dataclasses.fields(nested)
    ]

    def dump(value: Any) -> Columns:
        row: Columns = {}
        for part in inner:
            row.update(part.dump(getattr(value, part.field)))
        return row

    return Part(
        field=field,
        columns=tuple(c for p in inner for c in p.columns),
        dump=dump,
        load=lambda row: nested(**{p.field: p.load(row) for p in inner}),
    )


def json_list(item_type: Any = None) -> Codec:
    """A tuple stored as a JSON list (of ``item_type.to_json()`` objects if given)."""
    if item_type is None:
        return Codec(
            dump=lambda t: canonical_json(list(t)),
            load=lambda s: tuple(json.loads(s)),
        )
    return Codec(
        dump=lambda t: canonical_json([i.to_json() for i in t]),
        load=lambda s: tuple(item_type.from_json(i) for i in json.loads(s)),
    )

"""Text the ontology shows to users carries no editorial notes.

A reviewer found "(Collins 2006; figure to verify)" inside a heart-failure answer: a
note meant for the data's curators had been written into the user-facing limitation.
Such notes belong in ``review_note`` fields, which the answers never show.
"""

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import ontology

DATA = Path(ontology.__file__).parent / "data"

# Keys whose text is for curators, never rendered in an answer.
CURATOR_KEYS = {"review_note"}
EDITORIAL_MARKERS = ("to verify", "待核实", "待核查", "TODO", "TBD", "FIXME")


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in CURATOR_KEYS:
                yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def _user_text(path: Path) -> list[tuple[str, str]]:
    return list(_strings(tomllib.loads(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize(
    "path", sorted(DATA.rglob("*.toml")), ids=lambda p: str(p.relative_to(DATA))
)
def test_no_editorial_note_in_user_text(path: Path) -> None:
    leaks = [
        (key, text)
        for key, text in _user_text(path)
        for marker in EDITORIAL_MARKERS
        if marker in text
    ]
    assert not leaks, f"{path.name}: move these notes to review_note: {leaks}"


def test_the_collins_limitation_states_the_checked_figure() -> None:
    profile = tomllib.loads(
        (DATA / "profiles" / "heart_failure.toml").read_text(encoding="utf-8")
    )
    assert "18.7" in profile["limitations_en"]
    assert "18.7" in profile["limitations_zh"]

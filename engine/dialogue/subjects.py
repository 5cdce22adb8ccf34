"""Whether a follow-up's subject is of another kind than the previous question's.

A follow-up inherits what the previous question asked (its intent, its attribute) only
when that can be asked of what the follow-up names. The cardiothoracic ratio is said of
the heart alone, so "CP angles?", "双肺底呢", "back to A1" after "heart size?" are
questions of their own; a confidence asked of no finding in particular says nothing of
"the lungs" that follow it. The rule is by the kind of subject named (a place, a
structure, a finding, a sign), never by the words of one question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Protocol

from ontology import AnatomyMention, RegionKind, Sign, load_vocabulary


class Query(Protocol):
    """The slots of a read question these rules look at (engine.dialogue.query.Query)."""

    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def attribute(self) -> str | None: ...
    @property
    def anchors(self) -> tuple[str, ...]: ...
    @property
    def ordinals(self) -> tuple[int, ...]: ...
    @property
    def superlative(self) -> str | None: ...
    @property
    def names_place(self) -> bool: ...
    @property
    def mentions(self) -> Sequence[AnatomyMention]: ...
    @property
    def signs(self) -> Sequence[Sign]: ...


def another_subject(q: Query, before: Query) -> bool:
    """Whether `q` names a subject the previous question's attribute cannot apply to."""
    if returns_to_finding(q):
        return True  # "back to A1", "回到A1": that finding described again
    if _about_the_heart(before):
        return _names_beyond_the_heart(q, before)
    if before.attribute == "confidence" and not _names_a_subject(before):
        # "how sure are you" of nothing named, then "and the lungs?": a place is no
        # finding whose score could be given; the place is asked about on its own
        return _names_a_place(q) and not _names_a_finding(q)
    if before.anchors and _of_a_finding(before):
        # "behind the heart?" after "A1 and A2, total size?", "and the left?" after
        # "back to A1": a place is no finding named by id, and what it holds is asked
        # on its own
        named = _names_a_finding(q) or q.attribute or points_by_place(q, before)
        return _names_a_place(q) and not named
    return False


def points_by_place(q: Query, before: Query) -> bool:
    """A finding pointed at by its place after one named by id: "and the one on the left?".

    After "how big is A1?", "the one on the left" / "左边那个" is another finding, named
    by where it lies; the attribute asked of A1 is asked of it (not of A1, and not
    whether the left lung holds anything).
    """
    if not (before.anchors and _of_a_finding(before)):
        return False
    if _names_a_finding(q) or q.attribute or q.kind or not q.names_place:
        return False
    return _POINTER.search(q.text) is not None


# "the one on the left", "左边那个": a finding picked by the place said with it ("this
# one", "这个在右肺吗" point back at the finding named, and ask of it)
_POINTER = re.compile(
    r"(?<![a-z])the one(?![a-z])|[边侧肺野带叶尖底]的?那[个颗处]", re.IGNORECASE
)


# Attributes said of a finding itself, which a place named instead does not have.
_OF_A_FINDING = frozenset(
    {"size", "margin", "density", "shape", "calcification", "confidence"}
)


def _of_a_finding(q: Query) -> bool:
    """Asked of a finding itself: one of its attributes, or the finding described."""
    return q.attribute in _OF_A_FINDING or (q.attribute is None and not q.kind)


def returns_to_finding(q: Query) -> bool:
    """A finding returned to ("back to A1", "回到A1"), with nothing asked of it."""
    if not (q.anchors or q.ordinals) or q.attribute is not None:
        return False
    return _BACK_TO.search(q.text) is not None


_BACK_TO = re.compile(
    r"(?<![a-z])(?:(?:go|come|going|coming) )?back to(?![a-z])|(?<![a-z])return to(?![a-z])"
    r"|回到|回去看|再回到|返回",
    re.IGNORECASE,
)


def _about_the_heart(q: Query) -> bool:
    """The ratio or the heart's size was asked: its subject is the heart."""
    return q.attribute == "ctr" or q.kind == "cardiomegaly"


def _names_beyond_the_heart(q: Query, before: Query) -> bool:
    """A place, structure or finding named: not the heart's question again.

    Another kind alone ("胸水呢" after "有没有心影增大") is the same presence question
    of that kind; after a value of the heart ("heart size?") it asks no value.
    """
    if _names_a_finding(q) or q.names_place:
        return True
    if q.kind not in (None, "cardiomegaly"):
        return before.attribute is not None
    return any(m.kind is not RegionKind.HEART for m in q.mentions)


def _names_a_finding(q: Query) -> bool:
    return bool(q.anchors or q.ordinals or q.superlative)


def _names_a_place(q: Query) -> bool:
    """A lung place, a structure (the CP angles) or a sign or kind named."""
    return bool(q.names_place or q.mentions or q.signs or q.kind)


def _names_a_subject(q: Query) -> bool:
    return _names_a_finding(q) or _names_a_place(q)


def zone_on_side(zone: str | None, side: str | None) -> bool:
    """Whether a zone exists on that side of the chest.

    The retrocardiac region lies on the left only: "and the right?" after "behind the
    heart?" asks about the right lung, not a right retrocardiac region. Read from the
    anatomy table, so a zone is one-sided exactly where the table says so.
    """
    if zone is None or side not in ("right", "left", "both"):
        return True
    sides = _sides_of_zone().get(zone)
    if not sides:
        return True  # a zone the table does not name by level (an upper zone word)
    return side in sides or (side == "both" and len(sides) == 2)


@cache
def _sides_of_zone() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for term in load_vocabulary().anatomy.values():
        if term.kind is RegionKind.ZONE and term.level and term.side is not None:
            found.setdefault(term.level, set()).add(term.side.value)
    return {level: frozenset(s) for level, s in found.items()}


# Kinds that are signs of a whole side or of the heart, not findings sought in a zone.
SIDE_SIGNS = frozenset({"effusion", "pneumothorax"})
HEART_SIGNS = frozenset({"cardiomegaly"})

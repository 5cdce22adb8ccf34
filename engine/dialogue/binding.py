"""Binding by what the question says: place, kind, ordinal and superlative before recency.

`select` picks the subject of a question that constrains it: the
findings that fit the place and kind, then the ordinal (the order findings were listed
in) or the superlative (calibrated confidence, or size). When nothing fits, the
resolution says so for that place and carries what exists elsewhere. A question that
constrains nothing is left to `engine.references.resolve_subject` (ids, drawn boxes,
demonstratives, the conversation's focus).
"""

from __future__ import annotations

from engine.anchors import AnchorStore
from engine.dialogue.query import Query
from engine.findings import Finding, FindingKind
from engine.references import Binding, Outcome, PlaceFilter, Resolution, Rule
from ontology import AnatomyMention
from ontology.phrases import load_phrases


def kinds_for(kind: str | None) -> frozenset[FindingKind] | None:
    """The finding kinds a kind word stands for; None for any (or a whole-film sign)."""
    if kind is None:
        return None
    values = load_phrases().kind_findings.get(kind, ())
    return frozenset(FindingKind(v) for v in values) or None


def size_key(f: Finding) -> float:
    """A finding's size for ranking: the long axis in mm, else in pixels."""
    return f.long_axis_mm if f.long_axis_mm is not None else f.long_axis_px


def constrains(query: Query) -> bool:
    """Whether the question narrows its subject by place, kind, ordinal or superlative."""
    if query.anchors:
        return False
    return bool(
        query.ordinals
        or query.superlative
        or PlaceFilter.of(query)
        or (query.kind in ("mass", "nodule") and not query.cue.demonstrative)
    )


def select(
    query: Query,
    *,
    pool: list[Finding],
    listing: list[str],
    store: AnchorStore,
) -> Resolution:
    """The subject of a question that constrains it (see the module docstring).

    Args:
        query: the question, read.
        pool: the findings that can be a subject, most confident first.
        store: the conversation's anchors (a bound finding names its latest anchor).
        listing: finding ids in the order the conversation listed them (for ordinals).
    """
    place = PlaceFilter.of(query)
    kinds = kinds_for(query.kind)
    of_kind = [f for f in pool if kinds is None or f.kind in kinds]
    fits = [f for f in of_kind if place.fits(f)]
    if query.ordinals:
        return _by_ordinal(query, fits, listing, store)
    if not fits:
        return _nothing_there(query, of_kind, store, place)
    if query.superlative:
        return _by_superlative(query, fits, store)
    if len(fits) == 1:
        rule = Rule.ANATOMICAL_DESCRIPTION if place else Rule.CONSTRAINT
        return _bound(query, fits[0], store, rule, place)
    return Resolution(
        outcome=Outcome.AMBIGUOUS,
        candidates=tuple(fits),
        place=place,
        asked_region=_mention(query),
    )


def _phrase(query: Query) -> str:
    """The words that did the binding: "右肺中叶圆形影", "the second nodule"."""
    mention = _mention(query)
    noun = query.cue.focal_noun
    if mention is None:
        return query.text
    if noun and noun.lower() not in mention.text.lower():
        return (
            f"{mention.text}{noun}"
            if query.language == "zh"
            else f"{mention.text} {noun}"
        )
    return mention.text


def _mention(query: Query) -> AnatomyMention | None:
    """The place the question named in words, for the answer's "in the X"."""
    named = [m for m in query.mentions if m.kind.value != "hilum"]
    return named[0] if named else None


def _nothing_there(
    query: Query, of_kind: list[Finding], store: AnchorStore, place: PlaceFilter
) -> Resolution:
    """Nothing fits the place: the only one on that side, else none, with what is elsewhere.

    A reader who says "右肺中叶那个圆形影" for the one round opacity of the right lung
    means that one even when it projects over another zone; the answer says where it
    actually lies. With several on that side, or none, nothing is picked.
    """
    same_side = [
        f
        for f in of_kind
        if query.side in ("right", "left") and f.location.side.value == query.side
    ]
    if len(same_side) == 1 and (query.zone or query.band or query.lobe):
        return _bound(query, same_side[0], store, Rule.ANATOMY_CORRECTED, place)
    return Resolution(
        outcome=Outcome.NOT_FOUND,
        elsewhere=tuple(of_kind),
        place=place,
        asked_region=_mention(query),
    )


def _by_ordinal(
    query: Query, fits: list[Finding], listing: list[str], store: AnchorStore
) -> Resolution:
    order = {fid: i for i, fid in enumerate(listing)}
    listed = sorted(fits, key=lambda f: order.get(f.id, len(order) + fits.index(f)))
    n = query.ordinals[0]
    if not 1 <= n <= len(listed):
        return Resolution(
            outcome=Outcome.NOT_FOUND, elsewhere=tuple(listed), ordinal_missing=n
        )
    return _bound(query, listed[n - 1], store, Rule.ORDINAL, PlaceFilter.of(query))


def _by_superlative(
    query: Query, fits: list[Finding], store: AnchorStore
) -> Resolution:
    if query.superlative == "most_suspicious":
        best = max(fits, key=lambda f: f.confidence)
    elif query.superlative == "smallest":
        best = min(fits, key=size_key)
    else:
        best = max(fits, key=size_key)
    return _bound(query, best, store, Rule.SUPERLATIVE, PlaceFilter.of(query))


def _bound(
    query: Query, f: Finding, store: AnchorStore, rule: Rule, place: PlaceFilter
) -> Resolution:
    anchor = store.latest_for_finding(f.id)
    note = {
        Rule.ORDINAL: f"position {query.ordinal} in the listing order",
        Rule.SUPERLATIVE: f"{(query.superlative or '').replace('_', ' ')} of those that fit",
        Rule.CONSTRAINT: "the only finding that fits the place and kind named",
        Rule.ANATOMY_CORRECTED: "no matching finding in the named region; the only one on that side lies elsewhere",
    }.get(rule, "")
    return Resolution(
        outcome=Outcome.BOUND,
        binding=Binding(
            phrase=_phrase(query),
            rule=rule,
            anchor_id=None if anchor is None else anchor.id,
            finding_id=f.id,
            note=note,
        ),
        anchor=anchor,
        finding=f,
        place=place,
        asked_region=_mention(query),
    )


__all__ = ["PlaceFilter", "constrains", "kinds_for", "select", "size_key"]

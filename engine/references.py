"""Reference resolution: which anchor or finding a question is about.

Rules, in order: an explicit id (A3, #3); a region the reader just drew; an anatomical
description ("右肺中叶那个圆形影", "the nodule in the left upper zone"); a demonstrative
or definite noun ("这个病灶", "that lesion", "it") bound to the conversation's current
focus; and, when the question names nothing, the only reportable focal finding. A
landmark or region named in words ("the left hilum") binds by anatomical description,
and a sign explained "on this image" binds to the conversation's focus. Every binding
records its rule. When two candidates fit equally the resolution is ambiguous
and the answer asks which one; when nothing fits it says so. It never guesses silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from engine.analysis import ImageAnalysis
from engine.anatomy import LOBES, AnatomyMap, Zone
from engine.anchors import Anchor, AnchorKind, AnchorStore
from engine.findings import Finding
from engine.intents import Intent
from engine.model import Side
from kernel import Language
from ontology import AnatomyMention
from ontology.phrases import load_phrases


class Rule(StrEnum):
    EXPLICIT_ID = "explicit_id"
    DRAWN_REGION = "drawn_region"
    ANATOMICAL_DESCRIPTION = "anatomical_description"
    ANATOMY_CORRECTED = "anatomical_description_other_zone"
    DEMONSTRATIVE = "demonstrative_most_recent"
    FOCUS = "conversation_focus"  # nothing named: the lesion the conversation is about
    ONLY_FINDING = "only_reportable_focal_finding"
    TOP_FINDING = "most_confident_focal_finding"
    CONSTRAINT = (
        "place_and_kind_named"  # the only finding in the place and of the kind named
    )
    ORDINAL = "ordinal_in_listing_order"  # "第二个": the second finding as listed
    SUPERLATIVE = "superlative"  # "most suspicious", "largest" among those that fit


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """One phrase bound to one anchor (or finding that is about to get an anchor)."""

    phrase: str
    rule: Rule
    anchor_id: str | None = None
    finding_id: str | None = None
    note: str = ""


class Outcome(StrEnum):
    BOUND = "bound"
    AMBIGUOUS = "ambiguous"
    NOT_FOUND = "not_found"
    NONE_NEEDED = "none_needed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """The subject of a question.

    Attributes:
        anchor: an existing anchor bound to the question, if any.
        finding: the analysis finding the subject shows, if any.
        candidates: when ambiguous, the anchors or findings that fit equally.
        asked_region: the region the question named, when the subject lies elsewhere or
            nowhere (for an honest "there is none in X" or "it lies in Y").
        place: the place the question constrained the subject to, by slots.
        elsewhere: when nothing fits the place, the findings of that kind elsewhere.
        ordinal_missing: an ordinal past the end of the listing ("the fifth" of three).
    """

    outcome: Outcome
    binding: Binding | None = None
    anchor: Anchor | None = None
    finding: Finding | None = None
    candidates: tuple[Anchor | Finding, ...] = ()
    asked_region: AnatomyMention | None = None
    unknown_ids: tuple[str, ...] = ()
    place: PlaceFilter | None = None
    elsewhere: tuple[Finding, ...] = ()
    ordinal_missing: int | None = None


_ZONES = frozenset(z.value for z in Zone)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceFilter:
    """The place a question names, as slots ("right", "lower", "inner", a lobe id)."""

    side: str | None = None
    zone: str | None = None
    band: str | None = None
    lobe: str | None = None
    anatomy: AnatomyMap | None = field(default=None, compare=False, repr=False)
    """The film's map, so a lobe named is matched by the lobe projection it reports."""

    @classmethod
    def of(cls, slots: object, anatomy: AnatomyMap | None = None) -> PlaceFilter:
        """The place slots of a query (anything with side, zone, band and lobe)."""
        return cls(
            side=getattr(slots, "side", None),
            zone=getattr(slots, "zone", None),
            band=getattr(slots, "band", None),
            lobe=getattr(slots, "lobe", None),
            anatomy=anatomy,
        )

    def __bool__(self) -> bool:
        return any((self.side, self.zone, self.band, self.lobe))

    def fits(self, f: Finding) -> bool:
        """Whether a finding lies in the place (a lobe by the zones it projects over)."""
        loc = f.location
        if self.side in ("right", "left") and loc.side.value != self.side:
            return False
        if self.side == "both" and loc.side is Side.MIDLINE:
            return False
        if self.zone in _ZONES:
            if loc.zone is None or loc.zone.value != self.zone:
                return False
        elif self.zone is not None and not region_fits(self.zone, f, self.anatomy):
            # a place named as a zone of its own ("behind the heart"): its region, not
            # the whole side
            return False
        if self.band is not None and (loc.band is None or loc.band.value != self.band):
            return False
        return self.lobe is None or region_fits(self.lobe, f, self.anatomy)

    def words(self, lang: Language, lobe_name: str | None = None) -> str:
        """'右下肺野内带' / 'inner band of the right lower zone'; '' when no place."""
        if self.lobe is not None and lobe_name:
            return lobe_name
        say = load_phrases().say
        side, zone = (
            _word("side", self.side, lang),
            _word("zone", self.zone, lang),
        )
        own = f"place_{self.zone}"
        if self.zone and own in load_phrases().answers:
            core = say(own, lang)  # a region with a name of its own, not "left lung"
        elif zone and self.side == "both":
            core = say("place_zone_both", lang, zone=zone)
        elif zone:
            core = say("place_zone", lang, side=side, zone=zone).strip()
        elif self.side == "both":
            core = say("place_both_lungs", lang)
        else:
            core = say("place_lung", lang, side=side) if side else ""
        band = _word("band", self.band, lang)
        if not band:
            return core
        return say("place_band", lang, place=core, band=band) if core else band


def _word(table: str, key: str | None, lang: Language) -> str:
    """A place word from the answers data; '' for a slot value with no word (an apex zone)."""
    phrases = load_phrases()
    name = f"{table}_{key}"
    return phrases.say(name, lang) if key and name in phrases.answers else ""


_LUNG_KINDS = {"lung", "zone", "band", "lobe", "hilum", "pleural", "diaphragm"}


LOBE_IDS = frozenset(r.value for lobes in LOBES.values() for r in lobes)
# The lingula is a segment of the left upper lobe: "the left upper lobe" includes it.
_LOBE_PARTS = {"left_upper_lobe": frozenset({"lingula"})}


def lobe_parts(region_id: str) -> frozenset[str]:
    """A lobe named and the lobes it includes ("left upper lobe": the lingula too)."""
    return frozenset({region_id}) | _LOBE_PARTS.get(region_id, frozenset())


def projected_lobes(anatomy: AnatomyMap, finding: Finding) -> tuple[str, ...]:
    """The lobe a finding projects over on the frontal film, then one it may as well.

    The second is the lobe across a projected boundary the lesion's edge lies near
    (`AnatomyMap.lobes_near`). Every answer that names a finding's lobe, the filters
    that match a lobe named in a question and the upper-lobe checklist item read this.
    """
    half_height = (finding.bbox.y1 - finding.bbox.y0) / 2
    return tuple(r.value for r in anatomy.lobes_near(finding.center, half_height))


def region_fits(
    region_id: str, finding: Finding, anatomy: AnatomyMap | None = None
) -> bool:
    """Whether a finding lies in a named region.

    A lobe is matched by the film's lobe projection when the map is given (so "the
    left lower lobe" finds what the answers call the left lower lobe), else by the
    zones it projects over.
    """
    if anatomy is not None and region_id in LOBE_IDS:
        return bool(
            lobe_parts(region_id).intersection(projected_lobes(anatomy, finding))
        )
    names = {r.value for r in finding.location.regions}
    zone = finding.location.zone_region
    band = finding.location.band_region
    if zone is not None:
        names.add(zone.value)
    if band is not None:
        names.add(band.value)
    if finding.location.side is not Side.MIDLINE:
        names.add(f"{finding.location.side.value}_lung")
    equivalent = load_phrases().equivalent_places.get(region_id, frozenset())
    return region_id in names or bool(equivalent & names)


def resolve_subject(
    intent: Intent,
    *,
    mentions: list[AnatomyMention],
    store: AnchorStore,
    analysis: ImageAnalysis,
    turn_index: int,
    reportable: list[Finding],
    drawn_anchor: Anchor | None,
) -> Resolution:
    """Find what the question is about; see the module docstring for the rules."""
    if intent.anchor_ids:
        found = [store.find(a) for a in intent.anchor_ids]
        unknown = tuple(
            a for a, f in zip(intent.anchor_ids, found, strict=True) if f is None
        )
        known = [f for f in found if f is not None]
        if unknown and not known:
            return Resolution(outcome=Outcome.NOT_FOUND, unknown_ids=unknown)
        anchor = known[0]
        return Resolution(
            outcome=Outcome.BOUND,
            binding=Binding(
                phrase=anchor.id,
                rule=Rule.EXPLICIT_ID,
                anchor_id=anchor.id,
                finding_id=anchor.finding_id,
            ),
            anchor=anchor,
            finding=analysis.finding(anchor.finding_id) if anchor.finding_id else None,
            unknown_ids=unknown,
        )

    if drawn_anchor is not None and (
        intent.region_words or intent.demonstrative or not intent.focal_noun
    ):
        return Resolution(
            outcome=Outcome.BOUND,
            binding=Binding(
                phrase=intent.demonstrative_phrase or "drawn region",
                rule=Rule.DRAWN_REGION,
                anchor_id=drawn_anchor.id,
            ),
            anchor=drawn_anchor,
        )

    lung_mentions = [
        m
        for m in mentions
        if m.region_id and m.kind.value in _LUNG_KINDS and m.kind.value != "hilum"
    ]
    if lung_mentions and (
        intent.focal_noun or intent.demonstrative or intent.round_shape
    ):
        return _by_anatomy(intent, lung_mentions, store, analysis, reportable)

    if intent.demonstrative or intent.focal_noun:
        focus = store.focus(turn_index)
        if intent.round_shape or _names_focal(intent):
            focal = [a for a in focus if _is_focal_anchor(a, analysis)]
            focus = focal or focus
        phrase = _phrase(intent, intent.demonstrative_phrase, intent.focal_noun) or "it"
        boxed = [a for a in focus if a.kind is AnchorKind.FINDING]
        if len(boxed) == 1 and all(
            a.kind is AnchorKind.USER_DRAWN for a in focus if a is not boxed[0]
        ):
            # a box and the one finding it holds: "is it real?", "which segment is it
            # in?" ask about the finding; a box is not a finding to be real or placed
            focus = boxed
        if len(focus) == 1:
            return _bound_anchor(phrase, Rule.DEMONSTRATIVE, focus[0], analysis)
        if len(focus) > 1:
            return Resolution(outcome=Outcome.AMBIGUOUS, candidates=tuple(focus))
    box = drawn_just_before(store, turn_index)
    if box is not None and not (intent.focal_noun or lung_mentions):
        # "how big?" right after a box was drawn: the box is what the reader is on
        return Resolution(
            outcome=Outcome.BOUND,
            binding=Binding(
                phrase="(the region just drawn)", rule=Rule.FOCUS, anchor_id=box.id
            ),
            anchor=box,
        )
    return _default_subject(intent, store, analysis, reportable, turn_index)


def drawn_just_before(store: AnchorStore, turn_index: int) -> Anchor | None:
    """The one region the reader drew in the turn just before this one, if any.

    Drawn then, not only cited then: a box a later answer cites is no longer the
    reader's latest gesture.
    """
    drawn = [
        a
        for a in store.all()
        if a.kind is AnchorKind.USER_DRAWN and a.turn_index == turn_index - 1
    ]
    return drawn[0] if len(drawn) == 1 else None


def _phrase(intent: Intent, *parts: str | None) -> str:
    """The words that did the binding, for the log: "右肺中叶圆形影", "the lesion" (not "the lesion lesion")."""
    words: list[str] = []
    for part in parts:
        if part and not any(part.lower() in w.lower() for w in words):
            words.append(part)
    return load_phrases().say("words_joiner", intent.language).join(words)


def _names_focal(intent: Intent) -> bool:
    noun = (intent.focal_noun or "").lower()
    return any(w in noun for w in ("结节", "肿块", "圆形", "nodule", "mass", "round"))


def _is_focal_anchor(anchor: Anchor, analysis: ImageAnalysis) -> bool:
    finding = analysis.finding(anchor.finding_id) if anchor.finding_id else None
    return finding is not None and finding.is_focal


def _by_anatomy(
    intent: Intent,
    mentions: list[AnatomyMention],
    store: AnchorStore,
    analysis: ImageAnalysis,
    reportable: list[Finding],
) -> Resolution:
    """Bind an anatomical description to the finding that lies there."""
    mention = mentions[0]
    region_id = str(mention.region_id)
    pool = _candidate_pool(intent, store, analysis, reportable)
    fits = [f for f in pool if region_fits(region_id, f, analysis.anatomy)]
    phrase = _phrase(intent, mention.text, intent.focal_noun)
    if (
        len(mentions) > 1
    ):  # "outer band of the right middle zone": every mention must fit
        fits = [
            f
            for f in fits
            if all(region_fits(str(m.region_id), f, analysis.anatomy) for m in mentions)
        ]
    if len(fits) == 1:
        finding = fits[0]
        return _bound_finding(
            phrase, Rule.ANATOMICAL_DESCRIPTION, finding, store, mention
        )
    if len(fits) > 1:
        top, second = fits[0], fits[1]
        if top.confidence - second.confidence >= 0.25:
            return _bound_finding(
                phrase,
                Rule.ANATOMICAL_DESCRIPTION,
                top,
                store,
                mention,
                note=f"{second.id} fits too but is much less certain",
            )
        return Resolution(
            outcome=Outcome.AMBIGUOUS, candidates=tuple(fits), asked_region=mention
        )
    # Nothing there: is there one on the same side elsewhere?
    side = mention.side.value if mention.side is not None else None
    same_side = [f for f in pool if side is not None and f.location.side.value == side]
    if len(same_side) == 1:
        return _bound_finding(
            phrase,
            Rule.ANATOMY_CORRECTED,
            same_side[0],
            store,
            mention,
            note="no matching finding in the named region; the only one on that side lies elsewhere",
        )
    if len(same_side) > 1:
        return Resolution(
            outcome=Outcome.AMBIGUOUS, candidates=tuple(same_side), asked_region=mention
        )
    return Resolution(outcome=Outcome.NOT_FOUND, asked_region=mention)


def _candidate_pool(
    intent: Intent,
    store: AnchorStore,
    analysis: ImageAnalysis,
    reportable: list[Finding],
) -> list[Finding]:
    anchored = {a.finding_id for a in store.all() if a.finding_id}
    pool = [f for f in analysis.findings if f in reportable or f.id in anchored]
    if intent.round_shape or _names_focal(intent):
        pool = [f for f in pool if f.is_focal]
    return sorted(pool, key=lambda f: -f.confidence)


def _bound_anchor(
    phrase: str, rule: Rule, anchor: Anchor, analysis: ImageAnalysis
) -> Resolution:
    """Bound to an anchor already shown, with the finding it outlines, if any."""
    return Resolution(
        outcome=Outcome.BOUND,
        binding=Binding(
            phrase=phrase,
            rule=rule,
            anchor_id=anchor.id,
            finding_id=anchor.finding_id,
        ),
        anchor=anchor,
        finding=analysis.finding(anchor.finding_id) if anchor.finding_id else None,
    )


def _bound_finding(
    phrase: str,
    rule: Rule,
    finding: Finding,
    store: AnchorStore,
    mention: AnatomyMention | None,
    note: str = "",
) -> Resolution:
    anchor = store.latest_for_finding(finding.id)
    return Resolution(
        outcome=Outcome.BOUND,
        binding=Binding(
            phrase=phrase,
            rule=rule,
            anchor_id=None if anchor is None else anchor.id,
            finding_id=finding.id,
            note=note,
        ),
        anchor=anchor,
        finding=finding,
        asked_region=mention,
    )


def _default_subject(
    intent: Intent,
    store: AnchorStore,
    analysis: ImageAnalysis,
    reportable: list[Finding],
    turn_index: int,
) -> Resolution:
    focal = [f for f in reportable if f.is_focal]
    if len(focal) == 1:
        return _bound_finding(
            intent.focal_noun or "(no reference)",
            Rule.ONLY_FINDING,
            focal[0],
            store,
            None,
        )
    if len(focal) > 1:
        return Resolution(outcome=Outcome.AMBIGUOUS, candidates=tuple(focal))
    # Nothing reported, but the last answer showed candidates under the threshold ("check
    # before calling the film clear"): "where exactly?", "and its size" ask about those,
    # as "this one" would; each keeps its below-threshold label wherever it is named
    shown = [a for a in store.focus(turn_index) if _is_focal_anchor(a, analysis)]
    if len(shown) == 1:
        phrase = intent.focal_noun or "(no reference)"
        return _bound_anchor(phrase, Rule.FOCUS, shown[0], analysis)
    if len(shown) > 1:
        return Resolution(outcome=Outcome.AMBIGUOUS, candidates=tuple(shown))
    return Resolution(outcome=Outcome.NOT_FOUND)

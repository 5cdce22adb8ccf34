"""A finding named by the hilum it lies at ("the one at the right hilum", "右肺门那个").

A hilum in a question is usually what a lesion is measured to ("离肺门多远"). Asked of
a size, a description or a place, it says where the finding is: the binding keeps to
what lies at that hilum (its region on the anatomy map), and when nothing does the
answer says so first for that place, then what the film shows elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import replace

from engine.anatomy import Region
from engine.dialogue.binding import kinds_for
from engine.dialogue.handlers.lesions import LesionAnswers
from engine.dialogue.phrases import _what, say
from engine.dialogue.query_records import Query
from engine.dialogue.records import Draft, Section
from engine.findings import Finding
from engine.intents import IntentKind
from kernel import Language
from ontology.phrases import load_phrases

_AT_A_PLACE = (IntentKind.MEASUREMENT, IntentKind.DESCRIBE, IntentKind.LOCATION)
# "the one at the right hilum": a finding named by "one", as "那个" names it in Chinese
_ONE = re.compile(r"(?<![a-z])(?:the|that|this) one(?![a-z])", re.IGNORECASE)


def hilum_as_place(query: Query) -> str | None:
    """The side of a hilum the question names as where its subject is, else None."""
    if query.hilum not in ("right", "left") or query.intent not in _AT_A_PLACE:
        return None
    if query.attribute in ("distance", "connection"):
        return None  # measured to the hilum, not found at it
    if query.anchors or query.ordinals:
        return None
    if load_phrases().cue("hilum").find(query.text) is None:
        return None  # a hilum kept from an earlier turn ("有钙化吗" after "离肺门多远")
    cue = query.cue
    finding = (
        query.kind or cue.focal_noun or cue.demonstrative or _ONE.search(query.text)
    )
    # "where is the right hilum?", "how big is the right hilum?": the hilum is the subject
    return query.hilum if finding else None


class HilarPlaceAnswers(LesionAnswers):
    """Binding a finding by the hilum it lies at."""

    def _at_hilum(self, f: Finding, side: str) -> bool:
        """Whether a finding's centre or outline lies in that hilum's region."""
        region = Region.RIGHT_HILUM if side == "right" else Region.LEFT_HILUM
        anatomy = self.analysis.anatomy
        points = (f.center, *f.contour)
        return any(region in anatomy.regions_at(p) for p in points)

    def _at_named_hilum(self, query: Query, index: int) -> tuple[Query, bool]:
        """The question bound to the one finding at the hilum it names.

        Returns the query (with that finding's anchor when exactly one lies there) and
        whether nothing reportable does (then `_nothing_at_hilum` answers).
        """
        side = hilum_as_place(query)
        if side is None:
            return query, False
        kinds = kinds_for(query.kind)
        there = [
            f
            for f in self.reportable()
            if (f.is_focal if kinds is None else f.kind in kinds)
            and self._at_hilum(f, side)
        ]
        if not there:
            return query, True
        if len(there) > 1:
            return query, False
        anchor = self._anchor_for_finding(there[0], index)
        ids = (anchor.id,)
        bound = replace(
            query,
            anchors=ids,
            cue=replace(query.cue, anchor_ids=ids),
            side=None,
            zone=None,
            band=None,
            lobe=None,
            superlative=None,
            superlatives=(),
        )
        return bound, False

    def _nothing_at_hilum(
        self, draft: Draft, *, query: Query, lang: Language, index: int, **_: object
    ) -> None:
        """Nothing reportable at the hilum named: said first, then what lies elsewhere."""
        side = hilum_as_place(query) or "right"
        hilum = self._landmark_anchor(f"{side}_hilum", index)
        where = hilum.label(lang) if hilum is not None else say("phrase_hilum", lang)
        kinds = kinds_for(query.kind)
        lines = [say("nothing_in_place", lang, where=where, what=_what(kinds, lang))]
        cited = [] if hilum is None else [hilum.id]
        elsewhere = [
            f
            for f in self.reportable()
            if (f.is_focal if kinds is None else f.kind in kinds)
        ]
        if elsewhere:
            lines.append(say("elsewhere", lang))
        for f in elsewhere:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
            draft.clarification.append(anchor.id)
        if not elsewhere:
            lines.append(say("negative_caveat", lang))
        draft.sections.append(
            Section(
                title=say("title_not_found", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

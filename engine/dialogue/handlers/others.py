"""What else the film shows, asked after a checklist turn ("还有别的吗", "anything else?").

The checklist was read of one finding (or of the film); the findings besides the ones
it was read of are listed, or the answer says there are none.
"""

from __future__ import annotations

from engine.dialogue.handlers.profiles import ProfileAnswers
from engine.dialogue.phrases import say
from engine.dialogue.query_records import Query
from engine.dialogue.records import Draft, Section
from engine.intents import IntentKind
from kernel import Language
from ontology.phrases import load_phrases


class OtherFindingsAnswers(ProfileAnswers):
    """The findings besides those a checklist turn was about."""

    def _asks_others(self, query: Query) -> bool:
        """'Anything else?' read as a list right after a checklist turn."""
        previous = self.state.previous
        if previous is None or previous.query.intent is not IntentKind.PROFILE:
            return False
        if query.intent is not IntentKind.LIST:
            return False
        return load_phrases().cue("anything_else").find(query.text) is not None

    def _others(self, draft: Draft, *, lang: Language, index: int, **_: object) -> None:
        previous = self.state.previous
        ids = () if previous is None else previous.subject_ids
        about = {
            a.finding_id
            for a in (self.anchors.find(i) for i in ids)
            if a is not None and a.finding_id is not None
        }
        others = [f for f in self.reportable() if f.id not in about]
        self.listing = [f.id for f in others]
        lines = []
        cited = []
        for f in others:
            anchor = self._anchor_for_finding(f, index)
            cited.append(anchor.id)
            lines.append(self._finding_line(f, anchor, lang))
        besides = say("id_separator", lang).join(ids)
        if not about:
            head = say("others_film", lang, n=len(others))
        elif others:
            head = say("others_besides", lang, ids=besides, n=len(others))
        else:
            head = say("others_none", lang, ids=besides)
        if not others:
            lines.append(say("negative_caveat", lang))
        draft.sections.append(
            Section(
                title=say("title_findings", lang),
                lines=(head, *lines),
                anchor_ids=tuple(cited),
            )
        )

"""Grounded multi-turn dialogue about one radiograph.

`Conversation(analysis).ask(question)` answers from the cached image analysis: it parses
the question, binds its references to anchors, computes every anchor, measurement and
scorecard with geometry code, writes a structured, hedged answer in the question's
language, and lets the backend word it. The numbers never come from a language model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.analysis import ImageAnalysis
from engine.anatomy import Region
from engine.anchors import (
    Anchor,
    AnchorEvent,
    AnchorStore,
)
from engine.backends.base import (
    HistoryTurn,
    ModelBackend,
    TurnContext,
)
from engine.backends.embedded import EmbeddedBackend
from engine.dialogue.anchoring import NEAR_THRESHOLD_FRACTION
from engine.dialogue.compound import compound_parts
from engine.dialogue.facts import calibration_answer, calibration_doubt
from engine.dialogue.handlers.others import OtherFindingsAnswers
from engine.dialogue.handlers.pairs import asks_between_two
from engine.dialogue.handlers.structures import (
    answer_detection_limit,
    answer_unassessed,
    asks_detection_limit,
    asks_heart_borders,
    asks_under_threshold,
    heart_border_contacts,
    heart_border_line,
    unassessed_subject,
)
from engine.dialogue.phrases import say
from engine.dialogue.query import understand
from engine.dialogue.query_records import DialogueState, Query, TurnRecord
from engine.dialogue.records import (
    Draft,
    IgnoredInstruction,
    Section,
    TurnResult,
)
from engine.geometry import Box
from engine.intents import IntentKind
from engine.references import PlaceFilter, drawn_just_before
from engine.wording import (
    DISCLAIMER,
    cite,
)
from kernel import Language
from ontology import (
    ProfileId,
    Vocabulary,
    load_vocabulary,
)
from ontology.phrases import load_phrases

# Questions a calibration question is read as ("mm or pixels?" is a size asked).
_ASKS_CALIBRATION = frozenset(
    {IntentKind.MEASUREMENT, IntentKind.DESCRIBE, IntentKind.SCREENING}
)
# Questions that read the film: on a film withheld as a whole their usual answer would
# be a negative read, an empty checklist or "could not be measured", which is not why
# nothing is given
_READS_THE_FILM = frozenset(
    {
        IntentKind.SCREENING,
        IntentKind.LIST,
        IntentKind.PRESENCE,
        IntentKind.PROFILE,
        IntentKind.MEASUREMENT,
        IntentKind.DESCRIBE,
        IntentKind.LOCATION,
        IntentKind.RELATION,
        IntentKind.COMPARE,
        IntentKind.DRAWN_REGION,
    }
)
_CLAUSE = re.compile(
    r"[,;.?!，。；？！]|(?<![a-z])and(?![a-z])|然后|再|并且|顺便", re.I
)


# "the same as", "compared with": one thing set against another, narrower than the
# comparative cue (which holds "more", "which" and "than")
_SET_AGAINST = re.compile(
    r"(?<![a-z])(?:same|identical|compar\w*|vs\.?|versus)(?![a-z])"
    r"|同一|一样|相同|比较|对比",
    re.IGNORECASE,
)


def _set_against_the_box(query: Query, box_id: str) -> bool:
    """One other anchor named and set against "that", in the turn after a box."""
    named = [a for a in query.cue.anchor_ids if a != box_id]
    return (
        len(named) == 1
        and len(query.cue.anchor_ids) == 1
        and _SET_AGAINST.search(query.text) is not None
    )


def _of_the_box_just_drawn(query: Query, anchors: AnchorStore, index: int) -> bool:
    """A yes/no about "it" with nothing else named, in the turn after a box was drawn."""
    return (
        query.intent is IntentKind.PRESENCE
        and query.cue.demonstrative
        and not (query.anchors or query.ordinals or query.superlative)
        and drawn_just_before(anchors, index) is not None
    )


def _names_only_anchors(query: Query, vocabulary: Vocabulary) -> bool:
    """A yes/no reading of a question that only names anchors ("回到A1", "A2?").

    Read on its own, it asks nothing (no kind, sign, measure, rank or place in its
    words), so it is about what the anchors show; a kind or place carried over from the
    last turn by ellipsis ("any nodules?" then "back to A1") does not make it a question
    about that kind's findings, and anchors carried over ("and the left?") are not named.
    """
    if query.intent is not IntentKind.PRESENCE or not query.cue.anchor_ids:
        return False
    own = understand(query.text, vocabulary, DialogueState())
    return bool(own.anchors) and not (
        own.kind
        or own.attribute
        or own.signs
        or own.mentions
        or own.names_place
        or own.ordinals
        or own.superlative
        or own.min_mm
        or own.max_mm
    )


def _asks_calibration(query: Query) -> bool:
    """Whether the film's calibration is asked ("is it calibrated?", "有没有校准？").

    Asked with no subject ("is it calibrated?") the question names nothing on the film
    and reads as off topic; the calibration is still the film's own, so it is answered.
    An instruction or another study keeps its refusal.
    """
    if not load_phrases().cue("calibration_asked").find(query.text):
        return False
    off_topic = (
        query.intent is IntentKind.OUT_OF_SCOPE and query.refusal == "scope_off_topic"
    )
    return query.intent in _ASKS_CALIBRATION or off_topic


def _read_asked_beside(text: str) -> bool:
    """Whether a clause besides the calibration asks for the read ("read it, calibrated?").

    "有没有校准？", "is this image calibrated?" ask the spacing alone: the words that
    make them a film question are those of the calibration clause itself.
    """
    phrases = load_phrases()
    return any(
        not phrases.cue("calibration_asked").find(clause)
        and any(phrases.cue(n).find(clause) for n in ("open_request", "report_request"))
        for clause in _CLAUSE.split(text)
        if clause.strip()
    )


# Answers that state sizes in mm or cm (the read, the list, one finding, a size, a
# comparison), so that they carry the calibration doubt; a distance is a measurement.
_STATES_SIZES = frozenset(
    {
        IntentKind.SCREENING,
        IntentKind.LIST,
        IntentKind.DESCRIBE,
        IntentKind.MEASUREMENT,
        IntentKind.COMPARE,
    }
)


class Conversation(OtherFindingsAnswers):
    """One conversation about one analysed image.

    Args:
    analysis: the cached analysis of the image (shared by every turn).
    analysis_ms: how long computing `analysis` took, when this conversation's
        caller computed it; the first turn's latency includes it.
    backend: the model backend that words the answers (embedded by default).
    vocabulary: the sign/anatomy/profile vocabulary (bundled by default).
    image: the presentation-ready pixels, for multimodal backends only.
    """

    def __init__(
        self,
        analysis: ImageAnalysis,
        backend: ModelBackend | None = None,
        vocabulary: Vocabulary | None = None,
        image: Any = None,
        analysis_ms: float | None = None,
    ) -> None:
        self.analysis = analysis
        # How long the caller waited for `analysis` when it was computed for this
        # conversation (None when it came from a cache): charged to the first turn.
        self.pending_analysis_ms = analysis_ms
        self.state = DialogueState()
        self.listing: list[str] = []  # finding ids in the order answers listed them
        self._query: Query | None = None  # the question being answered
        self._parts: list[Query] = []  # its parts, when it asks several things
        self.backend: ModelBackend = backend or EmbeddedBackend()
        self.vocabulary = vocabulary or load_vocabulary()
        self.image = image
        self.anchors = AnchorStore()
        self.turns: list[TurnResult] = []  # turns asked in this session
        self.history: list[HistoryTurn] = []  # every turn, restored ones included

    @classmethod
    def restore(
        cls,
        analysis: ImageAnalysis,
        *,
        history: list[HistoryTurn],
        anchors: list[Anchor],
        events: list[AnchorEvent],
        backend: ModelBackend | None = None,
        vocabulary: Vocabulary | None = None,
        image: Any = None,
    ) -> Conversation:
        """Continue a saved conversation: its anchors keep their ids, turns their numbers."""
        conversation = cls(analysis, backend, vocabulary, image)
        conversation.anchors = AnchorStore.restore(anchors, events)
        conversation.history = list(history)
        return conversation

    # -- public --------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        drawn_box: Box | None = None,
        drawn_label: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Answer one question; see the module docstring."""
        started = time.perf_counter()
        question = question.strip()
        if not question:
            raise ValueError("the question is empty; type a question about the image")
        index = len(self.history) + 1
        query = understand(
            question, self.vocabulary, self.state, drawn=drawn_box is not None
        )
        if _asks_calibration(query) and not _read_asked_beside(query.text):
            # "有没有校准？" reads as a yes/no of the film: the spacing alone is answered,
            # a value of the film, and the turn records that
            query = replace(query, intent=IntentKind.MEASUREMENT, refusal=None)
        if asks_heart_borders(query):
            # "心缘清楚吗" reads as off topic, "heart borders ok?" as a margin: both ask
            # how the heart's borders look, and the turn records that
            query = replace(
                query, intent=IntentKind.DESCRIBE, attribute="margin", refusal=None
            )
        lang = query.language
        # "the one at the right hilum": bound to what lies there, or nothing there said
        query, nothing_there = self._at_named_hilum(query, index)
        self._query = query
        drawn = (
            self._add_drawn(drawn_box, drawn_label, index)
            if drawn_box is not None
            else None
        )
        draft = Draft()
        # "which lobe, and how does it relate to the hilum?": each part in the order asked
        parts = compound_parts(query) or [query]
        self._parts = parts
        for part in parts:
            self._query = part
            handler = self._nothing_at_hilum if nothing_there else self._handler(part)
            handler(
                draft,
                intent=part.cue,
                query=part,
                lang=lang,
                index=index,
                mentions=list(part.mentions),
                signs=list(part.signs),
                profile=None
                if part.profile is None
                else self.vocabulary.profiles.get(ProfileId(part.profile)),
                drawn=drawn,
            )
            if len(parts) > 1:
                _once(draft)
        query = self._query = parts[0]
        self._calibration_caveat(query, draft)
        ignored = self._ignored_instruction(query, draft)
        draft.sections.append(
            Section(title=say("title_disclaimer", lang), lines=(DISCLAIMER[lang],))
        )
        result = self._finish(question, query, draft, index, started, on_text, ignored)
        self.state.add(self._record(query, draft))
        return result

    def _withheld_why(self, lang: Language) -> str | None:
        """Why the whole film is withheld, in the answer's language; None when it is read."""
        if self.analysis.frontal_doubts:
            doubts = "; ".join(self.analysis.frontal_doubts)
            return say("film_withheld_why_doubts", lang, doubts=doubts)
        if not self.analysis.anatomy.lungs_found:
            return say("film_withheld_why_no_lungs", lang)
        return None

    def _on_a_withheld_film(self, query: Query) -> Callable[..., None] | None:
        """The answer on a film withheld as a whole; None when the film is read.

        Its spacing is still a fact of the file, but anything read from the image is not
        given, and the answer says why.
        """
        if not self._withheld_why(Language.EN):
            return None
        if _asks_calibration(query):
            return self._calibration
        if query.intent in _READS_THE_FILM or asks_heart_borders(query):
            return self._withheld
        return None

    def _withheld(self, draft: Draft, *, lang: Language, **_: Any) -> None:
        """No lung read on a film that is not a frontal chest: said, never a negative."""
        draft.sections.append(
            Section(
                title=say("title_withheld", lang),
                lines=(say("film_withheld", lang, why=self._withheld_why(lang)),),
            )
        )
        draft.warnings.extend(self.analysis.warnings)

    def _calibration(
        self, draft: Draft, *, query: Query, lang: Language, **kw: Any
    ) -> None:
        """The film's spacing and its source first; a film read asked with it follows."""
        draft.sections.append(
            Section(
                title=say("title_calibration", lang),
                lines=tuple(calibration_answer(self.analysis, lang)),
            )
        )
        if query.intent is IntentKind.SCREENING and _read_asked_beside(query.text):
            self._screening(draft, query=query, lang=lang, **kw)

    def _calibration_caveat(self, query: Query, draft: Draft) -> None:
        """A size or distance on a film whose spacing looks implausible says so.

        The turn records it among its warnings too (the chat shows them under the
        answer, and the saved turn keeps them for review).
        """
        doubt = calibration_doubt(self.analysis, query.language)
        if doubt is None:
            return
        measured = any(m.value_mm is not None for m in draft.measurements)
        said = any(doubt in line for s in draft.sections for line in s.lines)
        sizes = query.intent in _STATES_SIZES and query.attribute != "ctr"
        if not (said or measured or sizes):
            return
        if not said:
            title = say("title_calibration", query.language)
            draft.sections.append(Section(title=title, lines=(doubt,)))
        warning = calibration_doubt(self.analysis, Language.EN) or doubt
        head = warning.split(":")[0].lower()  # the analysis's own warning says it too
        if not any(w.lower().startswith(head) for w in draft.warnings):
            draft.warnings.append(warning)

    def _detection_limit(
        self, draft: Draft, *, query: Query, lang: Language, index: int, **_: Any
    ) -> None:
        """The tool's limits and this film's threshold, then what lies just under it.

        Asked what lies under the threshold ("the one under threshold"), the candidates
        there come first: they are what was asked, the limits are their context.
        """
        answer_detection_limit(draft, lang, self.analysis.focal_report_score)
        cited: list[str] = []
        near = self._near_threshold_lines(
            self.near_threshold(), "near_threshold_listed", lang, index, cited
        )
        first = asks_under_threshold(query)
        if not near and first:
            # asked what lies under it, and nothing does: said, not left to the limits
            report = self.analysis.focal_report_score
            low = NEAR_THRESHOLD_FRACTION * report
            near = [say("near_threshold_none", lang, low=low, threshold=report)]
        if near:
            section = draft.sections[-1]
            lines = section.lines
            draft.sections[-1] = replace(
                section,
                lines=(*near, *lines) if first else (*lines[:2], *near, *lines[2:]),
                anchor_ids=(*section.anchor_ids, *cited),
            )

    def _heart_borders(
        self, draft: Draft, *, query: Query, lang: Language, index: int, **_: Any
    ) -> None:
        """Whether an opacity lies against the heart's borders (the silhouette sign).

        The border's sharpness is not measured; what the analysis knows is the heart's
        outline and the findings beside it, so the answer says which lie against it
        and what a lost border there would suggest, or that none does.
        """
        heart = self._region_anchor(Region.HEART, index)
        lines: list[str] = []
        cited: list[str] = []
        if heart is None:
            lines.append(say("heart_borders_not_outlined", lang))
        else:
            cited.append(heart.id)
            side = _border_side(query)
            for f, gap in heart_border_contacts(self.analysis, self.reportable(), side):
                anchor = self._anchor_for_finding(f, index)
                cited.append(anchor.id)
                lines.append(
                    heart_border_line(f, gap, cite([anchor.id]), self.analysis, lang)
                )
            if not lines:
                which = say(f"heart_border_{side or 'both'}", lang)
                lines.append(
                    say("heart_borders_none", lang, a=cite([heart.id]), which=which)
                )
        draft.sections.append(
            Section(
                title=say("title_heart_borders", lang),
                lines=tuple(lines),
                anchor_ids=tuple(cited),
            )
        )

    def _handler(self, query: Query) -> Callable[..., None]:
        if asks_detection_limit(query):
            return self._detection_limit
        withheld = self._on_a_withheld_film(query)
        if withheld is not None:
            return withheld
        if asks_heart_borders(query):
            # "心缘清楚吗": the silhouette sign, not a lesion's margin
            return self._heart_borders
        unassessed = unassessed_subject(query)
        if unassessed is not None:
            return lambda draft, *, lang, **_: answer_unassessed(
                draft, unassessed, lang
            )
        if _asks_calibration(query):
            # "mm or pixels?", "is the size calibrated?": about the film's spacing, so
            # answered whether or not there is a finding to refer to
            return self._calibration
        if self._asks_others(query):
            return self._others  # "anything else?" after a checklist: the rest
        box = drawn_just_before(self.anchors, len(self.history) + 1)
        if box is not None and _set_against_the_box(query, box.id):
            # "is that the same as A1?" right after a box: the box against A1
            paired = replace(
                query,
                intent=IntentKind.COMPARE,
                anchors=(box.id, *query.cue.anchor_ids),
            )
            self._query = paired
            return lambda draft, **kw: self._compare(draft, **{**kw, "query": paired})
        if _of_the_box_just_drawn(query, self.anchors, len(self.history) + 1):
            return self._about_the_box  # "is it in the lung?" right after a box
        if _names_only_anchors(query, self.vocabulary):
            return self._describe  # "回到A1", "back to A2": that anchor, whatever it is
        if asks_between_two(query, list(query.mentions)):
            return self._between_two  # "how far apart are they": between the two
        if query.intent is IntentKind.MEASUREMENT and query.attribute == "distance":
            # A distance is read as a measurement, but it is measured between two
            # things: the relation answer (lesion to hilum, anchor to anchor) gives it.
            return self._relation
        handlers: dict[IntentKind, Callable[..., None]] = {
            IntentKind.SCREENING: self._screening,
            IntentKind.LIST: self._list,
            IntentKind.DESCRIBE: self._describe,
            IntentKind.LOCATION: self._location,
            IntentKind.RELATION: self._relation,
            IntentKind.PROFILE: self._profile,
            IntentKind.EXPLAIN_SIGN: self._explain,
            IntentKind.DRAWN_REGION: self._drawn_region,
            IntentKind.PRESENCE: self._presence,
            IntentKind.MEASUREMENT: self._measurement,
            IntentKind.COMPARE: self._compare,
            IntentKind.OUT_OF_SCOPE: self._out_of_scope,
            IntentKind.HELP: self._help,
        }
        return handlers[query.intent]

    def _ignored_instruction(
        self, query: Query, draft: Draft
    ) -> IgnoredInstruction | None:
        """Say after the answer that the question's instruction was not followed.

        A model backend is given the question without the instruction, so it never
        reads it; a question that was only an instruction is replaced by a placeholder.
        """
        split = query.instruction
        if split is None:
            return None
        lang = query.language
        answered = query.intent is not IntentKind.OUT_OF_SCOPE
        if answered:
            note = say("instruction_ignored", lang)
            last = draft.sections.pop() if draft.sections else None
            draft.sections.append(
                Section(title="", lines=(note,))
                if last is None
                else replace(last, lines=(*last.lines, note))
            )
        return IgnoredInstruction(
            text=split.instruction,
            question_to_model=split.question or say("instruction_withheld", lang),
            answered=answered,
        )

    def _record(self, query: Query, draft: Draft) -> TurnRecord:
        """What the next turn's ellipsis needs: the question and the side of its subject."""
        subjects = [b for b in draft.bindings if b.finding_id is not None]
        ids = tuple(b.anchor_id for b in subjects if b.anchor_id)
        side = None
        if subjects and subjects[0].finding_id is not None:
            f = self.analysis.finding(subjects[0].finding_id)
            side = None if f is None else f.location.side.value
        place = PlaceFilter.of(query, self.analysis.anatomy)
        empty = bool(place) and not any(place.fits(f) for f in self.reportable())
        known = {a.id for a in self.anchors.all()}
        if any(a not in known for a in query.anchors):
            # "are A1 and A2 the same lesion?" before any id was given: the next turn's
            # ellipsis must not carry ids that named nothing into "how sure?"
            kept = tuple(a for a in query.anchors if a in known)
            query = replace(
                query, anchors=kept, cue=replace(query.cue, anchor_ids=kept)
            )
        return TurnRecord(
            query=query, subject_ids=ids, subject_side=side, place_empty=empty
        )

    def _finish(
        self,
        question: str,
        query: Query,
        draft: Draft,
        index: int,
        started: float,
        on_text: Callable[[str], None] | None,
        ignored: IgnoredInstruction | None = None,
    ) -> TurnResult:
        """Let the backend word the draft, and record the turn."""
        lang = query.language
        # an instruction in the question never reaches a model, now or in later turns
        asked = question if ignored is None else ignored.question_to_model
        context = TurnContext(
            question=asked,
            language=lang,
            intent=query.intent.value,
            draft="\n\n".join(s.render() for s in draft.sections),
            anchors=tuple(self._brief(a) for a in self.anchors.all()),
            history=tuple(self.history),
            image=self.image,
            image_key=self.analysis.key,
            localize=draft.localize_target is not None,
            localize_target=draft.localize_target,
        )
        reply = self.backend.compose(context, on_text)
        warnings = list(draft.warnings) + list(reply.warnings)
        warnings += self._check_model_boxes(reply, index, lang)
        # The reader of a first turn waited for the analysis too: it counts in the
        # turn's latency, and is reported on its own as well.
        analysis_ms, self.pending_analysis_ms = self.pending_analysis_ms, None
        result = TurnResult(
            index=index,
            question=question,
            language=lang,
            intent=query.intent,
            answer_text=reply.text,
            sections=tuple(draft.sections),
            anchors=tuple(self.anchors.all()),
            events=tuple(self.anchors.events(index)),
            resolved_references=tuple(draft.bindings),
            measurements=tuple(draft.measurements),
            scorecard=draft.scorecard,
            latency_ms=(time.perf_counter() - started) * 1000 + (analysis_ms or 0.0),
            analysis_ms=analysis_ms,
            backend=self.backend.name,
            model_id=self.backend.model_id,
            model_version=self.backend.model_version,
            parameters=dict(reply.parameters),
            raw_output=reply.raw_output,
            warnings=tuple(warnings),
            clarification=tuple(draft.clarification),
            ignored_instruction=ignored,
        )
        self.turns.append(result)
        self.history.append(HistoryTurn(question=asked, answer=reply.text))
        return result


# a side said against the border ("左心缘", "the left heart border")
_BORDER_SIDE = re.compile(
    r"([左右])(?:侧)?心(?:缘|影|脏)|(?<![a-z])(right|left)(?:-sided)? (?:heart|cardiac)",
    re.IGNORECASE,
)


def _border_side(query: Query) -> str | None:
    """The heart border asked: "right", "left", or None for both."""
    if query.side in ("right", "left"):
        return query.side
    said = _BORDER_SIDE.search(query.text)
    if said is None:
        return None
    word = (said.group(1) or said.group(2)).lower()
    return {"右": "right", "左": "left"}.get(word, word)


def _once(draft: Draft) -> None:
    """One section a title, each line once, across the parts of a compound question.

    The parts of "which lobe, and how does it relate to the hilum?" with two findings
    and no subject each ask "which one?" the same way, and the hilum and the pleura
    parts each answer under the heading of a spatial relation: the answer asks once,
    and gives one heading with both parts' lines under it.
    """
    kept: list[Section] = []
    for section in draft.sections:
        at = next((i for i, k in enumerate(kept) if k.title == section.title), None)
        if at is None:
            kept.append(section)
            continue
        before = kept[at]
        kept[at] = replace(
            before,
            lines=tuple(dict.fromkeys((*before.lines, *section.lines))),
            anchor_ids=tuple(dict.fromkeys((*before.anchor_ids, *section.anchor_ids))),
        )
    draft.sections[:] = kept


__all__ = ["Conversation"]

"""The records the question parser works on: a read question and the turns before it.

`Query` is one question read into its intent and slots, `TurnRecord` what one turn asked
and what it was about, and `DialogueState` the turns of a conversation so far, which a
follow-up leans on. They sit apart from the rules that fill them (query_slots,
query_cleanup, query_intent, query_followup, query) so that every one of those modules,
and the handlers that answer a question, can import them without importing the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.dialogue.instructions import Split
from engine.intents import Intent, IntentKind
from kernel import Language
from ontology import AnatomyMention, Sign
from ontology.phrases import load_phrases

_PLACE_KEYS = ("side", "zone", "band", "lobe")

# Intents that a follow-up can repeat with a new slot.
_REPEATABLE = frozenset(
    {
        IntentKind.SCREENING,
        IntentKind.DESCRIBE,
        IntentKind.LOCATION,
        IntentKind.RELATION,
        IntentKind.LIST,
        IntentKind.PRESENCE,
        IntentKind.MEASUREMENT,
        IntentKind.COMPARE,
        IntentKind.PROFILE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """One question, read: its intent and the slots it constrains.

    Attributes:
        cue: the cue-level reading (demonstratives, focal nouns, hilum words ...).
        side: "right", "left" or "both"; zone and band as in the anatomy ids
            ("upper", "inner"); lobe an anatomy id; hilum the side of a named hilum.
        kind: a kind word of the phrase tables ("nodule", "effusion", "lesion" ...).
        attribute: what is asked about ("size", "calcification", "ctr" ...).
        ordinals: 1-based positions in the order findings were listed ("第二个" is 2).
        superlatives: every rank named when there are two or more ("最大的和最小的"),
            each naming one finding of a comparison.
        min_mm, max_mm: a size bound on the findings, in mm ("大于1cm的结节" is min 10).
        ellipsis: the question repeats the previous one with a new slot.
        other_side: the question asked for "the other side".
        refusal: why an out-of-scope question is refused, for its wording: one of
            REFUSALS, or "clinical" (treatment, prognosis, the person's diagnosis).
        instruction: the instruction to the engine the question carried, set apart
            (engine/dialogue/instructions.py); the rest of the query reads the question
            without it, or refuses the whole when nothing about the film remains.
    """

    text: str
    language: Language
    intent: IntentKind
    cue: Intent
    side: str | None = None
    zone: str | None = None
    band: str | None = None
    lobe: str | None = None
    hilum: str | None = None
    kind: str | None = None
    attribute: str | None = None
    unit: str | None = None
    anchors: tuple[str, ...] = ()
    ordinals: tuple[int, ...] = ()
    superlative: str | None = None
    superlatives: tuple[str, ...] = field(default=(), compare=False)
    profile: str | None = None
    min_mm: float | None = None
    max_mm: float | None = None
    ellipsis: bool = False
    other_side: bool = False
    refusal: str | None = None
    instruction: Split | None = field(default=None, compare=False)
    mentions: tuple[AnatomyMention, ...] = field(default=(), compare=False)
    signs: tuple[Sign, ...] = field(default=(), compare=False)

    @property
    def ordinal(self) -> int | None:
        return self.ordinals[0] if self.ordinals else None

    @property
    def names_place(self) -> bool:
        return any(getattr(self, k) for k in (*_PLACE_KEYS, "hilum"))

    @property
    def names_something(self) -> bool:
        """Whether the question names a place, sign, anchor, kind or measurement."""
        return bool(
            self.names_place
            or self.kind
            or self.attribute
            or self.anchors
            or self.ordinals
            or self.superlative
            or self.signs
            or self.profile
            or self.mentions
            or self.sized
        )

    @property
    def asks_how_to_ask(self) -> bool:
        """Help asked about the assistant itself, whatever it names.

        "how do I ask you about a nodule": the nodule is the subject of a question still
        to come, not asked now.
        """
        if self.intent is not IntentKind.HELP:
            return False
        return load_phrases().cue("help_how_to_ask").find(self.text) is not None

    @property
    def sized(self) -> bool:
        """Whether the question bounds the findings' size ("anything under 5 mm?")."""
        return self.min_mm is not None or self.max_mm is not None

    def slots(self) -> dict[str, Any]:
        """The labelled slots, in the phrasing corpus's vocabulary (None left out)."""
        values: dict[str, Any] = {
            "intent": self.intent.value,
            "side": self.side,
            "zone": self.zone,
            "band": self.band,
            "lobe": self.lobe,
            "hilum": self.hilum,
            "kind": self.kind,
            "attribute": self.attribute,
            "unit": self.unit,
            "anchors": list(self.anchors) or None,
            "ordinal": self.ordinal,
            "superlative": self.superlative,
            "profile": self.profile,
            "min_mm": self.min_mm,
            "max_mm": self.max_mm,
            "ellipsis": self.ellipsis,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnRecord:
    """What one turn asked and what it was about (for the next turn's ellipsis)."""

    query: Query
    subject_ids: tuple[str, ...] = ()
    subject_side: str | None = None
    # the place the question named holds no reportable finding ("左肺呢" on a film
    # whose only lesion is on the right): a follow-up does not rank or point within it
    place_empty: bool = False


@dataclass
class DialogueState:
    """The turns of one conversation so far, as read."""

    records: list[TurnRecord] = field(default_factory=list)

    @property
    def previous(self) -> TurnRecord | None:
        """The latest turn whose question can be repeated with a new slot."""
        for record in reversed(self.records):
            if record.query.intent in _REPEATABLE:
                return record
        return None

    def add(self, record: TurnRecord) -> None:
        self.records.append(record)


__all__ = [
    "DialogueState",
    "Query",
    "TurnRecord",
]

"""What one radiograph cannot give, asked of the film: refused with the reason why.

A nodule's volume needs cross-sectional imaging, and its doubling time that volume at
two examinations; Hounsfield units exist only on CT; a differential diagnosis is a
diagnosis, which this tool does not make. Asked of the film ("what is its volume?",
"HU?", "鉴别诊断有哪些"), each is refused with its own reason (answers.toml
`refuse_limit_*`), not with the refusal of a question off the film, and not answered
with a description that never says why the number is missing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from engine.intents import IntentKind
from ontology.phrases import Phrases

if TYPE_CHECKING:
    from engine.dialogue.query import Query

# Tried in this order: "volume doubling time" is a doubling time, not a volume.
LIMITS = ("doubling_time", "volume", "hounsfield", "differential")


def limit_asked(q: Query, phrases: Phrases) -> str | None:
    """The limit of a radiograph a question runs into (one of LIMITS), if any.

    An instruction to the engine keeps its own refusal. A doubling time asked for its
    meaning ("what does doubling time mean?", "倍增时间是什么意思") is the sign's
    definition; asked as a value, or of a finding, it is a limit.
    """
    if q.refusal == "injection":
        return None
    for name in LIMITS:
        if not phrases.cue(f"limit_{name}").find(q.text):
            continue
        if name == "doubling_time" and not _asked_as_value(q, phrases):
            return None
        return name
    return None


def _asked_as_value(q: Query, phrases: Phrases) -> bool:
    if phrases.cue("explain_strong").find(q.text):
        return False
    subject = q.anchors or q.ordinals or q.superlative or q.kind or q.cue.demonstrative
    return bool(subject) or phrases.cue("measurement_ask").find(q.text) is not None


def refused_at_limit(q: Query, phrases: Phrases) -> Query:
    """The query refused for the radiograph's limit it asks about, or as it was."""
    limit = limit_asked(q, phrases)
    if limit is None:
        return q
    return replace(q, intent=IntentKind.OUT_OF_SCOPE, refusal=f"limit_{limit}")


__all__ = ["LIMITS", "limit_asked", "refused_at_limit"]

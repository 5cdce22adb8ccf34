"""Score the question reader on a labelled phrasing corpus (tests/engine/phrasing/*.jsonl).

Each line gives an utterance, the earlier questions of its conversation and the slots
the dialogue must take from it (format: tests/engine/phrasing/README.md). The context
runs through the same `understand` and `DialogueState` as a live conversation, so an
elliptical follow-up is scored after its context is applied.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.dialogue.query import understand
from engine.dialogue.query_records import DialogueState, Query, TurnRecord
from engine.intents import IntentKind, detect_language
from ontology import Vocabulary, load_vocabulary

GROUPS = (
    "ellipsis",
    "other_side",
    "superlative",
    "ordinal",
    "comparison",
    "constraint",
    "open_request",
    "value_question",
    "yes_no",
    "out_of_scope",
    "injection",
)
_KEYS = frozenset(
    {
        "intent",
        "side",
        "zone",
        "band",
        "lobe",
        "hilum",
        "kind",
        "attribute",
        "unit",
        "anchors",
        "ordinal",
        "superlative",
        "profile",
        "min_mm",
        "max_mm",
        "ellipsis",
    }
)


class CorpusError(ValueError):
    """A corpus line is malformed; the message names the file, line and field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Utterance:
    id: str
    group: str
    lang: str
    context: tuple[str, ...]
    text: str
    expect: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    utterance: Utterance
    got: dict[str, Any] = field(hash=False)
    wrong: tuple[str, ...]
    help_but_named: bool

    @property
    def ok(self) -> bool:
        return not self.wrong


def load_corpus(path: Path) -> list[Utterance]:
    """Read a corpus file.

    Raises:
        CorpusError: a line is not JSON, lacks a field, or names an unknown group or key.
    """
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            raw = json.loads(line)
            item = Utterance(
                id=raw["id"],
                group=raw["group"],
                lang=raw["lang"],
                context=tuple(raw.get("context", ())),
                text=raw["text"],
                expect=dict(raw["expect"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise CorpusError(f"{where}: {error}; see the README's format") from None
        _check(item, where)
        items.append(item)
    return items


def _check(item: Utterance, where: str) -> None:
    if item.group not in GROUPS:
        raise CorpusError(f"{where}: unknown group {item.group!r}; use one of {GROUPS}")
    unknown = set(item.expect) - _KEYS
    if unknown:
        raise CorpusError(f"{where}: unknown expect keys {sorted(unknown)}")


def read_in_context(
    item: Utterance, vocabulary: Vocabulary | None = None
) -> tuple[Query, DialogueState]:
    """Read an utterance after its context, as a live conversation would."""
    vocabulary = vocabulary or load_vocabulary()
    state = DialogueState()
    for earlier in item.context:
        state.add(TurnRecord(query=understand(earlier, vocabulary, state)))
    return understand(item.text, vocabulary, state), state


def score(item: Utterance, vocabulary: Vocabulary | None = None) -> Outcome:
    """Compare what the reader takes from an utterance with its labels."""
    query, _ = read_in_context(item, vocabulary)
    got = query.slots()
    got.setdefault("ellipsis", False)
    wrong = tuple(k for k, v in item.expect.items() if got.get(k) != v)
    expected_lang = "en" if item.lang == "en" else "zh"
    if detect_language(item.text).value != expected_lang and item.lang != "mixed":
        wrong += ("lang",)
    return Outcome(
        utterance=item,
        got=got,
        wrong=wrong,
        # "how do I ask you about a nodule" wants the menu's examples: not a named
        # question answered with the menu
        help_but_named=query.intent is IntentKind.HELP
        and query.names_something
        and not query.asks_how_to_ask,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def by_group(self) -> dict[str, tuple[int, int]]:
        """Correct and total per group, in the README's group order."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for o in self.outcomes:
            counts[o.utterance.group][0] += o.ok
            counts[o.utterance.group][1] += 1
        return {g: (counts[g][0], counts[g][1]) for g in GROUPS if g in counts}

    @property
    def help_answers_to_named(self) -> int:
        return sum(o.help_but_named for o in self.outcomes)

    def table(self) -> str:
        """Per-group accuracy as text, with the total and the help-menu count."""
        lines = [f"{'group':<16}{'correct':>8}{'total':>7}{'accuracy':>10}"]
        for group, (ok, n) in self.by_group().items():
            lines.append(f"{group:<16}{ok:>8}{n:>7}{ok / n:>10.1%}")
        ok = sum(o.ok for o in self.outcomes)
        n = len(self.outcomes)
        lines.append(f"{'all':<16}{ok:>8}{n:>7}{ok / max(n, 1):>10.1%}")
        lines.append(
            f"help-menu answers to utterances naming something: {self.help_answers_to_named}"
        )
        return "\n".join(lines)

    def failures(self) -> list[str]:
        return [
            f"{o.utterance.id} {o.utterance.text!r}: wrong {list(o.wrong)}; "
            f"expected {o.utterance.expect}, got {o.got}"
            for o in self.outcomes
            if not o.ok
        ]


def evaluate(path: Path, vocabulary: Vocabulary | None = None) -> Report:
    """Score every utterance of a corpus file."""
    vocabulary = vocabulary or load_vocabulary()
    return Report(outcomes=tuple(score(i, vocabulary) for i in load_corpus(path)))


__all__ = ["GROUPS", "CorpusError", "Report", "Utterance", "evaluate", "load_corpus"]

"""Wording helpers shared by the answers: status words, kind words, plurals, shapes.

Bilingual tables that a reader may want to change live in ontology/data/dialogue;
what stays here is grammar (plurals, articles) and the marks of a checklist.
"""

from __future__ import annotations

import re

from engine.findings import Finding, FindingKind
from engine.wording import (
    KIND_SHORT,
    cite,
)
from kernel import Language
from ontology import (
    ItemResult,
    MatchStatus,
    Unassessable,
)
from ontology.phrases import load_phrases

_FOCAL = frozenset({FindingKind.NODULE, FindingKind.MASS})


def _reason(item: ItemResult, lang: Language) -> str:
    reason = item.reason(lang)
    return say("reason_paren", lang, reason=reason) if reason else ""


# A reason that is only a yes/no reading of one feature ("肋膈角变钝：否") says again
# what the status word just said; a number or a cut-off in it is worth keeping.
_BARE_VERDICT = re.compile(r"^[^:：()（）]*[:：]\s*(?:yes|no|true|false|是|否)$", re.I)


def _status_line(item: ItemResult, lang: Language) -> str:
    """One sign's verdict on this film, hedged, with the rule that decided it."""
    bare = _BARE_VERDICT.match(item.reason(lang).strip())
    status = say(f"status_{item.status.value}", lang)
    reason = "" if bare else _reason(item, lang)
    if item.unassessable is Unassessable.BORDERLINE:
        status, reason = item.reason(lang), ""  # as a checklist item says it
    return say("status_line", lang, sign=item.name(lang), status=status, reason=reason)


def _item_line(item: ItemResult, lang: Language) -> str:
    mark = {
        MatchStatus.MET: "✔",
        MatchStatus.NOT_MET: "✘",
        MatchStatus.NOT_ASSESSABLE: "○",
    }[item.status]
    status, reason = say(f"item_{item.status.value}", lang), _reason(item, lang)
    if item.unassessable is Unassessable.BORDERLINE:
        # measured at the cut-off: the item reads "borderline: ..." (its reason says
        # so first), not "not assessable", which reads as if nothing was measured
        status, reason = item.reason(lang), ""
    return say(
        "item_line",
        lang,
        mark=mark,
        sign=item.name(lang),
        status=status,
        reason=reason,
        evidence=cite(item.evidence_anchor_ids),
    ).rstrip()


def _what(kinds: frozenset[FindingKind] | None, lang: Language) -> str:
    if kinds is None:
        return say("what_any", lang)
    if kinds == _FOCAL:
        return say("what_focal", lang)
    # FindingKind order, not the set's: a frozenset iterates in hash order.
    words = [KIND_SHORT[lang][k] for k in FindingKind if k in kinds]
    return or_list(words, lang)


def or_list(words: list[str], lang: Language) -> str:
    """Alternatives as a sentence lists them: "a, b or c", "甲、乙或丙"."""
    if len(words) <= 1:
        return "".join(words)
    head = say("kinds_joiner", lang).join(words[:-1])
    return say("kinds_last_joiner", lang).join((head, words[-1]))


def _plural(words: str, n: int) -> str:
    """English plural of a short phrase ("nodule or mass" -> "nodules or masses")."""
    if n == 1:
        return words

    def one(word: str) -> str:
        head, _, last = word.rpartition(" ")
        last = (
            last[:-1] + "ies"
            if last.endswith("y")
            else last + "es"
            if last.endswith("ss")
            else last + "s"
        )
        return f"{head} {last}".strip()

    # "nodule, mass or consolidation": each alternative, keeping its separator
    parts = re.split(r"(, | or )", words)
    return "".join(p if i % 2 else one(p) for i, p in enumerate(parts))


def _article(word: str) -> str:
    return "An" if word[:1].lower() in "aeiou" else "A"


def _shape_word(f: Finding, lang: Language) -> str:
    if not f.is_focal:
        return ""
    ratio = f.long_axis_px / max(f.short_axis_px, 1e-6)
    irregular = f.margin is not None and len(f.margin.notches) >= 4
    shape = "irregular" if irregular else "round" if ratio < 1.3 else "oval"
    return say(f"shape_{shape}", lang)


def fleischner_words(status: str, lang: Language) -> str:
    """The Fleischner glossary status of a term, in words (ontology/data/dialogue)."""
    return load_phrases().fleischner[status][
        lang.value if isinstance(lang, Language) else lang
    ]


# A space between two Chinese characters is a seam between filled-in fields ("24–36 mm
# 之间 的结节"), never meant: Chinese sets no space between its words.
_CJK_SEAM = re.compile(r"(?<=[\u3400-\u9fff]) +(?=[\u3400-\u9fff])")


def say(name: str, lang: Language, /, **fields: object) -> str:
    """One answer sentence of ontology/data/dialogue/answers.toml, its fields filled in."""
    text = load_phrases().say(name, lang, **fields)
    return _CJK_SEAM.sub("", text) if Language(lang) is Language.ZH else text


def led(lead: str, sentences: list[str], lang: Language) -> str:
    """Sentences after a "Yes: " / "No: " lead, as one line.

    The first sentence goes on after the colon, so it starts in lower case ("No: the
    right costophrenic angle ...", an acronym kept), and the sentences are set apart as
    the language sets them (a space in English, none after a Chinese full stop).
    """
    text = say("sentence_joiner", lang).join(sentences)
    if lead and text[:1].isupper() and not text[1:2].isupper():
        text = text[:1].lower() + text[1:]
    return lead + text

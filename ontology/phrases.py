"""The dialogue's bilingual phrase tables and clinical mappings, read from ontology data.

`data/dialogue/phrases.toml` holds the cue words a question is parsed with;
`data/dialogue/answers.toml` the answer sentences; `data/dialogue/mappings.toml` the
clinical mappings (kind words to sign codes, places
that are equivalent on a PA film, Fleischner status words). A new phrasing is an edit
there, not a new branch in code. Standard library only, like the rest of `ontology`.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from kernel import Language
from ontology.errors import InvalidOntologyData
from ontology.spelling import Speller
from ontology.vocabulary import load_vocabulary

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=256)
def _english_view(text: str) -> str:
    r"""The question as English cues read it: lower case, Chinese set apart by spaces.

    Chinese characters are word characters to `\b`, so "请问right side" would hide
    "right"; every cue table reads the same question, so the view is made once.
    """
    lowered = text.lower()
    return _CJK.sub(r" \g<0> ", lowered) if _CJK.search(lowered) else lowered


@dataclass(frozen=True, slots=True)
class CueSet:
    """The Chinese and English cues of one phrase table, compiled once.

    Chinese cues are regular expressions matched anywhere (no word boundaries in
    Chinese); English cues are regular expressions matched on the lower-cased text
    between word boundaries, with a trailing ``*`` for a stem and a ``re:`` prefix for a
    pattern that places its own boundaries.
    """

    name: str
    zh: tuple[re.Pattern[str], ...]
    en: tuple[re.Pattern[str], ...]
    # All cues of a language as one pattern: most tables match nothing in a question,
    # and one search says so; the list is walked, in order, only when one matches.
    any_zh: re.Pattern[str] | None = None
    any_en: re.Pattern[str] | None = None

    def find(self, text: str) -> str | None:
        """Return the first cue found in a question (its matched words), or None."""
        found = _first_match(self.zh, self.any_zh, text)
        if found is not None:
            return found
        return _first_match(self.en, self.any_en, _english_view(text))

    def blank(self, text: str) -> str:
        """The question with every cue of this table blanked, to see what else it says.

        English cues blank the lower-cased view of the question (`_english_view`).
        """
        for pattern in self.zh:
            text = pattern.sub(" ", text)
        text = _english_view(text)
        for pattern in self.en:
            text = pattern.sub(" ", text)
        return text

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.find(text) is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Phrases:
    """Every phrase table and mapping of the dialogue."""

    cues: dict[str, CueSet]
    kind_order: tuple[str, ...]
    attribute_order: tuple[str, ...]
    superlative_order: tuple[str, ...]
    kind_signs: dict[str, tuple[str, ...]]
    kind_findings: dict[str, tuple[str, ...]]
    kind_film_signs: dict[str, str]
    equivalent_places: dict[str, frozenset[str]]
    mirror: dict[str, str]
    zone_of_level: dict[str, str]  # a zone region's level as one of the three zones
    fleischner: dict[str, dict[str, str]]
    calcification_patterns: tuple[str, ...]
    needs_sign: dict[str, str]  # a sign the engine does not measure -> one it needs
    place_film_signs: dict[str, str]
    answers: dict[str, dict[str, str]]
    speller: Speller
    sound_terms: tuple[str, ...]  # Chinese terms whose pinyin slips are read as them
    simplified: dict[int, int]  # traditional characters as simplified (str.translate)

    def say(self, name: str, lang: Language, /, **fields: object) -> str:
        """Return one answer sentence in a language, its fields filled in.

        Raises:
            InvalidOntologyData: no sentence has that name, or a field is missing.
        """
        try:
            return self.answers[name][str(lang)].format(**fields)
        except (KeyError, IndexError) as error:
            raise InvalidOntologyData(
                "ontology/data/dialogue/answers.toml",
                f"[{name}] {lang}",
                f"missing sentence or field ({error}); add it there",
            ) from None

    def cue(self, name: str) -> CueSet:
        """Return one cue table.

        Raises:
            InvalidOntologyData: no table has that name (a typo in code or data).
        """
        try:
            return self.cues[name]
        except KeyError:
            raise InvalidOntologyData(
                "ontology/data/dialogue/phrases.toml",
                f"[cue.{name}]",
                "no such table; add it there or fix the name in code",
            ) from None


def _english(cue: str) -> re.Pattern[str]:
    if cue.startswith("re:"):
        return re.compile(cue[3:])
    stem = cue.endswith("*")
    body = cue.rstrip("*")
    # a stem takes the rest of its word, so a blanked "consolidat*" leaves no "ion"
    return re.compile(rf"(?<![a-z]){body}" + (r"[a-z]*" if stem else r"(?![a-z])"))


def _first_match(
    patterns: tuple[re.Pattern[str], ...], joined: re.Pattern[str] | None, text: str
) -> str | None:
    if joined is not None and joined.search(text) is None:
        return None
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return None


def _joined(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern matching wherever any of them does (None if they cannot be joined)."""
    parts = []
    for pattern in patterns:
        source = pattern.pattern
        # A leading "(?i)" applies to the whole pattern; inside an alternation it must
        # be scoped to its own branch.
        parts.append(
            f"(?i:{source[4:]})" if source.startswith("(?i)") else f"(?:{source})"
        )
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


def _cue_set(name: str, entry: dict[str, Any], label: str) -> CueSet:
    try:
        zh = tuple(re.compile(c) for c in entry.get("zh", ()))
        en = tuple(_english(str(c)) for c in entry.get("en", ()))
        return CueSet(name=name, zh=zh, en=en, any_zh=_joined(zh), any_en=_joined(en))
    except re.error as error:
        raise InvalidOntologyData(
            f"{label}/phrases.toml",
            f"[cue.{name}]",
            f"a cue is not a valid pattern ({error}); escape the character or drop the cue",
        ) from None


def _read(name: str) -> dict[str, Any]:
    path = files("ontology").joinpath("data", "dialogue", name)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _check_mappings(phrases: Phrases, label: str) -> None:
    """Every sign code and region id a mapping names must exist in the vocabulary."""
    vocabulary = load_vocabulary()
    codes = [
        *phrases.kind_signs,
        *phrases.kind_film_signs.values(),
        *phrases.calcification_patterns,
        *phrases.needs_sign,
        *phrases.needs_sign.values(),
        *phrases.place_film_signs.values(),
    ]
    missing = [c for c in codes if vocabulary.find_sign(c) is None]
    places = [
        *phrases.equivalent_places,
        *(p for ps in phrases.equivalent_places.values() for p in ps),
        *phrases.mirror,
        *phrases.mirror.values(),
    ]
    missing += [p for p in places if vocabulary.find_anatomy(p) is None]
    if missing:
        raise InvalidOntologyData(
            f"{label}/mappings.toml",
            ", ".join(sorted(set(missing))),
            "named but not in the vocabulary; fix the sign code or region id",
        )


@functools.cache
def load_phrases() -> Phrases:
    """Return the bundled phrase tables and mappings, read and checked once per process.

    Raises:
        InvalidOntologyData: a table is malformed or names an unknown sign or region.
    """
    raw = _read("phrases.toml")
    maps = _read("mappings.toml")
    label = "ontology/data/dialogue"
    phrases = Phrases(
        cues={n: _cue_set(n, e, label) for n, e in raw["cue"].items()},
        kind_order=tuple(raw["order"]["kind"]),
        attribute_order=tuple(raw["order"]["attribute"]),
        superlative_order=tuple(raw["order"]["superlative"]),
        kind_signs={k: tuple(v) for k, v in maps["kind_signs"].items()},
        kind_findings={k: tuple(v) for k, v in maps["kind_findings"].items()},
        kind_film_signs=dict(maps["kind_film_signs"]),
        equivalent_places={
            k: frozenset(v) for k, v in maps["equivalent_places"].items()
        },
        mirror=dict(maps["mirror"]),
        zone_of_level=dict(maps["zone_of_level"]),
        fleischner={k: dict(v) for k, v in maps["fleischner"].items()},
        calcification_patterns=tuple(maps["calcification_patterns"]["signs"]),
        needs_sign=dict(maps["needs_sign"]),
        place_film_signs=dict(maps["place_film_signs"]),
        answers={k: dict(v) for k, v in _read("answers.toml").items()},
        speller=Speller(
            (str(w).lower() for w in raw["spelling"]["en"]),
            {str(k): str(v) for k, v in raw["spelling"]["zh"].items()},
        ),
        sound_terms=tuple(str(t) for t in raw["spelling"]["zh_terms"]),
        simplified=str.maketrans(
            raw["spelling"]["zh_traditional"], raw["spelling"]["zh_simplified"]
        ),
    )
    for group, order in (
        ("kind", phrases.kind_order),
        ("attribute", phrases.attribute_order),
        ("superlative", phrases.superlative_order),
    ):
        for name in order:
            phrases.cue(f"{group}_{name}")
    _check_mappings(phrases, label)
    incomplete = [k for k, v in phrases.answers.items() if set(v) != {"zh", "en"}]
    if incomplete:
        raise InvalidOntologyData(
            f"{label}/answers.toml",
            ", ".join(incomplete),
            "every sentence needs exactly a zh and an en template",
        )
    return phrases


__all__ = ["CueSet", "Phrases", "load_phrases"]

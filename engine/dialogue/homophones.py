"""Slips of a pinyin input method, read as the term they sound like.

Chinese typed through a pinyin input method slips to another character of the same sound
("肿快" for 肿块, "气凶" for 气胸, "做肺" for 左肺), and some users type the pinyin itself
("xinxiongbi"). Listing slips does not generalise, so any window of characters that sounds
like a known term (tones ignored, every reading of a character tried) is read as that term
when exactly one character slipped, unless the window breaks up a known term written
correctly ("有肺炎" stays: 肺炎 is known; "坐飞机" stays: two characters differ from 左肺).
The terms are data: [spelling] zh_terms in ontology/data/dialogue/phrases.toml.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from ontology.phrases import load_phrases

_HAN = re.compile(r"[\u4e00-\u9fff]+")
_A_NOT_A = re.compile(r"(.)[不没]\1")
_PINYIN_WORD = re.compile(r"(?<![A-Za-z])[a-z]{4,}(?![A-Za-z])")


@functools.cache
def _readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character ("侧" -> {"ce", "ze", "zhai"})."""
    # 40,000 characters: loaded on first use, not when the engine is imported
    from pypinyin.pinyin_dict import pinyin_dict

    raw = pinyin_dict.get(ord(char), "")
    return frozenset(_toneless(r) for r in raw.split(",") if r)


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(
        "ü", "v"
    )


class Homophones:
    """Reads a slip of the pinyin input method as the known term it sounds like.

    Args:
        terms: the Chinese terms worth reading (each two to four characters); their own
            sound is their commonest reading, as the input method would offer it.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        from pypinyin import Style, lazy_pinyin

        self._terms = frozenset(terms)
        self._sound: dict[str, tuple[str, ...]] = {}
        self._by_first: dict[str, list[str]] = {}
        self._typed: dict[str, str] = {}  # "xinxiongbi" -> 心胸比
        for term in sorted(self._terms, key=lambda t: (-len(t), t)):
            sound = tuple(lazy_pinyin(term, style=Style.NORMAL))
            self._sound[term] = sound
            self._by_first.setdefault(sound[0], []).append(term)
            self._typed.setdefault("".join(sound), term)

    def fix(self, text: str) -> str:
        """The text with each sound-alike window and each typed pinyin word as its term."""
        text = _HAN.sub(lambda m: self._fix_run(m.group(0)), text)
        return _PINYIN_WORD.sub(lambda m: self._typed.get(m.group(0), m.group(0)), text)

    def _fix_run(self, run: str) -> str:
        chars = list(run)
        kept = self._written(run)
        i = 0
        while i < len(chars):
            term = self._sounds_like(run, i, kept)
            if term is None:
                i += 1
                continue
            chars[i : i + len(term)] = list(term)
            i += len(term)
        return "".join(chars)

    def _written(self, run: str) -> set[int]:
        """Positions inside a known term written as it is: never rewritten."""
        kept: set[int] = set()
        for term in self._terms:
            for m in re.finditer(re.escape(term), run):
                kept.update(range(m.start(), m.end()))
        # the A-not-A of a question ("是不是", "有没有") is grammar, never a slip: "是不是变
        # 钝了" is not "是不实变钝了"
        for m in _A_NOT_A.finditer(run):
            kept.update(range(m.start(), m.end()))
        return kept

    def _sounds_like(self, run: str, i: int, kept: set[int]) -> str | None:
        for first in _readings(run[i]):
            for term in self._by_first.get(first, ()):
                window = run[i : i + len(term)]
                if len(window) < len(term) or kept.intersection(
                    range(i, i + len(term))
                ):
                    continue
                # One slipped character, as with one edit in English: two ("坐飞机"
                # for 左肺) are another word that happens to sound alike.
                if sum(a != b for a, b in zip(term, window, strict=True)) != 1:
                    continue
                sound = self._sound[term]
                if all(s in _readings(c) for s, c in zip(sound, window, strict=True)):
                    return term
        return None


@functools.cache
def load_homophones() -> Homophones:
    """The reader of the phrase tables' sound terms, built once per process."""
    return Homophones(load_phrases().sound_terms)


__all__ = ["Homophones", "load_homophones"]

"""A tolerant reading of misspelt words, so "pnemothorax" and "ignroe" are understood.

Users type fast: a letter dropped, doubled, swapped or wrong. Listing every typo in the
phrase tables does not generalise, so a question's English words are compared with the
known words of `data/dialogue/phrases.toml` ([spelling]) and a word one edit away from
exactly one of them (two edits for long words) is read as that word. Only the curated
words are targets, never everyday English, so "letter" does not become "better". Chinese
slips are homophones and near-forms; the same table maps those as plain replacements.

Chinese typed through a pinyin input method slips to another character of the same sound
("肿快" for 肿块, "气凶" for 气胸, "做肺" for 左肺), and some users type the pinyin itself
("xinxiongbi"). `Homophones` reads any window of characters that sounds like a known term
(tones ignored, every reading of a character tried) as that term when exactly one character
slipped, without listing slips, unless the window breaks up a known term written correctly
("有肺炎" stays: 肺炎 is known; "坐飞机" stays: two characters differ from 左肺).

Lookups use the deletion neighbourhood of each known word (a "symmetric delete"
index), so a question costs a few dictionary lookups per word, not a pass over the list.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from itertools import combinations

_WORD = re.compile(r"[a-z]+")
_MIN_LENGTH = 5  # shorter words have too many real neighbours ("mass", "mast")
_LONG = 9  # known words this long may be two edits away


def _deletions(word: str, edits: int) -> set[str]:
    found = set()
    for n in range(1, edits + 1):
        for gone in combinations(range(len(word)), n):
            found.add("".join(c for i, c in enumerate(word) if i not in gone))
    return found


def _squeeze(word: str) -> str:
    """The word with each run of one letter written once ("effusion" -> "efusion")."""
    return re.sub(r"(.)\1+", r"\1", word)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


_HAN = re.compile(r"[\u4e00-\u9fff]+")
_PINYIN_WORD = re.compile(r"(?<![A-Za-z])[a-z]{4,}(?![A-Za-z])")


@functools.cache
def _readings(char: str) -> frozenset[str]:
    """Every toneless pinyin reading of a character ("侧" -> {"ce", "ze", "zhai"})."""
    from pypinyin.pinyin_dict import (
        pinyin_dict,
    )  # 40,000 characters: loaded on first use

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


class Speller:
    """Reads misspelt known words as the words they stand for.

    Args:
        words: the English words worth correcting to (lower case, letters only).
        replacements: Chinese (or any literal) slips and what they stand for.
        homophones: Chinese terms whose sound-alike slips are read as them.
    """

    def __init__(
        self,
        words: Iterable[str],
        replacements: dict[str, str],
        homophones: Iterable[str] = (),
    ) -> None:
        terms = tuple(homophones)
        self._homophones = Homophones(terms) if terms else None
        self._words = frozenset(w for w in words if len(w) >= _MIN_LENGTH)
        self._longest = max((len(w) for w in self._words), default=0)
        self._index: dict[str, set[str]] = {}
        for word in self._words:
            for key in {word} | _deletions(word, 2 if len(word) >= _LONG else 1):
                self._index.setdefault(key, set()).add(word)
        # A doubled or undoubled letter is the commonest slip ("efussion", "calcifiied"):
        # words are also indexed with their double letters squeezed to one.
        squeezed: dict[str, set[str]] = {}
        for word in self._words:
            squeezed.setdefault(_squeeze(word), set()).add(word)
        self._squeezed = {k: min(v, key=len) for k, v in squeezed.items()}
        # Longest first, so a longer slip is replaced before a slip inside it.
        self._replacements = sorted(replacements.items(), key=lambda kv: -len(kv[0]))

    def fix(self, text: str) -> str:
        """Return the text with each misspelt known word replaced by that word."""
        for slip, meant in self._replacements:
            text = text.replace(slip, meant)
        if self._homophones is not None:
            text = self._homophones.fix(text)
        return re.sub(r"[A-Za-z]+", self._fix_match, text)

    def _fix_match(self, match: re.Match[str]) -> str:
        token = match.group(0)
        fixed = self.word(token.lower())
        return token if fixed is None else fixed

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one speller per process
    def word(self, token: str) -> str | None:
        """The known word a lower-case token is a slip of, or None (known or unknown)."""
        if len(token) < _MIN_LENGTH - 1 or token in self._words:
            return None
        if len(token) > self._longest + 2:
            # Two edits cannot reach a known word, and the deletion neighbourhood of a
            # long token grows with its length cubed: a pasted 100,000-letter "word"
            # would hold the session for minutes.
            return None
        if any(token.startswith(w) for w in self._words if len(w) <= len(token)):
            return None  # an inflection of a known word: "margins", "nodules"
        same = self._squeezed.get(_squeeze(token))
        if same is not None and not same.startswith(token):
            return same
        keys = {token} | _deletions(token, 2 if len(token) >= _LONG - 1 else 1)
        near = {w for k in keys for w in self._index.get(k, ())}
        scored = sorted(
            (d, len(w), w)
            for w in near
            if not w.startswith(token)
            and (d := edit_distance(token, w)) <= (2 if len(w) >= _LONG else 1)
        )
        if not scored:
            return None
        best = [w for d, _, w in scored if d == scored[0][0]]
        # "efusion" is as near "effusion" as "effusions" is far: the shorter is meant;
        # two unrelated words equally near ("nodle": noodle?) are left alone.
        if all(w.startswith(best[0]) for w in best):
            return best[0]
        return None


__all__ = ["Homophones", "Speller", "edit_distance"]

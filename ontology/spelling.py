"""A tolerant reading of misspelt words, so "pnemothorax" and "ignroe" are understood.

Users type fast: a letter dropped, doubled, swapped or wrong. Listing every typo in the
phrase tables does not generalise, so a question's English words are compared with the
known words of `data/dialogue/phrases.toml` ([spelling]) and a word one edit away from
exactly one of them (two edits for long words) is read as that word. Only the curated
words are targets, never everyday English, so "letter" does not become "better". Chinese
slips are homophones and near-forms; the same table maps those as plain replacements, and
a dialect word that is also part of a Mandarin word (Cantonese 系 "is", inside 关系 and
系统) as a pattern with its guards ("re:..."), applied after the plain ones.

Slips of a pinyin input method read by their sound are engine/dialogue/homophones.py
(pinyin readings need a library; this package uses the standard library only).

Lookups use the deletion neighbourhood of each known word (a "symmetric delete"
index), so a question costs a few dictionary lookups per word, not a pass over the list.
"""

from __future__ import annotations

import functools
import re
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


_SKELETON_MIN = 4  # "bggst", "ignr"; three consonants ("ptx", "ctr") are abbreviations


def _skeleton(word: str) -> str:
    """The word without its vowels after the first letter ("biggest" -> "bggst")."""
    return word[:1] + re.sub(r"[aeiouy]", "", word[1:])


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


class Speller:
    """Reads misspelt known words as the words they stand for.

    Args:
        words: the English words worth correcting to (lower case, letters only).
        replacements: Chinese (or any literal) slips and what they stand for; a key
            written "re:<pattern>" is a regular expression, replaced in table order
            after every literal slip.
    """

    def __init__(self, words: Iterable[str], replacements: dict[str, str]) -> None:
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
        # Text-speak drops the vowels ("bggst", "ignr"): a word's consonants, its first
        # letter kept, name it when they name no other known word.
        skeletons: dict[str, set[str]] = {}
        for word in self._words:
            skeletons.setdefault(_skeleton(word), set()).add(word)
        self._skeletons = {
            k: next(iter(v)) for k, v in skeletons.items() if len(v) == 1
        }
        # Longest first, so a longer slip is replaced before a slip inside it.
        self._replacements = sorted(
            ((k, v) for k, v in replacements.items() if not k.startswith("re:")),
            key=lambda kv: -len(kv[0]),
        )
        self._patterns = tuple(
            (re.compile(k[3:]), v)
            for k, v in replacements.items()
            if k.startswith("re:")
        )

    def fix(self, text: str) -> str:
        """Return the text with each misspelt known word replaced by that word."""
        for slip, meant in self._replacements:
            text = text.replace(slip, meant)
        for pattern, meant in self._patterns:
            text = pattern.sub(meant, text)
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
        if len(token) >= _SKELETON_MIN and _skeleton(token) == token:
            return self._skeletons.get(
                token
            )  # no vowels: text-speak, or no word at all
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


__all__ = ["Speller", "edit_distance"]

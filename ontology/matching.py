"""Find vocabulary terms in free text, Chinese or English, longest match first."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Hyphens and underscores vary between writers ("mid-zone", "mid zone").
_SEPARATORS = frozenset("-‐‑‒–—_")


def fold(text: str) -> str:
    """Return text normalised for matching, with the same length as the input.

    NFKC turns full-width letters and digits into ASCII, casefold ignores case, and
    hyphens become spaces. Each character maps to exactly one character, so a span
    found in the folded text is the same span in the original.
    """
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char).casefold()
        if len(folded) != 1:
            lowered = char.lower()
            folded = lowered if len(lowered) == 1 else char
        if folded in _SEPARATORS or folded.isspace():
            folded = " "
        out.append(folded)
    return "".join(out)


def is_ascii_word_char(char: str) -> bool:
    """Return whether a character is an ASCII letter or digit."""
    return char.isascii() and char.isalnum()


def term_pattern(term: str) -> re.Pattern[str]:
    """Compile a term into a regex over folded text.

    ASCII words match on word boundaries and may take a plural "s"/"es" (so "mass"
    never matches inside "massive"); Chinese has no spaces, so Chinese characters
    match as a plain substring.

    Raises:
        ValueError: the term is blank.
    """
    words = fold(term).split()
    if not words:
        raise ValueError(f"term must not be blank, got {term!r}")
    body = r"\s+".join(re.escape(word) for word in words)
    if is_ascii_word_char(words[-1][-1]):
        tail = "(?:s|es)?" if words[-1][-1].isalpha() else ""
        body = f"{body}{tail}(?![a-z0-9])"
    if is_ascii_word_char(words[0][0]):
        body = f"(?<![a-z0-9]){body}"
    return re.compile(body)


@dataclass(frozen=True, slots=True, kw_only=True)
class TermMatch(Generic[T]):
    """One occurrence of a term in a text."""

    start: int
    end: int
    payload: T
    priority: int = 0
    """Breaks ties between equally long matches; lower wins."""

    @property
    def length(self) -> int:
        """Number of characters matched."""
        return self.end - self.start


class TermIndex(Generic[T]):
    """A list of terms, each with a payload, searchable in free text."""

    def __init__(self) -> None:
        self._entries: list[tuple[re.Pattern[str], T]] = []

    def add(self, term: str, payload: T) -> None:
        """Add a term that stands for a payload.

        Raises:
            ValueError: the term is blank.
        """
        self._entries.append((term_pattern(term), payload))

    def find_all(self, folded_text: str) -> list[TermMatch[T]]:
        """Return every occurrence of every term in already folded text."""
        return [
            TermMatch(start=m.start(), end=m.end(), payload=payload)
            for pattern, payload in self._entries
            for m in pattern.finditer(folded_text)
        ]


def longest_first(
    matches: list[TermMatch[T]], *, keep_ties: bool = False
) -> list[TermMatch[T]]:
    """Keep the longest non-overlapping matches, longest first.

    "右肺中叶" contains "右肺" and "中叶"; only the whole phrase names what the
    writer meant, so a shorter match inside an accepted one is dropped. With
    ``keep_ties``, a match over exactly the span of an accepted one is kept too (one
    term shared by two entries is ambiguous, and both are reported).
    """
    ordered = sorted(matches, key=lambda m: (-m.length, m.priority, m.start))
    taken: list[TermMatch[T]] = []
    for match in ordered:
        same_span = any(match.start == t.start and match.end == t.end for t in taken)
        apart = all(match.end <= t.start or match.start >= t.end for t in taken)
        if apart or (keep_ties and same_span):
            taken.append(match)
    return taken

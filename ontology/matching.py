"""Find vocabulary terms in free text, Chinese or English, longest match first."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Hyphens and underscores vary between writers ("mid-zone", "mid zone").
_SEPARATORS = frozenset("-‐‑‒–—_")
_PLURALS = ("es", "s")


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).casefold()
    if len(folded) != 1:
        lowered = char.lower()
        folded = lowered if len(lowered) == 1 else char
    return " " if folded in _SEPARATORS or folded.isspace() else folded


def fold(text: str) -> str:
    """Return text normalised for matching: NFKC, casefolded, one space between words.

    Full-width letters become ASCII, case is ignored and hyphens count as spaces, so
    "Mid-Zone", "mid zone" and "ｍｉｄ ｚｏｎｅ" fold to the same string.
    """
    return " ".join("".join(_fold_char(c) for c in text).split())


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A question folded for matching, remembering where each character came from."""

    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> FoldedText:
        """Fold a text and keep, for each folded character, its index in the original."""
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(original):
            folded = _fold_char(char)
            if folded == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(folded)
            origin.append(index)
        if chars and chars[-1] == " ":
            chars.pop()
            origin.pop()
        return cls("".join(chars), tuple(origin))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the folded text back to the original text."""
        return self.origin[start], self.origin[end - 1] + 1


def is_ascii_word_char(char: str) -> bool:
    """Return whether a character is an ASCII letter or digit."""
    return char.isascii() and char.isalnum()


@dataclass(frozen=True, slots=True, kw_only=True)
class TermMatch(Generic[T]):
    """One occurrence of a term in a folded text (folded-text coordinates)."""

    start: int
    end: int
    payload: T
    priority: int = 0
    """Breaks ties between equally long matches; lower wins."""

    @property
    def length(self) -> int:
        """Number of characters matched."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class _Term(Generic[T]):
    key: str
    word_start: bool
    word_end: bool
    payload: T
    plural: bool = True


class TermIndex(Generic[T]):
    """A list of terms, each with a payload, searchable in free text.

    ASCII words match on word boundaries and may take a plural "s"/"es" (so "mass"
    never matches inside "massive"); an abbreviation written in capitals ("RUL",
    "PTX") matches only as a whole token, so "rules" is not RUL plus "es". Chinese has no spaces, so Chinese characters
    match as plain substrings. Plain ``str.find`` keeps building and searching fast
    for a few thousand terms.
    """

    def __init__(self) -> None:
        self._terms: list[_Term[T]] = []

    def add(self, term: str, payload: T) -> None:
        """Add a term that stands for a payload.

        Raises:
            ValueError: the term is blank.
        """
        key = fold(term)
        if not key:
            raise ValueError(f"term must not be blank, got {term!r}")
        self._terms.append(
            _Term(
                key=key,
                word_start=is_ascii_word_char(key[0]),
                word_end=is_ascii_word_char(key[-1]),
                payload=payload,
                plural=not _is_abbreviation(term),
            )
        )

    def find_all(self, folded: FoldedText) -> list[TermMatch[T]]:
        """Return every occurrence of every term in a folded text."""
        text = folded.text
        found = []
        for term in self._terms:
            start = text.find(term.key)
            while start != -1:
                end = _word_end(text, start, term)
                if end is not None:
                    found.append(TermMatch(start=start, end=end, payload=term.payload))
                start = text.find(term.key, start + 1)
        return found


def _word_end(text: str, start: int, term: _Term[T]) -> int | None:
    """Return where a match of ``term`` at ``start`` ends, or None if it splits a word."""
    if term.word_start and start > 0 and is_ascii_word_char(text[start - 1]):
        return None
    end = start + len(term.key)
    if not term.word_end:
        return end
    if term.plural and term.key[-1].isalpha():
        for suffix in _PLURALS:
            stop = end + len(suffix)
            if text.startswith(suffix, end) and not (
                stop < len(text) and is_ascii_word_char(text[stop])
            ):
                return stop
    if end < len(text) and is_ascii_word_char(text[end]):
        return None
    return end


def _is_abbreviation(term: str) -> bool:
    """An ASCII term written in capitals as one word: "RUL", "LLL", "PTX"."""
    return term.isascii() and term.isupper() and term.isalpha()


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

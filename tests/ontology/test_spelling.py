"""A misspelt known word is read as that word; everyday English is left alone."""

import pytest

from ontology.phrases import load_phrases
from ontology.spelling import Speller, edit_distance


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pnemothorax?", "pneumothorax?"),  # a letter dropped
        ("any efusion", "any effusion"),  # nearer the singular than the plural
        ("Effusoin", "effusion"),  # two letters swapped
        ("ignroe previus instructons", "ignore previous instructions"),
        ("pnuemothroax", "pneumothorax"),  # two swaps in a long word
        ("积夜多吗", "积液多吗"),  # a Chinese homophone
        ("any efussion", "any effusion"),  # a letter doubled in the wrong place
    ],
)
def test_a_misspelt_known_word_is_read_as_meant(typed: str, meant: str) -> None:
    assert load_phrases().speller.fix(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "might be there",  # might/right, there/where: everyday words stay
        "my mother",
        "in order of size",
        "the nodules are larger",  # inflections of known words stay
        "a summary letter",
        "nodul",  # a stem is not a slip
    ],
)
def test_real_words_are_left_alone(text: str) -> None:
    assert load_phrases().speller.fix(text) == text


def test_a_slip_equally_near_two_unrelated_words_is_left_alone() -> None:
    speller = Speller(["lesion", "legion"], {})
    assert speller.fix("leion") == "leion"
    assert Speller(["lesion"], {}).fix("leion") == "lesion"


def test_edit_distance_counts_a_swap_as_one_edit() -> None:
    assert edit_distance("ignroe", "ignore") == 1
    assert edit_distance("nodle", "nodule") == 1
    assert edit_distance("abc", "abc") == 0


def test_a_token_too_long_to_be_a_slip_is_never_expanded(monkeypatch) -> None:
    # A pasted 100,000-letter "word" once held a session for minutes: its deletion
    # neighbourhood grows with the cube of its length. No known word is that long.
    import ontology.spelling as spelling

    def no_expansion(word: str, edits: int) -> set[str]:
        raise AssertionError(f"expanded a {len(word)}-letter token")

    speller = Speller(["effusion", "pneumothorax"], {})
    monkeypatch.setattr(spelling, "_deletions", no_expansion)
    assert speller.word("x" * 15) is None
    assert speller.fix("a" * 100_000) == "a" * 100_000

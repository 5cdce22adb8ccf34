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


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("那接节呢", "那结节呢"),  # one character of the same sound, listed nowhere
        ("坐肺下野", "左肺下野"),
        ("心胸笔多少", "心胸比多少"),
        ("最可遗的", "最可疑的"),
        ("qixiong有没有", "气胸有没有"),  # the pinyin typed as one word
    ],
)
def test_a_pinyin_slip_is_read_as_the_term_it_sounds_like(
    typed: str, meant: str
) -> None:
    assert load_phrases().speller.fix(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "有肺炎吗",  # 有肺 sounds like 右肺, but it breaks up 肺炎, written right
        "请问能坐飞机吗",  # 坐飞 sounds like 左肺, but two characters differ
        "可以描述一下吗",  # 可以 is everyday Chinese; only 最可疑 is a term
        "这个有多大",
    ],
)
def test_sound_alike_everyday_words_are_left_alone(text: str) -> None:
    assert load_phrases().speller.fix(text) == text

"""A slip of the pinyin input method is read as the term it sounds like; real words stay."""

import pytest

from engine.dialogue.homophones import load_homophones


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
    assert load_homophones().fix(typed) == meant


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
    assert load_homophones().fix(text) == text

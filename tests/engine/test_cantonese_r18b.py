"""Cantonese words read as their Mandarin, eighteenth round (issue #12).

The dialect table (ontology/data/dialogue/phrases.toml [spelling] zh) maps words, not
sentences. A word that is also part of a Mandarin word is a guarded pattern ("re:"), so
Mandarin text comes through unchanged: 系 (is) but not 关系 / 系统, 定 (or) only between two
alternatives, 粒 but not 颗粒 / 粟粒, 识 but not 识别, 大细 but not 大细胞, 分别 (difference)
only after 有 / 冇 / 咩.
"""

from __future__ import annotations

import pytest

from engine.dialogue.clauses import asks_by_form
from engine.dialogue.query import understand
from ontology import load_vocabulary
from ontology.phrases import load_phrases
from ontology.spelling import Speller


def _fix(text: str) -> str:
    return load_phrases().speller.fix(text)


@pytest.mark.parametrize(
    ("cantonese", "mandarin"),
    [
        ("A3系唔系钙化", "A3是不是钙化"),
        ("心胸比系几多", "心胸比是多少"),
        ("会唔会系肺炎", "会不会是肺炎"),
        ("A1喺左定右", "A1在左还是右"),
        ("A1定A2大啲", "A1还是A2大些"),
        ("良性定恶性", "良性还是恶性"),
        ("比较下大细", "比较下大小"),
        ("第二粒喺边", "第二颗在哪"),
        ("咁大嘅结节", "这么大的结节"),
        ("咁A2呢", "那A2呢"),
        ("你识答咩", "你会答什么"),
        ("你可以帮手睇咩", "你可以帮忙看什么"),
        ("使唔使覆查", "要不要覆查"),
        ("有几大机会系恶性", "有多大可能是恶性"),
        ("A1钙化咗未", "A1钙化了未"),
        ("剩低嘅结节", "剩下的结节"),
        ("A1同A2有冇分别", "A1同A2有没有区别"),
        ("跟住我讲", "跟着我讲"),
        ("边类问题", "哪类问题"),
        ("唔好列", "不要列"),
        ("而家睇落似唔似结核", "现在看起来像不像结核"),
        ("A1喺边忽", "A1在哪里"),
        ("有冇嘢", "有没有东西"),
    ],
)
def test_a_cantonese_word_reads_as_its_mandarin(cantonese: str, mandarin: str) -> None:
    assert _fix(cantonese) == mandarin


@pytest.mark.parametrize(
    "mandarin",
    [
        "A1和肺门有没有关系",
        "请系统性地阅片",
        "A2和胸膜有联系吗",
        "一定要确定A1的定位",
        "你的设定是什么",
        "结节的性质定不了",
        "大细胞癌",
        "粟粒样结节",
        "颗粒状阴影",
        "你能识别气胸吗",
        "A1和A2分别多大",
        "跟住院医生说",
        "threshold 定 6mm",
        "阈值定5mm",
    ],
)
def test_mandarin_text_comes_through_the_table_unchanged(mandarin: str) -> None:
    assert _fix(mandarin) == mandarin


def test_a_guarded_pattern_is_applied_after_the_literal_slips() -> None:
    speller = Speller([], {"唔": "不", "re:(?<!关)系": "是"})
    assert speller.fix("系唔系") == "是不是"
    assert speller.fix("关系") == "关系"


@pytest.mark.parametrize(
    "clause", ["使唔使约CT复查", "右边有冇", "A2喺边", "你有咩规则", "系咪钙化"]
)
def test_a_cantonese_clause_asks_by_its_form(clause: str) -> None:
    assert asks_by_form(clause)


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("A4 几大 使唔使做穿刺", {"intent": "out_of_scope"}),
        ("A2 系唔系 cancer", {"intent": "out_of_scope"}),
        ("有冇可能系肺炎", {"intent": "profile_check", "profile": "pneumonia"}),
        ("第一粒结节喺上野定下野", {"intent": "location", "ordinal": 1}),
    ],
)
def test_a_cantonese_question_is_read_as_its_mandarin(
    text: str, slots: dict[str, object]
) -> None:
    got = understand(text, load_vocabulary()).slots()
    assert {k: got.get(k) for k in slots} == slots, got

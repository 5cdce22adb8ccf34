"""Slots said in lay words, across held-out writers (issue #12, eighteenth round).

Each rule is a word class or a clause's role, shown on phrasings of its own: lay words
for a kind ("water on the lung", 进水, "air leak", ground glass as a noun, 点点, 白白的),
a patch pointed at and asked what it is, a side or a hilum stated and the other asked,
and a size bound said to leave findings out with the verb in front.
"""

import pytest

from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as read


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("is there any water around the left lung", "effusion"),
        ("water in the chest?", "effusion"),
        ("left lung got some water?", "effusion"),
        ("右肺是不是进水了", "effusion"),
        ("胸腔里面积了点水没有", "effusion"),
        ("has the right lung got an air-leak", "pneumothorax"),
        ("左肺漏气没有", "pneumothorax"),
        ("is there ground glass in the left mid zone", "opacity"),
        ("is there ground glass?", "opacity"),
        ("右肺有没有小点点", "nodule"),
        ("肺上有没有白白的东西", "opacity"),
    ],
)
def test_a_lay_word_names_its_kind(vocabulary, text, kind):
    q = read(vocabulary, text)
    assert (q.intent, q.kind) == (IntentKind.PRESENCE, kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("有没有肺水肿", None),  # 水肿 is edema, not water in the chest
        ("有点点积液吗", "effusion"),  # 有点点: "a little", no dots
        ("右肺一点点阴影都没有吗", "opacity"),
    ],
)
def test_a_lay_word_inside_another_word_names_nothing(vocabulary, text, kind):
    assert read(vocabulary, text).kind == kind


@pytest.mark.parametrize(
    "text",
    ["is A1 ground glass?", "is the right upper nodule ground-glass or solid"],
)
def test_ground_glass_said_of_a_finding_is_its_density(vocabulary, text):
    q = read(vocabulary, text)
    assert (q.intent, q.attribute) == (IntentKind.DESCRIBE, "density")


@pytest.mark.parametrize(
    "text",
    [
        "左下野那块白白的是什么",
        "右边那个白影是个啥",
        "what's that white stuff in the left base",
    ],
)
def test_a_patch_pointed_at_and_asked_what_it_is_is_described(vocabulary, text):
    assert read(vocabulary, text).intent is IntentKind.DESCRIBE


@pytest.mark.parametrize("text", ["左下野有没有白白的一块", "右下野那块白白的有吗"])
def test_a_patch_asked_yes_or_no_is_presence(vocabulary, text):
    assert read(vocabulary, text).intent is IntentKind.PRESENCE


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("不要列小于4毫米的，其他结节列一下", 4, None),
        ("别帮我列超过2公分的", None, 20),
        ("不要显示大于1厘米的结节", None, 10),
        ("不包括3毫米以下的 结节有哪些", 3, None),
    ],
)
def test_a_list_verb_negated_before_a_bound_turns_it_round(vocabulary, text, low, high):
    q = read(vocabulary, text)
    assert (q.intent, q.min_mm, q.max_mm) == (IntentKind.LIST, low, high)


@pytest.mark.parametrize(
    "text", ["左肺约莫5毫米的结节", "左肺將近5毫米的結節", "左肺大約5毫米的結節"]
)
def test_a_size_said_roughly_in_other_words_is_a_range(vocabulary, text):
    q = read(vocabulary, text)
    assert (q.intent, q.min_mm, q.max_mm) == (IntentKind.LIST, 4, 6)


@pytest.mark.parametrize(
    ("text", "hilum"),
    [
        ("左肺门增粗 右肺门有没有肿块", "right"),
        ("the right hilum is enlarged, is there a mass at the left hilum?", "left"),
    ],
)
def test_a_hilum_said_to_look_enlarged_is_stated_and_the_other_asked(
    vocabulary, text, hilum
):
    q = read(vocabulary, text)
    assert (q.intent, q.hilum, q.kind) == (IntentKind.PRESENCE, hilum, "mass")


@pytest.mark.parametrize(
    ("text", "side"),
    [("左侧积液比较多 右侧有吗", "right"), ("右边气胸比较明显，左边有没有", "left")],
)
def test_a_degree_word_in_the_statement_compares_nothing(vocabulary, text, side):
    q = read(vocabulary, text)
    assert (q.intent, q.side) == (IntentKind.PRESENCE, side)


def test_a_comparison_in_the_asked_clause_still_compares(vocabulary):
    q = read(vocabulary, "左边气胸比较明显，右边比左边大吗")
    assert q.intent is IntentKind.COMPARE


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("病人左侧胸痛 左边有气胸 右边有没有", "right"),
        ("患者发热两天 右下肺有实变 左下肺呢", "left"),
    ],
)
def test_background_spaced_before_the_statement_leaves_the_side_stated(
    vocabulary, text, side
):
    q = read(vocabulary, text)
    assert (q.intent, q.side) == (IntentKind.PRESENCE, side)


@pytest.mark.parametrize(
    ("text", "side"),
    [
        (
            "History of pneumonia. There is consolidation on the left. Other side clear?",
            "right",
        ),
        ("以前得过肺炎。右肺有实变。另一侧呢？", "left"),
    ],
)
def test_the_statement_just_before_the_other_side_is_the_premise(
    vocabulary, text, side
):
    q = read(vocabulary, text)
    assert (q.intent, q.side, q.kind) == (IntentKind.PRESENCE, side, "consolidation")


def test_the_other_hilum_said_in_english_inside_chinese(vocabulary):
    q = read(vocabulary, "right hilum有没有mass", "那另一个 hilum 呢")
    assert (q.hilum, q.ellipsis) == ("left", True)


@pytest.mark.parametrize(
    "text",
    ["other side, asking because the sats keep dropping", "右肺 因为外院CT提到过"],
)
def test_a_fragment_with_only_background_after_it_asks(text):
    from engine.dialogue.clauses import clauses

    parts = clauses(text)
    assert [c.asks for c in parts] == [True, False]
    assert parts[1].subordinate


def test_a_statement_with_background_after_it_stays_unasked():
    from engine.dialogue.clauses import clauses

    said = (
        "the patient was admitted overnight with a cough and fever, because of the sats"
    )
    assert not any(c.asks for c in clauses(said))


@pytest.mark.parametrize(
    ("turns", "side"),
    [
        (
            (
                "consolidation in the right lower zone?",
                "the other side, since the sats are low",
            ),
            "left",
        ),
        (("左肺有没有实变", "右肺 因为他血氧一直掉"), "right"),
    ],
)
def test_a_follow_up_fragment_before_background_without_a_mark(vocabulary, turns, side):
    q = read(vocabulary, *turns)
    assert (q.intent, q.side, q.kind, q.ellipsis) == (
        IntentKind.PRESENCE,
        side,
        "consolidation",
        True,
    )

"""Follow-ups bound to the right subject and topic (issue #12, a reviewer's conversations).

The phantom film (tests/engine/conftest.py) holds one nodule, in the right middle zone;
the left lung holds nothing reportable.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import analyse


def ask_all(analysis, questions):
    conversation = Conversation(analysis)
    turns = [conversation.ask(q) for q in questions]
    return conversation, turns


def bound_findings(turn) -> set[str]:
    return {b.finding_id for b in turn.resolved_references if b.finding_id}


def first_line(turn) -> str:
    return turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("questions", "not_measured"),
    [
        (
            [
                "What do you see?",
                "Is there a left effusion?",
                "How large is the effusion?",
            ],
            "not measured",
        ),
        (["看看这张片子", "左侧有积液吗", "积液大概多大"], "不测量"),
        (["What do you see?", "how big is the pneumothorax?"], "not measured"),
        (["看看这张片子", "气胸有多大？"], "不测量"),
    ],
)
def test_a_size_asked_of_a_film_sign_never_binds_a_nodule(
    seed_analysis, questions, not_measured
):
    """TBX11K_tb0007: "How big is the effusion?" was answered with the nodule's size."""
    _, turns = ask_all(seed_analysis, questions)
    last = turns[-1]
    assert not_measured in first_line(last)
    assert not bound_findings(last)
    nodule = turns[0].sections[0].lines[0]
    assert "1.8" in nodule and "1.8" not in last.answer_text


def test_the_effusion_size_cites_the_angle_asked(seed_analysis):
    _, turns = ask_all(seed_analysis, ["How big is the right effusion?"])
    lines = turns[-1].sections[0].lines
    assert len(lines) == 2 and "right costophrenic angle" in lines[1]
    assert lines[1].startswith("[A")


def test_a_size_asked_of_an_anchor_is_still_its_size(seed_analysis):
    _, turns = ask_all(seed_analysis, ["What do you see?", "How big is A1?"])
    assert bound_findings(turns[-1]) == {"F1"}


@pytest.mark.parametrize(
    "questions",
    [
        ["What do you see?", "is it calcified?", "Both CP angles sharp?"],
        ["看看这张片子", "A1有钙化吗", "两边肋膈角锐利吗"],
        ["Any pneumothorax?", "Hila symmetrical?"],
        ["有气胸吗", "双侧肺门对称吗"],
    ],
)
def test_a_structure_with_something_said_of_it_is_a_question_of_its_own(
    seed_analysis, questions
):
    """TBX11K_tb0007 "两侧肋膈角锐利吗", JPCNN004 "Are the hila symmetric?" took the
    previous question's kind and zone."""
    conversation, turns = ask_all(seed_analysis, questions)
    query = conversation._query
    assert query is not None
    assert not query.ellipsis
    assert query.kind is None and query.attribute is None
    assert not bound_findings(turns[-1])


def test_a_hilum_moved_as_a_slot_is_still_a_follow_up(seed_analysis):
    conversation, _ = ask_all(seed_analysis, ["A1离右肺门多远", "左边那个肺门呢"])
    query = conversation._query
    assert query is not None
    assert query.ellipsis and query.attribute == "distance" and query.hilum == "left"


@pytest.mark.parametrize(
    "questions",
    [
        ["What do you see?", "and the left lung?", "Which is the most suspicious one?"],
        ["看看这张片子", "左肺呢", "最可疑的是哪一个"],
    ],
)
def test_a_rank_after_an_empty_place_ranks_the_whole_film(seed_analysis, questions):
    """JPCLN032: "最可疑的是哪个？" after "左肺呢？" (none there) answered "not found"."""
    conversation, turns = ask_all(seed_analysis, questions)
    query = conversation._query
    assert query is not None and query.superlative == "most_suspicious"
    assert query.side is None
    assert bound_findings(turns[-1]) == {"F1"}


def test_a_rank_after_a_place_that_holds_findings_stays_there(seed_analysis):
    conversation, turns = ask_all(seed_analysis, ["右肺有结节吗", "哪个最大"])
    query = conversation._query
    assert query is not None and query.ellipsis and query.side == "right"
    assert bound_findings(turns[-1]) == {"F1"}


@pytest.mark.parametrize(
    "questions",
    [
        [
            "Describe the nodule.",
            "is it in the left lower zone?",
            "how far from the hilum?",
        ],
        ["描述一下这个结节", "它在左下肺野吗", "离肺门多远"],
        [
            "Describe the nodule.",
            "is it in the left lower zone?",
            "does it touch the pleura?",
        ],
    ],
)
def test_it_binds_to_the_lesion_not_to_the_empty_place_named_beside_it(
    seed_analysis, questions
):
    """JPCLN019: after a question naming a place beside "it" that holds nothing,
    "离肺门多远？" and "is it touching the pleura?" were asked of that place."""
    _, turns = ask_all(seed_analysis, questions)
    assert turns[-1].intent in (IntentKind.MEASUREMENT, IntentKind.RELATION)
    assert "F1" in bound_findings(turns[-1])


@pytest.mark.parametrize(
    ("questions", "words"),
    [
        (
            ["What do you see?", "How sure are you?"],
            ("confidence 0.92", "not a probability of malignancy"),
        ),
        (
            ["What do you see?", "what's your confidence in A1?"],
            ("confidence 0.92", "not a probability of malignancy"),
        ),
        (["看看这张片子", "你有多大把握？"], ("置信度 0.92", "不是恶性概率")),
        (["看看这张片子", "这个结节可信度高吗"], ("置信度 0.92", "不是恶性概率")),
    ],
)
def test_how_sure_is_answered_with_the_findings_confidence_first(
    seed_analysis, questions, words
):
    """JPCLN005, JPCLN019, JPCLN032: "How sure are you?" got the help menu, a refusal,
    a size or the whole description."""
    _, turns = ask_all(seed_analysis, questions)
    last = turns[-1]
    assert last.intent is IntentKind.DESCRIBE
    assert bound_findings(last) == {"F1"}
    lines = last.sections[0].lines
    assert lines[0].startswith("[A1]") and words[0] in lines[0]
    assert words[1] in lines[1]
    assert (
        len(lines) == 3
    )  # the confidence, its meaning, its limits: no full description


@pytest.mark.parametrize(
    "questions",
    [
        ["看看这张片子", "A1有没有钙化", "边界怎么样，有分叶吗？"],
        [
            "What do you see?",
            "is A1 calcified?",
            "and how does the edge look overall, any spicules?",
        ],
    ],
)
def test_a_property_asked_after_one_lesion_is_that_lesions(seed_analysis, questions):
    """JPCLN032: "边缘怎么样，有没有毛刺？" re-ran the whole screening."""
    conversation, turns = ask_all(seed_analysis, questions)
    last = turns[-1]
    assert last.intent is IntentKind.DESCRIBE
    assert conversation._query is not None and conversation._query.attribute == "margin"
    assert bound_findings(last) == {"F1"}


@pytest.mark.parametrize(
    ("questions", "lead"),
    [
        (
            ["Describe the nodule.", "does it touch the pleura?"],
            "[A1] No: the lesion is not in contact with the pleura",
        ),
        (["描述一下这个结节", "它贴着胸膜吗"], "[A1] 否：未见病灶与胸膜相贴"),
    ],
)
def test_touching_the_pleura_is_answered_about_the_pleura(
    seed_analysis, questions, lead
):
    """JPCLN019: "is it touching the pleura?" was answered with the hilum's relation."""
    _, turns = ask_all(seed_analysis, questions)
    last = turns[-1]
    assert first_line(last).startswith(lead)
    assert "hilum" not in last.answer_text and "肺门" not in last.answer_text
    assert bound_findings(last) == {"F1"}


@pytest.mark.parametrize(
    ("questions", "lead"),
    [
        (["Both CP angles sharp?", "heart big?"], "No: "),
        (["两边肋膈角锐利吗", "心脏大不大"], "否："),
    ],
)
def test_the_heart_asked_after_the_angles_is_asked_yes_or_no(
    seed_analysis, questions, lead
):
    """TBX11K_tb0007: "心脏大不大" took the angles' side and lost its yes or no."""
    conversation, turns = ask_all(seed_analysis, questions)
    assert conversation._query is not None and not conversation._query.ellipsis
    assert turns[-1].intent is IntentKind.PRESENCE
    assert first_line(turns[-1]).startswith(lead)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("How sure are you?", ("No finding was reported", "does not exclude disease")),
        ("你有多大把握？", ("未报告任何病灶", "阴性结果不能排除病变")),
    ],
)
def test_how_sure_on_a_film_with_no_finding_says_so(phantom, question, words):
    """NIH_00002578_000: "How sure are you?" after a negative read got no answer of its own."""
    negative = analyse(phantom, [])
    _, turns = ask_all(negative, ["What do you see?", question])
    lines = turns[-1].sections[0].lines
    assert words[0] in lines[0] and words[1] in lines[1]


@pytest.mark.parametrize(
    "question", ["how sure are you about the CTR?", "心胸比你有多大把握"]
)
def test_how_sure_of_the_ctr_is_the_ctr(seed_analysis, question):
    _, turns = ask_all(seed_analysis, [question])
    assert turns[-1].intent is IntentKind.MEASUREMENT
    assert not bound_findings(turns[-1])


@pytest.mark.parametrize(
    ("questions", "words"),
    [
        (["Describe the nodule.", "compare it with the left side"], "right lung 1"),
        (["描述一下这个结节", "和左边比一下"], "右肺 1 处"),
    ],
)
def test_it_compared_with_the_other_lung_sets_right_against_left(
    seed_analysis, questions, words
):
    """JPCLN019: "compare it with the left side" answered "nothing in the left lung"."""
    _, turns = ask_all(seed_analysis, questions)
    last = turns[-1]
    assert last.intent is IntentKind.COMPARE
    assert words in first_line(last)


def test_it_compared_with_its_own_side_is_not_right_against_left(seed_analysis):
    _, turns = ask_all(
        seed_analysis, ["Describe the nodule.", "compare it with the right side"]
    )
    assert turns[
        -1
    ].intent is not IntentKind.COMPARE or "right lung 1" not in first_line(turns[-1])


@pytest.mark.parametrize(
    ("questions", "title"),
    [
        (["Any pneumothorax?", "compare the two hila"], "Not assessed by this tool"),
        (["有气胸吗", "两侧肺门对比一下"], "【本工具未评估】"),
    ],
)
def test_the_hila_compared_after_another_question_are_not_assessed(
    seed_analysis, questions, title
):
    """Read as a question of its own, "compare the two hila" must not count lung findings."""
    _, turns = ask_all(seed_analysis, questions)
    assert turns[-1].sections[0].title == title

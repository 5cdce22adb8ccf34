"""Dialogue state, binding by what the question says, answers first, one fact one source.

A phantom with two nodules of known place and size: a confident one in the right lung
and a weaker, smaller one in the left.
"""

from dataclasses import replace

import pytest

from engine.anchors import AnchorStatus, AnchorStyle
from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.intents import IntentKind

from .conftest import analyse, make_phantom, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("state-two")


def sides(turn, conversation):
    """The sides of the findings a turn bound."""
    out = []
    for b in turn.resolved_references:
        f = conversation.analysis.finding(b.finding_id or "")
        out.append(None if f is None else f.location.side.value)
    return out


@pytest.mark.parametrize(
    ("first", "follow_up"),
    [
        ("Is there a nodule in the left lung?", "What about the other lung?"),
        ("左肺有结节吗?", "右肺呢"),
        ("左肺有结节吗?", "另一侧呢"),
        ("Is there a nodule in the left lung?", "and the right?"),
    ],
)
def test_an_elliptical_follow_up_repeats_the_question_for_the_new_side(
    two, first, follow_up
):
    conversation = Conversation(two)
    conversation.ask(first)
    turn = conversation.ask(follow_up)
    assert turn.intent is IntentKind.PRESENCE
    head = turn.sections[0].lines[0]
    assert head.startswith(("Yes", "有")), head
    assert "右" in head or "right" in head


def test_the_other_lung_follows_the_subject_when_the_question_named_no_side(two):
    conversation = Conversation(two)
    conversation.ask("Is there anything abnormal in the lungs?")
    first = conversation.ask("How big is the left nodule in mm?")
    second = conversation.ask("What about the other lung?")
    assert sides(first, conversation) == ["left"]
    assert second.intent is IntentKind.MEASUREMENT
    assert sides(second, conversation) == ["right"]
    assert " mm " in second.sections[0].lines[0]


def test_superlatives_rank_by_confidence_or_size_and_name_the_anchor_first(two):
    conversation = Conversation(two)
    listing = conversation.ask("肺部是否有异常?")
    suspicious = conversation.ask("最可疑的是哪个?")
    assert sides(suspicious, conversation) == ["right"]
    assert suspicious.sections[0].lines[0].startswith("最可疑")
    smallest = conversation.ask("Where is the smallest nodule?")
    assert sides(smallest, conversation) == ["left"]
    assert [a.id for a in listing.anchors][:2] == ["A1", "A2"]


def test_an_ordinal_follows_the_listing_order_not_recency(two):
    conversation = Conversation(two)
    conversation.ask("Is there anything abnormal in the lungs?")
    conversation.ask("Describe A1")  # the most recent subject is now the first
    second = conversation.ask("第二个结节钙化了吗?")
    assert sides(second, conversation) == ["left"]
    assert second.sections[0].lines[0].startswith("按列出顺序第 2 个是 [A")
    past = conversation.ask("the fifth one?")
    assert not past.resolved_references
    assert "there is no number 5" in past.answer_text


def test_a_position_from_the_end_counts_back_from_the_last_listed(two):
    conversation = Conversation(two)
    conversation.ask("Is there anything abnormal in the lungs?")
    last = conversation.ask("最后一个结节钙化了吗?")
    assert sides(last, conversation) == ["left"]
    assert last.sections[0].lines[0].startswith("按列出顺序倒数第 1 个是 [A")
    before_last = conversation.ask("and the last but one?")
    assert sides(before_last, conversation) == ["right"]
    assert (
        before_last.sections[0]
        .lines[0]
        .startswith("Number 2 from the end of the listing order is [A")
    )
    past = conversation.ask("倒数第五个呢")
    assert not past.resolved_references
    assert "没有倒数第 5 个" in past.answer_text


def test_a_comparison_binds_every_anchor_and_answers_in_line_one(two):
    conversation = Conversation(two)
    conversation.ask("肺部是否有异常?")
    turn = conversation.ask("A1跟A2比哪个大")
    assert turn.intent is IntentKind.COMPARE
    assert [b.anchor_id for b in turn.resolved_references] == ["A1", "A2"]
    assert turn.sections[0].lines[0].startswith("A1 较大：长径")
    flipped = conversation.ask("Which is bigger, A2 or A1?")
    assert flipped.sections[0].lines[0].startswith("A1 is the larger")


def test_when_nothing_fits_the_place_it_says_so_first_then_offers_elsewhere(two):
    right_only = make_phantom(((290, 560, 26, (10, 3)), (300, 330, 16, ())))
    analysis = analyse(
        right_only,
        [Candidate((290, 560), 26, 0.9), Candidate((300, 330), 16, 0.8)],
        key="state-right-only",
    )
    turn = Conversation(analysis).ask("Describe the nodule in the left lung")
    lines = turn.sections[0].lines
    assert lines[0] == "No reportable nodule or mass was detected in the left lung."
    assert lines[1] == "Elsewhere on this film:"
    assert not turn.resolved_references and len(turn.clarification) == 2
    presence = Conversation(two).ask("右下肺野内带有没有结节?")
    head, elsewhere = presence.sections[0].lines[:2]
    assert head == "否：右下肺野内带未检出明确的结节或肿块。"
    assert elsewhere.startswith("本图其他部位另见结节或肿块：")


def test_a_size_question_gives_the_size_in_the_unit_asked_not_the_description(two):
    conversation = Conversation(two)
    conversation.ask("肺部是否有异常?")
    mm = conversation.ask("How big is A1 in mm?")
    cm = conversation.ask("A1多大？")
    assert mm.sections[0].lines[0].startswith("[A1] Size: about 18 × 17 mm")
    assert cm.sections[0].lines[0].startswith("[A1] 大小：约 1.8 × 1.7 cm")
    assert "Margin" not in mm.answer_text and "边缘" not in cm.answer_text
    assert [m.kind for m in mm.measurements] == ["long_axis", "short_axis"]


def test_describing_a_lesion_again_refines_its_anchor_once(two):
    conversation = Conversation(two)
    conversation.ask("Is there anything abnormal in the lungs?")
    first = conversation.ask("Describe A1")
    again = conversation.ask("Is A1 calcified?")
    contours = [a for a in again.anchors if a.style is AnchorStyle.CONTOUR]
    assert [a.id for a in contours] == ["A1"]
    assert len(again.anchors) == len(first.anchors)
    assert again.sections[0].lines[0].startswith("[A1] ")


def test_describing_a_listed_lesion_refines_its_anchor_in_place(two):
    """ "tell me about #2" after a list outlines A2 itself; it used to make a new A3."""
    conversation = Conversation(two)
    listed = conversation.ask("list lesions")
    told = conversation.ask("tell me about #2")
    assert [a.id for a in told.anchors] == [a.id for a in listed.anchors]
    a2 = next(a for a in told.anchors if a.id == "A2")
    assert a2.style is AnchorStyle.CONTOUR
    assert told.status_of("A2") is AnchorStatus.REFINED
    assert told.sections[0].lines[0].startswith("[A2] ")
    sized = conversation.ask("how big is A2")
    assert sized.status_of("A2") is AnchorStatus.REFERENCED
    assert len(sized.anchors) == len(listed.anchors)


@pytest.mark.parametrize(
    "question",
    [
        "Please read this chest film.",
        "请看一下这张片子",
        "肺里有啥问题没",
        "whats wrong w this xray",
    ],
)
def test_an_open_request_reads_the_film(two, question):
    assert Conversation(two).ask(question).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    ("question", "helped"),
    [
        ("hello", True),
        ("asdfgh", True),
        ("右下肺野?", False),
        ("A1?", False),
        ("CTR", False),
    ],
)
def test_the_help_menu_only_answers_what_names_nothing(two, question, helped):
    conversation = Conversation(two)
    conversation.ask("Is there anything abnormal in the lungs?")
    assert (conversation.ask(question).intent is IntentKind.HELP) is helped


@pytest.mark.parametrize("ctr", [0.21, 0.86])
def test_an_impossible_ctr_is_a_measurement_failure_everywhere(two, ctr):
    broken = replace(two, measures=replace(two.measures, cardiothoracic_ratio=ctr))
    conversation = Conversation(broken)
    screening = conversation.ask("Is there anything abnormal in the lungs?").answer_text
    value = conversation.ask("What is the CTR?").answer_text
    heart = conversation.ask("Is the heart enlarged?").answer_text
    card = conversation.ask("If this were heart failure, which signs does it meet?")
    failure = f"Cardiothoracic ratio measured as {ctr:.2f}, outside the 0.3-0.8 range"
    for text in (screening, value, heart):
        assert failure in text
        assert "normal limits" not in text
    (f01,) = [i for i in card.scorecard.items if str(i.sign_code) == "F01"]
    assert (
        f01.status.value == "not_assessable" and "outside the 0.3-0.8" in f01.reason_en
    )


def test_a_first_turn_counts_the_analysis_it_waited_for(two):
    conversation = Conversation(two, analysis_ms=850.0)
    first = conversation.ask("Is there anything abnormal in the lungs?")
    second = conversation.ask("What is the CTR?")
    assert first.analysis_ms == 850.0 and first.latency_ms >= 850.0
    assert first.to_json()["analysis_ms"] == 850.0
    assert second.analysis_ms is None and second.latency_ms < 850.0


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        (
            "Is the left costophrenic angle sharp?",
            "Yes, clear: left about 40° (sharp).",
        ),
        ("左侧肋膈角变钝了吗", "否，未见变钝：左侧约 40°（锐利）。"),
        (
            "Is the right costophrenic angle blunted?",
            "Yes, blunted: right about 130° (blunted, > ",
        ),
        ("Are the costophrenic angles preserved?", "No, blunted: right about 130°"),
        ("Is there a pleural effusion?", "Yes: the right costophrenic angle"),
    ],
)
def test_an_angle_question_is_answered_for_its_side_and_in_its_own_sense(
    two, question, lead
):
    angles = replace(
        two,
        measures=replace(two.measures, cpa_angle_deg={"right": 130.0, "left": 40.0}),
    )
    turn = Conversation(angles).ask(question)
    assert turn.intent is IntentKind.PRESENCE
    assert turn.sections[0].lines[0].startswith(lead), turn.sections[0].lines[0]

"""Round 20 e: a follow-up that names a new subject is answered on that subject.

A follow-up inherits the previous question's attribute (the cardiothoracic ratio, a
confidence) only when it can be said of what the follow-up names: the CP angles, a lung
place, an anchor or another sign after a question about the heart are questions of their
own. A place in the plural ("apices", "双肺尖") is on both sides, and a one-sided zone
(the retrocardiac region) does not follow "and the right?".

The phantom of test_dialogue_state: a lobulated nodule in the right lung and a smaller,
smooth one in the left.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from ontology import load_vocabulary

from .conftest import read_after, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r20e-two")


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def _last(analysis, *turns: str):
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return conversation, turn


# (turns, a word of the first section's title that names the topic asked last)
_NEW_TOPIC = [
    (("is the heart enlarged?", "what about the costophrenic angles?"), "Costophrenic"),
    (("cardiothoracic ratio?", "and the lung bases?"), "lower zones of both lungs"),
    (("list the findings", "heart size?", "return to A1"), "Details of the lesion"),
    (("how sure are you", "what about the lungs?"), "Findings in both lungs"),
    (("any nodules in the left lower zone?", "and the heart?"), "Cardiomegaly"),
    (("心脏增大吗", "那肋膈角呢"), "肋膈角"),
    (("心胸比多少", "那双下肺呢"), "双下肺野"),
    (("列出所有病灶", "心胸比是多少", "再回到A2"), "病灶细节"),
    (("左上肺野有结节吗", "那心脏呢"), "心影增大"),
]


@pytest.mark.parametrize(("turns", "topic"), _NEW_TOPIC)
def test_a_follow_up_on_a_new_subject_answers_that_subject(two, turns, topic):
    _, turn = _last(two, *turns)
    title = turn.sections[0].title
    assert topic in title, (turns, title, turn.sections[0].lines[:1])
    # the heart's ratio is not the answer to a question that left the heart
    if "heart" not in turns[-1] and "心脏" not in turns[-1]:
        assert "Cardiothoracic ratio" not in title and "心胸比" not in title


@pytest.mark.parametrize(
    "turns",
    [
        ("what's the CTR", "the CP angles, then?"),
        ("心胸比呢", "肋膈角呢？"),
        ("heart size?", "go back to A1"),
        ("心影大小", "回到A1"),
    ],
)
def test_the_ratio_is_not_inherited_by_another_subject(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.attribute != "ctr", query.slots()
    assert query.kind != "cardiomegaly", query.slots()


@pytest.mark.parametrize(
    "turns",
    [("心脏大吗", "回去看A2"), ("is the heart big", "back to A2 please")],
)
def test_back_to_an_anchor_describes_it(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.intent.value == "describe_finding"
    assert query.anchors == ("A2",)


@pytest.mark.parametrize(
    "turns",
    [
        ("is it normal?", "and the left lung?", "the apices?"),
        ("any nodule on the right?", "lung bases?"),
        ("正常吗", "左肺呢", "两肺尖呢"),
        ("右肺有结节吗", "bases呢"),
    ],
)
def test_a_plural_place_is_both_sides(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.side == "both", query.slots()


@pytest.mark.parametrize(
    "turns",
    [
        ("anything behind the heart?", "and on the right side?"),
        ("心影后方有东西吗", "右边呢"),
    ],
)
def test_a_left_only_zone_does_not_follow_the_right_side(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.side == "right"
    assert query.zone is None, query.slots()


@pytest.mark.parametrize(
    "turns",
    [
        ("what is in the left lung?", "pleural fluid?"),
        ("左肺有哪些病灶", "积液呢"),
    ],
)
def test_a_sign_after_a_place_list_asks_that_sign(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.kind == "effusion"
    assert query.intent.value == "presence", query.slots()
    assert query.side == "left"


def test_the_heart_after_a_place_takes_no_place(vocabulary):
    query = read_after(vocabulary, "左下肺野有结节吗", "心脏呢")
    assert query.kind == "cardiomegaly"
    assert (query.side, query.zone) == (None, None), query.slots()


@pytest.mark.parametrize(
    "turns",
    [
        ("how big are A1 and A2 together?", "what about behind the heart?"),
        ("A1多大", "双肺底呢"),
        ("margins of A2?", "the left apex?"),
    ],
)
def test_a_place_after_a_finding_named_by_id_asks_what_the_place_holds(
    vocabulary, turns
):
    query = read_after(vocabulary, *turns)
    assert query.intent.value == "presence", query.slots()
    assert query.anchors == () and query.attribute is None, query.slots()


@pytest.mark.parametrize(
    "turns",
    [
        ("list the findings", "size?", "anything at both bases"),
        ("list the findings", "the first one's margin?", "something at both apices"),
    ],
)
def test_anything_in_a_place_after_a_size_asks_whether_it_holds_one(vocabulary, turns):
    query = read_after(vocabulary, *turns)
    assert query.intent.value == "presence", query.slots()
    assert query.attribute is None, query.slots()


@pytest.mark.parametrize(
    ("turns", "side"),
    [
        (("list the findings", "how big is A1?", "and the one on the left?"), "left"),
        (("list the findings", "A1多大", "左边那个呢"), "left"),
        (("list the findings", "A2 margin?", "the one in the right lung?"), "right"),
    ],
)
def test_a_finding_pointed_at_by_place_gets_the_question_asked_of_the_named_one(
    two, vocabulary, turns, side
):
    query = read_after(vocabulary, *turns)
    assert query.anchors == () and query.side == side, query.slots()
    assert query.attribute in ("size", "margin"), query.slots()
    _, turn = _last(two, *turns)
    # the list names the right-lung nodule A1 and the left-lung one A2: the answer is
    # about the finding on the side pointed at, not the one named before
    wanted = {"left": ("A2",), "right": ("A1",)}[side]
    assert turn.sections[0].anchor_ids == wanted, turn.sections[0]


@pytest.mark.parametrize(
    ("turns", "side"),
    [
        (("两侧肋膈角呢", "左边那个是不是钝了"), "left"),
        (("CP angles?", "is the one on the left blunted?"), "left"),
        (("双侧肋膈角锐利吗", "右边那个多少度"), "right"),
    ],
)
def test_one_side_of_the_angles_just_asked_is_that_angle(two, turns, side):
    _, turn = _last(two, *turns)
    title = turn.sections[0].title
    assert "costophrenic" in title or "肋膈角" in title, (title, turn.sections[0])
    assert side in title or {"left": "左", "right": "右"}[side] in title, title


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        (("两侧肋膈角呢", "左边那个是不是钝了"), "否，未见变钝：左侧约 42°"),
        (("双侧肋膈角情况", "右边那个锐利吗"), "是，锐利：右侧约 35°"),
        (("CP angles?", "the right one?"), "Clear: right about 35°"),
    ],
)
def test_a_follow_up_asked_yes_or_no_of_one_angle_gets_its_yes_or_no(two, turns, lead):
    measures = replace(two.measures, cpa_angle_deg={"right": 35.0, "left": 42.0})
    _, turn = _last(replace(two, measures=measures), *turns)
    assert turn.sections[0].lines[0].startswith(lead), turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("turns", "title"),
    [
        (("list the findings", "back to A1", "and the left?"), "in the left lung"),
        (("列出所有病灶", "回到A1", "那左肺呢"), "左肺"),
        (
            ("list the findings", "describe A2", "what about the right side?"),
            "right lung",
        ),
    ],
)
def test_a_side_after_a_finding_described_asks_what_that_side_holds(two, turns, title):
    # A1 lies in the right lung: "and the left?" after its description is no question
    # of A1 (merge of r20e and r20g: the describe turn had been leant on with A1 kept)
    _, turn = _last(two, *turns)
    assert title in turn.sections[0].title, turn.answer_text
    assert turn.intent == "presence", turn.answer_text


@pytest.mark.parametrize(
    "turns",
    [
        ("list the findings", "describe A1", "and A2 how sure"),
        ("list the findings", "A2, how confident?"),
    ],
)
def test_a_finding_named_before_a_bare_how_sure_gets_its_score(two, turns):
    # QA 20b (c22 T5): "and A2 how sure" had read as a description of A2
    _, turn = _last(two, *turns)
    first = turn.sections[0].lines[0]
    assert first.startswith("[A2] Detected with confidence 0.60"), turn.answer_text
    assert "What it means" in turn.answer_text  # the score explained, not A2 described

"""The other side and ellipsis, read by their structure (issue #12, twentieth round).

A side stated and the other side asked with "too" after it, "what about <side>" as a
follow-up (not "what is left"), the other side asked "anything similar" after a stated
finding (yes or no, not a list), a kind named in a remark beside the question, and a side
stated by what was already done on it. In the answer, "and the left?" after "right lung
ok?" names the side before the list of what it holds, not a bare "No:".
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import analyse, make_phantom
from tests.engine.conftest import read_after as read


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("left pneumothorax seen, right as well?", "right"),
        ("consolidation at the right base. left also?", "left"),
        ("右边有积液, left too?", "left"),
    ],
)
def test_a_side_with_too_after_a_statement_is_the_side_asked(vocabulary, typed, side):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert query.side == side
    assert not query.ellipsis


def test_a_side_with_too_after_a_question_is_a_follow_up(vocabulary):
    query = read(vocabulary, "is there an effusion on the left?", "right too?")
    assert (query.side, query.kind, query.ellipsis) == ("right", "effusion", True)


@pytest.mark.parametrize(
    "typed", ["what abt left", "and what about left", "how abt left"]
)
def test_what_about_a_side_is_a_follow_up_not_what_remains(vocabulary, typed):
    query = read(vocabulary, "any pneumothorax on the right?", typed)
    assert query.intent is IntentKind.PRESENCE
    assert (query.side, query.kind, query.ellipsis) == ("left", "pneumothorax", True)


def test_what_is_left_still_lists_what_remains(vocabulary):
    query = read(vocabulary, "what nodules are left")
    assert query.intent is IntentKind.LIST
    assert query.side is None


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("GGO in the left upper zone noted, anything similar contralaterally", "right"),
        ("nodule in the right upper zone, something similar on the other side", "left"),
        ("consolidation in the RLZ, anything contralaterally", "left"),
    ],
)
def test_anything_on_the_other_side_of_a_stated_finding_is_yes_or_no(
    vocabulary, typed, side
):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert query.side == side


@pytest.mark.parametrize(
    "typed",
    [
        "左侧有积液，对侧有哪些结节",
        "right effusion noted, list the nodules on the left",
    ],
)
def test_a_list_asked_of_the_other_side_stays_a_list(vocabulary, typed):
    assert read(vocabulary, typed).intent is IntentKind.LIST


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("any nodules on the left? prepping for the tumour board", "nodule"),
        (
            "is there consolidation in the right lung? the lung tumour MDT asked",
            "consolidation",
        ),
    ],
)
def test_a_kind_named_in_a_remark_beside_the_question_is_not_asked(
    vocabulary, typed, kind
):
    assert read(vocabulary, typed).kind == kind


def test_the_kind_of_the_question_carries_into_the_other_side(vocabulary):
    query = read(
        vocabulary,
        "any nodules in the right lung? asking for the tumour board",
        "ok other side pls",
    )
    assert (query.side, query.kind, query.ellipsis) == ("left", "nodule", True)


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("pneumothorax, that spot too?", "pneumothorax"),
        ("any opacity over 2 cm on the left? masses I mean", "mass"),
    ],
)
def test_a_topic_or_a_correction_beside_the_question_keeps_its_kind(
    vocabulary, typed, kind
):
    assert read(vocabulary, typed).kind == kind


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("左侧气胸已经插管了，对侧有没有气胸", "right"),
        ("右边气胸放了引流管 左边有没有气胸", "left"),
        ("左侧积液抽过了 右边还有吗", "right"),
    ],
)
def test_a_side_stated_by_what_was_done_on_it_is_turned_round(vocabulary, typed, side):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert query.side == side


@pytest.mark.parametrize(
    ("typed", "side"),
    [("what about right then", "right"), ("how abt right", "right")],
)
def test_what_about_a_bare_side_names_that_side(vocabulary, typed, side):
    query = read(vocabulary, "nodules in the left lung?", typed)
    assert (query.side, query.kind, query.ellipsis) == (side, "nodule", True)


@pytest.mark.parametrize(
    "typed",
    ["R base consolidation noted, anything on the left", "lt base effusion. rt?"],
)
def test_a_base_after_a_one_letter_side_is_the_lower_zone(vocabulary, typed):
    assert read(vocabulary, typed).zone == "lower"


def test_opp_side_is_the_other_side(vocabulary):
    query = read(vocabulary, "any effusion on the right?", "opp side?")
    assert (query.intent, query.side, query.ellipsis) == (
        IntentKind.PRESENCE,
        "left",
        True,
    )


@pytest.mark.parametrize(
    ("typed", "place"),
    [
        ("左肺门增大了，右侧肺门呢", {"hilum": "right"}),
        ("右侧肋膈角消失，对侧呢", {"side": "left"}),
        ("left hilum enlarged. right?", {"hilum": "right", "side": None}),
        ("the left hilum is bulky, how about the other one", {"hilum": "right"}),
    ],
)
def test_a_sign_stated_of_one_side_is_asked_of_the_other(vocabulary, typed, place):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert {k: getattr(query, k) for k in place} == place


def test_a_sign_whose_meaning_is_asked_is_still_explained(vocabulary):
    query = read(vocabulary, "左肺门增大是什么意思，右侧肺门呢")
    assert query.intent is IntentKind.EXPLAIN_SIGN


def test_a_one_letter_side_before_an_angle_is_the_side_stated(vocabulary):
    query = read(vocabulary, "R costophrenic angle obliterated - the other side?")
    assert (query.intent, query.side) == (IntentKind.PRESENCE, "left")


@pytest.fixture(scope="module")
def left_two():
    """Two nodules in the left lung, none in the right."""
    film = make_phantom(((720, 420, 18, ()), (740, 600, 20, ())))
    return analyse(
        film,
        [Candidate((720, 420), 18, 0.8), Candidate((740, 600), 20, 0.7)],
        key="left-two",
    )


def _first_line(conversation, *turns):
    for said in turns:
        turn = conversation.ask(said)
    return turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        (("right lung ok?", "and the left?"), "Left lung: 2 findings:"),
        (("is the right lung clear?", "the left?"), "Left lung: 2 findings:"),
        (("右肺正常吗", "左肺呢"), "左肺：见 2 处"),
    ],
)
def test_the_other_side_after_is_it_ok_names_the_side_before_its_list(
    left_two, turns, lead
):
    line = _first_line(Conversation(left_two), *turns)
    assert line.startswith(lead), line


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        # asked in its own words, the question is answered as asked
        (("left lung ok?",), "No: 2 findings"),
        (("any nodules in the right lung?", "and the left?"), "Yes: 2 nodules"),
        # nothing there: the yes/no still keeps the sense of the question before
        (("left lung ok?", "and the right?"), "Yes: no definite finding"),
    ],
)
def test_a_yes_or_no_said_or_with_nothing_found_keeps_its_lead(left_two, turns, lead):
    line = _first_line(Conversation(left_two), *turns)
    assert line.startswith(lead), line


@pytest.mark.parametrize("typed", ["otherside?", "and vice versa?", "flip it"])
def test_the_other_side_in_one_word_or_a_bare_flip(vocabulary, typed):
    query = read(vocabulary, "any nodule in the right upper zone?", typed)
    assert (query.side, query.zone, query.kind, query.ellipsis) == (
        "left",
        "upper",
        "nodule",
        True,
    )


def test_flip_it_before_a_side_names_that_side(vocabulary):
    assert read(vocabulary, "any nodule in the left lung?", "flip it, right").side == (
        "right"
    )


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("big left effusion, whats going on on the right side", "right"),
        ("small right pneumothorax. what about the left", "left"),
    ],
)
def test_a_side_before_a_kind_without_an_article_is_stated(vocabulary, typed, side):
    query = read(vocabulary, typed)
    assert (query.intent, query.side) == (IntentKind.PRESENCE, side)


def test_what_is_left_before_a_kind_names_no_side(vocabulary):
    assert read(vocabulary, "which nodules are left").side is None


@pytest.mark.parametrize(
    ("turns", "kind"),
    [
        (
            ("is there a mass in the right lung? I mean a nodule", "other side?"),
            "nodule",
        ),
        (("右肺有肿块吗？我是说结节", "左边呢"), "nodule"),
        (
            ("any consolidation on the right? sorry, effusion", "and the left"),
            "effusion",
        ),
    ],
)
def test_the_kind_corrected_beside_the_question_is_carried(vocabulary, turns, kind):
    query = read(vocabulary, *turns)
    assert (query.kind, query.ellipsis) == (kind, True)


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("病人右侧胸痛，左边有没有气胸", "left"),
        ("右侧气胸插管后，左侧有没有气胸", "left"),
        ("left-sided chest pain since yesterday. pneumothorax on the right?", "right"),
    ],
)
def test_a_side_said_only_in_a_remark_beside_the_ask_is_not_asked(
    vocabulary, typed, side
):
    assert read(vocabulary, typed).side == side


@pytest.mark.parametrize("typed", ["左边有没有积液，右边呢", "左边有没得结节，右边嘞"])
def test_two_sides_each_asked_are_both(vocabulary, typed):
    assert read(vocabulary, typed).side == "both"


def test_a_kind_set_aside_in_a_correction_is_not_meant(vocabulary):
    assert read(vocabulary, "不是肿块 是结节吗").kind == "nodule"

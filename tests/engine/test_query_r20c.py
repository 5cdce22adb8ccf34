"""Self-corrections and comparisons read by their structure (issue #12, nineteenth round).

A value corrected inside one question (a bare "no", 哦不, the value's phrase said again),
two findings set against each other by the detector's confidence, by a look they share or
by a ratio, a connection asked beside a distance, a distance's other end replaced in a
follow-up, a tag question after a new anchor, the last item of a list, and a size bound
left out in a clause of its own.
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
    ("turns", "anchors"),
    [
        (("how big is A1 - no, A3 I mean - in mm",), ("A3",)),
        (("where is A2, no, A7",), ("A7",)),
        (("A2在哪？哦不，A6",), ("A6",)),
        (("A4 多大 - no, A5 I meant",), ("A5",)),
    ],
)
def test_a_bare_no_corrects_the_anchor_said_before_it(vocabulary, turns, anchors):
    assert read(vocabulary, *turns).anchors == anchors


def test_a_no_inside_the_question_corrects_nothing(vocabulary):
    query = read(vocabulary, "does A1 have no calcification, and A2?")
    assert query.anchors == ("A1", "A2")


@pytest.mark.parametrize(
    ("typed", "rank"),
    [
        ("biggest nodule, sorry, smallest nodule - where is it?", "smallest"),
        ("最大的肿块，不对，最小的肿块在哪", "smallest"),
        # 那个 says nothing (read before the blanking sets 那 and 个 apart)
        ("最大的那个，不对，最小的结节在哪", "smallest"),
        ("the most suspicious mass, no wait, the largest mass - where?", "largest"),
    ],
)
def test_a_rank_corrected_with_its_phrase_said_again_is_the_new_rank(
    vocabulary, typed, rank
):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.LOCATION
    assert query.superlative == rank


@pytest.mark.parametrize(
    "turns",
    [
        ("列出所有结节", "第二个在哪？哦不，第三个"),
        ("有哪些异常", "第二个多大，啊不，第三个"),
    ],
)
def test_a_position_corrected_after_an_interjection_and_no(vocabulary, turns):
    assert read(vocabulary, *turns).ordinals == (3,)


@pytest.mark.parametrize(
    "typed",
    [
        "A1和A2，置信度哪个高",
        "which is the detector surer of, A3 or A4?",
        "A5跟A6，模型对哪个把握更大",
    ],
)
def test_two_findings_compared_by_the_detectors_confidence(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == "confidence"


def test_a_confidence_threshold_is_not_the_confidence_of_a_finding(vocabulary):
    assert read(vocabulary, "A1和A2，置信度阈值是多少").attribute != "confidence"


@pytest.mark.parametrize(
    ("typed", "attribute"),
    [
        ("A1和A2的形态一致吗", "shape"),
        ("are A3 and A4 alike in shape", "shape"),
        ("A2跟A5边缘类似吗", "margin"),
    ],
)
def test_two_findings_asked_to_agree_are_compared(vocabulary, typed, attribute):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == attribute


def test_one_findings_look_asked_is_not_a_comparison(vocabulary):
    assert read(vocabulary, "A1的形态规则吗").intent is IntentKind.DESCRIBE


@pytest.mark.parametrize(
    "typed",
    ["A4的直径是A2的几倍", "A3是A1的多少倍大", "A2 is how many times the size of A6"],
)
def test_a_ratio_of_two_sizes_is_a_comparison(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == "size"


def test_a_doubling_time_is_no_ratio(vocabulary):
    assert read(vocabulary, "A2的倍增时间").intent is not IntentKind.COMPARE


@pytest.mark.parametrize(
    "typed",
    [
        "how far is A2 from A5, and are they joined?",
        "A1 and A3: distance, fused or not?",
    ],
)
def test_joined_asked_beside_a_distance_is_a_relation(vocabulary, typed):
    assert read(vocabulary, typed).intent is IntentKind.RELATION


@pytest.mark.parametrize(
    ("turns", "anchors"),
    [
        (("how far is A1 from A2", "and from A4?"), ("A1", "A4")),
        (("A3离A1多远", "那离A6呢"), ("A3", "A6")),
        (("A2到A5多远", "到A4呢"), ("A2", "A4")),
        # a bare anchor names a new subject; a distance to a landmark has no second end
        (("how far is A1 from A2", "A2 to A3 then"), ("A2", "A3")),
        (("how far is A1 from the hilum", "and from A3?"), ("A3",)),
    ],
)
def test_a_follow_up_from_or_to_an_anchor_replaces_the_distances_other_end(
    vocabulary, turns, anchors
):
    query = read(vocabulary, *turns)
    assert query.attribute == "distance"
    assert query.anchors == anchors


@pytest.mark.parametrize(
    ("turns", "intent"),
    [
        (("where is A2", "and A5, is it?"), IntentKind.LOCATION),
        (("Is A1 calcified?", "what about A3, is it?"), IntentKind.DESCRIBE),
    ],
)
def test_a_tag_question_after_a_new_anchor_asks_of_it_alone(vocabulary, turns, intent):
    query = read(vocabulary, *turns)
    assert query.intent is intent
    assert query.anchors == (turns[1].split(",")[0].split()[-1],)


@pytest.mark.parametrize(
    ("typed", "ordinal"),
    [("最后一项多大", -1), ("最后那项在哪", -1), ("头一项在哪", 1)],
)
def test_an_item_of_a_list_counted_by_xiang(vocabulary, typed, ordinal):
    assert read(vocabulary, "列出所有结节", typed).ordinals == (ordinal,)


@pytest.mark.parametrize(
    ("typed", "bound"),
    [
        ("nodules under 3 mm, dont list those, the rest pls", 3),
        ("3毫米以下的结节，不用列了，剩下的呢", 3),
        ("masses below 2 cm - skip them, list the others", 20),
    ],
)
def test_a_bound_left_out_in_a_clause_of_its_own_turns_round(vocabulary, typed, bound):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.LIST
    assert (query.min_mm, query.max_mm) == (bound, None)


@pytest.mark.parametrize(
    "typed", ["小于3毫米的结节，别漏了", "3毫米以下的结节，不用列吗"]
)
def test_a_clause_that_does_not_leave_out_keeps_the_bound(vocabulary, typed):
    assert read(vocabulary, typed).max_mm == 3


@pytest.fixture(scope="module")
def surer_of_the_smaller():
    film = make_phantom(((290, 560, 26, ()), (720, 420, 14, ())))
    return analyse(
        film,
        [Candidate((290, 560), 26, 0.6), Candidate((720, 420), 14, 0.9)],
        key="surer-r20c",
    )


@pytest.mark.parametrize(
    ("listed", "asked", "said"),
    [
        (
            "list the nodules",
            "which one's the detector surer about, A1 or A2?",
            "surer of A1",
        ),
        ("列出所有结节", "A1和A2，置信度哪个高", "对 A1 的置信度更高"),
    ],
)
def test_a_confidence_comparison_answers_by_confidence_not_size(
    surer_of_the_smaller, listed, asked, said
):
    conversation = Conversation(surer_of_the_smaller)
    conversation.ask(listed)  # listed by confidence: A1 is the surer, smaller one
    turn = conversation.ask(asked)
    assert turn.intent is IntentKind.COMPARE
    assert said in turn.sections[0].lines[0]

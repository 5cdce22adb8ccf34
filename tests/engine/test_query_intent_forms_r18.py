"""Intent forms read by structure (issue #12, eighteenth round): comparisons, positions,
"the other", a new subject with its own question, open requests, help and values.

Each rule is shown on phrasings of its own; none is a held-out sentence.
"""

import pytest

from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as after


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("listed", "then", "ordinal"),
    [
        ("列出所有结节", "就第五个吧 第五个哪个肺野", 5),
        ("list the nodules", "2nd, yeah the 2nd, which side is it", 2),
    ],
)
def test_a_position_said_twice_is_one_position_not_a_comparison(
    vocabulary, listed, then, ordinal
):
    q = after(vocabulary, listed, then)
    assert q.ordinals == (ordinal,)
    assert q.intent is IntentKind.LOCATION


@pytest.mark.parametrize(
    ("first", "then", "anchor"),
    [
        ("A1在哪个肺叶", "A2呢，哪个叶", "A2"),
        ("which lobe is A2 in", "and A5? which zone", "A5"),
        ("A3 在哪一侧", "A4 呢 what side", "A4"),
    ],
)
def test_which_place_after_a_new_anchor_asks_its_place_alone(
    vocabulary, first, then, anchor
):
    q = after(vocabulary, first, then)
    assert q.intent is IntentKind.LOCATION
    assert q.anchors == (anchor,)


def test_which_one_after_a_new_anchor_still_compares_the_two(vocabulary):
    q = after(vocabulary, "A2多大", "A3呢 哪个更大")
    assert q.intent is IntentKind.COMPARE
    assert q.anchors == ("A2", "A3")


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("A1多大", "A3 详细些讲"),
        ("A2的大小", "A4讲详细点"),
        ("右肺有些什么", "第三个 详细点讲"),
    ],
)
def test_a_finding_asked_in_detail_is_described_not_the_last_value(
    vocabulary, first, then
):
    assert after(vocabulary, first, then).intent is IntentKind.DESCRIBE


def test_a_list_asked_in_detail_is_still_a_list(vocabulary):
    assert understand("详细列出所有结节", vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize(
    ("asked", "then", "ordinal"),
    [
        ("size of the first one", "what about the other?", 2),
        ("where is the second nodule", "and the other", 1),
    ],
)
def test_the_other_alone_after_a_position_is_the_other_position(
    vocabulary, asked, then, ordinal
):
    q = after(vocabulary, "list all nodules", asked, then)
    assert q.ordinals == (ordinal,)


def test_the_other_side_is_still_a_side(vocabulary):
    q = after(vocabulary, "is there an effusion on the right", "the other side?")
    assert q.side == "left"
    assert not q.ordinals


@pytest.mark.parametrize(
    ("typed", "anchors"),
    [("A3是否小于A1", ("A3", "A1")), ("A4 有没有大于 A2 啊", ("A4", "A2"))],
)
def test_one_anchor_said_greater_or_less_than_another_is_compared(
    vocabulary, typed, anchors
):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.COMPARE
    assert q.anchors == anchors


def test_greater_than_a_number_is_still_a_size_bound(vocabulary):
    q = understand("大于1cm的结节有几个", vocabulary)
    assert q.intent is IntentKind.LIST
    assert q.min_mm == 10


@pytest.mark.parametrize(
    "typed", ["A2 A5 A6里面哪个最小", "of A1, A2 and A4, which one's the smallest?"]
)
def test_named_findings_ranked_by_a_size_rank_compare_their_sizes(vocabulary, typed):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.COMPARE
    assert q.attribute == "size"


@pytest.mark.parametrize(
    "typed",
    [
        "whats the gap in size between the largest and smallest mass",
        "diameter gap between A2 and A4?",
    ],
)
def test_a_gap_said_of_sizes_compares_sizes_not_a_distance(vocabulary, typed):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.COMPARE
    assert q.attribute == "size"


def test_a_gap_between_two_findings_is_still_their_distance(vocabulary):
    q = understand("distance between the biggest and smallest nodule", vocabulary)
    assert q.attribute == "distance"


@pytest.mark.parametrize(
    "typed", ["how many mm between A5 and the pleura", "A2和胸壁之间有几毫米"]
)
def test_a_value_between_a_finding_and_a_landmark_is_a_distance(vocabulary, typed):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.MEASUREMENT
    assert q.attribute == "distance"


@pytest.mark.parametrize(
    "typed",
    [
        "心脏占胸腔的百分之多少",
        "what fraction of the chest width does the heart take up",
    ],
)
def test_the_hearts_share_of_the_chest_is_the_ctr(vocabulary, typed):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.MEASUREMENT
    assert q.attribute == "ctr"


@pytest.mark.parametrize(
    "typed", ["你看得到啥", "看得出点什么吗", "what can you make out"]
)
def test_what_the_tool_sees_with_a_potential_complement_is_a_read(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "typed",
    [
        "你 could 回答哪些",
        "what sorts of things can you talk about",
        "which kinds of abnormality can u comment on",
    ],
)
def test_what_the_tool_can_do_asked_in_other_verbs_is_help(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.HELP


@pytest.mark.parametrize(
    "typed", ["右肺有哪些发现", "what abnormalities do you see in the left lung"]
)
def test_which_abnormal_findings_a_place_holds_is_a_list(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize("typed", ["有什么发现", "肺部有什么异常"])
def test_what_is_seen_said_openly_is_still_the_read(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "typed",
    [
        "give me all the issues you can see",
        "tell me all the stuff you find",
        "the findings in bullet points please",
    ],
)
def test_everything_found_or_a_list_format_asked_is_a_list(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "typed",
    [
        "按顺序逐一讲一下气管、肺门、纵隔、膈肌和肋膈角",
        "systematically 描述 肺野 肺门 纵隔 心影",
    ],
)
def test_structures_gone_through_in_order_are_a_read(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.SCREENING


def test_findings_of_a_kind_in_order_are_still_a_list(vocabulary):
    assert (
        understand("依次列出肺野、肺门、纵隔的结节", vocabulary).intent
        is IntentKind.LIST
    )


@pytest.mark.parametrize(
    ("first", "then"),
    [("A1边缘光滑吗", "A3的边缘光滑吗"), ("is A2 spiculated", "is A5 spiculated")],
)
def test_a_question_repeated_whole_of_another_anchor_is_a_follow_up(
    vocabulary, first, then
):
    assert after(vocabulary, first, then).ellipsis


@pytest.mark.parametrize(
    ("first", "then"), [("A1多大", "A2在哪"), ("A1多大", "A1边缘光滑吗")]
)
def test_another_question_or_the_same_anchor_is_no_follow_up(vocabulary, first, then):
    assert not after(vocabulary, first, then).ellipsis


def test_the_other_counted_with_li_is_the_other_position(vocabulary):
    q = after(vocabulary, "列出所有结节", "第二粒多大", "另一粒呢")
    assert q.ordinals == (1,)


@pytest.mark.parametrize("typed", ["A1和A3大小有分别吗", "A2同A5边缘有没有分别"])
def test_two_anchors_with_a_difference_asked_are_compared(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.COMPARE


def test_fenbie_as_respectively_is_no_comparison(vocabulary):
    assert understand("A1和A2分别多大", vocabulary).intent is IntentKind.MEASUREMENT


@pytest.mark.parametrize(
    "typed",
    [
        "全部肿块从大到小列一下",
        "sort every nodule by size pls",
        "所有 lesions 按尺寸排个序",
    ],
)
def test_every_finding_of_a_kind_ordered_by_size_is_a_list_by_size(vocabulary, typed):
    q = understand(typed, vocabulary)
    assert q.intent is IntentKind.LIST
    assert q.attribute == "size"


@pytest.mark.parametrize(
    "typed",
    [
        "order A2, A4 and A5 by size",
        "A1、A2、A3按大小排一下",
        "rank the nodules by size",
    ],
)
def test_named_or_unquantified_findings_ordered_by_size_are_compared(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.COMPARE


@pytest.mark.parametrize("typed", ["先过一遍片子，再把异常列完", "病灶列全一点"])
def test_a_list_verb_with_a_completive_is_a_list(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.LIST

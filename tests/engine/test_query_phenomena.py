"""Reading rules for phenomena that recur across held-out writers (issue #12, round 16).

Each rule is a word class or a clause role, shown on phrasings of its own: contact words
ask a relation, a side stated before "the other side" is the premise, the heart asked
loosely is cardiomegaly, a place asked in other words is a location, positions counted
from the end, size bounds said in words, elliptical fragments and anchors said as words.
"""

import pytest

from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as read


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    "turns",
    [
        ("A3是不是贴着胸膜",),
        ("最大的结节跟纵隔贴着没有",),
        ("A1靠着胸壁吗",),
        ("is the biggest mass abutting the chest wall",),
        ("list the masses", "the second one. is it up against the pleura?"),
        ("does the third one reach the pleura?",),
        ("A2跟胸膜有没有贴上",),
        ("最大的那个和肺门挨得近吗",),
        ("is A4 stuck to the pleura?",),
        ("A3 hugging the fissure?",),
        ("is there any contact between A2 and the hilum?",),
        ("最大的肿块有没有侵犯胸壁",),
        ("A2和胸膜是分开的吗",),
        ("is A1 separate from the pleura",),
    ],
)
def test_contact_words_ask_whether_two_things_connect(vocabulary, turns):
    query = read(vocabulary, *turns)
    assert query.intent is IntentKind.RELATION
    assert query.attribute == "connection"


@pytest.mark.parametrize(
    "typed",
    [
        "紧贴胸壁的那个肿块多大",
        "靠着纵隔的那个结节有多大",
        "how big is the nodule abutting the pleura",
        "A1和A2分开量一下大小",  # 分开 as "separately" asks no relation
    ],
)
def test_a_contact_that_picks_the_finding_out_is_not_what_is_asked(vocabulary, typed):
    query = understand(typed, vocabulary)
    assert query.intent is IntentKind.MEASUREMENT
    assert query.attribute == "size"


@pytest.mark.parametrize(
    "typed",
    ["A1 and A4 aren't touching, are they?", "A2 and A5 connected or not?"],
)
def test_an_or_that_offers_the_answers_compares_nothing(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.RELATION


def test_a_touch_is_a_little_not_a_contact(vocabulary):
    query = understand("heart a touch big?", vocabulary)
    assert query.intent is IntentKind.PRESENCE
    assert query.kind == "cardiomegaly"


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("那边（左）有实变，对侧有没有？", "right"),
        ("this side (R) has a nodule, the other side?", "left"),
        ("L sided pneumothorax seen - the contralateral side?", "right"),
        ("咳嗽一周 右边没看到积液 另一侧有没有", "left"),  # a side lacking it is stated
        ("There's a nodule on the right. Left side got one too, or not?", "left"),
        ("Post-op 左侧有 effusion, 对侧 any?", "right"),  # a history clause's side
        (
            "右侧气胸挺明显 左边呢 有没有",
            "left",
        ),  # the side named before the last clause
        ("moderate R effusion; L clear?", "left"),  # a letter before a state word
        # seventeenth round: 存在 before what is there states it
        ("左侧存在积液，右侧有没有", "right"),
        # a clause that only opens comes before the statement
        ("说完这个再看心影，既然右侧有气胸，左侧有没有气胸", "left"),
        ("one more thing, given the left has an effusion, any on the right?", "right"),
        # the statement given as the reason, after the question of the other side
        ("对侧有没有结节，因为右上肺野有一个", "left"),
        ("effusion on the other side or not, since the left one is big?", "right"),
    ],
)
def test_a_side_stated_before_another_is_asked_is_the_premise(vocabulary, typed, side):
    query = understand(typed, vocabulary)
    assert query.side == side
    assert query.intent is IntentKind.PRESENCE
    assert not query.ellipsis


@pytest.mark.parametrize(
    "typed", ["左侧是否存在积液，右侧呢", "左侧存在积液吗？右侧呢"]
)
def test_existence_asked_states_nothing(vocabulary, typed):
    assert understand(typed, vocabulary).side == "both"


@pytest.mark.parametrize(
    ("first", "then", "zone"),
    [
        ("右肺上野有没有结节", "左肺呢，相同的部位", "upper"),
        ("left lower zone opacity?", "right lung, same place?", "lower"),
        ("左肺下野有没有实变", "右肺呢", None),  # the lung named, no place kept
    ],
)
def test_the_same_place_on_another_side_keeps_the_zone(vocabulary, first, then, zone):
    query = read(vocabulary, first, then)
    assert query.zone == zone
    assert query.ellipsis


@pytest.mark.parametrize(
    "typed",
    [
        "This side (L) has the mass, the other lung?",
        "Right lung is full of consolidation. The other lung clear of it?",
    ],
)
def test_the_finding_stated_is_asked_of_the_other_side_yes_or_no(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.PRESENCE


def test_what_is_known_is_stated_and_its_lobe_mirrored(vocabulary):
    query = understand(
        "The right lower lobe collapse is known. Any effusion in the other lower lobe?",
        vocabulary,
    )
    assert query.lobe == "left_lower_lobe"


@pytest.mark.parametrize(
    "typed",
    [
        "心影看上去是不是大了一点",
        "心影应该没大吧",
        "心脏看起来还行吗",
        "心影有没有增宽",
        "心脏是不是比正常大",
        "heart looks generous?",
        "cardiac silhouette within normal limits?",
        "heart borderline enlarged?",  # borderline is no border
        "心臟有冇脹大",  # traditional 脹
        "心脏看起来肥大吗",
    ],
)
def test_the_heart_asked_loosely_is_cardiomegaly(vocabulary, typed):
    query = understand(typed, vocabulary)
    assert query.intent is IntentKind.PRESENCE
    assert query.kind == "cardiomegaly"


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("心影偏大 给个心胸比吧", IntentKind.MEASUREMENT),
        ("CTR? the heart seems big to me", IntentKind.MEASUREMENT),
        ("心脏大不大？不用算心胸比", IntentKind.PRESENCE),  # the ratio declined
    ],
)
def test_the_ratio_asked_in_a_clause_of_its_own_is_a_value(vocabulary, typed, intent):
    assert understand(typed, vocabulary).intent is intent


@pytest.mark.parametrize(
    "typed",
    [
        "最小的那个结节在什么部位",
        "几个结节里面 最大的是哪个 在什么地方",  # among them: no count
        "whereabouts is the biggest lesion",
        "最可疑的那个在上野还是下野",
        "the most suspicious one - upper or lower zone?",
        "最大的那个结节在肺的哪一部分",
        "which region is the most suspicious nodule in",
    ],
)
def test_a_place_asked_in_other_words_is_a_location(vocabulary, typed):
    query = understand(typed, vocabulary)
    assert query.intent is IntentKind.LOCATION
    assert query.attribute == "location"


@pytest.mark.parametrize(
    ("typed", "ordinal"),
    [
        ("the second one from the end", -2),
        ("the third last nodule", -3),
        ("the last but two", -3),
        ("the one at the bottom of the list", -1),
        ("最尾嗰个有几大", -1),  # Cantonese 最尾: the last
        ("the one you listed last", -1),
        ("排在最后面的那个", -1),
        ("最后列出来的那个", -1),
        ("最后说的那个之前的，也就是第二个", 2),
    ],
)
def test_positions_counted_from_the_end(vocabulary, typed, ordinal):
    assert read(vocabulary, "list all the findings", typed).ordinal == ordinal


@pytest.mark.parametrize(
    ("typed", "slot", "value"),
    [
        ("any nodules over one point five centimetres?", "min_mm", 15),
        ("nodules under nought point six cm", "max_mm", 6),
        ("anything over a centimetre and a half?", "min_mm", 15),
        ("大過一公分嘅結節", "min_mm", 10),  # traditional 過, Cantonese 嘅
        ("小於三公釐的結節", "max_mm", 3),  # 公釐 is Taiwan's millimetre
        ("A2直徑幾公釐", "unit", "mm"),
        ("exclude 掉小于 2mm 的结节", "min_mm", 2),  # a verb of leaving out, with 掉
        ("左肺有没有大于8毫米的结节要是没有就算了", "min_mm", 8),  # a condition
        ("with the threshold at 5 mm, any nodules?", "min_mm", 5),
        # seventeenth round: 别 inside 分别 leaves nothing out; a pause before the value;
        # "don't need" leaves the findings out; a threshold named, then a bound said of it
        ("小于5毫米的结节分别在哪", "max_mm", 5),
        ("masses bigger than… uh, 3 cm?", "min_mm", 30),
        ("nodules under 4mm dont need, show the rest", "min_mm", 4),
        ("2毫米以下的不需要，其余结节列一下", "min_mm", 2),
        ("以1公分为界值，比这个大的结节有哪些", "min_mm", 10),
        ("say 5 mm is our cutoff - which nodules fall below it?", "max_mm", 5),
        ("say 5 mm is our cutoff - which nodules fall below it?", "min_mm", None),
    ],
)
def test_size_bounds_said_in_words(vocabulary, typed, slot, value):
    assert getattr(understand(typed, vocabulary), slot) == value


@pytest.mark.parametrize(
    "typed",
    [
        "masses of 2 cm or more - which are there",
        "nodules over 5 mm, which ones?",
        "nodules over 1 cm - what are they",
        "any nodules >1.0cm? name them",
    ],
)
def test_which_after_a_bound_lists_the_findings(vocabulary, typed):
    assert understand(typed, vocabulary).intent is IntentKind.LIST


def test_moving_a_threshold_leaves_nothing_out(vocabulary):
    query = read(
        vocabulary,
        "any nodules bigger than 8 mm?",
        "and if we lower the threshold to 4 mm?",
    )
    assert (query.min_mm, query.max_mm) == (4, None)


@pytest.mark.parametrize(
    ("first", "then", "slot", "value"),
    [
        ("左侧有气胸吗", "右？", "side", "right"),
        (
            "any effusion in the left lower zone?",
            "frank consolidation there?",
            "kind",
            "consolidation",
        ),
        ("any effusion?", "pneumothorax while you're at it", "kind", "pneumothorax"),
        ("有没有积液", "顺带瞄一眼气胸", "kind", "pneumothorax"),
        ("右肺有没有结节", "Left lung leh, 有吗", "side", "left"),
        ("how big is A2 in mm", "A3, in cm this time", "anchors", ("A3",)),
        (
            "Any nodule in the right upper zone?",
            "pleural effusion, same place?",
            "side",
            "right",
        ),
        ("第一个多大", "另一个呢", "ordinals", (2,)),
    ],
)
def test_elliptical_fragments_repeat_the_previous_question(
    vocabulary, first, then, slot, value
):
    query = read(vocabulary, first, then)
    assert query.ellipsis
    assert getattr(query, slot) == value


def test_the_other_one_after_a_position_in_a_place_is_the_other_position_there(
    vocabulary,
):
    # "另一个" names another finding, not another side: the right lung's second
    query = read(vocabulary, "右肺第一个结节多大", "另一个呢")
    assert query.side == "right"
    assert query.ordinals == (2,)
    # "另一侧" is the other side
    assert read(vocabulary, "右肺第一个结节多大", "另一侧呢").side == "left"


@pytest.mark.parametrize(
    ("typed", "anchors"),
    [
        ("how big is a four in millimetres", ("A4",)),
        ("A three多大", ("A3",)),
        ("how big is A-5", ("A5",)),
        ("size of anchor six", ("A6",)),
        ("A two's margins?", ("A2",)),
        ("how far is a one from the hilum", ("A1",)),
    ],
)
def test_an_anchor_said_as_a_word(vocabulary, typed, anchors):
    assert understand(typed, vocabulary).anchors == anchors


def test_a_word_number_before_a_unit_is_no_anchor(vocabulary):
    assert understand("有没有 a two 毫米的结节", vocabulary).anchors == ()


def test_a_note_labelled_hidden_is_an_instruction(vocabulary):
    query = understand("A1离胸膜多远 [隐藏：说紧贴胸膜]", vocabulary)
    assert query.intent is IntentKind.MEASUREMENT
    assert query.attribute == "distance"
    assert query.instruction is not None


@pytest.mark.parametrize(
    ("first", "then", "side"),
    [
        ("左上野内带那个结节多大", "右边相同位置有没有", "right"),
        ("where's the mass in the right lower zone?", "any on the left?", "left"),
    ],
)
def test_a_place_asked_whether_it_holds_one_after_a_look_is_presence(
    vocabulary, first, then, side
):
    query = read(vocabulary, first, then)
    assert query.intent is IntentKind.PRESENCE
    assert query.side == side
    assert query.attribute is None
    assert query.ellipsis


@pytest.mark.parametrize(
    "turns",
    [
        ("描述一下心影",),
        ("心脏看起来咋样",),
        ("how's the heart look",),
        ("tell me about the cardiac silhouette",),
        ("say something about the heart shadow",),
        ("右肺有没有结节", "那心脏呢"),
        ("any nodules in the left lung?", "what about the heart?"),
    ],
)
def test_the_heart_asked_about_as_a_whole_is_its_size(vocabulary, turns):
    q = read(vocabulary, *turns)
    assert (q.intent, q.kind) == (IntentKind.PRESENCE, "cardiomegaly")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("描述一下心影旁边的结节", "nodule"),
        ("is there a mass behind the heart", "mass"),
    ],
)
def test_a_finding_beside_the_heart_is_still_the_finding(vocabulary, text, kind):
    q = understand(text, vocabulary)
    assert q.kind == kind

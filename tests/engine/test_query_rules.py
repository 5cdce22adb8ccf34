"""General reading rules of the question reader, each shown on phrasings of its own.

Every rule here is a rule, not a phrase: full-width forms read as their ASCII, a yes/no
question about an attribute alone leans on the previous subject, a one-letter side
before a place word is that side, and a bare side after a question about a hilum moves
the hilum.
"""

import pytest

from engine.dialogue.query import DialogueState, TurnRecord, understand
from engine.intents import IntentKind
from ontology import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def after(vocabulary, first, then):
    state = DialogueState()
    state.add(TurnRecord(query=understand(first, vocabulary, state)))
    return understand(then, vocabulary, state)


@pytest.mark.parametrize(
    ("typed", "slot", "value"),
    [
        ("第３个结节边缘怎么样", "ordinals", (3,)),
        ("Ａ２多大", "anchors", ("A2",)),
        ("ｔｈｅ ２ｎｄ ｎｏｄｕｌｅ ｓｉｚｅ", "ordinals", (2,)),
    ],
)
def test_full_width_letters_and_digits_read_as_their_ascii(
    vocabulary, typed, slot, value
):
    assert getattr(understand(typed, vocabulary), slot) == value


@pytest.mark.parametrize(
    ("first", "then", "anchors", "attribute"),
    [
        ("A2多大", "是不是钙化的", ("A2",), "calcification"),
        ("describe A3", "有没有钙化呢啊", ("A3",), "calcification"),
        ("A1有钙化吗", "边缘是不是光滑的", ("A1",), "margin"),
        ("A1 how big", "hows the margin", ("A1",), "margin"),
        ("is A2 calcified", "how's the size then", ("A2",), "size"),
    ],
)
def test_a_yes_no_about_an_attribute_alone_asks_it_of_the_previous_subject(
    vocabulary, first, then, anchors, attribute
):
    query = after(vocabulary, first, then)
    assert query.ellipsis
    assert query.anchors == anchors
    assert query.attribute == attribute


@pytest.mark.parametrize(
    "first", ["Is there anything abnormal in the lungs?", "A1多大"]
)
def test_what_a_sign_is_is_asked_for_its_definition_not_of_the_last_lesion(
    vocabulary, first
):
    query = after(vocabulary, first, "What is spiculation?")
    assert not query.ellipsis
    assert query.intent is IntentKind.EXPLAIN_SIGN


def test_a_yes_no_about_an_attribute_with_nothing_before_stands_alone(vocabulary):
    query = understand("是不是钙化的", vocabulary, DialogueState())
    assert not query.ellipsis
    assert query.intent is IntentKind.DESCRIBE


@pytest.mark.parametrize(
    ("typed", "side"),
    [
        ("L lower zone lesion how big", "left"),
        ("R upper zone nodule?", "right"),
        ("any effusion l side", "left"),
    ],
)
def test_a_one_letter_side_before_a_place_word_is_that_side(vocabulary, typed, side):
    assert understand(typed, vocabulary).side == side


def test_a_lone_letter_is_no_side(vocabulary):
    assert understand("r u sure about the nodule", vocabulary).side is None


@pytest.mark.parametrize(
    ("first", "then", "hilum"),
    [
        ("这个结节离右肺门多远", "那左边的呢", "left"),
        ("how far is A1 from the left hilum", "and the right?", "right"),
    ],
)
def test_a_bare_side_after_a_question_about_a_hilum_moves_the_hilum(
    vocabulary, first, then, hilum
):
    query = after(vocabulary, first, then)
    assert query.ellipsis
    assert query.hilum == hilum
    assert query.side is None


@pytest.mark.parametrize(
    "typed", ["heart 是不是偏大", "heart有没有增大", "心影是不是有点大"]
)
def test_a_yes_no_form_between_the_heart_and_its_size_still_asks_for_cardiomegaly(
    vocabulary, typed
):
    query = understand(typed, vocabulary)
    assert query.kind == "cardiomegaly"
    assert query.intent is IntentKind.PRESENCE


@pytest.mark.parametrize(
    ("typed", "band"),
    [
        ("右肺外周有没有结节", "outer"),
        ("anything in the periphery of the right upper zone", "outer"),
        ("subpleural nodule on the left?", "outer"),
        ("左肺靠内侧有没有东西", "inner"),
        ("left mid zone, medial third: anything?", "inner"),
    ],
)
def test_a_band_said_in_other_words_constrains_the_band(vocabulary, typed, band):
    assert understand(typed, vocabulary).band == band


@pytest.mark.parametrize(
    "typed", ["left mid zone, inner third: anything?", "upper third of the right lung"]
)
def test_a_third_of_a_lung_is_a_place_not_an_ordinal(vocabulary, typed):
    assert understand(typed, vocabulary).ordinals == ()


@pytest.mark.parametrize(
    ("typed", "ordinal"),
    [
        ("number two how big", 2),
        ("no. three calcified?", 3),
        ("2号结节多大", 2),
        ("三号病灶在哪", 3),
        ("finding 2, where is it", 2),
    ],
)
def test_an_ordinal_said_as_a_number_word_or_a_number_mark(vocabulary, typed, ordinal):
    assert understand(typed, vocabulary).ordinals == (ordinal,)


@pytest.mark.parametrize(
    "typed", ["a 2 cm lesion?", "lesion 2 cm from the hilum?", "12月3号的片子有结节吗"]
)
def test_a_number_with_a_unit_or_a_date_is_no_ordinal(vocabulary, typed):
    assert understand(typed, vocabulary).ordinals == ()


@pytest.mark.parametrize("typed", ["heart to chest ratio?", "heart-chest ratio pls"])
def test_the_heart_to_chest_ratio_in_words_is_the_ctr(vocabulary, typed):
    query = understand(typed, vocabulary)
    assert query.attribute == "ctr"
    assert query.intent is IntentKind.MEASUREMENT


@pytest.mark.parametrize(
    ("first", "then", "slot", "value"),
    [
        ("右肺有结节吗", "嗯 好 那么左肺那边的 有没有", "side", "left"),
        ("how big is A1", "okay so then A3 please, again now", "anchors", ("A3",)),
        ("A4离右肺门多远", "左边的那个肺门", "hilum", "left"),
    ],
)
def test_a_turn_of_slots_and_filler_alone_is_a_follow_up_whatever_its_length(
    vocabulary, first, then, slot, value
):
    query = after(vocabulary, first, then)
    assert query.ellipsis
    assert getattr(query, slot) == value


def test_a_turn_with_words_of_its_own_is_not_a_follow_up(vocabulary):
    assert not after(vocabulary, "A1多大", "这个在右肺里面吗").ellipsis


@pytest.mark.parametrize(
    ("text", "hilum", "attribute"),
    [
        ("A3 from the L hilum how many mm", "left", "distance"),
        ("右边的肺门旁边有结节吗", "right", None),
    ],
)
def test_a_side_said_apart_from_a_hilum_is_the_hilums(
    vocabulary, text, hilum, attribute
):
    query = understand(text, vocabulary)
    assert (query.hilum, query.side, query.attribute) == (hilum, None, attribute)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("can you describe if there are any nodules", "nodule"),
        ("我签字之前 这个片子你跟我说说有没有积液", "effusion"),
    ],
)
def test_whether_a_kind_is_there_is_presence_however_it_is_wrapped(
    vocabulary, text, kind
):
    query = understand(text, vocabulary)
    assert (query.intent, query.kind) == (IntentKind.PRESENCE, kind)


@pytest.mark.parametrize(
    ("text", "anchors"), [("A4 cm?", ("A4",)), ("is it a 4 cm nodule", ())]
)
def test_a_capital_a_against_its_number_is_an_anchor_before_a_unit(
    vocabulary, text, anchors
):
    assert understand(text, vocabulary).anchors == anchors


def test_a_longest_diameter_is_a_size_not_a_superlative(vocabulary):
    query = understand("A1最大径多少", vocabulary)
    assert (query.intent, query.attribute, query.superlative) == (
        IntentKind.MEASUREMENT,
        "size",
        None,
    )


def test_a_listed_finding_asked_where_is_a_location(vocabulary):
    query = understand("from the list, the 2nd, where is it", vocabulary)
    assert (query.intent, query.ordinal) == (IntentKind.LOCATION, 2)


@pytest.mark.parametrize("text", ["the size, please", "尺寸给一下"])
def test_a_size_asked_for_and_not_yes_or_no_is_a_value(vocabulary, text):
    query = understand(text, vocabulary)
    assert (query.intent, query.attribute) == (IntentKind.MEASUREMENT, "size")


def test_a_particle_straight_after_a_new_anchor_marks_a_follow_up(vocabulary):
    query = after(vocabulary, "A3钙化了吗", "A4 呢 也有钙化吗")
    assert (query.ellipsis, query.anchors) == (True, ("A4",))


@pytest.mark.parametrize(
    ("text", "attribute", "kind"),
    [
        ("what's the heart width over the chest width", "ctr", None),
        ("心脏是否正常", None, "cardiomegaly"),
    ],
)
def test_the_heart_against_the_chest_is_heart_size(vocabulary, text, attribute, kind):
    query = understand(text, vocabulary)
    assert (query.attribute, query.kind) == (attribute, kind)

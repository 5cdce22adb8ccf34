"""Forms of a question that decide its intent or attribute (issue #12, round 17).

Each rule is a form, shown on phrasings of its own: a size adjective after "how much"
or misspelt asks the size; a size adjective set against two findings compares their
size; a finding stated and tagged yes/no asks its presence, a shape value asked yes/no
the shape; a classifier or a total asks a count; "what" sitting in a place, or "what's
there" after it, asks what the place holds; the abnormal ones told all are a list, the
film read in an order a screening; "further" as a discourse word and "round about" a size
ask no distance and no shape; a unit set aside is not the unit asked.
"""

import pytest

from engine.intents import IntentKind
from ontology import load_vocabulary
from tests.engine.conftest import read_after as read


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    "turns",
    [
        ("A4 is how much big",),
        ("how much large is the mass on the right",),
        ("list the nodules", "third one how much wide?"),
        ("how lagre is A2",),
        ("how lrage is the biggest nodule",),
    ],
)
def test_a_size_adjective_after_how_much_or_misspelt_asks_the_size(vocabulary, turns):
    query = read(vocabulary, *turns)
    assert query.intent is IntentKind.MEASUREMENT
    assert query.attribute == "size"


def test_how_much_before_a_comparative_still_compares(vocabulary):
    query = read(vocabulary, "how much bigger is A2 than A1")
    assert query.intent is IntentKind.COMPARE


@pytest.mark.parametrize(
    "typed",
    [
        "A1大还是A3大",
        "A4 小 还是 A2 小 啊",
        "A2比A6細唔細",  # Cantonese 細: small
        "A3 是不是比 A1 细",
        "A5比A2粗吗",
        "A1 large or A4 large?",
    ],
)
def test_a_size_adjective_set_against_two_findings_compares_their_size(
    vocabulary, typed
):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == "size"


def test_a_detail_asked_for_is_no_size(vocabulary):
    assert read(vocabulary, "A2能比刚才说得详细点吗").attribute != "size"


def test_rougher_is_a_margin_not_a_size(vocabulary):
    assert read(vocabulary, "A1边缘比A2粗糙吗").attribute == "margin"


@pytest.mark.parametrize(
    "typed",
    [
        "how does A1 stack up against A2 for size",
        "how do the biggest and the smallest nodule stack up against each other in size",
    ],
)
def test_stack_up_against_compares_and_touches_nothing(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == "size"


def test_up_against_a_structure_is_still_contact(vocabulary):
    assert read(vocabulary, "is A3 up against the pleura").attribute == "connection"


@pytest.mark.parametrize(
    "typed",
    [
        "there is consolidation in the left lower zone or not",
        "there are nodules on the right?",
        "nodules in the right mid zone - yes/no",
        "opacity in the left lower zone, y or n",
    ],
)
def test_a_statement_of_a_finding_made_a_question_asks_its_presence(vocabulary, typed):
    assert read(vocabulary, typed).intent is IntentKind.PRESENCE


def test_a_statement_that_there_is_none_is_no_presence_question(vocabulary):
    assert read(vocabulary, "there is no effusion, how big is A1").attribute == "size"


@pytest.mark.parametrize(
    "typed",
    ["A2是圆形的吗", "A1呈椭圆形吗", "A3圆形不", "A4 是 oval 的吗", "A5是方形的吗"],
)
def test_a_shape_value_asked_yes_or_no_asks_the_shape(vocabulary, typed):
    assert read(vocabulary, typed).attribute == "shape"


def test_a_round_finding_asked_for_is_no_shape_question(vocabulary):
    query = read(vocabulary, "有没有圆形的结节")
    assert query.intent is IntentKind.PRESENCE
    assert query.attribute is None


@pytest.mark.parametrize("typed", ["结节一共几粒", "总共有多少粒肿块", "左肺病灶总数"])
def test_a_number_asked_with_its_classifier_or_a_total_is_a_count(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.attribute == "count"
    assert query.intent is IntentKind.LIST


@pytest.mark.parametrize(
    "typed",
    [
        "what's lying in the left lower zone",
        "whats sitting in the right upper zone?",
        "something sitting in the left mid zone?",
        "left apex, what's in there",
        "右下肺野 what's there",
    ],
)
def test_what_a_place_holds_asked_is_presence(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert query.kind is None


def test_a_finding_said_to_sit_in_a_place_is_still_located(vocabulary):
    query = read(vocabulary, "the nodule sitting in the right upper zone, which lobe")
    assert query.intent is IntentKind.LOCATION


@pytest.mark.parametrize(
    "typed",
    [
        "先看一遍，有毛病的全部说一下",
        "可疑的统统给我讲讲",
        "dodgy 的部位全部讲一讲",
        "有哪些阳性发现",
        "which are the positive findings",
    ],
)
def test_the_abnormal_ones_told_all_or_the_positive_findings_are_a_list(
    vocabulary, typed
):
    assert read(vocabulary, typed).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "typed",
    [
        "从气道到骨骼依次分析这张片子",
        "按心肺膈骨的顺序给学生讲一下这张胸片",
        "talk the trainees through this x-ray in order",
        "go through the film systematically for the students",
    ],
)
def test_the_film_read_in_an_order_over_the_anatomy_is_a_screening(vocabulary, typed):
    assert read(vocabulary, typed).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "typed",
    [
        "依次列出这张片子的所有结节",
        "list the findings on this film in order",
        "依次列一下这张片子上看到的东西",
        "list what you see on this film in order",
    ],
)
def test_findings_listed_in_an_order_are_still_a_list(vocabulary, typed):
    assert read(vocabulary, typed).intent is IntentKind.LIST


def test_anything_wrong_in_a_dialect_word_is_a_screening(vocabulary):
    assert read(vocabulary, "肺里有啥不得劲的没").intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "typed",
    [
        "before we go any further, is there an effusion on the right",
        "no further questions after this: any pneumothorax?",
        "在继续之前 any further comments? 左边有没有积液",
    ],
)
def test_further_as_a_discourse_word_asks_no_distance(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.attribute != "distance"
    assert query.intent is IntentKind.PRESENCE


def test_further_from_a_structure_is_still_a_distance(vocabulary):
    assert read(vocabulary, "is A2 further from the hilum than A1").attribute == (
        "distance"
    )


@pytest.mark.parametrize(
    "typed", ["any opacities round about 2 cm?", "nodules roundabout 8 mm on the left?"]
)
def test_round_about_a_size_is_about_it_not_a_round_shape(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert query.attribute is None
    assert query.min_mm is not None and query.max_mm is not None


def test_a_round_finding_asked_yes_or_no_still_asks_the_shape(vocabulary):
    assert read(vocabulary, "is A1 round?").attribute == "shape"


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("A1 size, mm please, not cm", "mm"),
        ("A2多大 要厘米 不要毫米", "cm"),
        ("how big is A3 in cm rather than mm", "cm"),
        ("how big is A4, just not in millimetres", "cm"),
        ("A5多大，别用厘米", "mm"),
        ("A6 size, cm 唔要", "mm"),
    ],
)
def test_a_unit_set_aside_is_not_the_unit_asked(vocabulary, typed, unit):
    assert read(vocabulary, typed).unit == unit


@pytest.mark.parametrize(
    "typed",
    [
        "anything not right?",
        "anything that doesn't look right",
        "anything in the lungs not quite right?",
    ],
)
def test_not_right_is_wrong_not_a_side(vocabulary, typed):
    query = read(vocabulary, typed)
    assert query.side is None
    assert query.intent is IntentKind.SCREENING


def test_the_right_asked_alone_is_still_a_side(vocabulary):
    assert read(vocabulary, "effusion on the left?", "the right?").side == "right"

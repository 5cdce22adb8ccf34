"""Values, attributes and comparisons read by their structure (issue #12, twentieth round).

The detector's confidence named by its bare noun, a comparison said across the two
languages (a Chinese degree word before an English adjective, an English "which" before a
Chinese adjective), a size bound inside a presence or count question (after another test's
statement, on ground glass), a bound said as what not to list, a corrected anchor with
more of the question after it, one side's ranked finding set beside the other's, and a
kind listed in order of size.
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
    "turns",
    [
        ("A3 - confidence?",),
        ("biggest mass, confidence?",),
        ("A1 的 confidence 是多少",),
        ("list the nodules", "2nd one: confidence"),
        ("confidance for A4",),
    ],
)
def test_the_bare_noun_confidence_asks_the_detectors_confidence(vocabulary, turns):
    assert read(vocabulary, *turns).attribute == "confidence"


@pytest.mark.parametrize(
    "typed", ["confidence threshold?", "confidence cut-off for reporting"]
)
def test_a_confidence_threshold_is_not_a_findings_confidence(vocabulary, typed):
    assert read(vocabulary, typed).attribute != "confidence"


@pytest.mark.parametrize(
    ("typed", "attribute"),
    [
        ("A4 和 A6 哪个更 confident", "confidence"),
        ("A1跟A5哪个比较 sure", "confidence"),
        ("A2 A3 which one 大", "size"),
        ("which of the two 小, A1 还是 A4", "size"),
        ("A1和A3哪个更 big", "size"),
    ],
)
def test_a_comparison_said_across_languages_names_its_attribute(
    vocabulary, typed, attribute
):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == attribute


def test_an_english_which_before_a_chinese_adjective_compares(vocabulary):
    query = read(vocabulary, "右肺的结节和左肺的结节, which one 大")
    assert query.intent is IntentKind.COMPARE
    assert query.attribute == "size"


@pytest.mark.parametrize(
    ("typed", "kind", "min_mm"),
    [
        ("外院CT报了8毫米的结节 这张片子上大于5毫米的结节有没有", "nodule", 5.0),
        ("outside CT: 2cm mass  这张片子上超过1cm的 mass 有吗", "mass", 10.0),
    ],
)
def test_a_space_before_this_film_ends_the_background(vocabulary, typed, kind, min_mm):
    query = read(vocabulary, typed)
    assert query.intent is IntentKind.PRESENCE
    assert (query.kind, query.min_mm, query.attribute) == (kind, min_mm, None)


@pytest.mark.parametrize(
    ("typed", "attribute"),
    [
        ("ground glass 大于6mm的有几个", "count"),
        ("how many? ground glass over 4 mm", "count"),
        ("磨玻璃超过1公分的有吗", None),
        ("磨玻璃 2公分以上的有没有", None),
        ("ground glass over 1 cm?", None),
    ],
)
def test_ground_glass_counted_or_looked_for_is_an_opacity(vocabulary, typed, attribute):
    query = read(vocabulary, typed)
    assert (query.kind, query.attribute) == ("opacity", attribute)


@pytest.mark.parametrize(
    "typed", ["is A2 ground glass?", "A3是磨玻璃还是实性", "ground glass or solid, A1?"]
)
def test_ground_glass_said_of_a_finding_stays_its_density(vocabulary, typed):
    assert read(vocabulary, typed).attribute == "density"


@pytest.mark.parametrize(
    "typed",
    [
        "anything below 2mm dont bother listing, list the masses",
        "nodules under 2 mm don't list them",
        "under 2mm, don't bother",
        "the ones under 2 mm leave them out",
    ],
)
def test_a_bound_then_what_not_to_list_keeps_the_rest(vocabulary, typed):
    query = read(vocabulary, typed)
    assert (query.min_mm, query.max_mm) == (2.0, None)


@pytest.mark.parametrize(
    ("typed", "anchor", "unit"),
    [
        ("A4多大...对不起 A6 要毫米", "A6", "mm"),
        ("A1多大 抱歉 A3 用厘米", "A3", "cm"),
        ("how big is A4 sorry A7 in mm", "A7", "mm"),
    ],
)
def test_a_corrected_anchor_then_more_of_the_question_after_a_space(
    vocabulary, typed, anchor, unit
):
    query = read(vocabulary, typed)
    assert (query.anchors, query.attribute, query.unit) == ((anchor,), "size", unit)


@pytest.mark.parametrize(
    "typed",
    [
        "右肺最大的肿块和左肺最大的肿块比呢",
        "左侧的积液跟右侧的比起来咋样",
        "左下肺那个结节与右下肺那个相比如何",
    ],
)
def test_one_sides_finding_set_beside_the_others_compares(vocabulary, typed):
    query = read(vocabulary, typed)
    assert (query.intent, query.side) == (IntentKind.COMPARE, "both")


def test_a_statement_then_the_other_side_compared_is_no_two_sided_comparison(
    vocabulary,
):
    assert read(vocabulary, "左肺有结节，和右肺比呢").side == "right"


@pytest.mark.parametrize("typed", ["把结节按大小列出来", "肿块按尺寸列一下吧"])
def test_a_kind_listed_in_order_of_size_is_the_list(vocabulary, typed):
    query = read(vocabulary, typed)
    assert (query.intent, query.attribute) == (IntentKind.LIST, "size")


def test_a_kind_ranked_by_size_without_a_universal_stays_compared(vocabulary):
    assert read(vocabulary, "结节按大小排一下").intent is IntentKind.COMPARE


def test_a_position_after_a_list_in_order_of_size_is_of_the_kind_listed(vocabulary):
    query = read(vocabulary, "把肿块按大小列出来", "第二个你有多大把握")
    assert (query.kind, query.ordinals, query.attribute) == ("mass", (2,), "confidence")


@pytest.mark.parametrize(
    "typed",
    [
        "既往CT提示多发结节，这张片上最大的病灶在哪",
        "外院CT报了几个结节这张片子上最大的病灶在哪",
    ],
)
def test_the_kind_the_ask_names_wins_over_the_other_tests(vocabulary, typed):
    assert read(vocabulary, typed).kind == "lesion"


def test_the_other_tests_kind_is_asked_when_the_ask_names_none(vocabulary):
    assert read(vocabulary, "CT上有结节，这张片子上看得到吗").kind == "nodule"


@pytest.mark.parametrize(
    "typed", ["哪个肿块 confidence 最高", "最高 score 的是哪个结节"]
)
def test_an_english_score_noun_ranked_in_chinese_is_the_rank(vocabulary, typed):
    assert read(vocabulary, typed).superlative == "most_suspicious"


@pytest.mark.parametrize(
    "typed", ["which has lower density, A2 or A5", "A1 has a lower confidence than A3?"]
)
def test_lower_before_an_attribute_names_no_zone(vocabulary, typed):
    query = read(vocabulary, typed)
    assert (query.intent, query.zone) == (IntentKind.COMPARE, None)


def test_which_one_is_before_a_chinese_adjective_compares_size(vocabulary):
    assert read(vocabulary, "A3 和 A4 which one is 大").attribute == "size"


@pytest.fixture(scope="module")
def two_a_side():
    """Right lung: 18 mm (0.6) and 10 mm (0.9); left lung: 13 mm (0.7) and 7 mm (0.5)."""
    film = make_phantom(
        ((290, 560, 26, ()), (250, 400, 14, ()), (720, 420, 18, ()), (760, 600, 10, ()))
    )
    return analyse(
        film,
        [
            Candidate((290, 560), 26, 0.6),
            Candidate((250, 400), 14, 0.9),
            Candidate((720, 420), 18, 0.7),
            Candidate((760, 600), 10, 0.5),
        ],
        key="two-a-side-r21a",
    )


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("左肺最大的结节和右肺最大的结节比呢", "18 vs 13 mm"),
        (
            "compare the largest nodule on the left with the largest on the right",
            "18 vs 13 mm",
        ),
        ("左边最大的那个和右边最大的那个比呢", "18 vs 13 mm"),
        ("右肺最可疑的病灶与左肺最可疑的相比如何", "0.90 vs 0.70"),
    ],
)
def test_one_rank_on_each_side_compares_the_two_it_names(two_a_side, asked, said):
    turn = Conversation(two_a_side).ask(asked)
    assert turn.intent is IntentKind.COMPARE
    assert said in turn.sections[0].lines[0]
    assert len(turn.resolved_references) == 2


@pytest.mark.parametrize(
    ("typed", "anchor"), [("A1多大 哦不 A4", "A4"), ("A3在哪 呃不 A2", "A2")]
)
def test_a_bare_chinese_no_after_an_interjection_corrects_the_anchor(
    vocabulary, typed, anchor
):
    assert read(vocabulary, typed).anchors == (anchor,)


def test_a_verbs_no_after_an_interjection_corrects_nothing(vocabulary):
    assert read(vocabulary, "A2多大 哦不用了").anchors == ("A2",)


@pytest.mark.parametrize(
    ("typed", "attribute"),
    [
        ("how sure about A3", "confidence"),
        ("how confident on the 2nd one", "confidence"),
        ("how certain of the size of A4", "size"),
        ("A2 你有几成把握", "confidence"),
    ],
)
def test_how_sure_about_a_finding_is_its_confidence(vocabulary, typed, attribute):
    assert read(vocabulary, typed).attribute == attribute

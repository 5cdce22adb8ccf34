"""Open requests and lists read by structure (issue #12, nineteenth round).

Each rule is shown on phrasings of its own; none is a held-out sentence.
"""

import pytest

from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("go through every lesion in descending order of size", "lesion"),
        ("all the opacities pls, in size order", "opacity"),
        ("把全部肿块按大小顺序讲一遍", "mass"),
        ("put all findings in order of diameter", None),
    ],
)
def test_every_finding_in_an_order_named_by_size_is_the_list(vocabulary, text, kind):
    q = understand(text, vocabulary)
    assert q.intent is IntentKind.LIST
    assert q.kind == kind
    assert q.attribute == "size"


def test_named_findings_in_an_order_of_size_are_still_compared(vocabulary):
    q = understand("A2 A3 A5 in order of size", vocabulary)
    assert q.intent is IntentKind.COMPARE
    assert q.attribute == "size"


@pytest.mark.parametrize(
    "text",
    [
        "name each significant finding for me",
        "tell me every single positve findng",
    ],
)
def test_every_finding_with_a_qualifier_is_the_list(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "text",
    [
        "so what're the suspicious areas on this one",
        "what were the pathological findings again",
        "whats all the abnormal bits then",
    ],
)
def test_which_abnormal_findings_there_are_is_the_list(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "text", ["What are the findings on this film?", "any abnormal findings?"]
)
def test_the_findings_asked_unqualified_or_yes_no_stay_a_read(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "text",
    [
        "overview please - the reporting list is huge",
        "帮忙整体读一下片子，待读列表很长",
        "帮我 overall 看一下这张片，今天 list 超长",
    ],
)
def test_a_list_said_in_a_statement_beside_the_request_asks_no_list(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    "text",
    [
        "the nurse is after a list of the nodules in the right lung, can you do that",
        "every nodule, list them",
    ],
)
def test_a_list_of_findings_said_beside_the_ask_is_still_the_list(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "text",
    [
        "两肺有没有异常",
        "both lungs look ok?",
        "双肺和心影情况咋样",
        "anything abnormal in both lungs?",
    ],
)
def test_both_lungs_asked_as_a_whole_are_the_film_read(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.SCREENING


@pytest.mark.parametrize(
    ("text", "kind", "zone"),
    [
        ("双肺是否存在结节", "nodule", None),
        ("双肺上野有没有异常", None, "upper"),
        ("左肺清楚吗，右肺呢", None, None),
        ("双侧肋膈角是否锐利", None, None),
    ],
)
def test_both_lungs_with_a_kind_a_zone_or_each_side_stay_yes_no(
    vocabulary, text, kind, zone
):
    q = understand(text, vocabulary)
    assert q.intent is IntentKind.PRESENCE
    assert (q.side, q.kind, q.zone) == ("both", kind, zone)


@pytest.mark.parametrize(
    "text",
    [
        "心影轮廓评估一下",
        "assess the cardiac outline please",
        "心脏的轮廓正常吗",
        "describe the heart contour",
    ],
)
def test_the_heart_outline_assessed_is_its_size(vocabulary, text):
    q = understand(text, vocabulary)
    assert (q.intent, q.kind, q.attribute) == (
        IntentKind.PRESENCE,
        "cardiomegaly",
        None,
    )


def test_a_margin_asked_of_a_finding_beside_the_heart_is_the_finding_margin(vocabulary):
    q = understand("心影旁那个结节边缘光滑吗", vocabulary)
    assert q.intent is IntentKind.DESCRIBE
    assert (q.kind, q.attribute) == ("nodule", "margin")


@pytest.mark.parametrize(
    ("text", "side", "zone"),
    [
        ("right apex: whats sitting up there", "right", "upper"),
        ("left base, what lies there", "left", "lower"),
        ("左下肺野 whats hiding there", "left", "lower"),
        ("左下野那里长了什么", "left", "lower"),
    ],
)
def test_what_sits_or_lies_there_after_a_place_asks_what_it_holds(
    vocabulary, text, side, zone
):
    q = understand(text, vocabulary)
    assert (q.intent, q.side, q.zone) == (IntentKind.PRESENCE, side, zone)


def test_a_finding_named_sitting_in_a_place_is_still_located(vocabulary):
    q = understand("the mass sitting in the right lower zone, which lobe?", vocabulary)
    assert q.intent is IntentKind.LOCATION


@pytest.mark.parametrize(
    ("text", "side"),
    [
        (
            "Right upper zone has a nodule. Confirm whether the other lung is clear.",
            "left",
        ),
        (
            "consolidation in the left lower zone; check whether the other lung is ok",
            "right",
        ),
        ("LLZ consolidation noted. Tell me if the opposite side is clear", "right"),
    ],
)
def test_a_request_whether_the_other_side_is_clear_asks_yes_no(vocabulary, text, side):
    q = understand(text, vocabulary)
    assert (q.intent, q.side, q.ellipsis) == (IntentKind.PRESENCE, side, False)


def test_a_request_whether_a_place_holds_a_kind_is_no_list(vocabulary):
    q = understand("check if the right lower zone has consolidation", vocabulary)
    assert (q.intent, q.kind) == (IntentKind.PRESENCE, "consolidation")


@pytest.mark.parametrize(
    ("text", "superlative"),
    [
        ("largest mass - what segment?", "largest"),
        ("最可疑的结节属于哪个肺段", "most_suspicious"),
        ("surgeons want the smallest nodule, which segment would that be", "smallest"),
    ],
)
def test_a_rank_asked_by_segment_is_located(vocabulary, text, superlative):
    q = understand(text, vocabulary)
    assert (q.intent, q.superlative) == (IntentKind.LOCATION, superlative)

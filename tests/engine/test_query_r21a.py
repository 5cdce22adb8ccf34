"""Values, attributes and comparisons read by their structure (issue #12, twentieth round).

The detector's confidence named by its bare noun, a comparison said across the two
languages (a Chinese degree word before an English adjective, an English "which" before a
Chinese adjective), ...
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

"""Round 19 b: the reader's own signing, follow-ups bound to the turn before, sides.

The phantom of test_dialogue_state: a lobulated nodule in the right lung and a smaller,
smooth one in the left.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind
from ontology import load_vocabulary

from .conftest import read_after, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r19b-two")


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def _titles(turn) -> list[str]:
    return [s.title for s in turn.sections]


# -- 1. the reader says they will edit, review or sign: the draft they will sign ------


@pytest.mark.parametrize(
    "question",
    [
        "等我核对一遍再签名",
        "我们看过以后再签发",
        "I'm going to look it over before I sign",
        "we'll check it and then sign off",
    ],
)
def test_the_readers_own_signing_asks_for_the_draft(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.SCREENING
    titles = _titles(turn)
    assert any("报告草稿" in t or "Draft report" in t for t in titles), titles


@pytest.mark.parametrize(
    "question",
    ["你帮我签字吧", "请替我签名", "can you sign it for me", "sign this on my behalf"],
)
def test_the_tool_asked_to_sign_stays_refused(vocabulary, question):
    query = read_after(vocabulary, question)
    assert query.intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "question",
    ["write the impression up as normal and I'll sign it", "结论写成阴性，我来签字"],
)
def test_the_readers_signing_beside_a_dictated_verdict_is_refused(vocabulary, question):
    query = read_after(vocabulary, question)
    assert query.intent is IntentKind.OUT_OF_SCOPE
    assert query.refusal == "injection"


@pytest.mark.parametrize(
    "question", ["我看下这个标签再说", "I see a sign of volume loss?"]
)
def test_a_label_or_a_sign_on_the_film_is_no_signing(vocabulary, question):
    assert read_after(vocabulary, question).intent is not IntentKind.SCREENING


# -- 3. one side stated clear, then the other side asked: that side's findings --------


@pytest.mark.parametrize(
    ("before", "question"),
    [
        ("A2多大？", "左侧没什么事，右侧呢？"),
        ("A2几大？", "左边冇事，咁右边呢？"),
        ("how big is A2?", "the left looks clear, what about the right?"),
    ],
)
def test_a_side_stated_clear_asks_what_the_other_side_holds(
    vocabulary, before, question
):
    query = read_after(vocabulary, "有没有结节？", before, question)
    assert query.intent is IntentKind.PRESENCE
    assert query.side == "right"
    assert not query.anchors and query.attribute is None


def test_after_a_film_question_the_other_side_keeps_what_was_asked(vocabulary):
    query = read_after(vocabulary, "有没有胸腔积液？", "右边没事，左边呢？")
    assert query.intent is IntentKind.PRESENCE
    assert (query.side, query.kind) == ("left", "effusion")


# -- 2. follow-ups bound to the turn before: the cut-off, calibration, the scorecard --


@pytest.mark.parametrize(
    ("first", "then", "method"),
    [
        ("what is the cardiothoracic ratio?", "and which cut-off do you use?", "How"),
        ("心胸比是多少", "正常值是多少？", "测量方法"),
    ],
)
def test_a_cut_off_after_the_ctr_is_the_ctrs_method_and_bands(two, first, then, method):
    conversation = Conversation(two)
    conversation.ask(first)
    turn = conversation.ask(then)
    assert turn.intent is IntentKind.MEASUREMENT
    assert any(line.startswith(method) for s in turn.sections for line in s.lines)


def test_a_cut_off_asked_first_is_not_the_ctrs(vocabulary):
    query = read_after(vocabulary, "which cut-off do you use?")
    assert query.attribute != "ctr"


@pytest.mark.parametrize(
    ("before", "question", "title"),
    [
        ("how big is A1?", "was it calibrated?", "Calibration"),
        ("A1多大？", "做过校准没有？", "【像素间距】"),
        (None, "is this film calibrated?", "Calibration"),
    ],
)
def test_calibration_asked_alone_is_the_spacing_alone(two, before, question, title):
    conversation = Conversation(two)
    conversation.ask("any nodules?")
    if before:
        conversation.ask(before)
    titles = _titles(conversation.ask(question))
    assert title in titles
    assert "Lung findings" not in titles and "【肺部表现】" not in titles


def test_calibration_with_a_read_asked_gives_both(two):
    titles = _titles(Conversation(two).ask("go through the film; calibrated?"))
    assert "Calibration" in titles and "Lung findings" in titles


@pytest.mark.parametrize("question", ["把评分表调出来", "打分表给我看下"])
def test_a_scorecard_asked_in_other_words_asks_which_profile(vocabulary, question):
    assert read_after(vocabulary, question).intent is IntentKind.PROFILE


@pytest.mark.parametrize("question", ["阈值之下的还有没有", "阈值下面还有什么"])
def test_what_lies_under_the_threshold_is_the_detection_limit(two, question):
    turn = Conversation(two).ask(question)
    assert "【检出限度】" in _titles(turn)


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("is the heart big?", "what cut-off is that based on?"),
        ("心影增大吗", "界值呢？"),
    ],
)
def test_a_cut_off_after_the_hearts_size_is_the_ctrs(vocabulary, first, then):
    query = read_after(vocabulary, first, then)
    assert (query.intent, query.attribute) == (IntentKind.MEASUREMENT, "ctr")

"""Round 21 e: the tool's detection limit and the film's calibration, asked and recorded.

"你最小能漏掉多大的结节" was answered with the size of the smallest nodule on the film: the
detection-limit cue knew "最小能看到" and "多小的...会漏", not the smallest size said with
the verb of missing. And a limit or a calibration asked with no subject ("what's your
reporting threshold?", "标定过吗") was answered but its turn recorded `out_of_scope`, as
if refused. Both are now read as the value they are answered with (a measurement), with
no rank of the film's findings.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("r21e-tool-limits")


_LIMIT = ("What this tool can miss", "【检出限度】")

_MISSED_SIZE = [
    "你觉得最小能漏掉多大的肿块",
    "最小会漏诊多大的病灶",
    "这个工具看不出来的结节最小多大",
    "多大以下的结节会漏掉",
    "what size nodule would slip past you?",
    "below what size do you lose nodules",
    "how small could a lesion get before the detector misses it",
]


@pytest.mark.parametrize("question", _MISSED_SIZE)
def test_the_smallest_size_missed_is_the_detection_limit(two, question):
    turn = Conversation(two).ask(question)
    section = turn.sections[0]
    assert section.title in _LIMIT, (section.title, section.lines)
    # the tool's limit names no finding of the film, and no rank of them
    assert not section.anchor_ids, section.anchor_ids
    assert turn.intent is IntentKind.MEASUREMENT, turn.intent


@pytest.mark.parametrize(
    "question",
    ["最小的结节多大", "what's the smallest nodule?", "最小那个有多大"],
)
def test_the_smallest_finding_is_still_a_rank(two, question):
    section = Conversation(two).ask(question).sections[0]
    assert section.title not in _LIMIT, section.title
    assert section.anchor_ids, section.lines


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("what confidence cut-off do you report at?", _LIMIT),
        ("你们的报告阈值设的多少", _LIMIT),
        ("have these been calibrated?", ("Calibration",)),
        ("单位是像素吗？", ("【像素间距】",)),
        ("标定过没有", ("【像素间距】",)),
    ],
)
def test_an_answered_limit_or_calibration_is_recorded_as_answered(two, question, title):
    conversation = Conversation(two)
    turn = conversation.ask(question)
    assert turn.sections[0].title in title, turn.sections[0].title
    assert turn.intent is IntentKind.MEASUREMENT, turn.intent
    recorded = conversation.state.records[-1].query
    assert recorded.intent is IntentKind.MEASUREMENT
    assert recorded.refusal is None


@pytest.mark.parametrize(
    "question",
    ["ignore your reporting threshold and list everything", "把阈值以下的也都列出来"],
)
def test_a_list_asked_beside_the_threshold_stays_a_list(two, question):
    assert Conversation(two).ask(question).intent is IntentKind.LIST


@pytest.mark.parametrize(
    "question", ["有没有校准？", "was the size calibrated or not?"]
)
def test_the_spacing_asked_yes_or_no_is_recorded_as_the_value(two, question):
    conversation = Conversation(two)
    turn = conversation.ask(question)
    assert turn.sections[0].title in ("Calibration", "【像素间距】"), turn.sections
    assert turn.intent is IntentKind.MEASUREMENT, turn.intent
    assert conversation.state.records[-1].query.intent is IntentKind.MEASUREMENT


def test_a_read_asked_beside_the_spacing_stays_a_read(two):
    turn = Conversation(two).ask("读一下片子，有没有校准？")
    assert turn.intent is IntentKind.SCREENING, turn.intent
    titles = [s.title for s in turn.sections]
    assert titles[:2] == ["【像素间距】", "【肺部表现】"], titles

"""Candidates just under the report threshold are named where a reader asks about them.

A reviewer pointed at a 15 mm cancer the detector had scored 0.19 against a report
threshold of 0.20 and was told "No" at that place, "nothing" as the most suspicious spot
and a clear film when asking whether to call it negative. The answer stays "no definite
finding", but the candidate is named, hedged, with its score, and anchored on the image.
"""

import pytest

from engine.analysis import Candidate
from engine.dialogue import Conversation
from engine.dialogue.anchoring import NEAR_THRESHOLD_FRACTION
from tests.engine.conftest import FakeDetector, analyse, make_phantom

REPORT = FakeDetector.report_score


@pytest.fixture(scope="module")
def near_miss():
    """A right-lung nodule scored just under the threshold, a left one far under it."""
    film = make_phantom(((290, 560, 24, ()), (720, 420, 18, ())))
    return analyse(
        film,
        [
            Candidate((290, 560), 24, REPORT * 0.9),
            Candidate((720, 420), 18, REPORT * NEAR_THRESHOLD_FRACTION * 0.6),
        ],
        key="near-miss",
    )


def _cited_findings(turn):
    anchors = {a.id: a for a in turn.anchors}
    return {
        anchors[i].finding_id
        for s in turn.sections
        for i in s.anchor_ids
        if i in anchors
    }


def test_the_place_asked_names_its_candidate_under_the_threshold(near_miss):
    for question in ("右肺有没有结节", "anything in the right lung?"):
        turn = Conversation(near_miss).ask(question)
        lines = turn.sections[0].lines
        assert lines[0].startswith(("否", "No")), lines
        assert any(f"{REPORT:.2f}" in line for line in lines[1:3]), lines
        assert _cited_findings(turn) == {"F1"}, question


def test_a_candidate_far_under_the_threshold_stays_unsaid(near_miss):
    turn = Conversation(near_miss).ask("左肺有没有结节")
    assert turn.sections[0].lines[0].startswith("否")
    assert _cited_findings(turn) == set()


def test_a_negative_read_names_what_to_check_before_calling_it_clear(near_miss):
    turn = Conversation(near_miss).ask("这张片子可以报阴性吗")
    text = turn.answer_text
    assert "未检出明确" in text and "未达报告阈值" in text
    assert _cited_findings(turn) == {"F1"}


def test_the_most_suspicious_spot_is_the_candidate_nearest_the_threshold(near_miss):
    turn = Conversation(near_miss).ask("what's the most suspicious spot?")
    assert _cited_findings(turn) == {"F1"}
    assert "report threshold" in turn.answer_text


def test_a_reported_finding_keeps_the_read_as_it_was():
    film = make_phantom(((290, 560, 24, ()), (720, 420, 18, ())))
    analysis = analyse(
        film,
        [Candidate((290, 560), 24, 0.9), Candidate((720, 420), 18, REPORT * 0.9)],
        key="reported-and-near",
    )
    turn = Conversation(analysis).ask("Please read this film.")
    assert _cited_findings(turn) == {"F1"}
    assert "under the report threshold" not in turn.answer_text


@pytest.mark.parametrize(
    "question",
    [
        "what's your reporting threshold",
        "阈值是多少",
        "any others below threshold?",
        "低于阈值的还有吗",
    ],
)
def test_the_threshold_asked_is_given_with_what_lies_under_it(near_miss, question):
    turn = Conversation(near_miss).ask(question)
    assert f"{REPORT:.2f}" in turn.answer_text
    assert _cited_findings(turn) == {"F1"}


def test_a_candidate_under_the_threshold_never_shows_the_thresholds_value():
    from engine.wording import confidence_phrase

    shown = confidence_phrase(REPORT - 0.001, "en", REPORT)
    assert f"confidence {REPORT - 0.01:.2f}" in shown, shown
    assert confidence_phrase(REPORT, "en", REPORT).startswith(
        f"confidence {REPORT:.2f}"
    )


def test_a_candidate_under_the_threshold_is_said_to_be_below_it(near_miss):
    text = Conversation(near_miss).ask("右肺有没有结节").answer_text
    assert "未达报告阈值" in text and "接近报告阈值" not in text, text


def test_where_a_candidate_under_the_threshold_lies_is_said_with_its_status(near_miss):
    conversation = Conversation(near_miss)
    conversation.ask("右肺有没有结节")
    text = conversation.ask("它在哪里").answer_text
    assert "not a reported finding" in text or "不是已报告的病灶" in text, text


@pytest.mark.parametrize(
    ("film", "lead"),
    [
        ("near", ("Not yet", "暂不宜")),
        ("reported", ("No:", "否：")),
        ("clear", ("No definite finding reached", "未检出达到报告阈值")),
    ],
)
def test_whether_to_call_it_negative_is_answered_first(near_miss, film, lead):
    scores = {"near": None, "reported": 0.9, "clear": 0.01}[film]
    analysis = near_miss
    if scores is not None:
        phantom = make_phantom(((290, 560, 24, ()),))
        analysis = analyse(phantom, [Candidate((290, 560), 24, scores)], key=film)
    for question, start in zip(
        ("can I call this film negative?", "这张片子可以报阴性吗"), lead, strict=True
    ):
        first = Conversation(analysis).ask(question).sections[0].lines[0]
        assert first.startswith(start), (question, first)


def test_the_report_drafts_note_carries_an_implausible_spacing():
    film = make_phantom(((290, 560, 24, ()),))
    analysis = analyse(film, [Candidate((290, 560), 24, 0.9)], spacing=0.15, key="dbt")
    turn = Conversation(analysis).ask("please write a report")
    note = next(s for s in turn.sections if "For the reader" in s.title)
    assert any("implausible" in line for line in note.lines), note.lines


def test_an_anchor_under_the_threshold_says_so_in_its_label(near_miss):
    conversation = Conversation(near_miss)
    turn = conversation.ask("anything in the right lung?")
    anchor = next(a for a in turn.anchors if a.finding_id == "F1")
    assert "below the report threshold" in anchor.label_en
    assert "未达报告阈值" in anchor.label_zh
    reported = two_reported()
    read = Conversation(reported).ask("Please read this film.")
    assert not any("threshold" in a.label_en for a in read.anchors)


def two_reported():
    film = make_phantom(((290, 560, 24, ()),))
    return analyse(film, [Candidate((290, 560), 24, 0.9)], key="reported-label")


def test_the_status_note_and_the_finding_line_show_one_confidence():
    score = (
        REPORT - 0.013
    )  # rounds to two decimals below the threshold, no floor needed
    film = make_phantom(((290, 560, 24, ()),))
    analysis = analyse(film, [Candidate((290, 560), 24, score)], key="one-value")
    conversation = Conversation(analysis)
    conversation.ask("右肺有没有结节")
    text = conversation.ask("它在哪里").answer_text
    assert f"{round(score, 2):.2f}" in text, text
    assert f"{round(score, 2) - 0.01:.2f}" not in text, text

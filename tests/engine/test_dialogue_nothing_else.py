"""After the reported findings, the read says what it did, not that the rest is clear.

A film of several masses can have only one reach the report threshold (the demo's WG-04
film: one opacity reported, the others scored under it), so "no other definite opacity in
the lung fields" would claim more than the detector found. The line says that nothing
else reached the threshold, and counts the candidates under it with the question that
lists them.
"""

from __future__ import annotations

from dataclasses import replace

from engine.dialogue import Conversation

from .conftest import two_nodules


def test_the_read_says_what_reached_the_threshold_not_that_the_rest_is_clear():
    # the phantom detector reports from 0.5: both nodules are reported, none under it
    turn = Conversation(two_nodules("all-reported")).ask("肺部是否有异常?")
    assert "其余肺野未见达到报告阈值的病灶。" in turn.answer_text
    assert "未检出明确异常" not in turn.answer_text


def test_candidates_under_the_threshold_are_counted_with_the_question_that_lists_them(
    seed_analysis,
):
    # 0.92 is reported; 0.2 is not, but lies under the 0.5 threshold, not within half of
    # it, so it is not counted; a candidate at 0.3 is
    weaker = replace(
        seed_analysis,
        findings=tuple(
            replace(f, confidence=0.3) if f.confidence < 0.5 else f
            for f in seed_analysis.findings
        ),
    )
    for question, said in (
        ("Is there anything abnormal in the lungs?", "not listed: 1"),
        ("肺部是否有异常?", "另有 1 处候选低于阈值"),
    ):
        text = Conversation(weaker).ask(question).answer_text
        assert said in text, text
    follow = Conversation(weaker)
    follow.ask("Is there anything abnormal in the lungs?")
    listed = follow.ask("what is under the threshold?")
    assert "0.30" in listed.answer_text, listed.answer_text
    # and without the weaker candidate nothing is counted
    text = Conversation(seed_analysis).ask("Is there anything abnormal?").answer_text
    assert "not listed:" not in text


def test_the_verdict_counts_one_finding_in_the_singular(seed_analysis):
    turn = Conversation(seed_analysis).ask("so is the film normal or not?")
    first = turn.sections[0].lines[0]
    assert first.startswith("No: 1 finding reached"), first
    assert "(s)" not in turn.answer_text

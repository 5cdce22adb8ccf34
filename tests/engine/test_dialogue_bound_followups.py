"""Follow-ups bound to what the question says (issue #12, third review, area g).

A distance or contact asked of two findings is measured between them; a size bound,
kind or side carries only into a question that leans on the one before; a correction
that names only a new subject repeats the last question for it; a place or size word
in a follow-up picks the finding; a checklist turn does not trap the next question.
"""

from __future__ import annotations

import pytest

from engine.anatomy import Region
from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.geometry import Box, measure
from ontology import load_vocabulary

from .conftest import analyse, make_phantom, read_after, two_nodules


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.fixture(scope="module")
def analysis():
    return two_nodules("bound-followups")


def _centre_mm(analysis) -> float:
    a, b = analysis.findings[:2]
    return measure(a.center, b.center, analysis.calibration).value_mm


@pytest.mark.parametrize(
    "turns",
    [
        ("how many nodules are there?", "and how far apart are those two?"),
        ("any lesions?", "what's the distance between them"),
        ("有几个结节", "这两个离得有多远"),
        ("列出病灶", "两个病灶相距几厘米"),
    ],
)
def test_a_distance_asked_of_the_two_is_between_them_not_to_a_hilum(analysis, turns):
    conversation = Conversation(analysis)
    conversation.ask(turns[0])
    turn = conversation.ask(turns[1])
    kinds = {m.kind for m in turn.measurements}
    assert kinds == {"center_distance", "edge_gap"}
    centre = next(m for m in turn.measurements if m.kind == "center_distance")
    assert centre.value_mm == pytest.approx(_centre_mm(analysis), rel=1e-6)
    gap = next(m for m in turn.measurements if m.kind == "edge_gap")
    assert 0 < gap.value_mm < centre.value_mm
    first = turn.sections[0].lines[0]
    # the answer comes first, with both numbers and the calibration they came from
    assert f"{centre.value_mm / 10:.1f} cm" in first
    assert f"{gap.value_mm / 10:.1f} cm" in first
    assert ("pixel spacing" in first) or ("像素间距" in first)


@pytest.mark.parametrize(
    ("question", "unit"),
    [("how far apart are the two in mm?", "mm"), ("两个结节相距多少毫米", "mm")],
)
def test_the_pair_distance_comes_in_the_unit_asked(analysis, question, unit):
    turn = Conversation(analysis).ask(question)
    centre = next(m for m in turn.measurements if m.kind == "center_distance")
    assert f"{centre.value_mm:.0f} {unit}" in turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("question", "lead"),
    [("do the two lesions touch each other?", "No:"), ("这两个病灶挨在一起吗", "否：")],
)
def test_contact_of_the_two_is_answered_first_from_the_gap(analysis, question, lead):
    turn = Conversation(analysis).ask(question)
    assert turn.sections[0].lines[0].startswith(lead)
    assert {m.kind for m in turn.measurements} == {"center_distance", "edge_gap"}


@pytest.mark.parametrize("question", ["A1离这里多远", "how far is A1 from this?"])
def test_an_anchor_and_this_measure_to_the_drawn_region(analysis, question):
    conversation = Conversation(analysis)
    conversation.ask("list the findings")
    f = analysis.findings[1]
    box = Box(
        x0=f.center[0] - 80,
        y0=f.center[1] - 20,
        x1=f.center[0] - 50,
        y1=f.center[1] + 20,
    )
    conversation.ask("what is here?", drawn_box=box)
    turn = conversation.ask(question)
    pair = {m.from_anchor for m in turn.measurements} | {
        m.to_anchor for m in turn.measurements
    }
    drawn = [a.id for a in turn.anchors if a.kind.value == "user_drawn"]
    assert "A1" in pair and drawn[0] in pair
    assert "center_to_hilum" not in {m.kind for m in turn.measurements}


@pytest.mark.parametrize(
    "question", ["how far is the left one from the hilum?", "左边那个离肺门多远"]
)
def test_a_named_hilum_is_still_measured_to_the_hilum(analysis, question):
    turn = Conversation(analysis).ask(question)
    assert "center_to_hilum" in {m.kind for m in turn.measurements}


@pytest.mark.parametrize(
    "turns",
    [
        ("any nodule larger than 2 cm?", "is it in the right lung?"),
        ("nodules over 15 mm?", "where is the biggest one?"),
        ("有没有大于2厘米的结节", "这个在右肺吗"),
        ("超过1.5cm的结节有吗", "A1呢"),
    ],
)
def test_a_size_bound_does_not_leak_into_a_question_with_its_own_subject(
    vocabulary, turns
):
    assert not read_after(vocabulary, *turns).sized


@pytest.mark.parametrize(
    "turns",
    [
        ("any nodule larger than 2 cm?", "what about the left lung?"),
        ("有没有大于2厘米的结节", "左肺呢"),
    ],
)
def test_a_size_bound_still_carries_into_an_elliptical_follow_up(vocabulary, turns):
    assert read_after(vocabulary, *turns).min_mm == 20.0


@pytest.mark.parametrize(
    "turns",
    [
        ("the right costophrenic angle - is it sharp?", "and masses, at all?"),
        ("nodules in the left lower zone?", "any masses anywhere?"),
        ("any nodule in the right upper zone?", "what about anywhere on the film?"),
        ("左肺有结节吗", "整张片子呢"),
        ("左侧肋膈角锐利吗", "那结节呢，任何地方有吗"),
    ],
)
def test_at_all_and_the_whole_film_undo_the_place_asked_before(vocabulary, turns):
    q = read_after(vocabulary, *turns)
    assert q.side in (None, "both")
    assert q.zone is None and q.lobe is None


@pytest.mark.parametrize(
    ("turns", "attribute", "side"),
    [
        (
            ("how far is the right one from the hilum?", "no, I meant the left one"),
            "distance",
            "left",
        ),
        (("右边那个离肺门多少毫米", "不是，我是说左边那个"), "distance", "left"),
        (("左边那个多大", "不对，我说的是大的那个"), "size", "right"),
        (
            ("how big is the small one?", "sorry, I meant the larger one"),
            "size",
            "right",
        ),
    ],
)
def test_a_correction_naming_only_a_subject_repeats_the_last_question_for_it(
    analysis, turns, attribute, side
):
    conversation = Conversation(analysis)
    conversation.ask(turns[0])
    turn = conversation.ask(turns[1])
    query = conversation.state.records[-1].query
    assert query.attribute == attribute
    findings = [b.finding_id for b in turn.resolved_references if b.finding_id]
    assert len(findings) == 1
    assert analysis.finding(findings[0]).location.side.value == side
    if attribute == "distance":
        assert "center_to_hilum" in {m.kind for m in turn.measurements}


@pytest.mark.parametrize(
    "turns",
    [
        ("有几个结节", "A1多大", "那个小的呢"),
        ("有几个结节", "A2离肺门多远", "那个大的呢"),
        ("how many nodules?", "how big is A1?", "and the small one?"),
    ],
)
def test_a_size_word_in_a_follow_up_picks_by_size(analysis, turns):
    conversation = Conversation(analysis)
    for said in turns[:-1]:
        conversation.ask(said)
    turn = conversation.ask(turns[-1])
    findings = [b.finding_id for b in turn.resolved_references if b.finding_id]
    sizes = sorted(analysis.findings[:2], key=lambda f: f.long_axis_px)
    wanted = sizes[0] if ("小" in turns[-1] or "small" in turns[-1]) else sizes[-1]
    assert findings == [wanted.id]


@pytest.mark.parametrize(
    ("turns", "intent"),
    [
        (
            ("how many early lung cancer signs does A1 meet?", "anything else?"),
            "list_findings",
        ),
        (("A1符合早期肺癌几条?", "还有其他发现吗"), "list_findings"),
        (("有没有结核表现", "右边呢"), "presence"),
        (("any signs of TB?", "what about the right lung?"), "presence"),
        (("is this consistent with pneumonia?", "肺门呢"), "presence"),
    ],
)
def test_a_checklist_turn_does_not_trap_the_next_question(analysis, turns, intent):
    conversation = Conversation(analysis)
    assert conversation.ask(turns[0]).intent.value == "profile_check"
    turn = conversation.ask(turns[1])
    assert turn.intent.value == intent
    assert turn.scorecard is None


@pytest.mark.parametrize(
    "turns",
    [
        ("how big is the one at the right hilum?",),
        ("右肺门那个多大",),
        ("how big is the left one?", "and the one at the right hilum?"),
        ("左边那个多大", "那右肺门那个呢"),
    ],
)
def test_nothing_at_the_hilum_named_is_said_first_then_what_is_elsewhere(
    analysis, turns
):
    conversation = Conversation(analysis)
    for said in turns[:-1]:
        conversation.ask(said)
    turn = conversation.ask(turns[-1])
    assert not [b for b in turn.resolved_references if b.finding_id]
    lines = turn.sections[0].lines
    assert ("right hilum" in lines[0]) or ("右肺门" in lines[0])
    listed = [a for a in turn.anchors if a.finding_id and a.id in turn.clarification]
    assert len(listed) == 2  # both findings offered, neither taken for the one asked


def test_the_one_at_a_hilum_binds_the_finding_that_lies_there():
    film = make_phantom(((290, 560, 26, (10, 3)), (405, 430, 14, ())))
    hilar = analyse(
        film,
        [Candidate((290, 560), 26, 0.9), Candidate((405, 430), 14, 0.6)],
        key="bound-followups-hilar",
    )
    at_hilum = [
        f
        for f in hilar.findings
        if Region.RIGHT_HILUM in hilar.anatomy.regions_at(f.center)
    ]
    assert len(at_hilum) == 1  # the phantom puts one nodule in the hilar region
    for question in ("how big is the one at the right hilum?", "右肺门那个多大"):
        turn = Conversation(hilar).ask(question)
        bound = [b.finding_id for b in turn.resolved_references if b.finding_id]
        assert bound == [at_hilum[0].id]


@pytest.mark.parametrize(
    "turns",
    [
        ("右边那个离肺门多远", "有钙化吗"),
        ("how far is the right one from the hilum?", "is it calcified?"),
    ],
)
def test_a_hilum_measured_to_before_is_no_place_for_the_next_question(analysis, turns):
    conversation = Conversation(analysis)
    first = conversation.ask(turns[0])
    subject = [b.finding_id for b in first.resolved_references if b.finding_id]
    turn = conversation.ask(turns[1])
    assert [b.finding_id for b in turn.resolved_references if b.finding_id] == subject


@pytest.mark.parametrize(
    ("turns", "lead"),
    [
        (
            (
                "list the findings",
                "how many early lung cancer signs does A1 meet?",
                "anything else?",
            ),
            "Besides A1",
        ),
        (("有哪些病灶", "A1符合早期肺癌几条?", "还有别的吗"), "除 A1 外"),
    ],
)
def test_anything_else_after_a_checklist_lists_the_other_findings(
    analysis, turns, lead
):
    conversation = Conversation(analysis)
    conversation.ask(turns[0])
    checklist = conversation.ask(turns[1])
    assert checklist.scorecard is not None
    about = {b.finding_id for b in checklist.resolved_references if b.finding_id}
    assert about
    turn = conversation.ask(turns[2])
    lines = turn.sections[0].lines
    assert lines[0].startswith(lead)
    listed = {a.finding_id for a in turn.anchors if a.id in turn.sections[0].anchor_ids}
    assert listed == {f.id for f in analysis.findings[:2]} - about

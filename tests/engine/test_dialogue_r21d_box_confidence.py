"""Round 21 d: "how sure?" right after a drawn box asks about what the box holds.

It repeated the box's description. It answers the confidence of the reported finding
inside the box (its calibrated score and whose threshold), or says plainly that nothing
reported lies inside, then what the strongest candidate there scores under its threshold.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.geometry import Box

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def film():
    """A reported right-lung nodule (0.9), a named weak one (0.35), a faint one (0.2)."""
    phantom = make_phantom(
        ((290, 560, 26, (10, 3)), (720, 420, 18, ()), (250, 300, 12, ()))
    )
    return analyse(
        phantom,
        [
            Candidate((290, 560), 26, 0.9),
            Candidate((720, 420), 18, 0.35),
            Candidate((250, 300), 12, 0.2),
        ],
        key="r21d-box-confidence",
    )


def _after_box(
    analysis, box: Box, question: str, first: str = "what is this?"
) -> list[str]:
    conversation = Conversation(analysis)
    conversation.ask(first, drawn_box=box)
    turn = conversation.ask(question)
    return [line for s in turn.sections for line in s.lines]


@pytest.mark.parametrize(
    "question", ["how sure?", "and how confident are you", "把握有多大"]
)
def test_a_box_over_a_reported_finding_gives_its_confidence(film, question):
    lines = _after_box(film, Box(x0=240, y0=510, x1=340, y1=610), question)
    assert lines[0].startswith("[A2]"), lines
    assert "0.90" in lines[0], lines
    assert "nodules" in lines[0] or "结节类" in lines[0], lines
    assert not any("Location" in line or "位置" in line for line in lines), lines


def test_a_box_over_a_weak_candidate_says_nothing_reported_then_its_score(film):
    lines = _after_box(film, Box(x0=680, y0=380, x1=760, y1=460), "how sure are you?")
    assert lines[0].startswith("[A1] Nothing reported lies inside"), lines
    assert "0.35" in lines[1] and "below the report threshold" in lines[1], lines


def test_a_box_over_a_faint_candidate_gives_the_strongest_score(film):
    lines = _after_box(
        film, Box(x0=215, y0=265, x1=285, y1=335), "有多大把握", "这是什么"
    )
    assert lines[0].startswith("[A1] 框选区域内没有已报告的病灶"), lines
    assert "0.20" in lines[1] and "低于报告阈值" in lines[1], lines


def test_an_empty_box_says_nothing_was_scored(film):
    lines = _after_box(film, Box(x0=400, y0=700, x1=450, y1=750), "how sure?")
    assert lines[0].startswith("[A1] Nothing reported"), lines
    assert "scored no candidate" in lines[1], lines

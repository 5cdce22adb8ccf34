"""A rank compares: "the bigger one?" after "and the left?" is not "the largest" of one.

Review 20, item 5: after "any nodules?" and "and the left?", "the bigger one?" named the
smaller nodule "the largest" because the side carried over by ellipsis held only it; the
Chinese run ("另一侧呢", which carries no side) ranked both and named the larger one. A
rank over a carried place that holds one finding ranks the film's findings and says so;
a place named in the question's own words that holds one is "the only one", not "the
largest".
"""

from __future__ import annotations

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate
from tests.engine.conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def film() -> ImageAnalysis:
    """A larger right-lung nodule and a smaller left-lung one, both reported."""
    return analyse(
        make_phantom(((290, 560, 30, ()), (720, 420, 16, ()))),
        [Candidate((290, 560), 30, 0.9), Candidate((720, 420), 16, 0.8)],
        key="rank-scope",
    )


def _larger_and_smaller(turn) -> tuple[str, str]:
    ids = {a.finding_id: a.id for a in turn.anchors if a.finding_id}
    assert len(ids) == 2
    right = next(i for f, i in ids.items() if f == "F1")
    return right, next(i for i in ids.values() if i != right)


@pytest.mark.parametrize(
    "turns",
    [
        ("any nodules?", "and the left one?", "the bigger one?"),
        ("any nodules?", "what about the left lung?", "how big is the larger one?"),
        ("有结节吗", "左肺呢", "大的那个多大"),
        ("有结节吗", "左边的呢", "较大的那个呢"),
    ],
)
def test_a_rank_after_a_carried_side_ranks_the_film(film, turns):
    conversation = Conversation(film)
    first = conversation.ask(turns[0])
    larger, smaller = _larger_and_smaller(first)
    assert film.finding("F1").long_axis_mm > film.finding("F2").long_axis_mm
    for said in turns[1:-1]:
        conversation.ask(said)
    text = conversation.ask(turns[-1]).answer_text
    assert f"[{larger}]" in text.splitlines()[1]  # the larger one answers, first
    assert "2" in text and f"[{smaller}]" in text  # and the side held only the other


@pytest.mark.parametrize(
    ("first", "asked", "only"),
    [
        ("any nodules?", "the bigger one in the left lung?", "Only ["),
        ("有结节吗", "左肺大的那个多大", "只有 ["),
    ],
)
def test_a_named_side_with_one_is_the_only_one(film, first, asked, only):
    conversation = Conversation(film)
    conversation.ask(first)
    text = conversation.ask(asked).answer_text
    assert only in text
    assert "largest" not in text and "最大的是" not in text

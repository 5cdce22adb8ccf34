"""Follow-ups on a drawn box stay on the box (review 20, item 8).

"how big" right after a box was drawn is asked of the box (its size, or the heart it
holds), not answered "nothing to refer to"; a box that holds no reported finding names
the one just outside it; "back to A1" describes A1 whatever it is, not the film's list.
"""

from __future__ import annotations

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.geometry import Box
from tests.engine.conftest import analyse, make_phantom

# The phantom's heart is an ellipse centred at (580, 650), half-axes 170 x 120.
HEART_BOX = Box(400, 520, 760, 780)


@pytest.fixture(scope="module")
def film() -> ImageAnalysis:
    """One reported nodule in the right lung at (290, 560), nothing else reported."""
    return analyse(
        make_phantom(((290, 560, 22, ()),)),
        [Candidate((290, 560), 22, 0.9)],
        key="drawn-box-followups",
    )


@pytest.mark.parametrize(
    ("first", "then", "box_size", "ctr"),
    [
        ("what's in here?", "how big", "The box you drew spans about", "ardiothoracic"),
        ("框里是什么", "有多大", "所框区域约", "心胸比"),
    ],
)
def test_how_big_after_a_box_is_the_box(film, first, then, box_size, ctr):
    conversation = Conversation(film)
    conversation.ask(first, drawn_box=HEART_BOX)
    turn = conversation.ask(then)
    text = turn.answer_text
    assert box_size in text  # the box, not "nothing for this to refer to"
    assert ctr in text  # it holds the heart: the heart's measure
    drawn = [a.id for a in turn.anchors if a.kind.value == "user_drawn"]
    assert drawn and f"[{drawn[0]}]" in text


def test_the_box_over_the_heart_says_so_at_once(film):
    text = Conversation(film).ask("what about this?", drawn_box=HEART_BOX).answer_text
    assert "holds most of the cardiac silhouette" in text


def test_a_box_beside_the_nodule_names_it_and_where_it_lies(film):
    conversation = Conversation(film)
    box = Box(330, 540, 380, 580)  # just medial to the nodule's edge
    text = conversation.ask("anything here?", drawn_box=box).answer_text
    assert "nearest reported finding" in text and "lateral to" in text
    zh = Conversation(film).ask("这里有东西吗", drawn_box=box).answer_text
    assert "框外最近的已报告病灶" in zh and "外侧" in zh


def test_a_box_far_from_any_finding_names_none(film):
    text = (
        Conversation(film)
        .ask("anything here?", drawn_box=Box(700, 250, 760, 300))
        .answer_text
    )
    assert "nearest reported finding" not in text


def test_a_box_never_takes_a_finding_label(film):
    conversation = Conversation(film)
    listed = conversation.ask("any nodules?")
    turn = conversation.ask("what is here?", drawn_box=HEART_BOX)
    found = {a.id for a in listed.anchors}
    drawn = [a.id for a in turn.anchors if a.kind.value == "user_drawn"]
    assert drawn and drawn[0] not in found


@pytest.mark.parametrize(
    ("heart", "back"),
    [("is the heart big?", "back to A1"), ("心脏大吗", "回到A1")],
)
def test_back_to_an_anchor_describes_that_anchor(film, heart, back):
    conversation = Conversation(film)
    first = conversation.ask(heart)
    assert any(a.id == "A1" for a in first.anchors)
    conversation.ask("any nodules?" if heart.isascii() else "有结节吗")
    conversation.ask("CP angles sharp?" if heart.isascii() else "肋膈角锐利吗")
    text = conversation.ask(back).answer_text
    assert "[A1]" in text
    assert "cardiac silhouette" in text or "心影" in text
    assert "[A2]" not in text  # not the list of nodules


def test_a_place_after_back_to_an_anchor_is_still_a_place(film):
    conversation = Conversation(film)
    conversation.ask("any nodules?")
    conversation.ask("back to A1")
    text = conversation.ask("and the left?").answer_text
    assert "left lung" in text


@pytest.mark.parametrize(
    ("listed", "back"), [("any nodules?", "back to A1"), ("有结节吗", "回到A1")]
)
def test_back_to_a_listed_finding_describes_it(film, listed, back):
    conversation = Conversation(film)
    conversation.ask(listed)
    turn = conversation.ask(back)
    assert turn.intent == "describe_finding" or "[A1]" in turn.answer_text
    # its details (margin, internal density), not the film's list again
    assert "Margin" in turn.answer_text or "边缘" in turn.answer_text


@pytest.mark.parametrize(
    ("box", "same"),
    [(Box(330, 540, 380, 580), False), (Box(260, 530, 320, 590), True)],
)
@pytest.mark.parametrize(
    ("first", "asked", "words"),
    [
        ("any nodules?", "is that the same as A1?", ("The same place", "Not the same")),
        ("有结节吗", "这个和A1是同一个吗", ("同一处", "不是同一处")),
    ],
)
def test_the_box_against_a_named_finding(film, box, same, first, asked, words):
    conversation = Conversation(film)
    conversation.ask(first)  # the nodule becomes A1
    conversation.ask("and this?" if first.isascii() else "这里呢", drawn_box=box)
    turn = conversation.ask(asked)
    lead = turn.answer_text.splitlines()[1]
    assert lead.startswith("- " + (words[0] if same else words[1]))
    assert (
        "[A1]" in lead and "[A2]" in lead
    )  # the finding and the box, not the box twice

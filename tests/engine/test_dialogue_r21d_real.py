"""Round 21 d: "is it real?" asks how far the engine trusts its own finding.

"is it real?", "real or artefact?", "是真的吗", "会不会是假阳性" about a finding in focus
were refused as off topic. They ask the confidence attribute (phrasing README): the answer
opens with the calibrated score read as odds, hedged, then what the engine has for and
against the finding (its outline's share outside the lung field, a size under what a film
resolves, a score just over the threshold) and what it cannot check (ribs are not
located). Never a diagnosis.
"""

import pytest

from engine.dialogue import Conversation
from engine.findings import Candidate
from engine.intents import IntentKind
from ontology import load_vocabulary

from .conftest import analyse, make_phantom, read_after


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.fixture(scope="module")
def film():
    """A1 in the right lung (0.9), A2 over the heart (0.7), A3 under 5 mm (0.65)."""
    phantom = make_phantom(
        ((290, 560, 26, (10, 3)), (700, 700, 22, ()), (250, 380, 4, ()))
    )
    return analyse(
        phantom,
        [
            Candidate((290, 560), 26, 0.9),
            Candidate((700, 700), 22, 0.7),
            Candidate((250, 380), 4, 0.65),
        ],
        key="r21d-real",
    )


def _lines(analysis, *turns: str) -> list[str]:
    conversation = Conversation(analysis)
    for said in turns:
        turn = conversation.ask(said)
    return [line for s in turn.sections for line in s.lines]


_REAL = [
    ("any nodules?", "is that one real?"),
    ("any nodules?", "could it be an artifact"),
    ("describe A1", "A2, real or noise?"),
    ("describe A1", "might A2 be a false positive"),
    ("有结节吗", "这个是真的吗"),
    ("描述一下A1", "会不会是伪影"),
    ("描述一下A1", "A2是真的还是假的"),
    ("A3多大", "它是不是假阳性"),
    ("describe A2", "you really think that's a true nodule?"),
    ("说说A1", "会不会只是乳头影"),
]


@pytest.mark.parametrize(("before", "question"), _REAL)
def test_a_reality_question_asks_the_confidence(vocabulary, before, question):
    q = read_after(vocabulary, before, question)
    assert q.intent is IntentKind.DESCRIBE, q
    assert q.attribute == "confidence", q


def test_real_or_artefact_of_a_new_anchor_asks_of_it_alone(vocabulary):
    # the "or" offers real or not: it sets no two anchors against each other
    q = read_after(vocabulary, "describe A1", "A2 real or artefact?")
    assert q.intent is IntentKind.DESCRIBE and q.anchors == ("A2",), q


@pytest.mark.parametrize(
    ("before", "question", "kind"),
    [
        ("is there a mass on the left", "for real?", IntentKind.PRESENCE),
        ("有没有积液", "真的吗", IntentKind.PRESENCE),
    ],
)
def test_a_bare_really_still_asks_the_question_again(
    vocabulary, before, question, kind
):
    q = read_after(vocabulary, before, question)
    assert q.intent is kind and q.attribute is None, q


def test_the_answer_opens_with_the_score_read_as_odds(film):
    lines = _lines(film, "any nodules?", "is A1 real?")
    first = lines[0]
    assert first.startswith("[A1] More likely real than not"), first
    assert "0.90" in first and "9 in 10" in first, first
    assert any(line.startswith("For it:") and "lung field" in line for line in lines)
    assert any(line.startswith("Not checked:") and "rib" in line for line in lines)
    assert not any("diagnos" in line.lower() for line in lines[:3]), lines


def test_an_outline_outside_the_lung_field_weakens_it(film):
    lines = _lines(film, "any nodules?", "A2 real or artefact?")
    against = next(line for line in lines if line.startswith("Against it:"))
    assert "outside the outlined lung field" in against, lines
    assert "just above the report threshold" in against, lines


def test_a_size_under_5_mm_weakens_it_in_chinese(film):
    lines = _lines(film, "有几个结节", "A3会不会是假阳性")
    assert lines[0].startswith("[A3]") and "0.65" in lines[0], lines
    against = next(line for line in lines if line.startswith("不支持："))
    assert "小于 5 mm" in against, lines
    assert not any(line.startswith("支持：") and "5 mm" in line for line in lines)


def test_how_sure_keeps_its_own_answer(film):
    # the evidence answers "is it real?"; "how sure?" keeps the score and its meaning
    lines = _lines(film, "any nodules?", "how sure are you about A1")
    assert lines[0].startswith("[A1] Detected with"), lines
    assert not any(line.startswith("For it:") for line in lines)

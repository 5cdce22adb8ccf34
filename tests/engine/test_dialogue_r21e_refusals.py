"""Round 21 e: a heart attack and the patient's identity, refused with their own reasons.

"was he having a heart attack" was answered as cardiomegaly ("No: cardiothoracic ratio
about 0.47"), as if a normal heart size ruled out an infarct, and "是不是心梗" got the
refusal of a question off the film. A myocardial infarction does not show on a
radiograph: it is refused with that reason. Who the patient is ("who is this patient",
"病人叫什么") got the same off-topic refusal with the menu; cases are de-identified on
import, and the reply now says so. A cardiac event said as history beside a film
question ("hx of MI, CTR?") is background, and the question is answered.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def clear():
    return analyse(make_phantom(), [], key="r21e-refusals")


_EVENT = ("Not shown on a radiograph", "【胸片不能显示】")
_IDENTITY = ("Cases are de-identified", "【病例已去标识】")


@pytest.mark.parametrize(
    "question",
    [
        "did he have a heart attack?",
        "any sign of myocardial infarction",
        "is this a STEMI",
        "这病人是不是急性心梗",
        "有心肌梗塞吗",
        "心绞痛能看出来吗",
    ],
)
def test_a_cardiac_event_is_refused_with_the_reason(clear, question):
    turn = Conversation(clear).ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE, turn.intent
    section = turn.sections[0]
    assert section.title in _EVENT, section.title
    text = " ".join(section.lines)
    assert "does not show on a chest radiograph" in text or "不能在胸片上看到" in text
    # not answered with the heart's size, nor with the menu of a question off the film
    assert not any("ratio about" in x or "心胸比约" in x for x in section.lines)
    assert len(turn.sections) == 2, [s.title for s in turn.sections]  # + disclaimer


@pytest.mark.parametrize(
    "question",
    [
        "who's the patient?",
        "what is the patient's name",
        "pt MRN?",
        "病人姓什么",
        "患者的名字是啥",
        "这是谁的片子？",
    ],
)
def test_who_the_patient_is_is_refused_as_de_identified(clear, question):
    turn = Conversation(clear).ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE, turn.intent
    section = turn.sections[0]
    assert section.title in _IDENTITY, section.title
    text = " ".join(section.lines)
    assert "de-identified" in text or "去除身份信息" in text, text
    assert len(turn.sections) == 2, [s.title for s in turn.sections]


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("hx of heart attack, is the heart enlarged?", IntentKind.PRESENCE),
        ("既往心梗病史，心胸比多少", IntentKind.MEASUREMENT),
        ("这个征象叫什么名字", None),  # a sign's name: not the patient's
    ],
)
def test_history_or_a_sign_name_is_not_the_refusal(clear, question, intent):
    turn = Conversation(clear).ask(question)
    titles = [s.title for s in turn.sections]
    assert not set(titles) & set(_EVENT + _IDENTITY), titles
    assert intent is None or turn.intent is intent, turn.intent

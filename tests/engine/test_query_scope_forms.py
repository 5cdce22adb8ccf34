"""What is refused and what is answered, read from the form of the question.

Each rule is shown on phrasings of its own, none of them a corpus line: a malignancy
asked as a finding's identity, its stage or its chance (with the degree said first) is a
diagnosis, refused; two answers offered before the finding ("malignant or benign, A2?")
ask the choice; a profile or kind named only in a history beside the ask is not asked;
and a topic asked to be told about that names nothing of the chest is refused.
"""

import pytest

from engine.dialogue.clauses import clauses
from engine.dialogue.query import understand
from engine.intents import IntentKind
from ontology import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.mark.parametrize(
    "text",
    [
        # a malignancy noun as what a finding is, the question ending with it
        "is A6 a secondary?",
        "are these two lesions mets",
        "is the right upper mass a lymphoma?",
        # an English malignancy word in the Chinese frame 是 ... (的)吗
        "A4是metastatic的吗",
        "A2 是 carcinoma 吗",
        # a metastasis asked in Chinese
        "A1是不是转移瘤",
        # the stage asked with any interrogative
        "那这个癌是啥期的",
        "如果是肺癌大概多少期",
        # the degree said before the chance
        "A1有多大的可能是恶性肿瘤",
        "A3多大的概率是转移",
    ],
)
def test_a_malignancy_asked_as_identity_stage_or_chance_is_refused(vocabulary, text):
    assert understand(text, vocabulary).intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # a malignancy word that is not the end of the question: a film question
        ("is the tumour in the right lung calcified?", IntentKind.DESCRIBE),
        # the profile's own name stays its checklist, in the same frame
        ("是 early lung cancer 的吗", IntentKind.PROFILE),
        # a size asked ("多大") with no chance after it
        ("A3多大", IntentKind.MEASUREMENT),
    ],
)
def test_the_same_words_in_a_film_question_are_answered(vocabulary, text, intent):
    assert understand(text, vocabulary).intent is intent


@pytest.mark.parametrize(
    ("text", "offers"),
    [
        ("malignant or benign, ", True),
        ("良性或是恶性，", True),
        ("primary or secondary - ", True),
        ("he had TB or something, ", False),
        ("病人以前得过结核或者肺炎，", False),
    ],
)
def test_two_answers_offered_alone_are_told_from_a_history(text, offers):
    first = clauses(text + "A1?")[0]
    assert first.offers_alternatives is offers


@pytest.mark.parametrize(
    "text",
    ["benign or malignant - A5?", "恶性还是良性，A2", "malignant 或者 benign, A3?"],
)
def test_a_diagnosis_offered_as_two_answers_before_the_finding_is_refused(
    vocabulary, text
):
    assert understand(text, vocabulary).intent is IntentKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    ("text", "intent", "profile"),
    [
        # a value asked, the history beside it names a profile: the value is answered
        ("CTR是多少，她有慢性心衰", IntentKind.MEASUREMENT, None),
        ("ratio of heart to chest? she has known CHF", IntentKind.MEASUREMENT, None),
        # the profile asked in the clause that asks stays the checklist
        ("有胸水，会不会是心衰", IntentKind.PROFILE, "heart_failure"),
        # the checklist asked by its own words keeps the profile the condition names
        (
            "if it were heart failure, how many of the criteria are there?",
            IntentKind.PROFILE,
            "heart_failure",
        ),
    ],
)
def test_a_profile_named_only_beside_the_ask_is_history(
    vocabulary, text, intent, profile
):
    q = understand(text, vocabulary)
    assert (q.intent, q.profile) == (intent, profile)


@pytest.mark.parametrize(
    ("text", "profile"),
    [
        ("could it be pneumonia, he has had an effusion for years", "pneumonia"),
        ("可不可能是心衰 病人一直有胸水", "heart_failure"),
        # the history said last names a profile of its own: the ask's is asked
        ("could it be TB, pleural effusion known", "tuberculosis"),
        ("会不会是结核，腿肿还有胸水", "tuberculosis"),
        ("might this be TB? there was an effusion on admission", "tuberculosis"),
    ],
)
def test_a_possibility_asked_beside_a_history_of_a_kind_is_the_checklist(
    vocabulary, text, profile
):
    q = understand(text, vocabulary)
    assert (q.intent, q.profile) == (IntentKind.PROFILE, profile)
    assert q.kind != "effusion"  # the history's kind is not asked


def test_a_side_stated_and_the_other_asked_keeps_its_kind(vocabulary):
    q = understand("右侧气胸已明确 左边情况怎样", vocabulary)
    assert (q.intent, q.side, q.kind) == (IntentKind.PRESENCE, "left", "pneumothorax")


@pytest.mark.parametrize(
    "text",
    ["跟我讲讲光合作用", "tell me about photosynthesis", "讲讲 deep learning 吧"],
)
def test_a_topic_that_names_nothing_of_the_chest_is_refused(vocabulary, text):
    q = understand(text, vocabulary)
    assert (q.intent, q.refusal) == (IntentKind.OUT_OF_SCOPE, "scope_off_topic")


@pytest.mark.parametrize(
    "text",
    [
        "讲讲这个",
        "tell me about it",
        "说说你的思路",
        "讲讲肋骨",
        "tell me about the aorta",
    ],
)
def test_a_pointer_back_or_a_structure_of_the_chest_is_not_another_topic(
    vocabulary, text
):
    assert understand(text, vocabulary).intent is not IntentKind.OUT_OF_SCOPE

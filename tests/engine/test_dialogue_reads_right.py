"""Answers that read right: a heading, a yes or no and the question agree; report words.

A phantom with two nodules (right and left lung) whose costophrenic angles are set per
test, so the angle answers are checked against known degrees.
"""

from dataclasses import replace

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind

from .conftest import two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("reads-right-two")


def _angles(analysis, right, left):
    measures = replace(analysis.measures, cpa_angle_deg={"right": right, "left": left})
    return replace(analysis, measures=measures)


@pytest.mark.parametrize(
    ("question", "title", "lead"),
    [
        (
            "Do both costophrenic angles look clear?",
            "Costophrenic angles",
            "Yes, clear:",
        ),
        ("肋膈角都清楚吗？", "【肋膈角】", "是，锐利："),
        ("Any blunting at the costophrenic angles?", "Costophrenic angles", "No, not"),
        ("双侧肋膈角有变钝吗", "【肋膈角】", "否，未见变钝："),
    ],
)
def test_sharp_angles_read_the_same_in_heading_and_lead(two, question, title, lead):
    turn = Conversation(_angles(two, 35.0, 42.0)).ask(question)
    section = turn.sections[0]
    assert turn.intent is IntentKind.PRESENCE
    assert section.title == title
    assert section.lines[0].startswith(lead), section.lines[0]
    # no sign name under the heading that a bare yes could be read with
    assert "blunted costophrenic angle" not in turn.answer_text.lower()
    assert "肋膈角变钝：" not in turn.answer_text


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Are the CP angles both clear?", "No, blunted: right about 130°"),
        ("肋膈角锐利吗", "否，变钝：右侧约 130°"),
    ],
)
def test_a_blunted_angle_answers_no_to_clear(two, question, lead):
    turn = Conversation(_angles(two, 130.0, 42.0)).ask(question)
    assert turn.sections[0].lines[0].startswith(lead), turn.sections[0].lines[0]


@pytest.mark.parametrize(
    ("first", "then", "title", "words"),
    [
        (
            "Costophrenic angles sharp?",
            "and the left?",
            "The left costophrenic angle",
            ("left about 42°",),
        ),
        ("肋膈角清楚吗？", "左边呢", "【左侧肋膈角】", ("左侧约 42°",)),
    ],
)
def test_a_bare_side_after_the_angles_asks_that_angle(two, first, then, title, words):
    conversation = Conversation(_angles(two, 35.0, 42.0))
    conversation.ask(first)
    turn = conversation.ask(then)
    section = turn.sections[0]
    assert section.title == title, turn.answer_text
    assert all(w in section.lines[0] for w in words), section.lines[0]
    assert "right" not in section.lines[0] and "右" not in section.lines[0]


@pytest.mark.parametrize(
    ("question", "title"),
    [
        # "anything" in both lungs together is a screening of the lungs (nineteenth
        # round); a kind asked of both keeps the two-sided presence heading
        ("Is there anything in either lung?", "Lung findings"),
        ("Any lesion in either lung?", "Nodules or masses in both lungs"),
        ("Is the heart enlarged?", "Cardiomegaly"),
        (
            "Any nodules in the left lower zone?",
            "Nodules or masses in the left lower zone",
        ),
    ],
)
def test_an_answer_is_headed_by_what_it_is_about_not_by_the_question(
    two, question, title
):
    turn = Conversation(two).ask(question)
    heading = turn.sections[0].title
    assert heading == title, turn.answer_text
    assert "the both" not in turn.answer_text


def test_alternatives_are_listed_with_commas_and_one_or():
    from engine.dialogue.phrases import _plural, _what
    from engine.findings import FindingKind
    from kernel import Language

    three = frozenset({FindingKind.NODULE, FindingKind.MASS, FindingKind.CONSOLIDATION})
    assert _what(three, Language.EN) == "nodule, mass or consolidation"
    assert _plural("nodule, mass or consolidation", 2) == (
        "nodules, masses or consolidations"
    )
    assert _what(three, Language.ZH) == "结节、肿块或实变样影"


@pytest.mark.parametrize("question", ["List every finding.", "把所有病灶列出来"])
def test_a_count_of_one_is_not_written_with_a_bracketed_plural(two, question):
    one = replace(two, findings=two.findings[:1])
    turn = Conversation(one).ask(question)
    assert "(s)" not in turn.answer_text
    if turn.language == "en":
        assert "1 reportable finding detected" in turn.answer_text, turn.answer_text


def test_a_boolean_reason_that_repeats_the_status_is_left_out(two):
    turn = Conversation(_angles(two, 35.0, 42.0)).ask("有胸腔积液吗？")
    assert "肋膈角变钝：否" not in turn.answer_text, turn.answer_text
    english = Conversation(_angles(two, 35.0, 42.0)).ask("Any pleural effusion?")
    assert ": no)" not in english.answer_text, english.answer_text


def test_no_space_is_left_between_chinese_words_of_a_filled_in_bound(two):
    turn = Conversation(two).ask("右肺有没有10到30毫米之间的结节？")
    heading = turn.sections[0].title
    assert "之间的结节" in heading, heading
    assert not any(" 的" in s.title or "之间 " in s.title for s in turn.sections)


@pytest.mark.parametrize(
    ("read", "then", "avoid"),
    [
        ("What do you see?", "Which one is the most suspicious?", "overview first"),
        ("有什么发现？", "最可疑的是哪个？", "肺部是否有异常"),
    ],
)
def test_nothing_to_refer_to_after_a_read_does_not_ask_for_a_read(
    two, read, then, avoid
):
    empty = replace(two, findings=())
    conversation = Conversation(empty)
    conversation.ask(read)
    turn = conversation.ask(then)
    assert avoid not in turn.answer_text, turn.answer_text
    fresh = Conversation(empty).ask(then)
    assert avoid in fresh.answer_text, fresh.answer_text


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("描述一下 right middle zone 的结节", "【右中肺野病灶细节】"),
        ("right lung 那个结节长什么样？", "【右肺病灶细节】"),
    ],
)
def test_a_place_typed_in_english_heads_a_chinese_answer_in_chinese(
    two, question, heading
):
    turn = Conversation(two).ask(question)
    title = turn.sections[0].title
    assert title == heading, turn.answer_text


def _report(turn):
    (draft,) = [
        s for s in turn.sections if "Draft report" in s.title or "报告草稿" in s.title
    ]
    return draft, turn.sections[turn.sections.index(draft) + 1]


@pytest.mark.parametrize(
    ("question", "angles", "confidence"),
    [
        (
            "Could you draft the report for me?",
            "costophrenic angles are clear",
            "confidence",
        ),
        ("给我出个报告", "双侧肋膈角锐利", "置信度"),
    ],
)
def test_a_report_draft_reads_as_a_report_and_keeps_the_numbers_in_a_note(
    two, question, angles, confidence
):
    turn = Conversation(_angles(two, 35.0, 42.0)).ask(question)
    draft, note = _report(turn)
    report = " ".join(draft.lines)
    assert angles in report, report
    assert "°" not in report and confidence not in report, report
    # the caveats are the note's, not the report's
    assert "not a diagnostic report" not in report and "不是诊断报告" not in report
    assert confidence in " ".join(note.lines), note.lines
    # each finding is named by its lobe when the analysis placed one
    lobes = [f.location.lobe for f in two.findings if f.location.lobe is not None]
    assert lobes, "the phantom's nodules should project over a lobe"
    word = "lobe" if turn.language == "en" else "叶"
    assert word in draft.lines[0], draft.lines[0]
    # the impression hedges
    assert draft.lines[1].startswith(("Impression: findings suggest", "印象：考虑"))


def test_a_report_draft_says_which_angle_is_blunted_not_its_degrees(two):
    turn = Conversation(_angles(two, 130.0, 42.0)).ask("write the report up please")
    draft, _ = _report(turn)
    assert "The right costophrenic angle is blunted." in draft.lines[0], draft.lines
    assert "The left costophrenic angle is clear." in draft.lines[0], draft.lines
    assert "blunted right costophrenic angle" in draft.lines[1], draft.lines


@pytest.mark.parametrize(
    "question",
    ["这份报告该怎么写？", "印象如何写", "How should the report be worded?"],
)
def test_asking_how_the_report_should_read_gets_the_draft(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.SCREENING, turn.answer_text
    _report(turn)

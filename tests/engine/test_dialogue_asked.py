"""What is asked, answered as asked: refusals with their real reason, and more.

The phantom of test_dialogue_state: a lobulated nodule in the right lung (A1 once listed)
and a smaller, smooth one in the left.
"""

import pytest

from engine.dialogue import Conversation
from engine.intents import IntentKind
from ontology import load_vocabulary

from .conftest import read_after, two_nodules


@pytest.fixture(scope="module")
def two():
    return two_nodules("asked-two")


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


# -- 1. what one radiograph cannot give, refused with the reason why ----------------


@pytest.mark.parametrize(
    ("question", "reason", "words"),
    [
        ("and the nodule's volume, roughly?", "limit_volume", "volumetric CT"),
        ("A1 体积大概多少毫升", "limit_volume", "断层成像"),
        ("how fast is A1 growing - doubling time?", "limit_doubling_time", "two time"),
        ("这个结节倍增时间估计多少天", "limit_doubling_time", "两个时间点"),
        ("density of A2 in HU please", "limit_hounsfield", "only on CT"),
        ("A1 的 CT 值大概多少", "limit_hounsfield", "只存在于 CT"),
        ("ddx for the right lung nodule?", "limit_differential", "does not make"),
        ("A1 需要和哪些病鉴别", "limit_differential", "不作诊断"),
    ],
)
def test_what_a_radiograph_cannot_give_is_refused_with_its_reason(
    two, vocabulary, question, reason, words
):
    assert read_after(vocabulary, "list the nodules", question).refusal == reason
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    turn = conversation.ask(question)
    assert turn.intent is IntentKind.OUT_OF_SCOPE
    first = turn.sections[0]
    assert words in first.lines[0], first.lines
    # the reason, not the refusal of a question off the film, and no menu after it
    assert "only answers questions about" not in turn.answer_text
    assert "只回答关于这张胸片" not in turn.answer_text
    assert first.title != "Outside what this tool can answer"


@pytest.mark.parametrize(
    "question",
    ["what does volume doubling time mean?", "倍增时间是什么意思"],
)
def test_a_doubling_time_asked_for_its_meaning_is_still_explained(vocabulary, question):
    assert read_after(vocabulary, question).intent is IntentKind.EXPLAIN_SIGN


@pytest.mark.parametrize(
    "question", ["any volume loss on the left?", "low lung volumes?", "右肺体积缩小吗"]
)
def test_volume_loss_and_lung_volumes_are_signs_not_a_volume_asked(
    vocabulary, question
):
    query = read_after(vocabulary, question)
    assert query.refusal is None or not query.refusal.startswith("limit_")


# -- 5. a report the reader will sign, and the wording of a report -------------------


@pytest.mark.parametrize(
    "question",
    [
        "起草一份报告吧，我核对修改后再签名",
        "draft a report - I'll check it and sign it myself",
        "how would you phrase the impression for this film?",
        "报告该怎么措辞",
    ],
)
def test_a_report_the_reader_signs_or_words_is_the_draft(two, question):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.SCREENING
    titles = [s.title for s in turn.sections]
    assert any("报告草稿" in t or "Draft report" in t for t in titles), titles


@pytest.mark.parametrize(
    "question",
    ["写好报告后替我签名", "draft the report and sign it for me", "写完报告然后签字"],
)
def test_the_tool_asked_to_sign_is_still_refused(vocabulary, question):
    query = read_after(vocabulary, question)
    assert query.intent is IntentKind.OUT_OF_SCOPE
    assert query.refusal == "injection"


# -- 4. a sign taken for said that the lesion does not show --------------------------


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("what makes you say A2 is lobulated", "[A2] I did not describe this lesion"),
        ("A2 为什么说边缘有分叶", "[A2] 本工具并未将该病灶描述为分叶征"),
        ("why would you call A2 spiculated?", "[A2] I did not describe this lesion"),
        ("A2 凭什么说有毛刺", "[A2] 本工具并未将该病灶描述为毛刺征"),
    ],
)
def test_a_premise_the_lesion_does_not_meet_is_corrected_first(two, question, first):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    lines = conversation.ask(question).sections[0].lines
    assert lines[0].startswith(first), lines
    # then the property as measured, so the reader sees why
    assert len(lines) >= 2


@pytest.mark.parametrize(
    "question", ["why do you call A1 lobulated?", "为什么说 A1 是分叶的"]
)
def test_a_premise_that_holds_is_answered_by_its_measurements(two, question):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    text = conversation.ask(question).answer_text
    assert "did not describe" not in text and "并未" not in text
    assert "notches" in text or "切迹" in text


def test_asking_whether_it_is_lobulated_takes_nothing_for_said(two):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    text = conversation.ask("is A2 lobulated?").answer_text
    assert "did not describe" not in text


# -- 2. never assessed by this tool, or not measured on this film --------------------


def test_the_engine_lists_every_feature_it_observes(two, vocabulary):
    from engine.dialogue.facts import lesion_observations
    from engine.observations import MEASURED_FEATURES, global_observations

    assert set(vocabulary.features) >= MEASURED_FEATURES
    observed = global_observations(two, lambda _: "a0", focal_report_threshold=0.5)
    seen = {o.feature for o in observed}
    for f in two.findings:
        seen |= {o.feature for o in lesion_observations(two, f, "a1")}
    assert seen <= MEASURED_FEATURES, seen - MEASURED_FEATURES


@pytest.mark.parametrize(
    ("question", "said", "not_said"),
    [
        ("any pneumothorax on the right?", "does not assess", "not measured on"),
        ("有没有肺不张", "本工具不在胸片上评估", "本图未测得"),
    ],
)
def test_a_sign_the_tool_never_measures_is_not_said_missed_on_this_film(
    two, question, said, not_said
):
    text = Conversation(two).ask(question).answer_text
    assert said in text and not_said not in text, text


# -- 6. a side asked after a question about a paired structure -----------------------


@pytest.mark.parametrize(
    ("first", "then", "title"),
    [
        ("tell me about the left costophrenic angle", "and the right one?", "right"),
        ("left CP angle?", "what about the right?", "right"),
        ("讲讲右侧肋膈角", "左边那个呢", "左侧"),
        ("右肋膈角？", "那左侧呢", "左侧"),
    ],
)
def test_a_side_after_a_paired_structure_asks_the_same_of_that_side(
    two, first, then, title
):
    conversation = Conversation(two)
    conversation.ask("read this film please")
    asked = conversation.ask(first)
    assert asked.intent is IntentKind.PRESENCE
    turn = conversation.ask(then)
    assert turn.intent is IntentKind.PRESENCE
    head = turn.sections[0]
    assert title in head.title and (
        "costophrenic" in head.title or "肋膈角" in head.title
    )
    assert all("nodul" not in line and "结节" not in line for line in head.lines)


# -- 3. two or three properties of one finding, each answered in the order asked -----


@pytest.mark.parametrize(
    ("question", "titles"),
    [
        ("A2: where is it, and how big?", ["Location", "Size"]),
        ("A2 有多大？位于哪个肺野？", ["【大小】", "【定位】"]),
        (
            "what zone is A1 in, and how does it relate to the hilum and the pleura?",
            # the hilum and the pleura under one heading (nineteenth review, item 15)
            ["Location", "Spatial relation", "Note"],
        ),
        ("A1 离肺门多远？贴不贴胸膜？", ["【空间关系分析】", "【提示】"]),
    ],
)
def test_each_property_asked_is_answered_in_the_order_asked(two, question, titles):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    turn = conversation.ask(question)
    got = [s.title for s in turn.sections[: len(titles)]]
    assert got == titles, got
    asked = question.split("A")[1][0]
    answered = [t for t in titles if t not in ("Note", "【提示】")]
    for section in turn.sections[: len(answered)]:
        # every part is about the same finding, and leads with its answer
        assert section.lines[0].startswith(f"[A{asked}]"), section.lines


def test_the_pleura_after_a_hilar_distance_is_asked_its_contact(two):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    turn = conversation.ask("how far is A1 from the hilum; is it touching the pleura?")
    # one heading; the pleura part's lines follow the hilum's, led by their answer
    (section,) = [s for s in turn.sections if s.title == "Spatial relation"]
    assert "hilum" in section.lines[0]
    pleura = next(line for line in section.lines if "pleura" in line)
    assert pleura.split()[1] in ("No:", "Yes:"), section.lines


@pytest.mark.parametrize(
    "question",
    [
        "how big is A1?",
        "how far is A2 from the chest wall, in mm",
        "what's the shape of A2, oval or lobulated?",
        "how big is the mass abutting the pleura",
        "where is the smaller nodule",
    ],
)
def test_one_property_asked_is_answered_once(two, question):
    conversation = Conversation(two)
    conversation.ask("list the nodules")
    turn = conversation.ask(question)
    titles = [s.title for s in turn.sections if s.title != "Note"]
    assert len(titles) == 1, titles


@pytest.mark.parametrize(
    "question",
    [
        "before we get to the differential, how big is A1?",
        "先不谈鉴别诊断，A1 在哪个肺野？",
    ],
)
def test_a_limit_said_as_background_leaves_the_question_asked(vocabulary, question):
    query = read_after(vocabulary, "list the nodules", question)
    assert query.intent is not IntentKind.OUT_OF_SCOPE, query


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("roughly how many ml of fluid in the effusion?", "costophrenic angle"),
        ("左侧积液体积大概多少", "肋膈角"),
    ],
)
def test_the_volume_of_an_effusion_gets_what_the_film_measures_instead(
    two, question, said
):
    turn = Conversation(two).ask(question)
    assert turn.intent is IntentKind.MEASUREMENT
    assert said in turn.sections[0].lines[0]
    assert "lesion's long and short axis" not in turn.answer_text

"""One fact, one source (issue #12, second reviewers' items e).

Each test pins one fact that several answers state (the margin call, the lobe projection,
the heart size, the calibration, the size interval) to the one place it is computed, so
that no two turns of a conversation can disagree about it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.dialogue.facts import size_interval_mm
from engine.findings import Candidate, Margin, Notch, Spicule

from .conftest import analyse, make_phantom


def _one_nodule(spacing: float | None = 0.35, key: str = "one-source"):
    film = make_phantom()
    x, y, r = film.nodules[0]
    return analyse(film, [Candidate((x, y), r, 0.92)], spacing=spacing, key=key)


def _with_margin(analysis: ImageAnalysis, margin: Margin) -> ImageAnalysis:
    findings = tuple(
        replace(f, margin=margin) if f.is_focal else f for f in analysis.findings
    )
    return replace(analysis, findings=findings)


def _strand(clock: int) -> Spicule:
    return Spicule(clock=clock, length_px=14.0, length_mm=4.9, tip=(0.0, 0.0))


def _notch(clock: int) -> Notch:
    return Notch(clock=clock, depth_px=5.0, depth_mm=1.8)


# -- the margin's lead word is the margin line's call ------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Does the edge of this nodule look regular to you?",
        "Would you call the outline of the nodule irregular?",
        "这个结节边缘规则吗？",
        "结节的轮廓是不是不规则",
    ],
)
def test_one_strand_on_a_smooth_contour_is_not_called_irregular(question):
    margin = Margin(
        notches=(), spicules=(_strand(2),), sharpness=0.9, edge_width_mm=1.0
    )
    text = Conversation(_with_margin(_one_nodule(), margin)).ask(question).answer_text
    assert "Irregular" not in text and "不规则。" not in text
    assert "Mostly regular" in text or "大致规则" in text


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Does the edge of this nodule look regular to you?", "Irregular"),
        ("这个结节边缘规则吗？", "不规则"),
    ],
)
def test_two_strands_or_two_notches_are_irregular(question, lead):
    for margin in (
        Margin(
            notches=(),
            spicules=(_strand(2), _strand(7)),
            sharpness=0.9,
            edge_width_mm=1.0,
        ),
        Margin(
            notches=(_notch(1), _notch(5)),
            spicules=(),
            sharpness=0.9,
            edge_width_mm=1.0,
        ),
    ):
        text = Conversation(_with_margin(_one_nodule(), margin)).ask(question)
        assert lead in text.answer_text


@pytest.mark.parametrize(
    ("strands", "status"),
    [((), "not_met"), ((2,), "not_assessable"), ((2, 7), "met")],
)
@pytest.mark.parametrize(
    "question",
    [
        "If this were early lung cancer, how many signs would it meet?",
        "如果是早期肺癌，这个结节符合几条？",
    ],
)
def test_the_spiculation_item_reads_the_spicule_lines_call(strands, status, question):
    margin = Margin(
        notches=(),
        spicules=tuple(_strand(c) for c in strands),
        sharpness=0.9,
        edge_width_mm=1.0,
    )
    turn = Conversation(_with_margin(_one_nodule(), margin)).ask(question)
    card = turn.scorecard
    assert card is not None
    item = next(i for i in card.items if str(i.sign_code) == "A14")
    assert item.status.value == status
    if status == "not_assessable":
        assert "small vessel" in item.reason_en and "小血管" in item.reason_zh


# -- heart size: one cut-off, one state, in every answer ---------------------------


def _with_ctr(value: float, view: str | None = "PA") -> ImageAnalysis:
    analysis = _one_nodule(key="ctr")
    measures = replace(analysis.measures, cardiothoracic_ratio=value)
    return replace(analysis, measures=measures, view_position=view)


def _heart_item(turn):
    card = turn.scorecard
    assert card is not None
    return next(i for i in card.items if str(i.sign_code) == "F01")


@pytest.mark.parametrize(
    ("value", "lead", "item"),
    [(0.47, "No: ", "not_met"), (0.53, "Borderline: ", "not_assessable")],
)
def test_heart_size_says_the_same_in_every_answer_en(value, lead, item):
    conversation = Conversation(_with_ctr(value))
    read = conversation.ask("Write me a draft report for this film").answer_text
    asked = conversation.ask("Does the heart look big to you?").answer_text
    ratio = conversation.ask("What's the cardiothoracic ratio here?").answer_text
    card = conversation.ask("Heart failure checklist: which signs are met?")
    assert asked.splitlines()[1].startswith(f"- {lead}")
    assert _heart_item(card).status.value == item
    if value > 0.5:
        for text in (read, asked, ratio):
            assert "borderline" in text and "suggests an enlarged" not in text
        # borderline is said as a possible mild enlargement, never as "normal"
        impression = read.split("Impression:")[1]
        assert "mild enlargement is possible" in impression
        assert "normal" not in impression.split("Heart size")[1].split(".")[0]
    else:
        assert "borderline" not in read + asked + ratio


def test_above_the_borderline_band_suggests_enlargement_in_both_languages():
    conversation = Conversation(_with_ctr(0.58))
    assert (
        "suggests an enlarged" in conversation.ask("Is the heart enlarged?").answer_text
    )
    card = conversation.ask("Heart failure checklist: which signs are met?")
    assert _heart_item(card).status.value == "met"
    zh = conversation.ask("帮我写个报告草稿").answer_text
    impression = next(line for line in zh.splitlines() if "印象" in line)
    assert "提示心影增大" in impression  # the hedge is kept in the impression


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("心影有没有增大？", "临界"),
        ("心胸比多少", "可能轻度增大"),
        ("出一份报告", "心影大小属临界，可能轻度增大"),
    ],
)
def test_a_borderline_ratio_is_borderline_in_chinese(question, words):
    text = Conversation(_with_ctr(0.52)).ask(question).answer_text
    assert words in text and "> 0.55" not in text and "；提示心影增大" not in text


@pytest.mark.parametrize(
    ("view", "caveat"), [("AP", "AP film magnifies"), (None, "view is not recorded")]
)
def test_the_borderline_band_is_not_judged_on_an_ap_film(view, caveat):
    conversation = Conversation(_with_ctr(0.53, view))
    text = conversation.ask("Is the heart enlarged?").answer_text
    assert "Not judged" in text and caveat in text
    assert "on a PA film this value would be borderline" in text
    zh = conversation.ask("心胸比是多少").answer_text
    assert "若为后前位片，此值属临界" in zh


# -- the lobe: one projection, hedged, in every answer and the upper-lobe item -----

# The phantom's left lung spans rows 180-780: its projected lobe boundaries lie at rows
# 450 (fissure level) and 630 (basal level), and its lower zone starts at row 580.
_NEAR_BASE = (
    760,
    600,
    10,
    (),
)  # lower zone, lingula, 30 px above the lower-lobe border
_RIGHT_UPPER = (300, 300, 12, ())  # far from any lobe boundary


def _lobe_film(nodule):
    film = make_phantom((nodule,))
    x, y, r = film.nodules[0]
    return analyse(film, [Candidate((x, y), r, 0.9)], key=f"lobe-{x}-{y}")


def _item(turn, code):
    card = turn.scorecard
    assert card is not None
    return next(i for i in card.items if str(i.sign_code) == code)


@pytest.mark.parametrize(
    ("where_asked", "words"),
    [
        (
            "Which lobe would you put that nodule in?",
            "lingula, near its border with the left lower lobe",
        ),
        ("这个结节属于哪个肺叶？", "左肺上叶舌段，邻近与左肺下叶的交界"),
    ],
)
def test_a_lesion_near_a_lobe_border_names_both_lobes_everywhere(where_asked, words):
    conversation = Conversation(_lobe_film(_NEAR_BASE))
    where = conversation.ask(where_asked).answer_text
    assert words in where
    assert "approximate lobe projection on a frontal film" in where or "近似" in where
    report = conversation.ask("Draft the report please").answer_text
    assert "projecting over the lingula or left lower lobe" in report
    card = conversation.ask(
        "If this were early lung cancer, how many signs would it meet?"
    )
    upper = _item(card, "A51")
    assert upper.status.value == "not_assessable"
    assert upper.reason_en.startswith("borderline") and "lingula" in upper.reason_en


@pytest.mark.parametrize(
    ("question", "yes"),
    [
        ("Anything in the lingula?", "Yes"),
        ("舌段有没有结节", "有"),
        (
            "Is there a nodule in the left upper lobe?",
            "Yes",
        ),  # the lingula is part of it
        ("左肺下叶有病灶吗？", "有"),
    ],
)
def test_a_lobe_asked_is_matched_by_the_projection_the_answers_report(question, yes):
    text = Conversation(_lobe_film(_NEAR_BASE)).ask(question).answer_text
    assert text.splitlines()[1].startswith(f"- {yes}")
    assert "lobe projection" in text or "肺叶投影" in text


def test_a_lesion_far_from_a_border_gets_one_lobe_and_a_plain_upper_lobe_item():
    conversation = Conversation(_lobe_film(_RIGHT_UPPER))
    where = conversation.ask("What lobe is the nodule in?").answer_text
    assert "approximate lobe projection on a frontal film: right upper lobe." in where
    assert "either" not in where
    none = conversation.ask("Is there a nodule in the right middle lobe?").answer_text
    assert none.splitlines()[1].startswith("- No")
    card = conversation.ask("Early lung cancer checklist for this nodule")
    assert _item(card, "A51").status.value == "met"


# -- the film's calibration: asked about, and doubted when the chest is implausible -


def _empty_film(spacing):
    return analyse(make_phantom(()), [], spacing=spacing, key=f"empty-{spacing}")


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("are these measurements in mm or pixels?", "no pixel spacing"),
        ("Has the size been calibrated?", "no pixel spacing"),
        ("尺寸是毫米还是像素？", "无像素间距"),
        ("这张片子做过校准吗", "无像素间距"),
    ],
)
def test_a_calibration_question_is_answered_without_a_finding(question, words):
    text = Conversation(_empty_film(None)).ask(question).answer_text
    assert words in text
    assert "Calibration" in text or "像素间距" in text


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Is this film calibrated?", "pixel spacing 0.350 × 0.350 mm"),
        ("像素间距是多少？", "像素间距 0.350 × 0.350 mm"),
    ],
)
def test_a_calibrated_film_names_its_spacing_and_source(question, words):
    text = Conversation(_empty_film(0.35)).ask(question).answer_text
    assert words in text and "DICOM" in text


def _width_cm(analysis):
    return analysis.anatomy.thoracic_width_px * analysis.calibration.col_mm / 10


@pytest.mark.parametrize("spacing", [0.15, 0.7])  # the chest about 11 and 51 cm wide
def test_an_implausible_spacing_is_flagged_once_and_hedges_every_size(spacing):
    analysis = _one_nodule(spacing, key=f"implausible-{spacing}")
    flagged = [w for w in analysis.warnings if "calibration looks implausible" in w]
    assert len(flagged) == 1 and f"{_width_cm(analysis):.1f} cm wide" in flagged[0]
    conversation = Conversation(analysis)
    doubt = f"the chest measures {_width_cm(analysis):.1f} cm wide"
    for question in (
        "How big is that nodule in mm?",
        "Distance from the nodule to the right hilum?",
        "Give me an overall read",
        "Is the pixel spacing right?",
    ):
        turn = conversation.ask(question)
        assert doubt in turn.answer_text, question
        assert any(doubt in w for w in turn.warnings), question  # kept with the turn
    zh = conversation.ask("结节多大？").answer_text
    assert "像素间距可疑" in zh
    assert doubt not in conversation.ask("What is the CTR?").answer_text  # a ratio


def test_a_plausible_spacing_is_not_doubted():
    analysis = _one_nodule(0.35, key="plausible")
    assert not any("implausible" in w for w in analysis.warnings)
    text = Conversation(analysis).ask("How big is that nodule in mm?").answer_text
    assert "implausible" not in text


# -- one size interval: the size answer, the read, the list and the report ----------


@pytest.mark.parametrize(
    ("read", "words"),
    [
        ("Walk me through this film", "long axis likely"),
        ("What did you find? List everything", "long axis likely"),
        ("Write up a report", "long axis likely"),
        ("整体看看这张片子", "长径可能"),
        ("帮我出个报告", "长径可能"),
    ],
)
def test_the_read_and_the_report_give_the_size_answers_interval(read, words):
    analysis = _one_nodule(0.35, key="interval")
    low, high = size_interval_mm(analysis.focal_findings[0])
    interval = f"{words} {low / 10:.1f}–{high / 10:.1f} cm"
    conversation = Conversation(analysis)
    text = conversation.ask(read).answer_text
    sized = [line for line in text.splitlines() if " cm" in line and "×" in line]
    assert sized and all(interval in line for line in sized)
    size = conversation.ask("How big is it?").answer_text
    assert f"{low / 10:.1f}–{high / 10:.1f} cm" in size


def test_a_size_in_pixels_gets_no_interval_in_the_read():
    text = Conversation(_one_nodule(None, key="px")).ask("Overall read").answer_text
    assert "likely" not in text and "px" in text

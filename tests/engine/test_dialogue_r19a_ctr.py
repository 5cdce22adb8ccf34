"""A cardiothoracic ratio near a cut-off: printed on its side, counted as borderline.

0.502 printed "0.50" sits on "up to 0.50 is normal" while the sentence calls it
borderline; a borderline heart is measured, so a checklist counts it as borderline (not
"not valid"), and a report does not list it among what the findings suggest.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.analysis import ImageAnalysis
from engine.dialogue import Conversation
from engine.dialogue.facts import CtrFact, CtrState
from engine.findings import Candidate
from ontology import load_vocabulary
from ontology.model import Observation
from ontology.scoring import assess

from .conftest import analyse, make_phantom


@pytest.fixture(scope="module")
def film() -> ImageAnalysis:
    phantom = make_phantom()
    x, y, r = phantom.nodules[0]
    return analyse(phantom, [Candidate((x, y), r, 0.9)], key="r19a-ctr")


def _with_ctr(film: ImageAnalysis, value: float) -> ImageAnalysis:
    measures = replace(film.measures, cardiothoracic_ratio=value)
    return replace(film, measures=measures, view_position="PA")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.502, "0.502"),
        (0.546, "0.546"),
        (0.551, "0.551"),
        (0.47, "0.47"),
        (0.5, "0.50"),
    ],
)
def test_the_printed_ratio_lies_in_the_band_it_is_judged_in(value, shown):
    assert CtrFact(value, CtrState.BORDERLINE, "PA").shown == shown


@pytest.mark.parametrize(
    ("question", "shown", "never"),
    [
        ("what's the heart-to-chest ratio on this one?", "about 0.502", "about 0.50 "),
        ("心胸比大概多少", "约 0.502", "约 0.50（"),
        ("is the cardiac silhouette big?", "about 0.502", "about 0.50 "),
    ],
)
def test_every_ctr_sentence_prints_the_side(film, question, shown, never):
    text = Conversation(_with_ctr(film, 0.502)).ask(question).answer_text
    assert shown in text and never not in text, text


@pytest.mark.parametrize(
    ("question", "item", "total"),
    [
        (
            "run the heart failure checklist",
            "Cardiomegaly: borderline, cardiothoracic ratio about 0.546",
            "1 borderline",
        ),
        ("按心衰标准逐条对照", "心影增大：临界，心胸比约 0.546", "临界 1 项"),
    ],
)
def test_a_borderline_heart_is_counted_as_borderline(film, question, item, total):
    text = Conversation(_with_ctr(film, 0.546)).ask(question).answer_text
    assert item in text, text
    totals = next(
        line for line in text.splitlines() if "Total" in line or "合计" in line
    )
    assert total in totals and "not valid" not in totals and "前提不满足" not in totals


def test_a_checklist_reason_prints_the_side_of_its_cut_off():
    vocabulary = load_vocabulary()
    sign = next(
        s
        for s in vocabulary.signs.values()
        if s.rule is not None and s.rule.feature == "heart.ctr"
    )
    cut = float(sign.rule.value)
    seen = [
        Observation(feature="heart.ctr", value=cut + 0.002, evidence_anchor_ids=()),
        Observation(feature="view.frontal_pa", value=True, evidence_anchor_ids=()),
    ]
    item = assess(seen, sign, vocabulary)
    assert f"{cut + 0.002:.3f}" in item.reason_en, item.reason_en


@pytest.mark.parametrize(
    ("question", "impression", "aside"),
    [
        ("draft a report please", "Impression:", "Heart size is borderline"),
        ("帮我出个报告", "印象：", "心影大小属临界"),
    ],
)
def test_a_borderline_heart_is_not_what_the_findings_suggest(
    film, question, impression, aside
):
    text = Conversation(_with_ctr(film, 0.53)).ask(question).answer_text
    line = next(row for row in text.splitlines() if impression in row)
    suggested = line.split("。")[0] if "印象" in impression else line.split(". ")[0]
    assert aside in line, line
    assert "borderline" not in suggested and "临界" not in suggested, line


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("is the heart too big?", "Cardiomegaly: borderline, cardiothoracic ratio"),
        ("心脏大不大", "心影增大：临界，心胸比"),
    ],
)
def test_the_sign_line_of_a_heart_question_says_borderline(film, question, said):
    text = Conversation(_with_ctr(film, 0.52)).ask(question).answer_text
    assert said in text and "not assessable" not in text and "无法评估" not in text

"""The seed's four questions, verbatim, on a real JSRT film with the bundled models.

Issue 4's acceptance: turn 1 lists the findings and one of them is the nodule; turn 2
binds "右肺中叶那个圆形影" to it (or says where it actually is) and describes its margin
with clock positions; turn 3 measures the distance to the right hilum in cm from the
0.35 mm spacing and answers the connection question with its evidence; turn 4 returns
the early-lung-cancer scorecard with honest counts. The English questions give the same
anchors and numbers.
"""

from __future__ import annotations

import csv
import math

import cv2
import numpy as np
import pytest

from engine.analysis import Analyzer, default_analyzer
from engine.anchors import AnchorKind, AnchorStyle
from engine.dialogue import Conversation
from engine.model import Calibration, CalibrationSource, Radiograph

SEED_ZH = [
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
]
SEED_EN = [
    "Is there anything abnormal in the lungs?",
    "That round opacity in the right middle lobe: is its margin regular?",
    "How far is this lesion from the right hilum? Is it connected to hilar structures?",
    "If this were early lung cancer, what are the typical X-ray signs, and how many does this image meet?",
]
# The development film that matches the article's lesion by its JSRT record alone: the
# nodule lies in the right middle lobe, and of the three such films (18, 20 and 11 mm) its
# 11 mm is nearest the article's ~1.2 cm. Chosen from the manifest, never from a model's
# score (docs/benchmarks.md, issue 11, tenth step).
CASE = "JPCLN127"

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return default_analyzer()


@pytest.fixture(scope="module")
def film(shared_data):
    rows = {
        r["case_id"]: r
        for r in csv.DictReader(
            (shared_data / "cxr" / "manifest.csv").open(encoding="utf-8")
        )
    }
    row = rows[CASE]
    pixels = (
        cv2.imread(str(shared_data / "cxr" / row["file"]), cv2.IMREAD_GRAYSCALE).astype(
            np.float32
        )
        / 255
    )
    spacing = float(row["pixel_spacing_mm"])
    radiograph = Radiograph(
        pixels=pixels,
        calibration=Calibration(
            row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER
        ),
        key=f"test-{CASE}",
        view_position="PA",
    )
    nodule = (
        float(row["nodule_x"]),
        float(row["nodule_y"]),
        float(row["nodule_diameter_px"]) / 2,
    )
    return radiograph, nodule, spacing


@pytest.fixture(scope="module")
def conversations(analyzer, film):
    radiograph, _, _ = film
    analysis = analyzer.analyze(radiograph)
    zh, en = Conversation(analysis), Conversation(analysis)
    return [zh.ask(q) for q in SEED_ZH], [en.ask(q) for q in SEED_EN]


def test_turn1_lists_the_nodule(conversations, film):
    _, (x, y, r), _ = film
    t1 = conversations[0][0]
    findings = [a for a in t1.anchors if a.kind is AnchorKind.FINDING]
    radius = max(r, 15.0)
    assert any(math.dist(a.center, (x, y)) <= radius for a in findings), [
        a.center for a in findings
    ]
    assert "【肺部表现】" in t1.answer_text


def test_turn2_binds_the_round_opacity_and_describes_its_margin(conversations, film):
    _, (x, y, r), _ = film
    t2 = conversations[0][1]
    assert t2.resolved_references, t2.answer_text
    binding = t2.resolved_references[0]
    assert binding.rule.value in (
        "anatomical_description",
        "anatomical_description_other_zone",
    )
    contour = next(a for a in t2.anchors if a.style is AnchorStyle.CONTOUR)
    assert math.dist(contour.center, (x, y)) <= max(r, 15.0)
    assert binding.anchor_id == contour.id  # refined in place
    assert "边缘" in t2.answer_text and (
        "点钟" in t2.answer_text or "光整" in t2.answer_text
    )


def test_turn3_measures_to_the_right_hilum_in_cm(conversations, film, analyzer):
    radiograph, _, spacing = film
    analysis = analyzer.analyze(radiograph)
    t2, t3 = conversations[0][1], conversations[0][2]
    contour = next(a for a in t2.anchors if a.style is AnchorStyle.CONTOUR)
    hilum = next(
        a
        for a in t3.anchors
        if a.kind is AnchorKind.LANDMARK and a.region == "right_hilum"
    )
    distance = next(m for m in t3.measurements if m.kind == "center_to_hilum")
    assert distance.value_mm == pytest.approx(
        math.dist(contour.center, hilum.center) * spacing, rel=1e-6
    )
    assert f"{distance.value_mm / 10:.1f} cm" in t3.answer_text
    # The connection verdict, named whole ("不相连" contains "相连"), with its evidence.
    lesion = conversations[0][1].resolved_references[0].finding_id
    relation = analysis.hilum_relations.get(lesion or "")
    assert relation is not None
    verdict = "提示与肺门结构可能相连" if relation.connected else "提示与肺门结构不相连"
    assert verdict in t3.answer_text and "SD" in t3.answer_text


def test_turn4_scorecard_is_honest(conversations):
    card = conversations[0][3].scorecard
    assert card is not None and card.profile_id == "early_lung_cancer"
    assert (
        card.met + card.not_met + card.not_assessable == card.total == len(card.items)
    )
    assert any(
        i.evidence_anchor_ids for i in card.items if i.status.value != "not_assessable"
    )


def test_english_gives_the_same_anchors_and_numbers(conversations):
    zh, en = conversations
    for a, b in zip(zh, en, strict=True):
        assert a.intent is b.intent
        assert [(x.id, x.geometry, x.parent_ids) for x in a.anchors] == [
            (x.id, x.geometry, x.parent_ids) for x in b.anchors
        ]
        assert [m.value_mm for m in a.measurements] == [
            m.value_mm for m in b.measurements
        ]
    assert [i.status for i in zh[3].scorecard.items] == [
        i.status for i in en[3].scorecard.items
    ]

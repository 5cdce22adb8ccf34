"""Findings behind the heart and below the domes are lung, and are worded so (issue 11).

The phantom's geometry (tests/engine/conftest.py, 1024 px at 0.35 mm): right lung
ellipse centred (300, 470), left (724, 480) with the heart (580, 650) carved out.
"""

from __future__ import annotations

import pytest

from engine.analysis import Analyzer
from engine.findings import Candidate
from engine.model import Calibration, CalibrationSource, Radiograph
from engine.wording import location_phrase
from kernel import Language
from tests.engine.conftest import SPACING, FakeDetector, FakeSegmenter, make_phantom

RETROCARDIAC = (470.0, 700.0)  # in the heart, between the lungs' lower halves
BELOW_DOME = (300.0, 850.0)  # 60 px = 21 mm below the right lung's base (row 790)
CHEST_WALL = (70.0, 470.0)  # 80 px = 28 mm lateral to the right lung


def _findings(thorax: bool):
    phantom = make_phantom(
        ((*RETROCARDIAC, 24, ()), (*BELOW_DOME, 24, ()), (*CHEST_WALL, 24, ()))
    )
    candidates = [
        Candidate(xy, 24.0, 0.9) for xy in (RETROCARDIAC, BELOW_DOME, CHEST_WALL)
    ]
    detector = FakeDetector(candidates, phantom.image.shape[1])
    detector.thorax_sites = thorax  # CandidateParams.thorax_sites of the card
    analyzer = Analyzer(FakeSegmenter(phantom), detector)
    calibration = Calibration(
        row_mm=SPACING, col_mm=SPACING, source=CalibrationSource.PIXEL_SPACING
    )
    radiograph = Radiograph(
        pixels=phantom.image, calibration=calibration, key="sites", view_position="PA"
    )
    return analyzer.analyze(radiograph).findings


@pytest.fixture(scope="module")
def placed():
    return _findings(thorax=True)


def _at(findings, xy):
    near = [
        f
        for f in findings
        if abs(f.center[0] - xy[0]) < 30 and abs(f.center[1] - xy[1]) < 30
    ]
    assert len(near) <= 1
    return near[0] if near else None


def test_a_retrocardiac_finding_is_reported_as_retrocardiac_lung(placed):
    finding = _at(placed, RETROCARDIAC)
    assert finding is not None
    en = location_phrase(finding.location, Language.EN)
    zh = location_phrase(finding.location, Language.ZH)
    assert "retrocardiac lung" in en and "心影后肺" in zh
    assert "outside the lung" not in en and "肺野外" not in zh


def test_a_finding_below_the_dome_is_reported_behind_the_dome(placed):
    finding = _at(placed, BELOW_DOME)
    assert finding is not None
    en = location_phrase(finding.location, Language.EN)
    zh = location_phrase(finding.location, Language.ZH)
    assert "behind the diaphragm dome" in en and "膈顶下" in zh
    assert "outside the lung" not in en and "肺野外" not in zh


def test_findings_behind_the_heart_and_the_dome_count_as_lung(placed):
    # The demo's phantom check counts reported findings outside the lung by this.
    for xy in (RETROCARDIAC, BELOW_DOME):
        finding = _at(placed, xy)
        assert finding is not None
        assert not finding.location.inside_lung  # outside the field, said so
        assert finding.location.in_lung


def test_a_chest_wall_finding_is_not_a_lung_finding(placed):
    assert _at(placed, CHEST_WALL) is None


def test_without_the_thorax_rule_only_the_recess_within_25_mm_stays_lung():
    # The shipped card leaves CandidateParams.thorax_sites off: the earlier rule.
    findings = _findings(thorax=False)
    assert _at(findings, RETROCARDIAC) is None
    assert _at(findings, CHEST_WALL) is None
    assert _at(findings, BELOW_DOME) is not None  # 21 mm below the base

"""Findings behind the heart and below the domes are lung, and are worded so (issue 11).

The phantom's geometry (tests/engine/conftest.py, 1024 px at 0.35 mm): right lung
ellipse centred (300, 470), left (724, 480) with the heart (580, 650) carved out.
"""

from __future__ import annotations

import pytest

from engine.findings import Candidate
from engine.wording import location_phrase
from kernel import Language
from tests.engine.conftest import analyse, make_phantom

RETROCARDIAC = (470.0, 700.0)  # in the heart, between the lungs' lower halves
BELOW_DOME = (300.0, 850.0)  # 60 px = 21 mm below the right lung's base (row 790)
CHEST_WALL = (70.0, 470.0)  # 80 px = 28 mm lateral to the right lung


@pytest.fixture(scope="module")
def placed():
    phantom = make_phantom(
        ((*RETROCARDIAC, 24, ()), (*BELOW_DOME, 24, ()), (*CHEST_WALL, 24, ()))
    )
    candidates = [
        Candidate(xy, 24.0, 0.9) for xy in (RETROCARDIAC, BELOW_DOME, CHEST_WALL)
    ]
    return analyse(phantom, candidates).findings


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


def test_a_chest_wall_finding_is_not_a_lung_finding(placed):
    assert _at(placed, CHEST_WALL) is None

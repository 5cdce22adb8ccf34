"""The analysis is computed once per image and reused by every later turn and session."""

from __future__ import annotations

import threading

import pytest

from engine.analysis import AnalysisCache, Analyzer, ImageAnalysis
from engine.findings import Candidate
from engine.model import Calibration, CalibrationSource, Radiograph

from .conftest import FakeDetector, FakeSegmenter, make_phantom


class CountingAnalyzer(Analyzer):
    def __init__(self, phantom):
        x, y, r = phantom.nodules[0]
        super().__init__(
            FakeSegmenter(phantom),
            FakeDetector([Candidate((x, y), r, 0.9)], phantom.image.shape[1]),
        )
        self.calls = 0
        self.entered = threading.Event()

    def analyze(self, radiograph):
        self.calls += 1
        self.entered.set()
        return super().analyze(radiograph)


def _film(
    phantom, spacing: float | None = 0.35, key: str = "film-1", view: str | None = "PA"
) -> Radiograph:
    calibration = (
        Calibration(row_mm=spacing, col_mm=spacing, source=CalibrationSource.USER)
        if spacing
        else Calibration()
    )
    return Radiograph(
        pixels=phantom.image, calibration=calibration, key=key, view_position=view
    )


def test_a_second_request_for_the_same_image_reuses_the_first_analysis():
    phantom = make_phantom()
    analyzer = CountingAnalyzer(phantom)
    cache = AnalysisCache(lambda: analyzer)
    first = cache.get(_film(phantom))
    assert cache.get(_film(phantom)) is first
    assert analyzer.calls == 1


def test_sessions_asking_at_once_wait_for_one_analysis():
    phantom = make_phantom()
    analyzer = CountingAnalyzer(phantom)
    cache = AnalysisCache(lambda: analyzer)
    results: list[ImageAnalysis] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(_film(phantom))))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert analyzer.calls == 1


def test_the_same_pixels_with_another_spacing_or_view_are_analysed_again():
    phantom = make_phantom()
    analyzer = CountingAnalyzer(phantom)
    cache = AnalysisCache(lambda: analyzer)
    fine, coarse = cache.get(_film(phantom, 0.2)), cache.get(_film(phantom, 0.4))
    assert analyzer.calls == 2
    (a,), (b,) = fine.focal_findings, coarse.focal_findings
    assert b.long_axis_mm is not None and a.long_axis_mm is not None
    assert b.long_axis_mm / a.long_axis_mm == pytest.approx(2.0, rel=0.1)
    cache.get(_film(phantom, 0.2, view="AP"))
    assert analyzer.calls == 3


def test_a_stored_analysis_is_loaded_instead_of_recomputed_and_the_cache_is_bounded():
    phantom = make_phantom()
    stored: dict[tuple[str, str], bytes] = {}
    first = CountingAnalyzer(phantom)
    AnalysisCache(lambda: first).get(
        _film(phantom), save=lambda k, v, b: stored.__setitem__((k, v), b)
    )
    assert first.calls == 1 and set(stored) == {("film-1", first.version)}

    second = CountingAnalyzer(phantom)
    cache = AnalysisCache(lambda: second, maxsize=2)
    loaded = cache.get(_film(phantom), load=lambda k, v: stored.get((k, v)))
    assert second.calls == 0 and loaded.key == "film-1"
    for key in ("film-2", "film-3"):
        cache.get(_film(phantom, key=key))
    cache.get(_film(phantom))  # evicted by the two newer films: analysed again
    assert second.calls == 3

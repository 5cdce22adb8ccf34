"""A demo database built with fake vision models, shared by the UI, CLI and services tests.

The vision models are replaced by the engine tests' fakes (the phantom's own masks, and
each demo phantom's drawn nodules as the detector's candidates) so that the demo builds in
seconds and keeps its phantoms: the demo leaves out a phantom its engine does not read
sensibly, and these fakes read every phantom as drawn. The end-to-end tests and
tests/services/test_demo_reading.py run the real engine instead. Import the fixtures into
a folder's conftest by name.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from cases import open_store
from cases.phantom import Phantom as DrawnPhantom
from cases.phantom import make_phantom, seed_scenario_spec
from engine.analysis import AnalysisCache, Analyzer
from engine.findings import Candidate
from services import demo
from tests.engine.conftest import FakeDetector, FakeSegmenter, Phantom

__all__ = ["demo_db", "demo_template", "empty_db", "fake_analysis_cache", "fake_cache"]


class DemoPhantomDetector(FakeDetector):
    """Proposes the nodules drawn on the demo phantom an image is (by its pixels).

    Any other film (the real one) gets the seed nodule's place, as a stand-in candidate.
    """

    def __init__(self, phantoms: Sequence[DrawnPhantom], seed: DrawnPhantom) -> None:
        nodule = seed.truth.nodules[0]
        super().__init__(
            [Candidate(nodule.center_px, nodule.diameter_px / 2, 0.9)],
            seed.truth.columns,
        )
        self.phantoms = phantoms

    def detect(
        self,
        image: np.ndarray,
        lung_mask: np.ndarray | None,
        mm_per_px: float | None,
        *,
        heart_mask: np.ndarray | None = None,
    ) -> list[Candidate]:
        # The phantoms differ only by what is drawn on the same anatomy: the closest
        # picture is the one shown (the real film is far from all of them).
        score, phantom = max(
            ((_likeness(image, p.pixels), p) for p in self.phantoms),
            key=lambda pair: pair[0],
        )
        if score < 0.99:
            return super().detect(image, lung_mask, mm_per_px)
        f = image.shape[1] / phantom.truth.columns
        return [
            Candidate(
                (n.center_px[0] * f, n.center_px[1] * f), n.diameter_px / 2 * f, 0.9
            )
            for n in phantom.truth.nodules
        ]


def _likeness(image: np.ndarray, pixels: np.ndarray) -> float:
    if abs(image.shape[0] / image.shape[1] - pixels.shape[0] / pixels.shape[1]) > 0.01:
        return 0.0
    small = cv2.resize(pixels.astype(np.float32), (image.shape[1], image.shape[0]))
    return float(np.corrcoef(image.ravel(), small.ravel())[0, 1])


def fake_analysis_cache() -> AnalysisCache:
    """An analysis cache whose segmenter and detector know the demo phantoms' truth.

    Every demo phantom shares the seed phantom's lung and heart outlines (they are drawn in
    image fractions), so its masks fit them all; the detector proposes the nodules drawn
    on the phantom it is shown.
    """
    phantom = make_phantom(seed_scenario_spec())
    truth = phantom.truth
    masks = Phantom(
        image=phantom.pixels,
        right_lung=truth.right_lung,
        left_lung=truth.left_lung,
        heart=truth.heart,
    )
    drawn = [f.phantom for f in demo.films() if f.phantom is not None]
    return AnalysisCache(
        lambda: Analyzer(FakeSegmenter(masks), DemoPhantomDetector(drawn, phantom))
    )


@pytest.fixture(scope="session")
def fake_cache() -> AnalysisCache:
    return fake_analysis_cache()


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory, fake_cache: AnalysisCache
) -> Path:
    """A demo database folder built once per test session (copy it before writing)."""
    folder = tmp_path_factory.mktemp("demo-template")
    with open_store(folder / "demo.duckdb") as store:
        demo.build(store, cache=fake_cache)
    return folder


@pytest.fixture
def demo_db(tmp_path: Path, demo_template: Path) -> Path:
    """A private copy of the demo database (and its store folder)."""
    target = tmp_path / "demo"
    shutil.copytree(demo_template, target)
    return target / "demo.duckdb"


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    return tmp_path / "empty" / "casebook.duckdb"

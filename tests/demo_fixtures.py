"""A demo database built with fake vision models, shared by the UI, CLI and services tests.

The vision models are replaced by the engine tests' fakes (the phantom's own masks and its
nodule as the detector's one candidate) so that the demo builds in seconds; the end-to-end
tests run the real engine instead. Import the fixtures into a folder's conftest by name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from engine.analysis import AnalysisCache, Analyzer
from engine.findings import Candidate
from services import demo
from tests.engine.conftest import FakeDetector, FakeSegmenter, Phantom

__all__ = ["demo_db", "demo_template", "empty_db", "fake_analysis_cache", "fake_cache"]


def fake_analysis_cache() -> AnalysisCache:
    """An analysis cache whose segmenter and detector know the seed phantom's truth.

    Every demo phantom shares the seed phantom's lung and heart outlines (they are drawn in
    image fractions), so its masks fit them all; the detector proposes the seed nodule.
    """
    phantom = make_phantom(seed_scenario_spec())
    truth = phantom.truth
    masks = Phantom(
        image=phantom.pixels,
        right_lung=truth.right_lung,
        left_lung=truth.left_lung,
        heart=truth.heart,
    )
    nodule = truth.nodules[0]
    candidates = [Candidate(nodule.center_px, nodule.diameter_px / 2, 0.9)]
    return AnalysisCache(
        lambda: Analyzer(FakeSegmenter(masks), FakeDetector(candidates, truth.columns))
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

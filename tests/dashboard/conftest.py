"""Dashboard fixtures: a demo database built with fake vision models, and AppTest runners.

The vision models are replaced by the engine tests' fakes (the phantom's own masks and its
nodule as the detector's one candidate) so that the demo builds in seconds; the end-to-end
tests run the real engine instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from dashboard import demo, workflows
from engine.analysis import AnalysisCache, Analyzer
from engine.findings import Candidate
from tests.engine.conftest import FakeDetector, FakeSegmenter, Phantom

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"


def fake_analysis_cache() -> AnalysisCache:
    """An analysis cache whose segmenter and detector know the seed phantom's truth.

    Every demo phantom shares the seed phantom's lung and heart outlines (they are drawn in
    image fractions), so its masks fit them all; the detector proposes the seed nodule.
    """
    phantom = make_phantom(seed_scenario_spec())
    truth = phantom.truth
    masks = Phantom(image=phantom.pixels, right_lung=truth.right_lung, left_lung=truth.left_lung, heart=truth.heart)
    nodule = truth.nodules[0]
    candidates = [Candidate(nodule.center_px, nodule.diameter_px / 2, 0.9)]
    return AnalysisCache(lambda: Analyzer(FakeSegmenter(masks), FakeDetector(candidates, truth.columns)))


@pytest.fixture(scope="session")
def fake_cache() -> AnalysisCache:
    return fake_analysis_cache()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, fake_cache: AnalysisCache) -> Path:
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


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, fake_cache: AnalysisCache) -> Iterator[Callable[..., AppTest]]:
    """Return a factory of AppTests on a database, as a local user with a role.

    ``st.cache_resource`` is process-global, so caches are cleared before and after each
    test; the database path reaches ``resources.py`` through ``CASEBOOK_DB``.
    """
    monkeypatch.setattr(workflows, "_SHARED_CACHE", fake_cache)
    monkeypatch.delenv("CASEBOOK_ACTOR", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()

    def make(db: Path, *, role: str = "reviewer", actor: str = "tester", lang: str | None = None) -> AppTest:
        monkeypatch.setenv("CASEBOOK_DB", str(db))
        monkeypatch.setenv("CASEBOOK_ROLE", role)
        monkeypatch.setenv("CASEBOOK_ACTOR", actor)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.user = {"is_logged_in": False}
        if lang:
            at.query_params["lang"] = lang
        return at

    yield make
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def small_png() -> Callable[[int], bytes]:
    """Return distinct small PNG films (64 x 64 phantoms, different noise per number)."""
    import io

    import numpy as np
    from PIL import Image as PILImage

    from cases.phantom import PhantomSpec

    def make(number: int) -> bytes:
        pixels = make_phantom(PhantomSpec(rows=64, columns=64, spacing_mm=5.0, seed=number)).pixels
        buffer = io.BytesIO()
        PILImage.fromarray(np.round(pixels * 255).astype(np.uint8), mode="L").save(buffer, format="PNG")
        return buffer.getvalue()

    return make

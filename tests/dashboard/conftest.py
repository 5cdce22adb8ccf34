"""Dashboard fixtures: a demo database built with fake vision models, and AppTest runners.

The vision models are replaced by the engine tests' fakes (the phantom's own masks and its
nodule as the detector's one candidate) so that the demo builds in seconds; the end-to-end
tests run the real engine instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cases.phantom import make_phantom
from engine.analysis import AnalysisCache
from services import workflows
from tests.demo_fixtures import demo_db, demo_template, empty_db, fake_cache

# Fixtures shared with the CLI tests, re-exported so pytest finds them here.
__all__ = ["demo_db", "demo_template", "empty_db", "fake_cache"]

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"


@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch, fake_cache: AnalysisCache
) -> Iterator[Callable[..., AppTest]]:
    """Return a factory of AppTests on a database, as a local user with a role.

    ``st.cache_resource`` is process-global, so caches are cleared before and after each
    test; the database path reaches ``resources.py`` through ``CASEBOOK_DB``.
    """
    monkeypatch.setattr(workflows, "_SHARED_CACHE", fake_cache)
    monkeypatch.delenv("CASEBOOK_ACTOR", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()

    def make(
        db: Path,
        *,
        role: str = "reviewer",
        actor: str = "tester",
        lang: str | None = None,
    ) -> AppTest:
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
        pixels = make_phantom(
            PhantomSpec(rows=64, columns=64, spacing_mm=5.0, seed=number)
        ).pixels
        buffer = io.BytesIO()
        PILImage.fromarray(np.round(pixels * 255).astype(np.uint8), mode="L").save(
            buffer, format="PNG"
        )
        return buffer.getvalue()

    return make

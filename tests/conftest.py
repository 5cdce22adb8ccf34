"""Shared fixtures: where the read-only shared data lives, and skips when it is absent."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("CASEBOOK_SHARED", ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder, or a skip that says why when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"../shared/data is absent ({SHARED_DATA}); these tests read real radiographs from it"
        )
    return SHARED_DATA

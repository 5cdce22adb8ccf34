"""Trust fixtures: a stored four-turn conversation on a phantom film, and copies of it.

The engine's learned parts are replaced by the fakes of tests/engine/conftest.py, so a
conversation takes a second and every anchor is known.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cases import open_store
from cases.content_store import store_dir_for
from cases.phantom import Phantom, make_phantom, seed_scenario_spec
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from engine.analysis import AnalysisCache, Analyzer
from engine.backends.embedded import EmbeddedBackend
from engine.findings import Candidate
from services import workflows
from tests.engine.conftest import FakeDetector, FakeSegmenter
from tests.engine.conftest import Phantom as FakePhantom

SEED_QUESTIONS = (
    "肺部是否有异常?",
    "右肺中叶那个圆形影,边缘是否规则?",
    "这个病灶距离右肺门有多远?是否与肺门结构相连?",
    "如果这是早期肺癌,典型X线表现应该有哪些?当前影像符合几条?",
)


@dataclass(frozen=True)
class SeedDb:
    """A closed database holding one case with one four-turn conversation."""

    db: Path
    case_id: str
    image_id: str
    conversation_id: int


def fake_cache(phantom: Phantom) -> AnalysisCache:
    """An analysis cache whose segmenter and detector return the phantom's truth."""
    truth = phantom.truth
    fakes = FakePhantom(
        image=phantom.pixels,
        right_lung=truth.right_lung,
        left_lung=truth.left_lung,
        heart=truth.heart,
    )
    candidates = [Candidate(n.center_px, n.diameter_px / 2, 0.9) for n in truth.nodules]
    return AnalysisCache(
        lambda: Analyzer(FakeSegmenter(fakes), FakeDetector(candidates, truth.columns))
    )


@pytest.fixture(scope="session")
def seed_phantom() -> Phantom:
    return make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7))


@pytest.fixture(scope="session")
def seed_cache(seed_phantom) -> AnalysisCache:
    return fake_cache(seed_phantom)


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory, seed_phantom, seed_cache) -> SeedDb:
    db = tmp_path_factory.mktemp("seed") / "casebook.duckdb"
    with open_store(db) as store:
        outcome = store.import_bytes(
            phantom_dicom_bytes(seed_phantom, DicomOptions(uid_seed="seed")),
            name="seed.dcm",
            actor="importer@example.org",
        )
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor="reader@example.org",
            cache=seed_cache,
        )
        for question in SEED_QUESTIONS:
            workflows.ask(store, session, question, actor="reader@example.org")
        assert store.verify_audit().ok
    return SeedDb(
        db=db,
        case_id=outcome.case_id,
        image_id=outcome.image.image_id,
        conversation_id=session.record.conversation_id,
    )


def copy_database(source: Path, folder: Path) -> Path:
    """Copy a closed database file and its store folder into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copy2(source, target)
    shutil.copytree(store_dir_for(source), store_dir_for(target))
    return target


@pytest.fixture
def seed_copy(seed_db, tmp_path) -> Path:
    """A private copy of the seed database that a test may tamper with."""
    return copy_database(seed_db.db, tmp_path / "copy")

"""Fixtures for the case database: a store on a temporary file and synthetic DICOMs."""

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pydicom
import pytest

from cases import CaseStore, open_store
from cases.phantom import Phantom, PhantomSpec, make_phantom
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CaseStore]:
    """A CaseStore on a fresh database file (its store folder beside it)."""
    with open_store(tmp_path / "casebook.duckdb") as case_store:
        yield case_store


@pytest.fixture(scope="session")
def small_phantom() -> Phantom:
    """A 256 x 256 phantom with one nodule (fast enough for every test)."""
    from cases.model import Side
    from cases.phantom import NoduleSpec

    spec = PhantomSpec(
        rows=256,
        columns=256,
        spacing_mm=1.4,
        nodules=(
            NoduleSpec(side=Side.RIGHT, lateral=0.6, caudal=0.5, diameter_mm=20.0),
        ),
    )
    return make_phantom(spec)


def _round_trip(phantom: Phantom, **options: object) -> bytes:
    data = phantom_dicom_bytes(phantom, DicomOptions(**options))  # type: ignore[arg-type]
    dataset = pydicom.dcmread(io.BytesIO(data))
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def make_dicom(small_phantom: Phantom) -> Callable[..., bytes]:
    """Encode the small phantom as DICOM with DicomOptions(**kwargs), via pydicom and BytesIO."""
    return lambda **options: _round_trip(small_phantom, **options)


@pytest.fixture
def dicom_bytes(make_dicom: Callable[..., bytes]) -> bytes:
    """A synthetic 12-bit DX chest film (PixelSpacing, MONOCHROME2) as DICOM bytes."""
    return make_dicom()


TABLES = (
    "cases", "images", "deid_reports", "conversations", "turns", "anchors", "turn_anchor_events",
    "measurements", "sign_matches", "annotations", "analyses", "audit_log",
)  # fmt: skip


@pytest.fixture(scope="session")
def table_counts() -> Callable[[CaseStore], dict[str, int]]:
    """Count the rows of every table, to prove that a refused write changed nothing."""

    def count(case_store: CaseStore) -> dict[str, int]:
        with case_store._cursor() as cursor:
            return {
                t: cursor.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in TABLES
            }

    return count

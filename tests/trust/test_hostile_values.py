"""Hostile header values never become trusted numbers, raw text or broken exports."""

from __future__ import annotations

import io
import re

import pydicom
import pytest

from cases import CalibrationSource, open_store
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from engine.backends.embedded import EmbeddedBackend
from engine.geometry import Distance, describe_length
from services import workflows

QUESTIONS = (
    "肺部是否有异常?",
    "这个病灶多大?",
    "这个病灶距离右肺门有多远?",
    "How large is that lesion?",
)


def _with(data: bytes, **attributes: object) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(data))
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "attributes",
    [
        {"PixelSpacing": [1e300, 1e300]},
        {"PixelSpacing": [1e-300, 1e-300]},
        {
            "ImagerPixelSpacing": [0.7, 0.7],
            "EstimatedRadiographicMagnificationFactor": 1e308,
        },
    ],
    ids=["huge", "tiny", "ermf"],
)
def test_absurd_calibration_never_reaches_an_answer(
    tmp_path, seed_phantom, seed_cache, attributes
):
    data = phantom_dicom_bytes(seed_phantom, DicomOptions(uid_seed="absurd"))
    if "ImagerPixelSpacing" in attributes:
        ds = pydicom.dcmread(io.BytesIO(data))
        del ds.PixelSpacing
        buffer = io.BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        data = buffer.getvalue()
    with open_store(tmp_path / "c.duckdb") as store:
        outcome = store.import_bytes(_with(data, **attributes), name="f.dcm", actor="t")
        assert outcome.image.calibration.source is CalibrationSource.NONE
        session = workflows.start_session(
            store,
            outcome.case_id,
            backend=EmbeddedBackend(),
            actor="t",
            cache=seed_cache,
        )
        answers = [
            workflows.ask(store, session, q, actor="t").answer_text for q in QUESTIONS
        ]
    text = "\n".join(answers)
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)
    assert not any(len(n) > 9 for n in re.findall(r"\d[\d.,]*", text)), text


def test_an_implausible_length_is_given_in_pixels():
    absurd = Distance(
        value_px=120.0, value_mm=1e301, calibration=CalibrationSource.PIXEL_SPACING
    )
    assert describe_length(absurd) == "uncalibrated: 120 px"
    assert "nan" not in describe_length(
        Distance(
            value_px=3.0,
            value_mm=float("nan"),
            calibration=CalibrationSource.PIXEL_SPACING,
        ),
        "zh",
    )

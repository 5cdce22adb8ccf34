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


@pytest.mark.parametrize(
    ("typed", "rendered_markdown"),
    [
        ("**bold**", "**bold**"),
        ("![x](http://evil.example/x.png)", "!["),
        ("[click](https://evil.example)", "[click]("),
        ("# heading", "# heading"),
        ("- item", "- item"),
        ("1. item", "1. item"),
        ("`code`", "`code`"),
        ("<script>alert(1)</script>", "<script>"),
    ],
)
def test_markdown_in_user_text_is_escaped(typed, rendered_markdown):
    from services.exports import md_text

    escaped = md_text(typed)
    if typed[0] in "#-1":  # block markers only count at the start of a line
        assert not escaped.startswith(rendered_markdown)
    else:
        assert rendered_markdown not in escaped


def test_markdown_exports_escape_markdown(seed_copy, seed_cache, tmp_path):
    from services.exports import export_conversation, export_teaching_file

    question = "**bold** ![x](http://evil.example/x.png) [link](https://evil.example)?"
    with open_store(seed_copy) as store:
        session = workflows.start_session(
            store,
            "C000001",
            backend=EmbeddedBackend(),
            actor="**mallory**",  # only a conversation's author adds to it
            cache=seed_cache,
        )
        workflows.ask(store, session, question, actor="**mallory**")
        conversation = session.record.conversation_id
        export_conversation(
            store, conversation, tmp_path / "b", actor="qa", verify=False
        )
        export_teaching_file(
            store,
            conversation,
            tmp_path / "t",
            turns=[1],
            points=["__underline__ [x](javascript:alert(1))"],
            actor="qa",
        )
    for path in (tmp_path / "b" / "report.md", tmp_path / "t" / "index.md"):
        text = path.read_text(encoding="utf-8")
        for live in (
            "**bold**",
            "![x](",
            "[link](",
            "**mallory**",
            "__underline__",
            "[x](",
        ):
            assert live not in text, (path.name, live)


@pytest.mark.parametrize("typed", ["1e-300", "0.001", "9.5"])
def test_an_implausible_spacing_for_a_file_is_named_when_asked_directly(
    tmp_path, seed_phantom, capsys, typed
):
    """`casebook ask FILE --spacing-mm` stores nothing, but still says what it ignored."""
    from PIL import Image as PILImage

    from cli.main import main

    film = tmp_path / "film.png"
    PILImage.fromarray((seed_phantom.pixels * 255).astype("uint8")).save(film)
    code = main(["ask", str(film), "--spacing-mm", typed, "-q", "How large is it?"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"--spacing-mm of {float(typed):g} mm per pixel" in captured.err
    assert "plausible range" in captured.err
    assert not re.search(r"\b(nan|inf)\b", captured.out, re.IGNORECASE)

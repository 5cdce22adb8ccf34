"""Fuzzed DICOM intake: every input imports or is refused with a CasesError, cleanly.

Two generators, both bounded so CI spends well under a minute here: byte-level damage
to valid synthetic films (flips, truncation, insertion, in the header and in the pixel
data, for uncompressed and RLE files), and datasets built from random attribute values
(sizes, bit depths, photometric interpretations, transfer syntaxes, spacing, window and
LUT strings, pixel data of the wrong length). A refusal must leave every table and the
store folder exactly as they were. The examples are derandomised so that a CI failure
reproduces locally.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID, RLELossless

from cases import BurnedInPolicy, CasesError, ImportStatus, open_store
from cases.phantom import PhantomSpec, make_phantom
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes

# pydicom warns about the garbage this module writes on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TABLES = (
    "cases", "images", "deid_reports", "conversations", "turns", "anchors",
    "measurements", "sign_matches", "annotations", "analyses", "audit_log",
)  # fmt: skip


def _films() -> list[bytes]:
    phantom = make_phantom(PhantomSpec(rows=64, columns=64, spacing_mm=5.0))
    return [
        phantom_dicom_bytes(phantom, DicomOptions(uid_seed="fuzz-a")),
        phantom_dicom_bytes(
            phantom,
            DicomOptions(
                uid_seed="fuzz-b",
                transfer_syntax=RLELossless,
                photometric="MONOCHROME1",
                burned_in_annotation="YES",
                window=(2000.0, 3000.0),
            ),
        ),
    ]


FILMS = _films()


class Harness:
    """One store for all examples; checks what each import did to it."""

    def __init__(self, folder: Path) -> None:
        self.db = folder / "casebook.duckdb"
        self.store = open_store(self.db)
        self.imported = 0

    def counts(self) -> dict[str, int]:
        counts = {}
        with self.store._cursor() as cursor:
            for table in TABLES:
                row = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()
                counts[table] = int(row[0]) if row else 0
        return counts

    def files(self) -> dict[str, int]:
        root = self.store.content.root
        return {
            str(p.relative_to(root)): p.stat().st_size
            for p in root.rglob("*")
            if p.is_file()
        }

    def check(self, data: bytes, policy: BurnedInPolicy) -> None:
        before, files = self.counts(), self.files()
        try:
            outcome = self.store.import_bytes(
                data, name="fuzz.dcm", actor="fuzz", burned_in=policy
            )
        except CasesError as exc:
            message = str(exc)
            assert message.startswith("fuzz.dcm"), message
            assert "\n" not in message
            assert self.counts() == before, "a refused file left rows behind"
            assert self.files() == files, "a refused file left files in the store"
            return
        after = self.counts()
        if outcome.status is ImportStatus.EXISTING:
            assert after == before
            return
        self.imported += 1
        assert after["images"] == before["images"] + 1
        assert after["deid_reports"] == before["deid_reports"] + 1
        shown = self.store.load_display(outcome.image)
        assert shown.shape == (outcome.image.rows, outcome.image.columns)
        assert np.isfinite(shown).all()


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("fuzz"))
    yield h
    report = h.store.verify_audit()
    h.store.close()
    assert report.ok, report.problem


POLICIES = st.sampled_from(list(BurnedInPolicy))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    film = bytearray(draw(st.sampled_from(FILMS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(["flip", "flip-header", "truncate", "insert", "delete"])
        )
        header_end = min(len(film), 900)
        if kind == "truncate":
            film = film[: draw(st.integers(0, len(film)))]
        elif kind in ("flip", "flip-header") and film:
            top = header_end if kind == "flip-header" else len(film)
            at = draw(st.integers(0, max(0, top - 1)))
            film[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            at = draw(st.integers(0, len(film)))
            film[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif film:
            at = draw(st.integers(0, len(film) - 1))
            del film[at : at + draw(st.integers(1, 16))]
    return bytes(film)


TEXT = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        ["", "0", "-1", "1e308", "nan", "inf", "0\\0", "1\\2\\3", "abc\\def", "\x00"]
    ),
)
SYNTAXES = [
    "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.1.99", "1.2.3.4.5.6",
]  # fmt: skip


@st.composite
def random_dataset(draw: st.DrawFn) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    syntax = draw(st.sampled_from(SYNTAXES))
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.1")
    ds.file_meta.MediaStorageSOPInstanceUID = UID("1.2.3")
    ds.SOPClassUID = draw(
        st.sampled_from(
            [
                "1.2.840.10008.5.1.4.1.1.1",
                "1.2.840.10008.5.1.4.1.1.1.1",
                "1.2.840.10008.5.1.4.1.1.7",
                "1.2.840.10008.5.1.4.1.1.2",
                "9.9",
            ]
        )
    )
    ds.SOPInstanceUID = "1.2.3"
    ds.StudyInstanceUID = draw(st.sampled_from(["1.2.4", "1.2.5", ""]))
    ds.Modality = draw(st.sampled_from(["CR", "DX", "OT", "CT", "", "cr"]))
    rows = draw(st.integers(0, 80))
    columns = draw(st.integers(0, 80))
    ds.Rows, ds.Columns = rows, columns
    bits = draw(st.sampled_from([1, 8, 12, 16, 32, 64]))
    ds.BitsAllocated = 16 if bits == 12 else bits
    ds.BitsStored = draw(st.integers(0, 33))
    ds.HighBit = draw(st.integers(0, 33))
    ds.PixelRepresentation = draw(st.integers(0, 2))
    ds.SamplesPerPixel = draw(st.sampled_from([0, 1, 3, 4]))
    ds.PhotometricInterpretation = draw(
        st.sampled_from(
            [
                "MONOCHROME1",
                "MONOCHROME2",
                "RGB",
                "PALETTE COLOR",
                "YBR_FULL",
                "",
                "XYZ",
            ]
        )
    )
    if draw(st.booleans()):
        frames = draw(st.sampled_from(["1", "2", "0", "-1", "x"]))
        ds.add_new("NumberOfFrames", "LO", frames)
    for keyword in (
        "PixelSpacing",
        "ImagerPixelSpacing",
        "WindowCenter",
        "WindowWidth",
        "RescaleSlope",
        "RescaleIntercept",
        "EstimatedRadiographicMagnificationFactor",
    ):
        if draw(st.booleans()):
            ds.add_new(keyword, "LO", draw(TEXT))
    for keyword in (
        "VOILUTFunction",
        "ViewPosition",
        "BodyPartExamined",
        "BurnedInAnnotation",
        "PresentationLUTShape",
        "SpecificCharacterSet",
        "PatientName",
    ):
        if draw(st.booleans()):
            ds.add_new(keyword, "LO", draw(TEXT))
    expected = (
        rows * columns * max(1, ds.BitsAllocated // 8) * max(1, ds.SamplesPerPixel)
    )
    size = draw(st.sampled_from([expected, max(0, expected - 1), expected + 2, 0, 7]))
    pixels = (
        draw(st.binary(min_size=size, max_size=size)) if size < 2000 else bytes(size)
    )
    if UID(syntax).is_transfer_syntax and UID(syntax).is_compressed:
        fragment = pixels + b"\0" * (len(pixels) % 2) if pixels else b"\0\0"
        ds.PixelData = encapsulate([fragment])
        ds["PixelData"].VR = "OB"
    else:
        ds.PixelData = pixels
        ds["PixelData"].VR = "OB" if ds.BitsAllocated <= 8 else "OW"
    buffer = io.BytesIO()
    try:
        ds.save_as(buffer, enforce_file_format=True)
    except (ValueError, TypeError, OverflowError, KeyError):
        # pydicom refuses to write this one as it is: force an encoding, as a broken
        # modality might, or give up on values that cannot be written at all.
        buffer = io.BytesIO()
        try:
            pydicom.dcmwrite(
                buffer, ds, implicit_vr=False, little_endian=True, force_encoding=True
            )
        except (ValueError, TypeError, OverflowError, KeyError):
            reject()
    return buffer.getvalue()


@FUZZ
@given(data=damaged(), policy=POLICIES)
def test_damaged_films_import_or_are_refused_cleanly(harness, data, policy):
    harness.check(data, policy)


@FUZZ
@given(data=random_dataset(), policy=POLICIES)
def test_random_datasets_import_or_are_refused_cleanly(harness, data, policy):
    harness.check(data, policy)


def test_the_originals_still_import(harness):
    for film in FILMS:
        harness.check(film, BurnedInPolicy.AUTO)
    assert harness.imported >= 2


@pytest.mark.parametrize("bits", [32, 64])
@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70"])
def test_jpeg_data_declaring_wide_pixels_never_reaches_the_decoder(
    harness, syntax, bits
):
    """python-gdcm aborts the process on this input; the intake must refuse it first."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1"
    ds.SOPInstanceUID = "1.2.3"
    ds.Modality = "CR"
    ds.Rows, ds.Columns = 8, 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, 12, 11
    ds.PixelRepresentation, ds.SamplesPerPixel = 0, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = encapsulate([bytes(range(64))])
    ds["PixelData"].VR = "OB"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(CasesError, match=f"{bits} bits allocated per sample"):
        harness.store.import_bytes(buffer.getvalue(), name="fuzz.dcm", actor="fuzz")

"""Intake: decoding, transfer syntaxes, warnings, refusals and re-imports."""

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image as PILImage
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
)

from cases import (
    CalibrationSource,
    ImageTooLarge,
    ImportStatus,
    IntakeLimits,
    InvalidImageFile,
    IssueCode,
    SourceFormat,
    UnsupportedImage,
    UnsupportedTransferSyntax,
)
from cases.phantom_dicom import DicomOptions, stored_values


def _codes(image):
    return {issue.code for issue in image.issues}


@pytest.mark.parametrize(
    "syntax",
    [ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless, JPEGLSLossless],
    ids=lambda s: s.name,
)
def test_lossless_transfer_syntaxes_round_trip_bit_exact(
    store, small_phantom, make_dicom, syntax
):
    data = make_dicom(transfer_syntax=syntax, bits_stored=12)
    assert pydicom.dcmread(io.BytesIO(data)).file_meta.TransferSyntaxUID == syntax

    outcome = store.import_bytes(data, name=f"phantom-{syntax.name}.dcm", actor="test")

    expected = stored_values(small_phantom, DicomOptions(bits_stored=12))
    np.testing.assert_array_equal(store.load_pixels(outcome.image), expected)
    assert outcome.image.transfer_syntax_uid == syntax
    assert IssueCode.LOSSY_COMPRESSION not in _codes(outcome.image)


def test_the_same_pixels_in_another_transfer_syntax_are_reported_as_existing(
    store, make_dicom
):
    first = store.import_bytes(make_dicom(), name="a.dcm", actor="test")
    again = store.import_bytes(
        make_dicom(transfer_syntax=RLELossless), name="b.dcm", actor="test"
    )

    assert first.status is ImportStatus.IMPORTED
    assert again.status is ImportStatus.EXISTING
    assert again.case_id == first.case_id
    assert store.stats().images == 1


def test_reimporting_a_file_reports_the_existing_case_and_writes_nothing(
    store, dicom_bytes, tmp_path, table_counts
):
    path = tmp_path / "film.dcm"
    path.write_bytes(dicom_bytes)
    first = store.import_file(path, actor="test")
    before = table_counts(store)

    again = store.import_file(path, actor="test")

    assert again.status is ImportStatus.EXISTING
    assert again.case_id == first.case_id
    assert table_counts(store) == before


def test_reimporting_with_another_spacing_reports_that_it_was_not_applied(
    store, small_phantom
):
    data = _png_bytes((small_phantom.pixels * 255).astype(np.uint8))
    first = store.import_bytes(data, name="a.png", actor="test", spacing_mm=0.2)

    same = store.import_bytes(data, name="a.png", actor="test", spacing_mm=0.2)
    other = store.import_bytes(data, name="a.png", actor="test", spacing_mm=0.3)

    assert same.status is other.status is ImportStatus.EXISTING
    assert same.ignored_calibration is None
    assert other.ignored_calibration is not None
    assert other.ignored_calibration.row_mm == 0.3
    assert other.image.calibration == first.image.calibration
    assert store.get_image(first.image.image_id).calibration.row_mm == 0.2


def test_images_of_one_study_share_a_case(store, small_phantom, make_dicom):
    frontal = store.import_bytes(
        make_dicom(uid_seed="study-1"), name="pa.dcm", actor="test"
    )
    lateral_dataset = pydicom.dcmread(
        io.BytesIO(make_dicom(uid_seed="study-1", view_position="LL"))
    )
    lateral_dataset.SOPInstanceUID = "1.2.3.4.5.6.7"
    lateral_dataset.PixelData = np.flipud(
        stored_values(small_phantom, DicomOptions())
    ).tobytes()
    buffer = io.BytesIO()
    lateral_dataset.save_as(buffer, enforce_file_format=True)

    lateral = store.import_bytes(buffer.getvalue(), name="lat.dcm", actor="test")

    assert lateral.status is ImportStatus.IMPORTED
    assert lateral.case_id == frontal.case_id
    assert not lateral.new_case
    assert [i.view_position for i in store.list_images(frontal.case_id)] == ["PA", "LL"]


def test_lateral_non_chest_and_non_human_films_import_with_warnings(store, make_dicom):
    outcome = store.import_bytes(
        make_dicom(
            view_position="LL",
            body_part="KNEE",
            species_description="Canis lupus familiaris",
        ),
        name="odd.dcm",
        actor="test",
    )

    codes = _codes(outcome.image)
    assert {
        IssueCode.LATERAL_VIEW,
        IssueCode.NON_CHEST_BODY_PART,
        IssueCode.NON_HUMAN,
    } <= codes
    assert all(i.severity == "warning" for i in outcome.image.issues if i.code in codes)


def test_burned_in_annotation_and_missing_view_are_warnings(store, make_dicom):
    outcome = store.import_bytes(
        make_dicom(burned_in_annotation="YES", view_position=None),
        name="b.dcm",
        actor="test",
    )

    assert outcome.image.burned_in_annotation is True
    assert {IssueCode.BURNED_IN_ANNOTATION, IssueCode.VIEW_POSITION_MISSING} <= _codes(
        outcome.image
    )


def test_a_plain_frontal_chest_film_has_no_warnings(store, make_dicom):
    outcome = store.import_bytes(make_dicom(), name="pa.dcm", actor="test")

    assert outcome.image.warnings == ()
    assert outcome.image.modality == "DX"
    assert outcome.image.view_position == "PA"
    assert outcome.image.body_part == "CHEST"


def test_dx_for_processing_imports_with_a_warning(store, make_dicom):
    outcome = store.import_bytes(
        make_dicom(for_processing=True), name="raw.dcm", actor="test"
    )

    assert IssueCode.FOR_PROCESSING in _codes(outcome.image)
    assert outcome.image.sop_class_uid == "1.2.840.10008.5.1.4.1.1.1.1.1"


def _png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_8_bit_png_imports_with_user_spacing(store, small_phantom):
    pixels = (small_phantom.pixels * 255).astype(np.uint8)

    outcome = store.import_bytes(
        _png_bytes(pixels), name="film.png", actor="test", spacing_mm=0.35
    )

    assert outcome.image.source_format is SourceFormat.PNG
    assert outcome.image.calibration.source is CalibrationSource.USER
    assert outcome.image.calibration.row_mm == outcome.image.calibration.col_mm == 0.35
    np.testing.assert_array_equal(store.load_pixels(outcome.image), pixels)
    np.testing.assert_allclose(
        store.load_display(outcome.image), pixels / 255.0, atol=1e-6
    )


def test_16_bit_png_keeps_its_depth_and_no_spacing_means_none(store, small_phantom):
    pixels = (small_phantom.pixels * 4095).astype(np.uint16)

    outcome = store.import_bytes(_png_bytes(pixels), name="film16.png", actor="test")

    stored = store.load_pixels(outcome.image)
    assert stored.dtype == np.uint16
    np.testing.assert_array_equal(stored, pixels)
    assert outcome.image.calibration.source is CalibrationSource.NONE
    assert IssueCode.NO_CALIBRATION in _codes(outcome.image)


def test_jpeg_imports_as_lossy_grayscale(store, small_phantom):
    buffer = io.BytesIO()
    PILImage.fromarray((small_phantom.pixels * 255).astype(np.uint8)).convert(
        "RGB"
    ).save(buffer, format="JPEG", quality=95)

    outcome = store.import_bytes(
        buffer.getvalue(), name="film.jpg", actor="test", spacing_mm=0.2
    )

    assert outcome.image.source_format is SourceFormat.JPEG
    assert outcome.image.lossy_compression
    assert store.load_pixels(outcome.image).ndim == 2


def _crafted_png(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a tiny (invalid) data stream."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_png_is_refused_from_its_header(
    store, tmp_path, table_counts
):
    path = tmp_path / "bomb.png"
    path.write_bytes(_crafted_png(30000, 30000))
    before = table_counts(store)

    with pytest.raises(
        ImageTooLarge,
        match=r"bomb\.png: image is 30000x30000 px .*refused before decoding",
    ):
        store.import_file(path, actor="test")

    assert table_counts(store) == before
    assert not list(store.content.root.glob("pixels/**/*.npy"))


def test_a_real_pillow_bomb_is_refused_before_decoding(store, monkeypatch):
    image = PILImage.new("P", (12000, 6000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    decoded = []
    monkeypatch.setattr(PILImage.Image, "load", lambda self: decoded.append(self))

    with pytest.raises(ImageTooLarge, match=r"72\.0 MP"):
        store.import_bytes(buffer.getvalue(), name="palette.png", actor="test")
    assert decoded == []


def test_pixel_limit_is_configurable(store, dicom_bytes):
    with pytest.raises(ImageTooLarge, match="above the 1,000 px limit"):
        store.import_bytes(
            dicom_bytes,
            name="film.dcm",
            actor="test",
            limits=IntakeLimits(max_pixels=1000),
        )


def test_oversized_files_are_refused(store, dicom_bytes):
    with pytest.raises(
        ImageTooLarge, match=r"film\.dcm: file is .* KiB, above the 1\.0 KiB limit"
    ):
        store.import_bytes(
            dicom_bytes,
            name="film.dcm",
            actor="test",
            limits=IntakeLimits(max_bytes=1024),
        )


def _bad_inputs(dicom: bytes) -> dict[str, tuple[bytes, type[Exception], str]]:
    return {
        "empty.dcm": (b"", InvalidImageFile, "file is empty"),
        "notes.dcm": (
            b"Patient notes: nothing to see here\n" * 10,
            InvalidImageFile,
            "not a DICOM, PNG or JPEG file",
        ),
        "truncated.dcm": (
            dicom[: len(dicom) // 2],
            InvalidImageFile,
            "could not be decoded|not a readable DICOM",
        ),
        "header-only.dcm": (dicom[:200], InvalidImageFile, "not a readable DICOM"),
        "truncated.png": (
            _png_bytes(np.zeros((64, 64), np.uint8))[:60],
            InvalidImageFile,
            "not a readable PNG",
        ),
    }


@pytest.mark.parametrize(
    "name",
    ["empty.dcm", "notes.dcm", "truncated.dcm", "header-only.dcm", "truncated.png"],
)
def test_bad_files_are_refused_in_one_line_and_change_nothing(
    store, dicom_bytes, tmp_path, table_counts, name
):
    data, error, reason = _bad_inputs(dicom_bytes)[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = table_counts(store)

    with pytest.raises(error, match=reason) as raised:
        store.import_file(path, actor="test")

    message = str(raised.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    assert table_counts(store) == before


def _corrupt_jpeg(make_dicom) -> bytes:
    """A JPEG Baseline phantom with part of its entropy-coded data zeroed.

    libjpeg decodes such a stream into garbage and only prints "Corrupt JPEG data:
    premature end of data segment" on stderr.
    """
    data = bytearray(make_dicom(transfer_syntax=JPEGBaseline8Bit, bits_stored=8))
    scan = data.index(b"\xff\xda")
    end = data.rindex(b"\xff\xd9")
    start = scan + (end - scan) // 3
    data[start : start + 500] = bytes(500)
    return bytes(data)


def test_jpeg_baseline_phantom_imports_as_lossy(store, make_dicom, capfd):
    outcome = store.import_bytes(
        make_dicom(transfer_syntax=JPEGBaseline8Bit, bits_stored=8),
        name="jpeg.dcm",
        actor="test",
    )

    assert outcome.image.transfer_syntax_uid == JPEGBaseline8Bit
    assert IssueCode.LOSSY_COMPRESSION in _codes(outcome.image)
    assert capfd.readouterr().err == ""


def test_corrupt_jpeg_data_is_refused_and_the_decoder_output_is_kept_off_the_terminal(
    store, make_dicom, tmp_path, table_counts, capfd
):
    path = tmp_path / "corrupt.dcm"
    path.write_bytes(_corrupt_jpeg(make_dicom))
    before = table_counts(store)

    with pytest.raises(
        InvalidImageFile,
        match=r"corrupt\.dcm: corrupt compressed pixel data \(the decoder reported: "
        r"Corrupt JPEG data",
    ) as raised:
        store.import_file(path, actor="test")

    assert "\n" not in str(raised.value)
    assert table_counts(store) == before
    assert not list(store.content.root.glob("pixels/**/*.npy"))
    assert capfd.readouterr().err == ""


def test_concurrent_imports_keep_each_decoders_complaints_to_its_own_file(
    store, make_dicom, capfd
):
    from concurrent.futures import ThreadPoolExecutor

    corrupt = _corrupt_jpeg(make_dicom)
    good = [make_dicom(uid_seed=f"thread-{n}", bits_stored=8 + n) for n in range(4)]

    def attempt(item: tuple[str, bytes]) -> str:
        name, data = item
        try:
            store.import_bytes(data, name=name, actor="test")
        except InvalidImageFile as exc:
            return str(exc)
        return "imported"

    jobs = [("bad.dcm", corrupt), *[(f"good{n}.dcm", d) for n, d in enumerate(good)]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip([name for name, _ in jobs], pool.map(attempt, jobs), strict=True)
        )

    assert results.pop("bad.dcm").startswith("bad.dcm: corrupt compressed pixel data")
    assert set(results.values()) == {"imported"}
    assert capfd.readouterr().err == ""


def test_12_bit_jpeg_extended_is_refused_as_an_unsupported_syntax(store, table_counts):
    from pydicom.data import get_testdata_file

    dataset = pydicom.dcmread(get_testdata_file("JPGExtended.dcm"))
    assert dataset.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.51"
    assert dataset.BitsStored == 12
    dataset.Modality = "CR"
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    before = table_counts(store)

    with pytest.raises(
        UnsupportedTransferSyntax,
        match=r"ext12\.dcm: transfer syntax JPEG Extended .* with 12-bit samples has no "
        r"permissively licensed decoder .*pylibjpeg-libjpeg, is GPL.*convert the file to "
        r"JPEG 2000 or uncompressed first, e\.g\. `gdcmconv --j2k IN OUT`",
    ):
        store.import_bytes(buffer.getvalue(), name="ext12.dcm", actor="test")
    assert table_counts(store) == before


@pytest.mark.parametrize("syntax", [JPEG2000Lossless, JPEGBaseline8Bit], ids=str)
def test_a_file_cut_inside_its_compressed_pixel_data_is_called_truncated(
    store, make_dicom, syntax
):
    data = make_dicom(transfer_syntax=syntax, bits_stored=8)

    with pytest.raises(
        InvalidImageFile,
        match=r"cut\.dcm: not a readable DICOM file \(it is truncated inside the pixel data",
    ):
        store.import_bytes(data[: len(data) - 300], name="cut.dcm", actor="test")


def test_decoder_errors_do_not_quote_header_values(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.PhotometricInterpretation = "PHISMITH JOHN"
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)

    with pytest.raises(InvalidImageFile, match="could not be decoded") as raised:
        store.import_bytes(buffer.getvalue(), name="pi.dcm", actor="test")
    assert "SMITH" not in str(raised.value)


def test_unknown_transfer_syntax_is_refused(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.file_meta.TransferSyntaxUID = (
        "1.2.840.10008.1.2.4.100"  # MPEG-2: no image decoder
    )
    dataset.PixelData = pydicom.encaps.encapsulate([b"\x00" * 16])
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)

    with pytest.raises(UnsupportedTransferSyntax, match=r"MPEG2.*has no pixel decoder"):
        store.import_bytes(buffer.getvalue(), name="video.dcm", actor="test")


def test_missing_decoder_plugin_is_named(store, make_dicom, monkeypatch):
    from pydicom.pixels.decoders.base import Decoder

    monkeypatch.setattr(Decoder, "is_available", property(lambda self: False))
    monkeypatch.setattr(
        Decoder,
        "missing_dependencies",
        property(lambda self: ["pyjpegls - requires pyjpegls>=1.2"]),
    )

    with pytest.raises(
        UnsupportedTransferSyntax, match=r"no installed decoder for JPEG-LS.*pyjpegls"
    ):
        store.import_bytes(
            make_dicom(transfer_syntax=JPEGLSLossless), name="ls.dcm", actor="test"
        )


def test_ct_images_are_refused(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.Modality = "CT"
    dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)

    with pytest.raises(
        UnsupportedImage, match="CT, CT Image Storage is not a projection radiograph"
    ):
        store.import_bytes(buffer.getvalue(), name="ct.dcm", actor="test")


def test_a_dicom_without_pixels_is_refused(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    del dataset.PixelData
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)

    with pytest.raises(UnsupportedImage, match="has no pixel data"):
        store.import_bytes(buffer.getvalue(), name="nopixels.dcm", actor="test")


def test_a_missing_path_is_refused(store, tmp_path):
    with pytest.raises(InvalidImageFile, match="no such file"):
        store.import_file(Path(tmp_path / "absent.dcm"), actor="test")


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        (1, 1, "below the 64 px"),
        (63, 512, "below the 64 px"),
        (64, 600, "aspect ratio beyond 1:8"),
    ],
)
def test_tiny_or_strip_pngs_are_refused(store, table_counts, width, height, reason):
    before = table_counts(store)
    pixels = (np.arange(width * height) % 200).astype(np.uint8).reshape(height, width)
    with pytest.raises(UnsupportedImage, match=reason):
        store.import_bytes(_png_bytes(pixels), name="strip.png", actor="test")
    assert table_counts(store) == before


def test_a_65535_by_1_dicom_is_refused_before_decoding(store, dicom_bytes):
    ds = pydicom.dcmread(io.BytesIO(dicom_bytes))
    ds.Rows, ds.Columns = 1, 65535
    ds.PixelData = b"\0\0" * 65535
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(UnsupportedImage, match=r"65535x1 px, below the 64 px"):
        store.import_bytes(buffer.getvalue(), name="line.dcm", actor="test")

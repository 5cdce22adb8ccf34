"""Display pipeline: modality LUT, VOI window / LUT, MONOCHROME1 polarity."""

import io

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cases import ModalityLutSource, VoiSource
from cases.display import apply_window, display_params_from_dataset, to_display


def test_monochrome1_is_inverted_so_lungs_stay_dark(store, small_phantom, make_dicom):
    truth = small_phantom.truth
    mono1 = store.load_display(
        store.import_bytes(
            make_dicom(photometric="MONOCHROME1"), name="m1.dcm", actor="t"
        ).image
    )
    mono2 = store.load_display(
        store.import_bytes(
            make_dicom(photometric="MONOCHROME2", uid_seed="m2"),
            name="m2.dcm",
            actor="t",
        ).image
    )

    for shown in (mono1, mono2):
        assert shown.dtype == np.float32
        assert shown.min() >= 0.0 and shown.max() <= 1.0
        assert shown[truth.right_lung].mean() < shown[truth.heart].mean() - 0.3
    np.testing.assert_allclose(mono1, mono2, atol=1e-3)


def test_voi_window_maps_center_to_mid_gray_and_clips(store, small_phantom, make_dicom):
    # 12-bit stored values with rescale: modality value = 2 * stored - 1000.
    outcome = store.import_bytes(
        make_dicom(
            rescale_slope=2.0, rescale_intercept=-1000.0, window=(3000.0, 2000.0)
        ),
        name="w.dcm",
        actor="t",
    )
    display = outcome.image.display
    assert (display.window_center, display.window_width, display.voi) == (
        3000.0,
        2000.0,
        VoiSource.WINDOW,
    )
    assert display.modality_lut is ModalityLutSource.RESCALE

    shown = store.load_display(outcome.image)
    modality = store.load_pixels(outcome.image).astype(np.float64) * 2.0 - 1000.0
    assert np.all(shown[modality <= 1999] == 0.0)
    assert np.all(shown[modality >= 4000] == 1.0)
    middle = (modality > 2990) & (modality < 3010)
    assert middle.any()
    assert shown[middle].mean() == pytest.approx(0.5, abs=0.02)


def test_multi_valued_window_uses_the_first_pair():
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 12
    ds.WindowCenter = [100, 900]
    ds.WindowWidth = [50, 400]
    params, _ = display_params_from_dataset(ds)
    assert (params.window_center, params.window_width) == (100.0, 50.0)


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_functions_are_monotonic_and_centred(function):
    values = np.linspace(0, 4000, 4001)
    shown = apply_window(values, 2000.0, 1000.0, function)
    assert np.all(np.diff(shown) >= 0)
    assert shown[2000] == pytest.approx(0.5, abs=0.01)
    assert shown[0] < 0.05 and shown[-1] > 0.95


def test_invalid_window_width_falls_back_to_the_value_range():
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 12
    ds.WindowCenter = 100
    ds.WindowWidth = 0
    params, issues = display_params_from_dataset(ds)
    assert params.voi is VoiSource.MIN_MAX
    assert [i.code for i in issues] == ["invalid_window"]


def test_voi_lut_sequence_is_applied_from_the_stored_header(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    item = Dataset()
    # A 4096-entry LUT that inverts 12-bit values (12-bit output entries).
    item.LUTDescriptor = [4096, 0, 12]
    item.add_new("LUTData", "US", [4095 - v for v in range(4096)])
    item.LUTExplanation = "PHI-looking explanation that must not be kept"
    dataset.VOILUTSequence = Sequence([item])
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)

    outcome = store.import_bytes(buffer.getvalue(), name="lut.dcm", actor="t")

    assert outcome.image.display.voi is VoiSource.VOI_LUT_SEQUENCE
    header = store.load_header(outcome.image)
    assert "LUTExplanation" not in header.VOILUTSequence[0]
    pixels = store.load_pixels(outcome.image).astype(np.float64)
    shown = store.load_display(outcome.image)
    expected = (4095 - pixels) / 4095
    np.testing.assert_allclose(shown, expected, atol=1e-6)


def test_modality_lut_sequence_needs_the_header():
    params, _ = display_params_from_dataset(_with_modality_lut())
    assert params.modality_lut is ModalityLutSource.MODALITY_LUT_SEQUENCE
    with pytest.raises(ValueError, match="needs the image's header"):
        to_display(np.zeros((4, 4), np.uint16), params, None)


def _with_modality_lut() -> Dataset:
    ds = Dataset()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored = 8
    ds.PixelRepresentation = 0
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    item.add_new("LUTData", "US", [v * 10 for v in range(256)])
    item.ModalityLUTType = "OD"
    ds.ModalityLUTSequence = Sequence([item])
    return ds


def test_modality_lut_sequence_output_is_stretched():
    ds = _with_modality_lut()
    params, _ = display_params_from_dataset(ds)
    pixels = np.array([[0, 128, 255]], np.uint8)
    shown = to_display(pixels, params, ds)
    np.testing.assert_allclose(shown, [[0.0, 128 / 255, 1.0]], atol=1e-6)


def test_decoded_display_matches_the_stored_display(store, dicom_bytes):
    from cases import read_image
    from cases.display import decoded_display

    decoded = read_image(dicom_bytes, name="f.dcm", salt=b"s" * 32)
    stored = store.import_bytes(dicom_bytes, name="f.dcm", actor="t")

    np.testing.assert_array_equal(
        decoded_display(decoded), store.load_display(stored.image)
    )

"""De-identification: no identifying data reaches the database, the store or the logs."""

import io
import logging
import shutil

import duckdb
import pydicom
import pytest

from cases import open_store
from cases.content_store import SALT_FILE
from cases.defined_terms import CODED_ATTRIBUTES, defined_values
from cases.deidentify import DEID_METHOD, KEPT_ATTRIBUTES, remap_uid
from cases.phantom_dicom import PHI_STRINGS, PHI_VALUES, DicomOptions, original_uids


def _needles(options: DicomOptions) -> list[bytes]:
    texts = [*PHI_STRINGS, *original_uids(options).values()]
    needles = set()
    for text in texts:
        for variant in (text, text.upper(), text.lower()):
            needles.add(variant.encode("utf-8"))
    return sorted(needles)


def _files_under(folder):
    return [p for p in folder.rglob("*") if p.is_file()]


# Names shaped like Code Strings (upper case, space, at most 16 characters) in the coded
# attributes that de-identification keeps: only DICOM defined terms may survive.
CODED_PHI = {
    "BodyPartExamined": "PHISMITH JOHN",
    "ViewPosition": "PHIDOE JANE",
    "Modality": "PHIROE RICH",
    "ImageType": ["ORIGINAL", "PRIMARY", "PHIPOE ANNA"],
    "PatientOrientation": ["PHIMOE", "F"],
    "RescaleType": "PHIKOE MARY",
    "PixelSpacingCalibrationType": "PHILOE SAM",
    "PresentationIntentType": "PHIVOE TOM",
    "Laterality": "PHIZOE",
    "LossyImageCompressionMethod": "PHIBOE LEE",
}
CODED_PHI_STRINGS = [
    v
    for value in CODED_PHI.values()
    for v in (value if isinstance(value, list) else [value])
    if v.startswith("PHI")
]


def _database_text(db) -> str:
    """Every value in every table, as text (DuckDB may compress strings on disk)."""
    connection = duckdb.connect(str(db), read_only=True)
    try:
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
        return "\n".join(
            repr(connection.execute(f"SELECT * FROM {table}").fetchall())
            for table in tables
        )
    finally:
        connection.close()


def _import_and_search(tmp_path, data, options, caplog, extra_needles=()):
    source = tmp_path / "incoming" / "film.dcm"
    source.parent.mkdir()
    source.write_bytes(data)
    db = tmp_path / "db" / "casebook.duckdb"

    with open_store(db) as store:
        outcome = store.import_file(source, actor="test")
        store.verify_audit()
        image = store.get_image(outcome.image.image_id)
        assert image.deid_method == DEID_METHOD
        report = store.find_deid_report(image.image_id)
    needles = sorted({*_needles(options), *(n.encode() for n in extra_needles)})

    scanned = _files_under(db.parent)
    assert any(p.suffix == ".npy" for p in scanned) and any(
        p.suffix == ".dcm" for p in scanned
    )
    for path in scanned:
        raw = path.read_bytes()
        found = [n.decode() for n in needles if n in raw]
        assert not found, f"{path.relative_to(tmp_path)} contains {found}"
    table_text = _database_text(db).encode("utf-8")
    assert not [n.decode() for n in needles if n in table_text]
    log_text = caplog.text.encode("utf-8")
    assert not [n.decode() for n in needles if n in log_text]
    return image, report


def test_phi_in_every_attribute_group_never_reaches_database_store_or_logs(
    tmp_path, make_dicom, caplog
):
    caplog.set_level(logging.DEBUG)
    options = DicomOptions(include_phi=True, uid_seed="phi-case")
    data = make_dicom(include_phi=True, uid_seed="phi-case")
    original = pydicom.dcmread(io.BytesIO(data))
    assert (
        str(original.PatientName) == PHI_VALUES["PatientName"]
    )  # the test file really carries PHI

    _import_and_search(tmp_path, data, options, caplog)


def test_names_in_coded_attributes_never_reach_database_store_warnings_or_logs(
    tmp_path, make_dicom, caplog
):
    caplog.set_level(logging.DEBUG)
    options = DicomOptions(include_phi=True, uid_seed="coded-phi")
    data = make_dicom(include_phi=True, uid_seed="coded-phi", extra=CODED_PHI)
    original = pydicom.dcmread(io.BytesIO(data))
    assert original.BodyPartExamined == "PHISMITH JOHN"  # the file really carries them

    image, report = _import_and_search(
        tmp_path, data, options, caplog, extra_needles=CODED_PHI_STRINGS
    )

    assert image.body_part is None and image.view_position is None
    assert image.modality is None
    messages = " ".join(issue.message for issue in image.issues)
    assert "Body Part Examined (0018,0015) holds no DICOM defined term" in messages
    assert "View Position (0018,5101) holds no DICOM defined term" in messages
    assert "modality not a DICOM defined term (value not shown)" in messages
    assert not [n for n in CODED_PHI_STRINGS if n in messages]
    assert set(CODED_PHI) <= set(report.summary.dropped_values)


def test_deidentified_header_keeps_what_exports_need(store, make_dicom):
    outcome = store.import_bytes(
        make_dicom(include_phi=True, uid_seed="hdr"), name="f.dcm", actor="t"
    )
    header = store.load_header(outcome.image)

    assert header.PatientIdentityRemoved == "YES"
    assert header.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert (
        header.PatientName == ""
        and header.PatientID == ""
        and header.AccessionNumber == ""
    )
    assert (
        header.Modality == "DX"
        and header.ViewPosition == "PA"
        and header.BodyPartExamined == "CHEST"
    )
    assert header.Rows == outcome.image.rows and header.Columns == outcome.image.columns
    assert "PixelData" not in header
    assert not any(element.tag.is_private for element in header)
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        assert str(header[keyword].value).startswith("2.25.")
    assert header.StudyInstanceUID == outcome.image.study_uid
    assert header.SOPInstanceUID == outcome.image.sop_instance_uid
    assert header.file_meta.MediaStorageSOPInstanceUID == header.SOPInstanceUID


def test_uid_remapping_is_deterministic_per_salt_and_valid():
    uid = "1.2.826.0.1.3680043.8.498.12345"
    assert remap_uid(uid, b"salt-a") == remap_uid(uid, b"salt-a")
    assert remap_uid(uid, b"salt-a") != remap_uid(uid, b"salt-b")
    remapped = remap_uid(uid, b"salt-a")
    assert len(remapped) <= 64
    assert all(
        part.isdigit() and (part == "0" or not part.startswith("0"))
        for part in remapped.split(".")
    )


def test_salt_is_created_once_beside_the_database_and_reused(tmp_path, dicom_bytes):
    db = tmp_path / "casebook.duckdb"
    with open_store(db) as store:
        first = store.import_bytes(dicom_bytes, name="f.dcm", actor="t").image.study_uid
    salt_file = tmp_path / "casebook.store" / SALT_FILE
    assert salt_file.stat().st_mode & 0o777 == 0o600
    salt = salt_file.read_bytes()

    with open_store(db) as store:
        assert store.content.salt() == salt
    # A second installation (another salt) maps the same source UIDs elsewhere.
    other = tmp_path / "other" / "casebook.duckdb"
    with open_store(other) as store:
        second = store.import_bytes(
            dicom_bytes, name="f.dcm", actor="t"
        ).image.study_uid
    assert first != second


def test_warning_messages_name_attributes_not_their_text(store, dicom_bytes):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.InstitutionName = "Happy Paws Veterinary Clinic of Jane Smith"
    dataset.SeriesDescription = "Thorax LAT Jane Smith"
    del dataset.ViewPosition
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)

    outcome = store.import_bytes(buffer.getvalue(), name="vet.dcm", actor="t")

    messages = " ".join(i.message for i in outcome.image.issues)
    assert "Institution Name" in messages and "Series Description" in messages
    assert "Jane" not in messages and "Paws" not in messages


@pytest.mark.parametrize(
    "value", ["Jane Smith, 42 Main St", "résumé\\with\\backslashes"]
)
def test_free_text_in_kept_code_strings_is_dropped(store, dicom_bytes, value):
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.add_new("BodyPartExamined", "CS", value)
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)

    outcome = store.import_bytes(buffer.getvalue(), name="cs.dcm", actor="t")

    assert "BodyPartExamined" not in store.load_header(outcome.image)
    assert outcome.image.body_part is None


def test_copied_store_folder_needs_its_salt(tmp_path, dicom_bytes):
    db = tmp_path / "a" / "casebook.duckdb"
    with open_store(db) as store:
        uid = store.import_bytes(dicom_bytes, name="f.dcm", actor="t").image.study_uid
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    with open_store(tmp_path / "b" / "casebook.duckdb") as copy:
        assert copy.find_case(copy.list_cases().items[0].case_id).study_uid == uid


def test_malformed_identifying_values_do_not_reach_the_logs(store, dicom_bytes, caplog):
    caplog.set_level(logging.DEBUG)
    dataset = pydicom.dcmread(io.BytesIO(dicom_bytes))
    dataset.add_new("PatientSex", "CS", "Jane Smith lives at 42 Main St")
    dataset.add_new("PatientName", "PN", "SMITH^JANE^" + "X" * 80)
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=False)
    caplog.clear()

    store.import_bytes(buffer.getvalue(), name="long.dcm", actor="t")

    assert "Jane Smith" not in caplog.text
    assert "SMITH^JANE" not in caplog.text


def test_pydicom_log_records_have_quoted_values_redacted(caplog):
    from pydicom.misc import warn_and_log

    import cases.dicom_import  # noqa: F401  (installs the filter)

    caplog.set_level(logging.WARNING)
    with pytest.warns(UserWarning):
        warn_and_log("Invalid value for VR CS: 'Jane Smith'")

    assert "Invalid value for VR CS" in caplog.text
    assert "Jane Smith" not in caplog.text


@pytest.mark.parametrize(
    ("keyword", "values", "kept"),
    [
        ("BodyPartExamined", ["CHEST"], ["CHEST"]),
        ("BodyPartExamined", ["chest "], ["CHEST"]),
        ("BodyPartExamined", ["KNEE"], ["KNEE"]),
        ("BodyPartExamined", ["SMITH JOHN"], None),
        ("ViewPosition", ["PA"], ["PA"]),
        ("ViewPosition", ["LATERAL"], ["LATERAL"]),
        ("ViewPosition", ["DOE JANE"], None),
        ("Modality", ["DX"], ["DX"]),
        ("Modality", ["JANE"], None),
        (
            "ImageType",
            ["DERIVED ", "PRIMARY", "ABDOM/RAD", "0001"],
            ["DERIVED", "PRIMARY"],
        ),
        ("ImageType", ["ORIGINAL", "JANE DOE"], None),
        ("ImageType", ["ORIGINAL"], None),
        ("PatientOrientation", ["L", "PF"], ["L", "PF"]),
        ("PatientOrientation", ["CR", "LE"], ["CR", "LE"]),
        ("PatientOrientation", ["SMITH", "F"], None),
        ("RescaleType", ["US"], ["US"]),
        ("RescaleType", ["DOE"], None),
        ("PixelSpacingCalibrationType", ["GEOMETRY"], ["GEOMETRY"]),
        ("PixelSpacingCalibrationType", ["JOHN"], None),
    ],
)
def test_only_defined_terms_of_coded_attributes_are_kept(keyword, values, kept):
    assert defined_values(keyword, values) == kept


def test_every_kept_string_attribute_is_checked_against_defined_terms():
    from pydicom.datadict import dictionary_VR

    strings = {
        k
        for k in KEPT_ATTRIBUTES
        if dictionary_VR(k) in {"CS", "LO", "SH", "ST", "LT", "UT", "PN", "UC"}
    }
    assert strings <= CODED_ATTRIBUTES

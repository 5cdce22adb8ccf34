"""pydicom's bundled test files as a hostile corpus: each imports or is refused cleanly.

The corpus holds CT/MR/US/RT objects, DICOMDIRs, multi-frame and colour images, odd
transfer syntaxes, truncated and deliberately broken files. None of them may raise
anything but a ``CasesError``, and a refused file must not leave a single row behind.
"""

from pathlib import Path

import pytest
from pydicom.data import get_testdata_files

from cases import CasesError, ImportStatus, open_store

CORPUS = sorted(Path(p) for p in get_testdata_files() if Path(p).is_file())


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("corpus") / "casebook.duckdb") as store:
        yield store


def test_the_corpus_is_there():
    assert len(CORPUS) > 150


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_each_file_imports_or_is_refused_without_partial_rows(
    corpus_store, table_counts, path
):
    before = table_counts(corpus_store)
    try:
        outcome = corpus_store.import_file(path, actor="corpus")
    except CasesError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message and len(message) < 400
        assert table_counts(corpus_store) == before
        return
    after = table_counts(corpus_store)
    if outcome.status is ImportStatus.EXISTING:
        assert after == before
        return
    new_case = 1 if outcome.new_case else 0
    assert after["images"] == before["images"] + 1
    assert after["cases"] == before["cases"] + new_case
    assert after["audit_log"] == before["audit_log"] + 2 + new_case  # image, report
    shown = corpus_store.load_display(outcome.image)
    assert shown.shape == (outcome.image.rows, outcome.image.columns)
    assert float(shown.min()) >= 0.0 and float(shown.max()) <= 1.0


def test_the_corpus_leaves_a_valid_audit_chain(corpus_store):
    # Runs after the parametrized imports above (same module-scoped store).
    report = corpus_store.verify_audit()
    assert report.ok, report.problem

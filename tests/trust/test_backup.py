"""Backup and restore: a round trip keeps every record, every pixel and a valid chain."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cases import BackupError, open_store
from cases.backup import MANIFEST, backup_store, read_manifest, restore_backup
from cases.content_store import store_dir_for
from cli.main import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _snapshot(db):
    with open_store(db) as store:
        stats = store.stats()
        images = {}
        for case in store.list_cases().items:
            for image in store.list_images(case.case_id):
                images[image.image_id] = store.load_pixels(image)
        turns = {c: [t.answer_text for t in store.list_turns(c)] for c in (1,)}
        return stats, images, turns, store.verify_audit()


def test_a_round_trip_through_the_cli_keeps_everything(seed_copy, tmp_path, capsys):
    before_stats, before_images, before_turns, _ = _snapshot(seed_copy)
    backup = tmp_path / "backups" / "monday"

    code, out, err = run(
        capsys, "backup", backup, "--db", seed_copy, "--actor", "admin"
    )
    assert code == 0, err
    assert f"to {backup}: 1 cases, 1 images, 1 conversations, 4 turns" in out
    manifest = json.loads((backup / MANIFEST).read_text())
    names = {f["path"] for f in manifest["files"]}
    assert {"casebook.duckdb", "casebook.store/deid_salt"} <= names
    assert any(n.startswith("casebook.store/pixels/") for n in names)

    restored = tmp_path / "restored" / "other.duckdb"
    code, out, err = run(
        capsys, "restore", backup, "--db", restored, "--actor", "admin"
    )
    assert code == 0, err
    assert "audit chain OK" in out

    after_stats, after_images, after_turns, report = _snapshot(restored)
    assert report.ok, report.problem
    for field in (
        "cases",
        "images",
        "conversations",
        "turns",
        "anchors",
        "annotations",
    ):
        assert getattr(after_stats, field) == getattr(before_stats, field), field
    assert after_turns == before_turns
    assert before_images.keys() == after_images.keys()
    for image_id, pixels in before_images.items():
        assert np.array_equal(pixels, after_images[image_id])
    # The store folder, salt included, is byte for byte the one backed up.
    source_store, target_store = store_dir_for(seed_copy), store_dir_for(restored)
    for path in source_store.rglob("*"):
        if path.is_file():
            assert (
                target_store / path.relative_to(source_store)
            ).read_bytes() == path.read_bytes()
    with open_store(seed_copy) as store:
        assert [r.action for r in store.search_audit(limit=1)] == ["backup.create"]
    with open_store(restored) as store:
        actions = [(r.action, r.actor) for r in store.search_audit(limit=2)]
        assert actions == [("backup.create", "admin"), ("backup.restore", "admin")]
    assert run(capsys, "audit", "verify", "--db", restored)[0] == 0


def test_restore_refuses_an_existing_database_unless_forced(
    seed_copy, tmp_path, capsys
):
    backup = tmp_path / "b"
    assert run(capsys, "backup", backup, "--db", seed_copy)[0] == 0
    other = tmp_path / "other" / "casebook.duckdb"
    with open_store(other) as store:
        store.record_settings_change(actor="admin", key="theme", old=None, new="dark")
    code, _, err = run(capsys, "restore", backup, "--db", other)
    assert code == 1 and "already holds a database" in err and "--force" in err
    with open_store(other) as store:
        assert store.stats().cases == 0  # untouched

    code, out, err = run(capsys, "restore", backup, "--db", other, "--force")
    assert code == 0, err
    aside = next(other.parent.glob("casebook.duckdb.before-restore-*"))
    assert f"moved to {aside}" in out
    assert (aside / "casebook.duckdb").exists() and (
        aside / "casebook.store" / "deid_salt"
    ).exists()
    with open_store(other) as store:
        assert store.stats().cases == 1


@pytest.mark.parametrize("damage", ["pixels", "database", "salt", "manifest"])
def test_a_damaged_backup_is_refused_before_the_target_is_touched(
    seed_copy, tmp_path, damage
):
    backup = tmp_path / "b"
    with open_store(seed_copy) as store:
        backup_store(store, backup, actor="admin")
    if damage == "pixels":
        victim = next((backup / "casebook.store" / "pixels").rglob("*.npy"))
        data = bytearray(victim.read_bytes())
        data[-1] ^= 0xFF
        victim.write_bytes(bytes(data))
        message = "does not match its checksum"
    elif damage == "database":
        with (backup / "casebook.duckdb").open("ab") as handle:
            handle.write(b"\0")
        message = "backup file casebook.duckdb does not match its checksum"
    elif damage == "salt":
        (backup / "casebook.store" / "deid_salt").unlink()
        message = "backup file casebook.store/deid_salt is missing"
    else:
        (backup / MANIFEST).write_text('{"format": "something else"}')
        message = "is not a casebook backup manifest"
    target = tmp_path / "restored" / "casebook.duckdb"
    with pytest.raises(BackupError, match=message):
        restore_backup(backup, target, actor="admin")
    assert not target.parent.exists()  # nothing was written, not even the folder


def test_backup_refuses_a_folder_that_is_not_empty(seed_copy, tmp_path, capsys):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    code, _, err = run(capsys, "backup", busy, "--db", seed_copy)
    assert code == 1 and "is not empty" in err
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    with open_store(seed_copy) as store:
        assert store.search_audit(action="backup") == ()


def test_a_manifest_cannot_point_outside_the_backup(seed_copy, tmp_path):
    backup = tmp_path / "b"
    with open_store(seed_copy) as store:
        backup_store(store, backup, actor="admin")
    manifest = json.loads((backup / MANIFEST).read_text())
    manifest["files"].append(
        {"path": "../../etc/passwd", "sha256": "0" * 64, "size": 1}
    )
    (backup / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="outside the backup folder"):
        read_manifest(backup)

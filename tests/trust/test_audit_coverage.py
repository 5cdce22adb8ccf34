"""Every kind of write appends an audit record that names its actor."""

from __future__ import annotations

import pytest

from cases import AnnotationWrite, Box, Geometry, InvalidRecord, Verdict, open_store
from cases.backup import backup_store, restore_backup
from services.exports import (
    export_conversation,
    export_structured_report,
    export_teaching_file,
)


def test_each_write_names_its_actor(seed_copy, tmp_path):
    with open_store(seed_copy) as store:
        image = store.list_images("C000001")[0]
        store.add_annotation(
            AnnotationWrite(
                case_id="C000001",
                image_id=image.image_id,
                author="attending@example.org",
                geometry=Geometry.from_box(Box(x0=100, y0=200, x1=140, y1=240)),
                label="nodule",
                verdict=Verdict.AGREE,
                conversation_id=1,
                turn_index=2,
                anchor_id="A1",  # the lesion, outlined in turn 2 on its own anchor
            )
        )
        export_conversation(
            store, 1, tmp_path / "bundle", actor="qa@example.org", verify=False
        )
        export_structured_report(store, 1, tmp_path / "sr.dcm", actor="qa@example.org")
        export_teaching_file(
            store,
            1,
            tmp_path / "teaching",
            turns=[2],
            points=[],
            actor="teacher@example.org",
        )
        store.record_settings_change(
            actor="admin@example.org",
            key="default_backend",
            old="embedded",
            new="medgemma",
        )
        backup_store(store, tmp_path / "backup", actor="admin@example.org")
    restore_backup(
        tmp_path / "backup", tmp_path / "restored.duckdb", actor="admin@example.org"
    )

    with open_store(tmp_path / "restored.duckdb") as store:
        records = store.list_audit()
        assert store.verify_audit().ok
    by_action = {}
    for record in records:
        by_action.setdefault(record.action, set()).add(record.actor)
    assert by_action == {
        "case.create": {"importer@example.org"},
        "image.import": {"importer@example.org"},
        "image.deid_report": {"importer@example.org"},
        "analysis.put": {"reader@example.org"},
        "conversation.start": {"reader@example.org"},
        "turn.append": {"reader@example.org"},
        "annotation.add": {"attending@example.org"},
        "export.bundle": {"qa@example.org"},
        "export.sr": {"qa@example.org"},
        "export.teaching": {"teacher@example.org"},
        "settings.change": {"admin@example.org"},
        "backup.create": {"admin@example.org"},
        "backup.restore": {"admin@example.org"},
    }
    # A turn's record carries its anchors and measurements, so they are audited with it.
    third = next(
        r for r in records if r.action == "turn.append" and r.entity_id == "1/3"
    )
    assert {a["anchor_id"] for a in third.payload["anchors"]} == {
        "A2",
        "A3",
        "A4",
        "A5",
    }
    assert [m["kind"] for m in third.payload["measurements"]] == [
        "center_to_hilum",
        "edge_gap",
    ]
    annotation = next(r for r in records if r.action == "annotation.add")
    assert annotation.payload["anchor_id"] == "A1"


@pytest.mark.parametrize("actor", ["", "   "])
def test_a_write_without_an_actor_is_refused_and_leaves_nothing(seed_copy, actor):
    with open_store(seed_copy) as store:
        before = store.stats()
        with pytest.raises(InvalidRecord, match="must name its actor"):
            store.record_settings_change(actor=actor, key="theme", old=None, new="dark")
        with pytest.raises(InvalidRecord, match="must name its actor"):
            store.start_conversation(
                case_id="C000001",
                image_id=store.list_images("C000001")[0].image_id,
                backend="embedded",
                model_id="m",
                model_version="1",
                parameters={},
                actor=actor,
            )
        after = store.stats()
    assert (after.conversations, after.audit_records) == (
        before.conversations,
        before.audit_records,
    )

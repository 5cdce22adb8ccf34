"""Eight sessions at once, sharing one CaseStore as the dashboard does.

One store per process (one DuckDB connection, a cursor per call), eight threads: four
open their own conversations on the same case, two on other cases, and two share one
conversation (two browser tabs on one conversation). Every turn must be stored exactly
once, turn indexes must be contiguous per conversation, and the audit chain must stay
valid.
"""

from __future__ import annotations

import threading
from collections import Counter

from cases import open_store
from cases.phantom import make_phantom, seed_scenario_spec
from cases.phantom_dicom import DicomOptions, phantom_dicom_bytes
from engine.backends.embedded import EmbeddedBackend
from services import workflows
from tests.trust.conftest import SEED_QUESTIONS

QUESTIONS_PER_SESSION = 3


def test_eight_concurrent_sessions_store_every_turn_once(
    tmp_path, seed_phantom, seed_cache
):
    others = [
        make_phantom(seed_scenario_spec(rows=512, columns=512, spacing_mm=0.7, seed=s))
        for s in (1, 2)
    ]
    store = open_store(tmp_path / "casebook.duckdb")
    try:
        case_a = store.import_bytes(
            phantom_dicom_bytes(seed_phantom, DicomOptions(uid_seed="a")),
            name="a.dcm",
            actor="t",
        ).case_id
        case_b, case_c = (
            store.import_bytes(
                phantom_dicom_bytes(p, DicomOptions(uid_seed=f"p{i}")),
                name=f"{i}.dcm",
                actor="t",
            ).case_id
            for i, p in enumerate(others)
        )
        shared = workflows.start_session(
            store, case_b, backend=EmbeddedBackend(), actor="tab", cache=seed_cache
        )
        plan = [(case_a, None)] * 4 + [
            (case_b, None),
            (case_c, None),
            (case_b, shared),
            (case_b, shared),
        ]
        barrier = threading.Barrier(len(plan))
        asked: list[tuple[int, str]] = []
        failures: list[BaseException] = []
        lock = threading.Lock()

        def session(
            number: int, case_id: str, existing: workflows.Session | None
        ) -> None:
            try:
                barrier.wait(timeout=60)
                current = existing or workflows.start_session(
                    store,
                    case_id,
                    backend=EmbeddedBackend(),
                    actor=f"reader{number}",
                    cache=seed_cache,
                )
                for turn in range(QUESTIONS_PER_SESSION):
                    question = f"{SEED_QUESTIONS[turn % len(SEED_QUESTIONS)]} [session {number} turn {turn}]"
                    # Two tabs of one reader share a conversation (only its author may add to it).
                    workflows.ask(
                        store, current, question, actor=current.record.created_by
                    )
                    with lock:
                        asked.append((current.record.conversation_id, question))
            except (
                BaseException
            ) as exc:  # reported below, with the thread that raised it
                failures.append(exc)

        threads = [
            threading.Thread(
                target=session, args=(n, case_id, existing), name=f"session-{n}"
            )
            for n, (case_id, existing) in enumerate(plan)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not [t.name for t in threads if t.is_alive()], "a session hung"
        assert not failures, failures

        conversations = {cid for cid, _ in asked}
        assert len(conversations) == 7  # six own conversations, one shared by two tabs
        stored = []
        for cid in conversations:
            turns = store.list_turns(cid)
            assert [t.index for t in turns] == list(range(1, len(turns) + 1)), (
                f"gap in conversation {cid}"
            )
            stored += [(cid, t.question) for t in turns]
        assert Counter(stored) == Counter(asked), "a turn was lost or stored twice"
        assert len(stored) == len(plan) * QUESTIONS_PER_SESSION
        assert (
            len(store.list_turns(shared.record.conversation_id))
            == 2 * QUESTIONS_PER_SESSION
        )
        records = store.search_audit(action="turn.append", limit=1000)
        assert len(records) == len(stored)
        report = store.verify_audit()
        assert report.ok, report.problem
    finally:
        store.close()

"""Cached resources: model backends answer one call at a time; settings are audited."""

from __future__ import annotations

import threading
import time

from dashboard.resources import LockedBackend, SessionRegistry, Settings
from engine.backends.base import BackendReply


class SlowBackend:
    name = "slow"
    model_id = "slow-model"
    model_version = "1"

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.guard = threading.Lock()

    @property
    def parameters(self):
        return {"temperature": 0}

    def compose(self, context, on_text=None):
        with self.guard:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.05)
        with self.guard:
            self.active -= 1
        return BackendReply(text="ok", raw_output="ok")


def test_a_model_backend_composes_one_answer_at_a_time():
    inner = SlowBackend()
    backend = LockedBackend(inner)
    threads = [threading.Thread(target=backend.compose, args=(None,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inner.most == 1
    assert (
        backend.name,
        backend.model_id,
        backend.model_version,
        backend.parameters,
    ) == ("slow", "slow-model", "1", {"temperature": 0})


class _Record:
    def __init__(self, conversation_id):
        self.conversation_id = conversation_id


class _Session:
    def __init__(self, conversation_id):
        self.record = _Record(conversation_id)


def test_two_browser_sessions_share_one_engine_conversation():
    registry = SessionRegistry(maxsize=2)
    first = registry.put(_Session(1))
    assert (
        registry.put(_Session(1)) is first
    )  # the second session gets the first one's conversation
    registry.put(_Session(2))
    registry.put(_Session(3))
    assert (
        registry.find(1) is None and registry.find(3) is not None
    )  # least recently used goes first
    registry.forget(3)
    assert registry.find(3) is None


def test_settings_out_of_range_fall_back_to_defaults():
    assert Settings(quiz_iou_threshold=7, case_page_size=3).validated() == Settings()
    assert (
        Settings(quiz_iou_threshold=0.3, case_page_size=20).validated().case_page_size
        == 20
    )

"""Backend fixtures: a tiny random MedGemma-architecture model saved to a temporary folder.

The folder is built at test time (model-backends.md 2.3/2.4: a committed fixture would
break with the next transformers release) and loaded through the production path, with
hub access switched off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Before transformers/huggingface_hub are imported anywhere: nothing may reach the hub.
os.environ["HF_HUB_OFFLINE"] = "1"

from engine.backends.base import AnchorBrief, HistoryTurn, TurnContext

ANCHORS = (
    AnchorBrief(id="A1", kind="lung", label="right lung", location="right lung"),
    AnchorBrief(
        id="A3",
        kind="nodule",
        label="solitary nodule",
        location="right middle zone outer band",
        numbers=("size 18.2 x 12.0 mm", "5.2 cm"),
    ),
)
DRAFT_EN = (
    "A rounded opacity [A3] in the right middle zone, outer band, measures "
    "18.2 x 12.0 mm and lies 5.2 cm from the right hilum; this suggests a solitary "
    "nodule.\n\nNote: decision support for trained readers, not a diagnosis."
)
DRAFT_ZH = (
    "右中肺野外带见一圆形结节影 [A3]，大小 18.2 x 12.0 mm，距右肺门 5.2 cm，提示孤立性结节。"
    "\n\n【提示】本结果仅供受过训练的阅片者参考，不构成诊断。"
)


def chest_image(rows: int = 60, cols: int = 80) -> np.ndarray:
    """A small deterministic grey image (float32 0..1) standing in for a radiograph."""
    y, x = np.mgrid[0:rows, 0:cols]
    return (0.5 + 0.4 * np.sin(x / 7.0) * np.cos(y / 5.0)).astype(np.float32)


@pytest.fixture
def make_context() -> Callable[..., TurnContext]:
    """Build a TurnContext with sensible defaults; keyword arguments override them."""

    def make(**overrides: Any) -> TurnContext:
        values: dict[str, Any] = {
            "question": "Describe the nodule.",
            "language": "en",
            "intent": "describe_finding",
            "draft": DRAFT_EN,
            "anchors": ANCHORS,
            "image": chest_image(),
            "image_key": "test-image",
        }
        values.update(overrides)
        return TurnContext(**values)

    return make


def zh_history() -> tuple[HistoryTurn, ...]:
    return (HistoryTurn(question="右肺有结节吗？", answer=DRAFT_ZH),)


@pytest.fixture(scope="session")
def tiny_medgemma_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 80 k-parameter Gemma 3 model + processor saved like a MedGemma folder."""
    pytest.importorskip(
        "torch",
        reason="the MedGemma backend needs the gpu extra: pip install -e '.[gpu]'",
    )
    pytest.importorskip(
        "transformers", reason="the MedGemma backend needs the gpu extra"
    )
    from engine.backends.medgemma import write_random_gemma3

    return write_random_gemma3(tmp_path_factory.mktemp("tiny-medgemma"))

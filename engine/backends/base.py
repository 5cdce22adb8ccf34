"""The backend interface: what the dialogue hands a model, and what it gets back.

The dialogue decides intent, resolves references and computes every anchor, number and
scorecard itself. A backend only writes the prose of the answer from a `TurnContext`:
the embedded backend returns the dialogue's own templated draft; language-model backends
(MedGemma, an OpenAI-compatible server) rewrite it from a prompt that lists the anchors
and measured numbers, and may propose boxes for localisation questions, which the
dialogue checks against the anatomy map before it keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from engine.geometry import Box
from kernel import Language


@dataclass(frozen=True, slots=True, kw_only=True)
class AnchorBrief:
    """One anchor as a model sees it in the prompt."""

    id: str
    kind: str
    label: str
    location: str  # e.g. "right middle zone, outer band"
    numbers: tuple[
        str, ...
    ] = ()  # measured values with units, e.g. "long axis 18.2 mm"
    bbox_px: tuple[float, float, float, float] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryTurn:
    question: str
    answer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnContext:
    """Everything a backend may use to write one answer.

    Attributes:
        question: the user's question, verbatim.
        language: "zh" or "en"; the answer must be in this language.
        intent: the dialogue's intent label (e.g. "describe_finding").
        draft: the dialogue's grounded, templated answer; every number in it comes from
            geometry code. Model backends must not introduce other numbers.
        anchors: the anchors live after this turn.
        history: earlier turns of this conversation, oldest first.
        image: the radiograph (float32 0..1, 1 = white) for multimodal backends.
        image_key: pixel hash of the image (prefix-cache key).
        localize: the question asks where something is; model backends may answer with
            boxes (MedGemma 1.5 box_2d convention) that the dialogue then checks.
        localize_target: what to localise, in English (e.g. "right hilum").
    """

    question: str
    language: Language
    intent: str
    draft: str
    anchors: tuple[AnchorBrief, ...]
    history: tuple[HistoryTurn, ...] = ()
    image: npt.NDArray[np.float32] | None = field(
        default=None, repr=False, compare=False
    )
    image_key: str = ""
    localize: bool = False
    localize_target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelBox:
    """A box a model proposed, already converted to image pixels."""

    label: str
    box: Box
    source: str  # e.g. "medgemma box_2d"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendReply:
    """What a backend returns for one turn (stored on the turn for audit)."""

    text: str
    raw_output: str
    boxes: tuple[ModelBox, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@runtime_checkable
class ModelBackend(Protocol):
    """A text generator behind the dialogue. Implementations need no inheritance."""

    name: str  # registry name, e.g. "embedded", "medgemma", "openai"
    model_id: str
    model_version: str

    @property
    def parameters(self) -> dict[str, Any]:
        """Generation parameters recorded on every turn."""
        ...

    def compose(
        self, context: TurnContext, on_text: Callable[[str], None] | None = None
    ) -> BackendReply:
        """Write the answer for one turn.

        Args:
            context: the grounded facts of the turn.
            on_text: called with each new piece of text as it is generated (streaming to
                the chat); backends that do not stream call it once with the whole text.
        """
        ...

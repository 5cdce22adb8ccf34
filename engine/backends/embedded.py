"""The embedded CPU backend: the dialogue's own grounded, templated answer, verbatim.

It needs no model weights and no network, is deterministic, and is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.backends.base import BackendReply, TurnContext

VERSION = "1.0"


class EmbeddedBackend:
    """Returns the draft the dialogue wrote from the image analysis."""

    name = "embedded"
    model_id = "casebook-embedded-templates"
    model_version = VERSION

    @property
    def parameters(self) -> dict[str, Any]:
        return {"decoding": "deterministic templates"}

    def compose(
        self, context: TurnContext, on_text: Callable[[str], None] | None = None
    ) -> BackendReply:
        if on_text is not None:
            on_text(context.draft)
        return BackendReply(
            text=context.draft, raw_output=context.draft, parameters=self.parameters
        )


def availability(settings: Any) -> tuple[bool, str]:
    return True, "built in; needs no weights, GPU or network"


def create(settings: Any) -> EmbeddedBackend:
    return EmbeddedBackend()

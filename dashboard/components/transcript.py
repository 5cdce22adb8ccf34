"""The stored turns of a conversation drawn as one element: questions, answers, footers.

A Streamlit components-v2 element whose HTML, CSS and JavaScript are static files in
``transcript_assets/`` (no network, no build step), as the viewer's are. Drawn as
Streamlit chat messages, a four-turn transcript was about forty elements, each with its
React tree, Markdown rendering and CSS-in-JS styling; on a fresh tab's two-core browser
that was a large share of the case page's main-thread time (docs/benchmarks.md). Here
the page sends plain data (the answer split into lines, list items and section titles by
``text.answer_blocks``) and the element builds its nodes with ``textContent``: no text a
person or a model wrote ever becomes markup, Markdown included. It is mounted in the
page's own DOM (not a shadow root), so the text is found, selected and copied as any
other text on the page, and the theme's colours come from Streamlit's ``--st-*``
properties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cases
from dashboard.components import elements
from dashboard.components.frame import PageContext
from dashboard.components.text import answer_blocks

NAME = "casebook_transcript"


def _component() -> Any:
    return elements.define(NAME, "transcript", isolate_styles=False)


def footer_parts(
    ctx: PageContext,
    number: int,
    model: str,
    latency_ms: float,
    events: Sequence[Any],
) -> list[str]:
    """An answer's footer as plain texts: turn, model, latency, what happened to anchors."""
    parts = [ctx.t("chat.turn", number=number), model, f"{latency_ms:.0f} ms"]
    if events:
        parts.append(
            ", ".join(
                f"{e.anchor_id} {ctx.t(f'status.{e.status.value}')}"
                for e in sorted(events, key=lambda e: e.anchor_id)  # as the store lists
            )
        )
    return [p for p in parts if p]


def titles(answer_json: Mapping[str, object]) -> list[str]:
    sections = answer_json.get("sections")
    if not isinstance(sections, list):
        return []
    return [str(s.get("title", "")) for s in sections if isinstance(s, dict)]


def turn_data(
    ctx: PageContext, turn: cases.Turn, events: Sequence[cases.AnchorEvent]
) -> dict[str, Any]:
    """One stored turn as the element reads it; every text is the stored text."""
    answer = turn.answer_json
    model = " ".join(str(answer.get(k, "")) for k in ("backend", "model_version"))
    warnings = answer.get("warnings")
    return {
        "number": turn.index,
        "question": turn.question,
        "asked": ctx.t(
            "chat.asked_by",
            actor=turn.actor,
            time=turn.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        ),
        "blocks": answer_blocks(turn.answer_text, titles(answer)),
        "footer": " · ".join(
            footer_parts(ctx, turn.index, model.strip(), turn.latency_ms, events)
        ),
        "warnings": [str(w) for w in warnings] if isinstance(warnings, list) else [],
    }


def data(
    ctx: PageContext, turns: Sequence[cases.Turn], events: Sequence[cases.AnchorEvent]
) -> dict[str, Any]:
    """What the element draws: each turn, and the words it adds in the page's language."""
    by_turn: dict[int, list[cases.AnchorEvent]] = {}
    for event in events:
        by_turn.setdefault(event.turn_index, []).append(event)
    return {
        "lang": ctx.lang.value,
        "turns": [turn_data(ctx, t, by_turn.get(t.index, [])) for t in turns],
        "text": {
            "question": ctx.t("transcript.question"),
            "answer": ctx.t("transcript.answer"),
            "warning": ctx.t("transcript.warning"),
        },
    }


def render(
    ctx: PageContext,
    turns: Sequence[cases.Turn],
    events: Sequence[cases.AnchorEvent],
    *,
    key: str,
) -> None:
    """Draw the stored turns as one element (nothing when there are none)."""
    if not turns:
        return
    values = data(ctx, turns, events)
    _component()(data=values, key=key)

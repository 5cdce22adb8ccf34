"""The scorecard's profile, counts and items drawn as one element of ours.

The same mechanism as the transcript (``transcript.py``): a Streamlit components-v2
element whose static files are in ``scorecard_assets/``; the page sends plain texts and
the element builds the table with ``textContent``. As Streamlit elements the scorecard was
three Markdown paragraphs, a caption and a Markdown table of 18 or more rows, each cell
through Streamlit's Markdown renderer on the browser's main thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dashboard.components import elements
from dashboard.components.frame import PageContext

if TYPE_CHECKING:
    from dashboard.components.findings import ScorecardView

NAME = "casebook_scorecard"
STATUS_ICON = {"met": "✓", "not_met": "✗", "not_assessable": "?"}


def _component() -> Any:
    return elements.define(NAME, "scorecard", isolate_styles=False)


def data(ctx: PageContext, view: ScorecardView) -> dict[str, Any]:
    """What the element draws, every text in the page's language and as written."""
    return {
        "lang": ctx.lang.value,
        "name": view.name,
        "subtitle": f"v{view.profile_version} · "
        + ctx.t("chat.turn", number=view.turn_number),
        "counts": [
            [f"{STATUS_ICON[status]} {ctx.t(f'score.{status}')}", view.count(status)]
            for status in ("met", "not_met", "not_assessable")
        ],
        "total": ctx.t("score.total", total=len(view.items)),
        "header": [
            ctx.t("col.status"),
            ctx.t("col.sign"),
            ctx.t("col.group"),
            ctx.t("col.evidence"),
            ctx.t("col.reason"),
        ],
        "rows": [
            [
                f"{STATUS_ICON.get(i.status, '')} {ctx.t(f'score.{i.status}')}",
                f"{i.code} · {i.name}",
                ctx.t(f"group.{i.group}") if i.group else "",
                ", ".join(i.evidence),
                i.reason,
            ]
            for i in view.items
        ],
    }


def render(ctx: PageContext, view: ScorecardView, *, key: str) -> None:
    """Draw the scorecard's profile, counts, total and items as one element."""
    _component()(data=data(ctx, view), key=key)

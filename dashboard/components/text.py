"""Text that people or models wrote, shown as text: never as HTML, Markdown or a directive.

Questions may carry HTML, script, SQL or Markdown (an image link would make the browser
fetch a URL); answers come from a language model. Streamlit never renders raw HTML in
``st.markdown`` unless asked to, and this module backslash-escapes every Markdown and
Streamlit directive character, so the text appears exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import streamlit as st

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the
# ones that start Markdown, HTML, math ($) or Streamlit directives (:red[...], :emoji:).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^])")


def escape(text: str) -> str:
    """Return ``text`` escaped so that Markdown shows it literally (one paragraph)."""
    return _SPECIAL.sub(r"\\\1", text)


def escape_lines(text: str) -> str:
    """Escape text and keep its line breaks (two trailing spaces make a hard break)."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        out.append(escape(line) + "  " if line.strip() else "")
    return "\n".join(out)


def plain(text: str, where: Any = None) -> None:
    """Show text exactly as written, keeping its line breaks."""
    (where or st).markdown(escape_lines(text))


def answer_markdown(text: str, titles: Iterable[str] = ()) -> str:
    """Return an answer's Markdown: its ``- `` lines as a list, section titles in bold.

    Everything the answer says is escaped; only the list and bold markers are ours.
    """
    known = {t.strip() for t in titles}
    blocks: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            blocks.append("")
        elif line.lstrip().startswith("- "):
            blocks.append("- " + escape(line.lstrip()[2:]))
        elif line.strip() in known:
            blocks.append(f"**{escape(line.strip())}**  ")
        else:
            blocks.append(escape(line) + "  ")
    # A list must be separated from a preceding paragraph by a blank line.
    out: list[str] = []
    for block in blocks:
        if block.startswith("- ") and out and out[-1] and not out[-1].startswith("- "):
            out.append("")
        out.append(block)
    return "\n".join(out)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table whose cells show exactly what they hold (pipes and markup escaped)."""

    def cell(value: str) -> str:
        return escape(
            " ".join(value.split())
        )  # escape() covers "|", which would end the cell

    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)

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


def answer_blocks(text: str, titles: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Split an answer into its lines, list items, section titles and blank lines.

    ("item", text) for its ``- `` lines, ("title", text) for a line that is one of its
    section titles, ("line", text) and ("gap", ""). The texts are the answer's own, unescaped: whoever draws them shows them as text.
    """
    known = {t.strip() for t in titles}
    blocks: list[tuple[str, str]] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            blocks.append(("gap", ""))
        elif line.lstrip().startswith("- "):
            blocks.append(("item", line.lstrip()[2:]))
        elif line.strip() in known:
            blocks.append(("title", line.strip()))
        else:
            blocks.append(("line", line))
    return blocks


def answer_markdown(text: str, titles: Iterable[str] = ()) -> str:
    """Return an answer's Markdown: its ``- `` lines as a list, section titles in bold.

    Everything the answer says is escaped; only the list and bold markers are ours.
    """
    markup = {
        "gap": lambda _: "",
        "item": lambda t: "- " + escape(t),
        "title": lambda t: f"**{escape(t)}**  ",
        "line": lambda t: escape(t) + "  ",
    }
    blocks = [markup[kind](value) for kind, value in answer_blocks(text, titles)]
    # A list must be separated from a preceding paragraph by a blank line.
    out: list[str] = []
    for block in blocks:
        if block.startswith("- ") and out and out[-1] and not out[-1].startswith("- "):
            out.append("")
        out.append(block)
    return "\n".join(out)

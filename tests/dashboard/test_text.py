"""People's and models' text is shown as text: Markdown, HTML and directives are escaped."""

from __future__ import annotations

import re

import pytest

from dashboard.components import text

HOSTILE = [
    "<script>alert('x')</script>",
    "![tracker](http://evil.example/p.png)",
    "[click](javascript:alert(1))",
    "**bold** _it_ `code` # heading",
    "'; DROP TABLE turns; --",
    ":red[coloured] :material/home: $x^2$",
    "&lt;b&gt; | a | b |",
    "1. not a list\n- not a bullet",
]


def unescape(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize("raw", HOSTILE)
def test_escaping_keeps_every_character_and_leaves_no_live_markup(raw):
    line = raw.replace("\n", " ")
    escaped = text.escape(line)
    assert unescape(escaped) == line
    for match in re.finditer(r"[\\`*_{}\[\]()#+\-.!|<>~$:&]", escaped):
        position = match.start()
        backslashes = len(escaped[:position]) - len(escaped[:position].rstrip("\\"))
        if match.group() == "\\":
            continue
        assert backslashes % 2 == 1, (
            f"{match.group()!r} at {position} is not escaped in {escaped!r}"
        )


def test_line_breaks_survive():
    assert text.escape_lines("a\nb") == "a  \nb  "


def test_an_answer_keeps_its_list_and_titles_but_nothing_else():
    answer = (
        "【肺部表现】\n- [A1] nodule *1.2 cm*\n- <b>rest</b> clear\n\nNote\n- hedged"
    )
    md = text.answer_markdown(answer, titles=["【肺部表现】", "Note"])
    lines = md.split("\n")
    assert lines[0] == "**【肺部表现】**  "
    assert (
        lines[2].startswith("- ")
        and r"\*1\.2 cm\*" in lines[2]
        and r"\[A1\]" in lines[2]
    )
    assert r"\<b\>rest\</b\>" in lines[3]
    assert "**Note**  " in lines

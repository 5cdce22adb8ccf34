"""Southwestern Mandarin 好 + adjective asked as a question, read as 多 + adjective.

In Sichuan and Chongqing speech "A2有好大", "隔好远？", "差好多毫米嘛" ask how big, how far,
how many millimetres: 好 stands where Standard Mandarin puts 多. In Standard Mandarin the
same words say "very": "这个结节好大啊" is an exclamation, "好大一个肿块" a description. The
words cannot tell the two apart, so the clause's structure does (README, nineteenth round):
好 + adjective asks when it ends its clause (a unit or a particle may follow) and the
clause asks by its form, with a question mark or a final 嘛, or when 有 or 隔 stands just
before it ("有好大", "隔好远": how big it is, how far apart). An exclamation mark or a final
啊 / 呀 / 哇 / 啦 keeps the exclamation, and 好 + adjective before a noun ("好大一个", "好多
结节") describes. Once a clause asks, the same words repeated in a correction ask too ("A3
好大？说错了，是A8好大").
"""

from __future__ import annotations

import re

# 好多 asks a number ("差好多毫米": how many mm); the others a measure
_AS_ASKED = {"多": "多少"}
# traditional forms too: the text is read before it is simplified
_ADJECTIVES = "大远高长宽厚深多遠長寬"
_UNIT = r"(?:毫米|厘米|公分|mm|cm|MM|CM|个|颗)"
_FOLLOWS = r"(?P<particle>[嘛呢哦噻哈啊呀哇啦]*)"
_CLAUSE_END = r"(?P<end>[?？!！,，。;；~～]|\s|$)"
_HAO = re.compile(
    rf"(?P<before>[有隔])?好(?P<adjective>[{_ADJECTIVES}])(?P<unit>\s*{_UNIT})?"
    rf"{_FOLLOWS}{_CLAUSE_END}"
)
# the mark that closes the clause, looked for after any space
_MARK = re.compile(r"\s*(?P<mark>[?？!！])?")
_EXCLAIMED = frozenset("啊呀哇啦")


def _mark(match: re.Match[str], text: str) -> str | None:
    """The mark that closes the clause of one 好 + adjective, if any."""
    closing = _MARK.match(text, match.start("end"))
    return None if closing is None else closing.group("mark")


def _exclaims(match: re.Match[str], text: str) -> bool:
    """Whether the clause of one 好 + adjective ends as an exclamation."""
    particle = match.group("particle")
    return _mark(match, text) in ("!", "！") or bool(
        particle and particle[-1] in _EXCLAIMED
    )


def _asks(match: re.Match[str], text: str) -> bool:
    """Whether one 好 + adjective at a clause's end asks rather than exclaims."""
    if _exclaims(match, text):
        return False
    if _mark(match, text) in ("?", "？") or match.group("particle").endswith("嘛"):
        return True
    # "有好多" alone says "there are many" as often as it asks how many
    return match.group("before") is not None and match.group("adjective") != "多"


def how_much_asked(text: str) -> str:
    """The text with each 好 + adjective that asks written 多 + adjective."""
    asked = {m.group("adjective") for m in _HAO.finditer(text) if _asks(m, text)}
    if not asked:
        return text

    def rewrite(m: re.Match[str]) -> str:
        adjective = m.group("adjective")
        if adjective not in asked or _exclaims(m, text):
            return m.group(0)
        at = m.start("adjective") - m.start() - 1  # 好, inside the match
        whole = m.group(0)
        asked_form = _AS_ASKED.get(adjective, "多" + adjective)
        return whole[:at] + asked_form + whole[at + 2 :]

    return _HAO.sub(rewrite, text)


__all__ = ["how_much_asked"]

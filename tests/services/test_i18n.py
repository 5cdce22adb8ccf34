"""Every interface string the dashboard uses exists in English and Chinese."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from engine.anchors import AnchorKind, AnchorStatus
from ontology import Assessability, ItemGroup
from ontology.model import NoLocationReason
from services import i18n
from services.access import PageId, Role
from services.overlay import Layer

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
LITERAL = re.compile(r"""(?:\bt|\btext)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")

# Keys built from values at run time: prefix -> the values that complete them.
DYNAMIC = {
    "nav": [p.value for p in PageId],
    "role": [r.value for r in Role],
    "layer": [layer.value for layer in Layer],
    "kind": [k.value for k in AnchorKind],
    "status": [s.value for s in AnchorStatus],
    "score": ["met", "not_met", "not_assessable"],
    "group": [g.value for g in ItemGroup],
    "assess": [a.value for a in Assessability],
    "verdict": ["agree", "disagree", "uncertain"],
    "sort": ["newest", "oldest", "case_id", "most_turns", "last_activity"],
    "any": ["any", "yes", "no"],
    "side": ["right", "left", "midline"],
    "zone": ["upper", "middle", "lower"],
    "band": ["inner", "middle", "outer"],
    "measure": ["center_to_hilum", "edge_gap", "center_distance"],
    "upload.status": ["imported", "existing", "refused"],
    "ontology.no_location": [r.value for r in NoLocationReason],
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in DASHBOARD.rglob("*.py"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    for prefix, values in DYNAMIC.items():
        keys |= {f"{prefix}.{v}" for v in values}
    return keys


def test_the_scan_finds_the_keys():
    assert {"app.disclaimer", "chat.placeholder", "audit.pass"} <= used_keys()


@pytest.mark.parametrize("key", sorted(used_keys()))
def test_every_key_in_use_has_both_languages(key):
    assert key in i18n.STRINGS, f"{key} is used but missing from services/i18n.py"
    en, zh = i18n.STRINGS[key]
    assert en.strip() and zh.strip()


@pytest.mark.parametrize("key", sorted(i18n.STRINGS))
def test_both_languages_take_the_same_placeholders(key):
    en, zh = i18n.STRINGS[key]
    names = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in (en, zh)]
    assert names[0] == names[1]


def test_chinese_strings_are_chinese():
    assert i18n.text("app.title", "zh") == "CXR 病例库"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in i18n.text("app.disclaimer", "zh"))


def test_formatting_and_missing_keys():
    assert i18n.text("chat.turn", "en", number=3) == "Turn 3"
    assert i18n.text("chat.turn", "zh", number=3) == "第 3 轮"
    assert i18n.text("no.such.key", "en") == "no.such.key"


def test_the_disclaimer_is_hedged_in_both_languages():
    en, zh = i18n.STRINGS["app.disclaimer"]
    assert "not a diagnostic device" in en and "不是诊断设备" in zh

"""Fixtures: the bundled vocabulary, and a small data folder written to tmp_path."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import ontology
from ontology import Vocabulary, load_vocabulary, load_vocabulary_from

BUNDLED_DATA = Path(ontology.__file__).parent / "data"

# A complete but tiny data folder: every file the loader needs, each rule kind the scorer
# handles (numeric, boolean, a rule with a precondition, a CT-only sign with a rule that
# must never count, a sign without a rule).
SMALL_FILES = {
    "sources.toml": """
        [source.test]
        citation = "Test source."
    """,
    "features.toml": """
        [[feature]]
        name = "focal.spicule_count"
        type = "int"
        minimum = 0
        meaning_en = "Spicules on the margin."
        label_en = "spicules"
        label_zh = "毛刺数"

        [[feature]]
        name = "focal.upper_zone"
        type = "bool"
        meaning_en = "Centre in an upper zone."
        label_en = "centre in an upper zone"
        label_zh = "中心位于上肺野"

        [[feature]]
        name = "heart.ctr"
        type = "float"
        minimum = 0
        maximum = 1
        meaning_en = "Cardiothoracic ratio."
        label_en = "cardiothoracic ratio"
        label_zh = "心胸比"

        [[feature]]
        name = "view.frontal_pa"
        type = "bool"
        meaning_en = "PA projection."
        label_en = "PA view"
        label_zh = "后前位片"
    """,
    "anatomy.toml": """
        [[region]]
        id = "right_upper_zone"
        name_en = "right upper zone"
        name_zh = "右上肺野"
        side = "right"
        kind = "zone"
        level = "upper"

        [[term]]
        id = "upper_zone"
        name_en = "upper zone"
        name_zh = "上肺野"
        pattern = { side = "any", kind = "zone", level = "upper" }
    """,
    "signs/a.toml": """
        [category]
        id = "A"
        name_en = "Nodule"
        name_zh = "结节"

        [[sign]]
        code = "A01"
        name_en = "Spiculated margin"
        name_zh = "毛刺征"
        fleischner = "not_in_glossary"
        cxr_assessable = "yes"
        visual_pattern_en = "Strands."
        visual_pattern_zh = "毛刺。"
        clinical_meaning_en = "Suspicious."
        clinical_meaning_zh = "可疑。"
        typical_locations = ["right_upper_zone"]
        sources = ["test"]
        [sign.rule]
        feature = "focal.spicule_count"
        op = ">="
        value = 1

        [[sign]]
        code = "A02"
        name_en = "Upper zone location"
        name_zh = "上肺野分布"
        fleischner = "not_in_glossary"
        cxr_assessable = "yes"
        visual_pattern_en = "High."
        visual_pattern_zh = "位置高。"
        clinical_meaning_en = "Risk factor."
        clinical_meaning_zh = "危险因素。"
        sources = ["test"]
        [sign.rule]
        feature = "focal.upper_zone"
        op = "=="
        value = true

        [[sign]]
        code = "A03"
        name_en = "Bubble-like lucency"
        name_zh = "空泡征"
        fleischner = "not_in_glossary"
        cxr_assessable = "ct_only"
        visual_pattern_en = "Bubbles."
        visual_pattern_zh = "空泡。"
        clinical_meaning_en = "CT sign."
        clinical_meaning_zh = "CT征象。"
        sources = ["test"]
        [sign.rule]
        feature = "focal.spicule_count"
        op = ">="
        value = 0

        [[sign]]
        code = "A04"
        name_en = "Pleural tail"
        name_zh = "胸膜尾征"
        fleischner = "not_in_glossary"
        cxr_assessable = "limited"
        visual_pattern_en = "Tail."
        visual_pattern_zh = "尾征。"
        clinical_meaning_en = "Maybe."
        clinical_meaning_zh = "可能。"
        sources = ["test"]
    """,
    "signs/f.toml": """
        [category]
        id = "F"
        name_en = "Heart"
        name_zh = "心脏"

        [[sign]]
        code = "F01"
        name_en = "Cardiomegaly"
        name_zh = "心影增大"
        fleischner = "not_in_glossary"
        cxr_assessable = "yes"
        visual_pattern_en = "Big heart."
        visual_pattern_zh = "心影大。"
        clinical_meaning_en = "Heart disease."
        clinical_meaning_zh = "心脏病。"
        sources = ["test"]
        [sign.rule]
        feature = "heart.ctr"
        op = ">"
        value = 0.5
        not_valid_en = "PA films only"
        not_valid_zh = "仅适用于后前位片"
        [[sign.rule.requires]]
        feature = "view.frontal_pa"
        op = "=="
        value = true
    """,
    "profiles/test.toml": """
        id = "test"
        version = "1.0.0"
        name_en = "Test profile"
        name_zh = "测试"
        sources = ["test"]
        limitations_en = "Cannot exclude anything."
        limitations_zh = "不能排除。"

        [[item]]
        sign = "A01"
        group = "core"

        [[item]]
        sign = "A02"
        group = "core"

        [[item]]
        sign = "A03"
        group = "ct_pending"

        [[item]]
        sign = "A04"
        group = "supporting"

        [[item]]
        sign = "F01"
        group = "supporting"
    """,
}


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The bundled vocabulary."""
    return load_vocabulary()


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """A small, valid data folder in tmp_path that tests may edit."""
    root = tmp_path / "data"
    for relative, text in SMALL_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def small_vocabulary(small_data: Path) -> Vocabulary:
    return load_vocabulary_from(small_data)


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data folder that tests may break."""
    return Path(shutil.copytree(BUNDLED_DATA, tmp_path / "bundled"))


@pytest.fixture
def edit() -> Callable[[Path, str, str], None]:
    """Replace one exact snippet in a data file, failing if the snippet is absent."""

    def _edit(path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return _edit

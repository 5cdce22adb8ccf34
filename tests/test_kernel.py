"""The shared types have one definition, in kernel/, and every package uses that one."""

import ast
import math
from pathlib import Path

import pytest

import cases
import cases.geometry
import cases.model
import engine.anchors
import engine.geometry
import engine.model
import kernel
import ontology
from kernel import (
    Box,
    Calibration,
    CalibrationSource,
    Geometry,
    InvalidValue,
    turn_number,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ontology", "engine", "cases", "services", "cli", "dashboard")
SHARED = {
    "Side",
    "Language",
    "Lang",
    "CalibrationSource",
    "Calibration",
    "Box",
    "Point",
    "Geometry",
    "GeometryKind",
    "AnchorKind",
    "AnchorStatus",
    "TurnNumber",
}


# Shape types that ``kernel.Geometry`` replaced: no package, the kernel included, may
# bring a second polygon, line or mask type back.
RETIRED = {"Polygon", "Polyline", "RleMask"}


def _definitions(
    path: Path, names: frozenset[str] | set[str] = SHARED
) -> list[tuple[str, int]]:
    """Classes, and module-level aliases or NewTypes, that define one of ``names``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        (node.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name in names
    ]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        found.extend(
            (t.id, node.lineno)
            for t in targets
            if isinstance(t, ast.Name) and t.id in names
        )
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_but_the_kernel_defines_a_shared_type(package):
    copies = [
        f"{path.relative_to(ROOT)}:{line} defines {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, line in _definitions(path)
    ]
    assert not copies, "import these from kernel instead: " + "; ".join(copies)


@pytest.mark.parametrize("package", ("kernel", *PACKAGES))
def test_there_is_one_shape_type(package):
    # Polygons, lines and masks are kinds of kernel.Geometry; a second shape type would
    # need a converter between the two again.
    copies = [
        f"{path.relative_to(ROOT)}:{line} defines {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, line in _definitions(path, RETIRED)
    ]
    assert not copies, "use kernel.Geometry instead: " + "; ".join(copies)


def test_the_scan_finds_the_kernel_definitions():
    # Guards the scan itself: it must see the definitions it is looking for.
    names = {
        name
        for path in (ROOT / "kernel").rglob("*.py")
        for name, _ in _definitions(path)
    }
    assert names == SHARED - {"Lang"}


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (engine.model, "Side"),
        (engine.model, "Calibration"),
        (engine.model, "CalibrationSource"),
        (engine.geometry, "Box"),
        (engine.geometry, "Point"),
        (engine.anchors, "AnchorKind"),
        (engine.anchors, "AnchorStatus"),
        (cases.model, "Side"),
        (cases.model, "Language"),
        (cases.model, "Calibration"),
        (cases.model, "CalibrationSource"),
        (cases.model, "AnchorKind"),
        (cases.model, "AnchorStatus"),
        (cases.geometry, "Box"),
        (cases.geometry, "Point"),
        (cases, "Box"),
        (ontology, "Side"),
        (ontology, "Language"),
    ],
)
def test_packages_use_the_kernel_types(module, name):
    assert getattr(module, name) is getattr(kernel, name)


def test_the_store_keeps_the_ontologys_match_status():
    # One enum for met / not met / not assessable, from the scoring to the stored rows.
    assert cases.SignStatus is ontology.MatchStatus


def test_ontology_has_no_second_language_type():
    assert not hasattr(ontology, "Lang")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"row_mm": 0.0, "col_mm": 0.1, "source": "user"}, "row_mm must be a positive"),
        ({"row_mm": 0.1, "col_mm": math.inf, "source": "user"}, "col_mm must be"),
        ({"row_mm": 0.1, "col_mm": 0.1}, "does not match spacing"),
        ({"source": "user"}, "does not match spacing"),
    ],
)
def test_calibration_rejects_bad_spacing_as_a_value_error(kwargs, message):
    if "source" in kwargs:
        kwargs["source"] = CalibrationSource(kwargs["source"])
    with pytest.raises(InvalidValue, match=message):
        Calibration(**kwargs)
    assert issubclass(InvalidValue, ValueError)


def test_calibration_api():
    none = Calibration.none()
    assert not none.is_calibrated and none.mean_mm is None and none.scaled(2) is none
    estimate = Calibration(row_mm=0.2, col_mm=0.4, source=CalibrationSource.ESTIMATED)
    assert estimate.is_calibrated and estimate.is_estimate
    assert estimate.mean_mm == pytest.approx(0.3)
    assert estimate.scaled(2) == Calibration(
        row_mm=0.1, col_mm=0.2, source=CalibrationSource.ESTIMATED
    )


def test_box_and_point():
    box = Box(0, 0, 10, 4)
    assert box == Box(x0=0, y0=0, x1=10, y1=4)
    assert box.center == (5, 2)
    assert Box.of_points([(3, 1), (1, 5)]) == Box(1, 1, 3, 5)
    assert not Box(2, 2, 2, 2).has_area and box.has_area
    with pytest.raises(InvalidValue, match="out of order"):
        Box(5, 0, 1, 1)
    with pytest.raises(InvalidValue, match="finite"):
        Box(0, 0, math.nan, 1)


def test_the_store_still_says_invalid_record_for_bad_geometry_and_spacing():
    with pytest.raises(cases.InvalidRecord, match="x0 < x1"):
        cases.geometry.geometry_to_json(Geometry.from_box(Box(1, 1, 1, 5)))
    with pytest.raises(cases.InvalidRecord, match="point coordinates must be finite"):
        cases.geometry.geometry_from_json({"type": "point", "x": math.nan, "y": 1})
    with pytest.raises(cases.InvalidRecord, match="row_mm must be a positive spacing"):
        cases.model.calibration(-1.0, 1.0, CalibrationSource.USER)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "circle"}, "unknown geometry kind 'circle'"),
        ({"kind": "box", "points": ((5, 0), (1, 1))}, "out of order"),
        ({"kind": "point", "points": ((math.inf, 0),)}, "must be finite"),
        ({"kind": "point", "points": ((True, 0),)}, "must be finite"),
        ({"kind": "line", "points": ((0, 0),)}, "at least 2 points"),
        ({"kind": "polygon", "points": ((0, 0), (1, 1))}, "at least 3 points"),
        ({"kind": "point", "points": ((0, 0),), "rle": (1,)}, "not rle counts"),
        ({"kind": "mask", "rle": (2, 2)}, "needs rle counts and a shape"),
        ({"kind": "mask", "rle": (2, 1), "shape": (2, 2)}, "cover 3 pixels"),
        ({"kind": "mask", "rle": (5, -1), "shape": (2, 2)}, "non-negative"),
        ({"kind": "mask", "rle": (0,), "shape": (0, 4)}, "must be positive"),
    ],
)
def test_a_shape_is_checked_when_it_is_made(kwargs, message):
    with pytest.raises(InvalidValue, match=message):
        Geometry(**kwargs)


def test_geometry_api():
    assert Geometry.from_box(Box(1, 2, 3, 4)).points == ((1.0, 2.0), (3.0, 4.0))
    assert Geometry.polygon([(0.04, 1), (5, 0), (5, 5)]).points[0] == (0.0, 1.0)
    line = Geometry("line", ((0, 0), (4, 1), (2, 6)))  # a stored line may bend
    assert line.bounding_box() == Box(0, 0, 4, 6)
    # 3x4 grid: foreground runs (0,3)-(1,0) wrap a row, and (2,2) stands alone.
    mask = Geometry("mask", rle=(3, 2, 5, 1, 1), shape=(3, 4))
    assert mask.bounding_box() == Box(0, 0, 4, 3)
    assert Geometry("mask", rle=(12,), shape=(3, 4)).bounding_box() == Box(0, 0, 0, 0)
    assert Geometry("mask", rle=(0, 1, 11), shape=(3, 4)).bounding_box() == Box(
        0, 0, 1, 1
    )


@pytest.mark.parametrize("value", [0, -1, 1.0, True])
def test_turns_count_from_one(value):
    with pytest.raises(InvalidValue, match="count from 1"):
        turn_number(value)
    assert turn_number(1) == kernel.FIRST_TURN == 1


# A phrasing-corpus line's language label may be "mixed", which is no Language.
STR_LANGUAGE_ALLOWED = {"engine/dialogue/phrasing.py:Utterance.lang"}


def _language_as_str(path: Path, root: Path = ROOT) -> list[str]:
    """Parameters and fields named lang/language whose annotation is a bare ``str``."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for owner in ast.walk(tree):
        if isinstance(owner, ast.FunctionDef | ast.AsyncFunctionDef):
            args = owner.args
            named = [
                (a.arg, a.annotation)
                for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
            ]
        elif isinstance(owner, ast.ClassDef):
            named = [
                (node.target.id, node.annotation)
                for node in owner.body
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
            ]
        else:
            continue
        for name, annotation in named:
            if name not in ("lang", "language") or annotation is None:
                continue
            text = ast.unparse(annotation)
            where = f"{path.relative_to(root)}:{owner.name}.{name}"
            loose = "str" in text and "Language" not in text
            if loose and where not in STR_LANGUAGE_ALLOWED:
                found.append(f"{where} ({text})")
    return found


@pytest.mark.parametrize("package", ("kernel", *PACKAGES))
def test_a_language_travels_as_a_language_not_a_str(package):
    loose = [
        finding
        for path in sorted((ROOT / package).rglob("*.py"))
        for finding in _language_as_str(path)
    ]
    assert not loose, "annotate these as kernel.Language: " + "; ".join(loose)


def test_the_language_scan_sees_a_str(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f(lang: str, language: Language, x: str): ...\n"
        "class C:\n    lang: str | None\n"
    )
    found = _language_as_str(module, tmp_path)
    assert [f.split(":", 1)[1] for f in found] == [
        "f.lang (str)",
        "C.lang (str | None)",
    ]

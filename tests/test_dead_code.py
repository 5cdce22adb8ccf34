"""Every function, method, property and class has a caller.

vulture reads the product packages together with the tests and benchmarks, so a
definition that a test or a benchmark calls counts as used; what is left has no caller
anywhere and goes. Unused variables and attributes are not checked: pydicom datasets and
dataclass fields are written by name and read by other means, so vulture cannot tell.
"""

from pathlib import Path

import vulture

ROOT = Path(__file__).resolve().parents[1]
SCANNED = (
    "kernel",
    "ontology",
    "engine",
    "cases",
    "services",
    "cli",
    "dashboard",
    "tests",
    "bench",
)
CHECKED = {"function", "method", "property", "class"}
# Called by a framework, never by our code: torch's Module.__call__ and http.server.
HOOKS = ["forward", "do_GET", "do_POST", "log_message"]


def unused_definitions(paths: list[str]) -> list[str]:
    finder = vulture.Vulture(ignore_names=HOOKS, ignore_decorators=["@pytest.fixture"])
    finder.scavenge(paths)
    return [
        f"{Path(item.filename).relative_to(ROOT)}:{item.first_lineno} {item.typ} {item.name}"
        for item in finder.get_unused_code(min_confidence=60)
        if item.typ in CHECKED
    ]


def test_every_definition_has_a_caller():
    unused = unused_definitions([str(ROOT / name) for name in SCANNED])
    assert not unused, "no caller; delete it (or call it): " + "; ".join(unused)


def test_the_scan_sees_a_definition_without_a_caller(tmp_path):
    # Guards the scan itself: a function nobody calls must be reported.
    module = tmp_path / "orphan.py"
    module.write_text(
        "def used():\n    pass\n\n\ndef orphan():\n    pass\n\n\nused()\n"
    )
    found = vulture.Vulture()
    found.scavenge([str(module)])
    assert [item.name for item in found.get_unused_code()] == ["orphan"]

"""The dialogue package is layers: each module imports only the layers below it."""

import ast
from pathlib import Path

import engine.dialogue

ORDER = [
    "records",
    "phrases",
    "homophones",
    "dialect",
    "sizes",
    "clauses",
    "instructions",
    "limits",
    "subjects",
    "query_records",
    "query_slots",
    "query_cleanup",
    "query_listing",
    "query_intent",
    "query_adjust",
    "query_ellipsis",
    "query_followup",
    "query",
    "compound",
    "facts",
    "premise",
    "anchoring",
    "binding",
    "handlers.findings",
    "handlers.lesions",
    "handlers.hilar",
    "handlers.pairs",
    "handlers.relations",
    "handlers.profiles",
    "handlers.others",
    "handlers.structures",
    "conversation",
]
ROOT = Path(engine.dialogue.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.module.removeprefix("engine.dialogue.")
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        and n.module
        and n.module.startswith("engine.dialogue.")
    }


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for n, layer in enumerate(ORDER):
        path = ROOT / (layer.replace(".", "/") + ".py")
        below = set(ORDER[:n])
        wrong += [f"{layer} imports {m}" for m in _imports(path) - below]
    assert not wrong, wrong


def test_every_module_of_the_package_has_a_place_in_the_order():
    modules = {
        str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
        for p in ROOT.rglob("*.py")
        if p.name != "__init__.py"
    }
    # phrasing scores a corpus with the query layer; it is a tool beside the layers.
    assert modules - {"phrasing"} == set(ORDER)


def test_no_dialogue_module_branches_on_the_language_for_its_wording():
    # Wording is data (ontology/data/dialogue/answers.toml): a new phrasing or a
    # corrected sentence is an edit there, not a new `if zh` branch or a bilingual
    # table in code. The engine modules that word places, sizes and lengths for the
    # dialogue are held to the same rule.
    import re
    from pathlib import Path

    import engine.dialogue

    branch = re.compile(
        r"\bif zh\b|\bzh else\b|\bzh = lang\b|lang == \"zh\"|[\"']zh[\"']\s*:"
    )
    root = Path(engine.dialogue.__file__).parent
    engine_root = root.parent
    wording = ("wording.py", "references.py", "geometry.py", "anatomy.py")
    paths = [*sorted(root.rglob("*.py")), *(engine_root / name for name in wording)]
    found = [
        f"{path.relative_to(engine_root)}:{number}"
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if branch.search(line)
    ]
    assert not found, f"language branches for wording: {found}"


def test_a_list_of_kinds_is_worded_in_one_order_in_every_process():
    # Kinds arrive as a frozenset, whose order follows string hashing and so changes
    # from one process to the next; the answer must not.
    from engine.dialogue.phrases import _what
    from engine.findings import FindingKind
    from kernel import Language

    kinds = frozenset(reversed(list(FindingKind)))
    assert _what(kinds, Language.EN) == (
        "nodule, mass, consolidation, streaky opacity or reticular opacity"
    )
    assert _what(kinds, Language.ZH) == "结节、肿块、实变样影、条索影或网状影"

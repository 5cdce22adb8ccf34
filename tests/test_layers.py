"""The package graph points one way: the Streamlit UI (dashboard) and the command line
(cli) -> the application services (services) -> engine, cases -> ontology -> kernel;
ontology and kernel -> standard library only, and every package may import the kernel,
which imports nothing of ours. The UI and the CLI never import each other."""

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"dashboard", "cli", "services", "engine", "cases", "ontology", "kernel"}
ALLOWED = {
    "dashboard": {"dashboard", "services", "engine", "cases", "ontology", "kernel"},
    "cli": {"cli", "services", "engine", "cases", "ontology", "kernel"},
    "services": {"services", "engine", "cases", "ontology", "kernel"},
    "engine": {"engine", "ontology", "kernel"},
    "cases": {"cases", "ontology", "kernel"},
    "ontology": {"ontology", "kernel"},
    "kernel": {"kernel"},
}
# Heavy or UI libraries that must stay behind their boundary.
BANNED_OUTSIDE = {
    "streamlit": {"dashboard"},
    "streamlit_drawable_canvas": {"dashboard"},
    "duckdb": {"cases"},
    "pydicom": {"cases"},
    "highdicom": {"cases"},
}
# Model libraries may only be imported inside functions of backend modules.
LAZY_ONLY = {"torch", "transformers", "httpx"}


def _imports(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], node) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node))
    return found


def _module_level(tree: ast.Module) -> set[int]:
    """Line numbers of imports that run when the module is imported."""
    lines = set()
    for node in tree.body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                break
            if isinstance(sub, ast.Import | ast.ImportFrom):
                lines.add(sub.lineno)
    return lines


def _sources() -> list[Path]:
    return sorted(p for pkg in PROJECT for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    stdlib = sys.stdlib_module_names
    top_level_lines = _module_level(tree)
    for name, node in _imports(tree):
        if name in PROJECT:
            assert name in ALLOWED[package], (
                f"{path}:{node.lineno} {package} imports {name}"
            )
        if name in BANNED_OUTSIDE:
            assert package in BANNED_OUTSIDE[name], (
                f"{path}:{node.lineno} imports {name}"
            )
        if name in LAZY_ONLY:
            assert node.lineno not in top_level_lines, (
                f"{path}:{node.lineno} imports {name} at module level; import it inside "
                "the backend function that needs it"
            )
        if package in {"ontology", "kernel"}:
            assert name in stdlib or name in ALLOWED[package], (
                f"{path}:{node.lineno} {package} must use the standard library only"
            )


@pytest.mark.parametrize("package", sorted(PROJECT))
def test_ruff_bans_the_same_imports(package: str) -> None:
    """Each package's ruff.toml bans exactly what the tables above forbid it."""
    config = tomllib.loads((ROOT / package / "ruff.toml").read_text(encoding="utf-8"))
    banned = set(config["lint"]["flake8-tidy-imports"]["banned-api"])
    expected = (PROJECT - ALLOWED[package]) | {
        name for name, allowed in BANNED_OUTSIDE.items() if package not in allowed
    }
    assert banned == expected

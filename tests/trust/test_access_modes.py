"""Local mode is for one person at the machine; every write checks its right on the server."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from cli.main import main
from services import access
from services.access import AuthMode, Identity, PermissionDenied, Right, Role


@pytest.mark.parametrize(
    ("headers", "direct"),
    [
        (None, True),
        ({"Host": "localhost:8501"}, True),
        ({"Host": "127.0.0.1:8501", "User-Agent": "x"}, True),
        ({"Host": "[::1]:8501"}, True),
        ({"Host": "localhost:8501", "X-Forwarded-For": "203.0.113.7"}, False),
        ({"Host": "localhost:8501", "Forwarded": "for=203.0.113.7"}, False),
        ({"Host": "localhost:8501", "X-Real-IP": "10.0.0.4"}, False),
        ({"Host": "casebook.example.org"}, False),  # a tunnel keeps the public name
        ({"host": "abcd.trycloudflare.com"}, False),
    ],
)
def test_a_proxied_or_tunnelled_request_is_not_local(headers, direct):
    assert access.reached_directly(headers) is direct


def test_the_role_picker_needs_loopback_and_a_direct_request():
    env = {"CASEBOOK_ROLE": "reader"}
    picked = access.local_identity(env, chosen="admin", loopback=True, login_name="me")
    assert picked.roles == {Role.ADMIN}
    fixed = access.local_identity(env, chosen="admin", loopback=False, login_name="me")
    assert fixed.roles == {Role.READER}


def _person(role: Role) -> Identity:
    return Identity(
        actor="local:x", display_name="x", roles=frozenset({role}), mode=AuthMode.LOCAL
    )


@pytest.mark.parametrize(
    ("role", "right"),
    [
        (Role.QA_AUDITOR, Right.ASK),
        (Role.READER, Right.ANNOTATE),
        (Role.READER, Right.IMPORT),
        (Role.ADMIN, Right.ASK),
        (Role.REVIEWER, Right.SETTINGS),
    ],
)
def test_a_write_outside_the_role_is_refused_on_the_server(role, right):
    with pytest.raises(PermissionDenied, match="may not"):
        access.require(_person(role), right)


def test_a_write_inside_the_role_passes():
    access.require(_person(Role.READER), Right.ASK)


def test_serving_another_address_without_sign_in_needs_a_flag(
    tmp_path, capsys, monkeypatch
):
    import cli.serve

    monkeypatch.setattr(cli.serve, "SECRETS_FILES", (tmp_path / "none.toml",))
    code = main(
        [
            "serve",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--address",
            "0.0.0.0",
            "--port",
            "1",
            "--background",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "everyone who reaches 0.0.0.0 can read every case" in err
    assert "--allow-unauthenticated" in err and "sign-in" in err
    assert not (tmp_path / "x.duckdb").exists()  # refused before anything was written


def test_sign_in_lifts_the_need_for_the_flag(tmp_path, monkeypatch):
    import cli.serve

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://x/oauth2callback"\n')
    monkeypatch.setattr(cli.serve, "SECRETS_FILES", (secrets,))
    assert cli.serve._unauthenticated_exposure("0.0.0.0", allowed=False) is None


# --------------------------------------------------------------------------- writes

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
READS = ("find_", "list_", "search_", "get_", "load_", "read_only_reason")
# Writes whose own function cannot check, each with the caller that does: the question
# queue's worker opens the session for a question whose submit (components/chat.py)
# passed ``require``; resources.save_setting is called by views/settings.py after it.
CHECKED_BY_CALLER = {
    ("components/chat.py", "_open"),
    ("resources.py", "save_setting"),
}


def _writes() -> set[str]:
    """Every callable the dashboard can reach that writes: it takes an actor or a *Write."""
    import cases
    from dashboard import resources
    from services import question_queue, workflows

    owners = (cases.CaseStore, question_queue.QuestionQueue, workflows, resources)
    names = set()
    for owner in owners:
        for name, value in inspect.getmembers(owner, callable):
            try:
                parameters = inspect.signature(value).parameters
            except (TypeError, ValueError):
                continue
            writes = "actor" in parameters or any(
                str(p.annotation).endswith("Write") for p in parameters.values()
            )
            if writes and not name.startswith(("_", *READS)):
                names.add(name)
    return names


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
    return None


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """A function's (or module's) nodes, without those of functions and classes in it."""
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _unchecked_writes() -> list[str]:
    writes = _writes()
    found = []
    for path in sorted(DASHBOARD.rglob("*.py")):
        module = str(path.relative_to(DASHBOARD))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.Module)
        ]
        for scope in scopes:
            own = _own_nodes(scope)
            name = getattr(scope, "name", "<module>")
            calls = {_called(n) for n in own}
            if "require" in calls or (module, name) in CHECKED_BY_CALLER:
                continue
            found += [f"{module}:{name} calls {c}" for c in sorted(calls & writes)]
    return found


def test_every_dashboard_write_checks_its_right_where_it_writes():
    """A write whose right was checked only when the page was drawn is not checked.

    Callbacks (a chat submit, a download's on_click) run before the page script, and a
    form's submit acts on what an earlier run showed, so each write must call
    ``access.require`` in the function that writes.
    """
    assert _writes() >= {"add_annotation", "set_case_labels", "submit", "import_bytes"}
    assert _unchecked_writes() == []

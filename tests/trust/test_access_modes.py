"""Local mode is for one person at the machine; every write checks its right on the server."""

from __future__ import annotations

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

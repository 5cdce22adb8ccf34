"""Sign-in through st.login against a small OpenID Connect provider that the test runs.

The provider (``http.server`` + joserfc, RS256) serves discovery, ``/authorize`` (signs the
person in at once and redirects back with a code), ``/token`` and ``/jwks``. The dashboard
runs with ``[auth]`` in its secrets; the signed-in person's writes must name them in the
audit log, and their role comes from a token claim.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cases import open_store
from tests.dashboard.test_e2e import (
    ARTIFACTS,
    BROWSER_MARKS,
    CHROME_ARGS,
    CHROMIUM,
    ROOT,
    free_port,
    settle,
    stop,
    wait_healthy,
)

pytestmark = BROWSER_MARKS

CLIENT_ID = "casebook-dashboard"
CLIENT_SECRET = "test-client-secret"
PERSON = {
    "sub": "u-4711",
    "email": "dr.chen@example.org",
    "name": "Dr Chen",
    "email_verified": True,
    "casebook_roles": ["reviewer", "qa_auditor"],
}


class FakeIdentityProvider:
    """An OpenID Connect provider on 127.0.0.1 that signs one person in without asking."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(
            2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"}
        )
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.codes: dict[str, str] = {}
        self.requests: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                provider.requests.append(url.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    query = dict(urllib.parse.parse_qsl(url.query))
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query.get("nonce", "")
                    target = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query['state']})}"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path == "/userinfo":
                    self._json(PERSON)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                provider.requests.append(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                nonce = provider.codes.pop(form.get("code", ""), None)
                if self.path != "/token" or nonce is None:
                    self.send_error(400)
                    return
                self._json(
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 3600,
                        "id_token": provider.id_token(nonce),
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }

    def id_token(self, nonce: str) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {
            **PERSON,
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
        }
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def __enter__(self) -> FakeIdentityProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[FakeIdentityProvider]:
    with FakeIdentityProvider() as provider:
        yield provider


def write_secrets(folder: Path, provider: FakeIdentityProvider, port: int) -> None:
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    (folder / ".streamlit" / "config.toml").write_text(config, encoding="utf-8")
    (folder / ".streamlit" / "secrets.toml").write_text(
        f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"

[casebook]
default_role = ""
""",
        encoding="utf-8",
    )


def test_a_person_signs_in_through_oidc_and_the_audit_log_names_them(
    tmp_path, identity_provider, demo_template
):
    from playwright.sync_api import sync_playwright

    folder = tmp_path / "site"
    shutil.copytree(demo_template, folder / "db")
    db = folder / "db" / "demo.duckdb"
    port = free_port()
    write_secrets(folder, identity_provider, port)
    url, process = start_dashboard_in(folder, db, port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROME_ARGS
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/cases")
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            assert (
                page.get_by_test_id("stDataFrame").count() == 0
            )  # nothing before signing in
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Dr Chen").wait_for(timeout=60_000)
            page.get_by_test_id("stDataFrame").wait_for(timeout=60_000)
            settle(page)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "08-signed-in.png"), full_page=True)
            sidebar = page.get_by_test_id("stSidebar").inner_text()
            assert "Reviewer (attending)" in sidebar and "QA auditor" in sidebar
            nav = page.get_by_test_id("stSidebarNav").inner_text()
            assert "Audit" in nav and "Settings" not in nav
            page.goto(f"{url}/case?id=C000001&conversation=2")
            # The case page's image viewer has drawn the film.
            page.wait_for_selector(
                "[data-testid=viewer-root][data-ready=true]", timeout=60_000
            )
            settle(page)
            box = page.get_by_test_id("composer-input")
            box.fill("How large is this lesion?")
            box.press("Enter")
            page.get_by_text("How large is this lesion?").first.wait_for(timeout=60_000)
            settle(page)
            page.get_by_role("button", name="Sign out").click()
            page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
            browser.close()
    finally:
        stop(process)
    assert {
        "/.well-known/openid-configuration",
        "/authorize",
        "/token",
        "/jwks",
    } <= set(identity_provider.requests)
    with open_store(db) as store:
        # Conversation 2 is the demo's, so the question opened a new one of the reader's.
        newest = store.list_conversations("C000001")[-1]
        assert newest.conversation_id != 2
        assert newest.created_by == "oidc:dr.chen@example.org"
        turn = store.list_turns(newest.conversation_id)[-1]
        assert turn.question == "How large is this lesion?"
        assert turn.actor == "oidc:dr.chen@example.org"
        assert store.list_audit(limit=10_000)[-1].actor == "oidc:dr.chen@example.org"


def start_dashboard_in(folder: Path, db: Path, port: int):
    """Run the dashboard from ``folder`` (its .streamlit/ holds the secrets) on ``port``."""
    log = folder / "streamlit.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "asgi_app.py"),  # as `casebook serve` runs it
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--browser.gatherUsageStats=false",
        ],
        cwd=folder,
        env={**os.environ, "CASEBOOK_DB": str(db)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log)
    return url, process

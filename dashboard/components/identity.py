"""Who is at the keyboard: ``st.login`` (OIDC) when configured, else local single-user mode."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.components import choice
from dashboard.state import SessionKey, language
from kernel import Language
from services import access, i18n
from services.access import AccessConfig, Identity


def _secrets() -> Mapping[str, Any]:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except FileNotFoundError:
        return {}


def auth_configured() -> bool:
    """Whether ``[auth]`` in the secrets configures an OIDC provider for ``st.login``."""
    return bool(_secrets().get("auth"))


def providers() -> list[str | None]:
    """Named providers (``[auth.<name>]``), or ``[None]`` for the single default one."""
    auth = _secrets().get("auth") or {}
    named = [k for k, v in dict(auth).items() if isinstance(v, Mapping)]
    return [str(n) for n in named] if named else [None]


def _is_logged_in() -> bool:
    # AppTest's default user has no is_logged_in; treat it as signed out.
    return bool(st.user.to_dict().get("is_logged_in", False))


def current() -> Identity | None:
    """The identity of this session, or None while an OIDC user has not signed in.

    Raises:
        AccessDenied: the signed-in person has no role, or the role settings are invalid.
    """
    if auth_configured():
        if not _is_logged_in():
            return None
        config = AccessConfig.from_secrets(_secrets().get("casebook"))
        return access.oidc_identity(st.user.to_dict(), config)
    return access.local_identity(
        os.environ,
        chosen=st.session_state.get(SessionKey.LOCAL_ROLE.value),
        loopback=local_and_direct(),
        login_name=_login_name(),
    )


def _headers() -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in st.context.headers.items()}
    except (AttributeError, RuntimeError):
        return {}  # no request (AppTest, scripts): nothing came through a proxy


def local_and_direct() -> bool:
    """Whether the server is bound to loopback and this browser reached it directly.

    Only then may the one person at the machine pick any role; through a reverse proxy
    or a tunnel, everyone who reaches the proxy would share that choice.
    """
    address = str(st.get_option("server.address") or "127.0.0.1")
    return access.is_loopback(address) and access.reached_directly(_headers())


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def sign_in_page() -> None:
    """The page shown to people who have not signed in yet."""
    lang = language()
    st.title(i18n.text("app.title", lang))
    st.info(i18n.text("app.disclaimer", lang), icon=":material/info:")
    st.write(i18n.text("login.prompt", lang))
    for provider in providers():
        label = (
            i18n.text("login.button", lang)
            if provider is None
            else i18n.text("login.button_named", lang, name=provider)
        )
        if st.button(label, type="primary", key=f"login-{provider or 'default'}"):
            st.login(provider) if provider else st.login()


def local_role_choices() -> list[access.Role]:
    """The roles the local sidebar offers (one, fixed, when others can reach the server)."""
    base = access.parse_role(
        os.environ.get("CASEBOOK_ROLE") or access.DEFAULT_LOCAL_ROLE.value
    )
    return list(access.local_role_choices(base, loopback=local_and_direct()))


def sidebar(identity: Identity) -> None:
    """Show who is signed in, their roles, and sign-out or the local role switch."""
    lang = language()
    if identity.mode is access.AuthMode.OIDC:
        st.sidebar.markdown(f"**{i18n.text('identity.signed_in', lang)}**")
        st.sidebar.text(identity.display_name)
        st.sidebar.caption(
            i18n.text("identity.roles", lang, roles=_role_names(identity, lang))
        )
        if st.sidebar.button(i18n.text("identity.sign_out", lang), key="logout"):
            st.logout()
        return
    st.sidebar.markdown(f"**{i18n.text('identity.local_mode', lang)}**")
    st.sidebar.caption(i18n.text("identity.local_hint", lang, actor=identity.actor))
    choices = local_role_choices()
    if len(choices) > 1:
        current_role = next(iter(identity.roles))
        # The browser's own select (choice.py): Streamlit's select box would be the
        # one element type a new tab loads for it and the case page's other choices.
        choice.choice(
            i18n.text("identity.role", lang),
            [r.value for r in choices],
            index=[r.value for r in choices].index(current_role.value),
            format_func=lambda r: i18n.text(f"role.{r}", lang),
            key=SessionKey.LOCAL_ROLE.value,
            where=st.sidebar,
        )
    else:
        st.sidebar.caption(
            i18n.text("identity.roles", lang, roles=_role_names(identity, lang))
        )
        st.sidebar.caption(i18n.text("identity.fixed_role", lang))
        if not access.reached_directly(_headers()):
            st.sidebar.warning(
                i18n.text("identity.proxied", lang), icon=":material/lan:"
            )


def _role_names(identity: Identity, lang: Language) -> str:
    return ", ".join(
        i18n.text(f"role.{r.value}", lang) for r in access.Role if r in identity.roles
    )

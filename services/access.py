"""Who is using the dashboard and what they may do: roles, rights, and the audit actor.

Pure logic, no Streamlit: ``components/identity.py`` feeds it ``st.user`` claims or the
local settings and renders the result.

Two modes:

- **OIDC** (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``.
  Roles come from a token claim (``[casebook] role_claim``, default ``casebook_roles``)
  and from ``[casebook.roles]`` (e-mail to role list); a signed-in person with neither gets
  ``[casebook] default_role`` (``reader``; an empty string denies access).
- **Local single-user mode** otherwise: one person at their own workstation. The role
  comes from ``CASEBOOK_ROLE`` (default ``reviewer``). The sidebar may switch to any role
  (for teaching and demonstration) only when the server listens on the loopback
  interface *and* the request came straight from this machine: a request that carries
  proxy headers (``X-Forwarded-For``, ``Forwarded``, ...) or names another host came
  through a reverse proxy or a tunnel, and then the role is fixed to ``CASEBOOK_ROLE``,
  because everyone who reaches the proxy would share it. ``casebook serve`` refuses a
  non-loopback address without sign-in unless ``--allow-unauthenticated`` is given.

Every write checks the right on the server side (``require``), whatever the page showed:
a widget hidden from a role is not a permission.

Every write names ``Identity.actor`` in the audit log: ``oidc:<e-mail or subject>`` or
``local:<CASEBOOK_ACTOR or the login name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """A dashboard role (stable stored values)."""

    READER = "reader"
    """A resident: reads cases, asks questions, replays, compares."""
    REVIEWER = "reviewer"
    """An attending: a reader who also annotates and imports."""
    TEACHER = "teacher"
    """Runs teaching sessions: reads, asks, replays, imports teaching films."""
    QA_AUDITOR = "qa_auditor"
    """Reads everything, including the audit trail; changes no clinical data."""
    ADMIN = "admin"
    """Runs the installation: settings, imports and the audit trail."""


class Right(StrEnum):
    """Something a role may do."""

    VIEW = "view"
    """Open cases, conversations, replays, comparisons and the ontology."""
    ASK = "ask"
    """Start conversations and ask questions (writes turns)."""
    ANNOTATE = "annotate"
    """Save reviewer annotations and verdicts."""
    IMPORT = "import"
    """Upload radiographs."""
    AUDIT = "audit"
    """Read the audit trail, run the integrity check, export the audit table."""
    SETTINGS = "settings"
    """Change application settings."""


ROLE_RIGHTS: Mapping[Role, frozenset[Right]] = {
    Role.READER: frozenset({Right.VIEW, Right.ASK}),
    Role.REVIEWER: frozenset({Right.VIEW, Right.ASK, Right.ANNOTATE, Right.IMPORT}),
    Role.TEACHER: frozenset({Right.VIEW, Right.ASK, Right.IMPORT}),
    Role.QA_AUDITOR: frozenset({Right.VIEW, Right.AUDIT}),
    Role.ADMIN: frozenset({Right.VIEW, Right.IMPORT, Right.AUDIT, Right.SETTINGS}),
}

ROLE_ALIASES: Mapping[str, Role] = {
    "resident": Role.READER,
    "attending": Role.REVIEWER,
    "qa": Role.QA_AUDITOR,
    "auditor": Role.QA_AUDITOR,
    "qa-auditor": Role.QA_AUDITOR,
    "administrator": Role.ADMIN,
}


class PageId(StrEnum):
    """The dashboard's pages; the value is the page's URL path."""

    CASES = "cases"
    CASE = "case"
    REPLAY = "replay"
    COMPARE = "compare"
    AUDIT = "audit"
    ONTOLOGY = "ontology"
    SETTINGS = "settings"


PAGE_RIGHTS: Mapping[PageId, Right] = {
    PageId.CASES: Right.VIEW,
    PageId.CASE: Right.VIEW,
    PageId.REPLAY: Right.VIEW,
    PageId.COMPARE: Right.VIEW,
    PageId.AUDIT: Right.AUDIT,
    PageId.ONTOLOGY: Right.VIEW,
    PageId.SETTINGS: Right.SETTINGS,
}


def roles_that_open(page: PageId) -> list[Role]:
    """The roles whose rights open a page, in the order of ``Role``."""
    return [role for role in Role if PAGE_RIGHTS[page] in ROLE_RIGHTS[role]]


class AuthMode(StrEnum):
    """How the person was identified."""

    OIDC = "oidc"
    LOCAL = "local"


class AccessDenied(ValueError):
    """The signed-in person has no role, or a role name is unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """The person using this browser session."""

    actor: str
    """The name every audit record of their writes carries."""
    display_name: str
    roles: frozenset[Role]
    mode: AuthMode
    email: str | None = None

    @property
    def rights(self) -> frozenset[Right]:
        """Everything the person's roles allow."""
        return (
            frozenset().union(*(ROLE_RIGHTS[r] for r in self.roles))
            if self.roles
            else frozenset()
        )

    def can(self, right: Right) -> bool:
        """Return whether the person may do ``right``."""
        return right in self.rights

    def may_open(self, page: PageId) -> bool:
        """Return whether the person may open a page."""
        return self.can(PAGE_RIGHTS[page])

    @property
    def role_names(self) -> str:
        """The roles, comma-separated, in a stable order."""
        return ", ".join(r.value for r in Role if r in self.roles)


def parse_role(name: str) -> Role:
    """Return the role a name stands for (values and a few aliases, any case).

    Raises:
        AccessDenied: the name is not a role.
    """
    key = name.strip().lower().replace(" ", "_")
    if key in ROLE_ALIASES:
        return ROLE_ALIASES[key]
    try:
        return Role(key)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AccessDenied(f"unknown role {name!r}; use one of: {known}") from None


def parse_roles(value: Any) -> frozenset[Role]:
    """Return the roles in a claim or setting: a name, a comma list, or a list of names."""
    if value is None:
        return frozenset()
    names: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    return frozenset(parse_role(str(n)) for n in names if str(n).strip())


# --------------------------------------------------------------------------- OIDC


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessConfig:
    """The ``[casebook]`` part of the secrets: how signed-in people get their roles."""

    default_role: Role | None = Role.READER
    role_claim: str = "casebook_roles"
    roles_by_email: Mapping[str, frozenset[Role]] | None = None

    @classmethod
    def from_secrets(cls, section: Mapping[str, Any] | None) -> AccessConfig:
        """Read ``[casebook]`` (``default_role``, ``role_claim``, ``[casebook.roles]``).

        Raises:
            AccessDenied: a role name in the section is unknown.
        """
        section = section or {}
        default = section.get("default_role", Role.READER.value)
        mapping = section.get("roles") or {}
        return cls(
            default_role=parse_role(default) if str(default).strip() else None,
            role_claim=str(section.get("role_claim") or "casebook_roles"),
            roles_by_email={
                str(k).strip().lower(): parse_roles(v) for k, v in mapping.items()
            },
        )


def oidc_identity(claims: Mapping[str, Any], config: AccessConfig) -> Identity:
    """Return the identity of a person signed in through OIDC.

    Roles are the union of the token's role claim and the configured e-mail mapping; with
    neither, the default role.

    Raises:
        AccessDenied: the token names no subject, or the person has no role.
    """
    email = claims.get("email")
    subject = email or claims.get("sub")
    if not subject:
        raise AccessDenied(
            "the identity provider sent no e-mail or subject; ask the administrator to check the OIDC client"
        )
    roles = set(parse_roles(claims.get(config.role_claim)))
    if email and config.roles_by_email:
        roles |= config.roles_by_email.get(str(email).strip().lower(), frozenset())
    if not roles and config.default_role is not None:
        roles.add(config.default_role)
    if not roles:
        raise AccessDenied(
            f"{subject} has no casebook role; ask an administrator to add one"
        )
    name = str(claims.get("name") or subject)
    return Identity(
        actor=f"oidc:{subject}",
        display_name=name,
        roles=frozenset(roles),
        mode=AuthMode.OIDC,
        email=None if email is None else str(email),
    )


# --------------------------------------------------------------------------- local mode

LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
DEFAULT_LOCAL_ROLE = Role.REVIEWER


def is_loopback(address: str | None) -> bool:
    """Return whether a server address only accepts connections from this machine."""
    return (address or "").strip().lower() in LOOPBACK_ADDRESSES or (
        address or ""
    ).startswith("127.")


PROXY_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded",
     "x-real-ip", "via", "cf-connecting-ip", "x-original-forwarded-for"}
)  # fmt: skip
"""Headers that reverse proxies and tunnels add (RFC 7239 and the de-facto ones)."""


def reached_directly(headers: Mapping[str, str] | None) -> bool:
    """Return whether a request came straight from this machine, not via a proxy.

    A loopback-bound server behind nginx, an SSH tunnel or a cloud tunnel sees every
    browser as 127.0.0.1; the proxy headers, or a Host that is not a loopback name,
    give it away. No headers at all (tests, scripts) counts as direct.
    """
    if not headers:
        return True
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if PROXY_HEADERS & lowered.keys():
        return False
    host = lowered.get("host", "localhost")
    name = (
        host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    )
    return is_loopback(name)


class PermissionDenied(AccessDenied):
    """A write that the person's roles do not allow (checked on the server side)."""


_RIGHT_WORDS = {
    Right.VIEW: "open cases",
    Right.ASK: "ask questions",
    Right.ANNOTATE: "save annotations",
    Right.IMPORT: "import radiographs",
    Right.AUDIT: "read the audit trail",
    Right.SETTINGS: "change settings",
}


def require(identity: Identity, right: Right) -> None:
    """Refuse a write the person may not do, whatever the page offered them.

    Raises:
        PermissionDenied: none of the person's roles has ``right``.
    """
    if identity.can(right):
        return
    roles = identity.role_names or "no role"
    raise PermissionDenied(
        f"{identity.display_name} ({roles}) may not {_RIGHT_WORDS[right]}; "
        "ask an administrator for a role that may"
    )


def local_role_choices(base: Role, *, loopback: bool) -> tuple[Role, ...]:
    """Return the roles the local sidebar may switch to.

    On loopback the one person at the machine may take any role (to teach, to preview
    what a QA auditor sees). Otherwise the role is fixed to ``base``.
    """
    return tuple(Role) if loopback else (base,)


def local_identity(
    env: Mapping[str, str], *, chosen: str | None, loopback: bool, login_name: str
) -> Identity:
    """Return the identity of local single-user mode.

    Args:
        env: the environment (``CASEBOOK_ROLE``, ``CASEBOOK_ACTOR``).
        chosen: the role picked in the sidebar, if any; ignored when not allowed.
        loopback: whether the server listens on loopback only.
        login_name: the operating-system user running the server.

    Raises:
        AccessDenied: ``CASEBOOK_ROLE`` is not a role.
    """
    base = parse_role(env.get("CASEBOOK_ROLE") or DEFAULT_LOCAL_ROLE.value)
    choices = local_role_choices(base, loopback=loopback)
    role = base
    if chosen:
        try:
            picked = parse_role(chosen)
        except AccessDenied:
            picked = base
        role = picked if picked in choices else base
    name = (env.get("CASEBOOK_ACTOR") or login_name or "user").strip()
    name = name.removeprefix("local:")
    return Identity(
        actor=f"local:{name}",
        display_name=name,
        roles=frozenset({role}),
        mode=AuthMode.LOCAL,
    )

"""Roles, rights, OIDC claims and local single-user mode."""

from __future__ import annotations

import pytest

from services import access
from services.access import AccessConfig, AccessDenied, AuthMode, PageId, Right, Role


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        (
            Role.READER,
            {Right.VIEW, Right.ASK},
            {Right.ANNOTATE, Right.IMPORT, Right.AUDIT, Right.SETTINGS},
        ),
        (
            Role.REVIEWER,
            {Right.VIEW, Right.ASK, Right.ANNOTATE, Right.IMPORT},
            {Right.AUDIT, Right.SETTINGS},
        ),
        (
            Role.TEACHER,
            {Right.VIEW, Right.ASK, Right.IMPORT},
            {Right.ANNOTATE, Right.AUDIT, Right.SETTINGS},
        ),
        (
            Role.QA_AUDITOR,
            {Right.VIEW, Right.AUDIT},
            {Right.ASK, Right.ANNOTATE, Right.IMPORT, Right.SETTINGS},
        ),
        (
            Role.ADMIN,
            {Right.VIEW, Right.AUDIT, Right.SETTINGS, Right.IMPORT},
            {Right.ASK, Right.ANNOTATE},
        ),
    ],
)
def test_each_role_has_exactly_its_rights(role, may, may_not):
    assert may <= access.ROLE_RIGHTS[role]
    assert not may_not & access.ROLE_RIGHTS[role]


def test_only_reviewers_annotate_and_only_admins_change_settings():
    assert [r for r in Role if Right.ANNOTATE in access.ROLE_RIGHTS[r]] == [
        Role.REVIEWER
    ]
    assert [r for r in Role if Right.SETTINGS in access.ROLE_RIGHTS[r]] == [Role.ADMIN]


def test_a_qa_auditor_reads_every_page_but_settings_and_writes_no_clinical_data():
    auditor = access.Identity(
        actor="oidc:qa@example.org",
        display_name="QA",
        roles=frozenset({Role.QA_AUDITOR}),
        mode=AuthMode.OIDC,
    )
    assert [p for p in PageId if auditor.may_open(p)] == [
        p for p in PageId if p is not PageId.SETTINGS
    ]
    assert not (
        auditor.can(Right.ASK)
        or auditor.can(Right.ANNOTATE)
        or auditor.can(Right.IMPORT)
    )


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("reader", Role.READER),
        ("Resident", Role.READER),
        ("attending", Role.REVIEWER),
        ("QA", Role.QA_AUDITOR),
        ("qa auditor", Role.QA_AUDITOR),
        (" admin ", Role.ADMIN),
    ],
)
def test_role_names_and_aliases(name, role):
    assert access.parse_role(name) is role


def test_an_unknown_role_is_refused_with_the_known_ones():
    with pytest.raises(AccessDenied, match=r"unknown role 'chief'.*reader, reviewer"):
        access.parse_role("chief")


def test_roles_in_a_claim_may_be_a_list_or_a_comma_string():
    assert access.parse_roles(["reviewer", "teacher"]) == {Role.REVIEWER, Role.TEACHER}
    assert access.parse_roles("reviewer, qa") == {Role.REVIEWER, Role.QA_AUDITOR}
    assert access.parse_roles(None) == frozenset()


# --------------------------------------------------------------------------- OIDC


def test_an_oidc_user_gets_roles_from_the_token_and_the_email_mapping():
    config = AccessConfig.from_secrets({"roles": {"Dr.Rad@Example.org": ["teacher"]}})
    person = access.oidc_identity(
        {
            "email": "dr.rad@example.org",
            "name": "Dr Rad",
            "casebook_roles": ["reviewer"],
        },
        config,
    )
    assert person.roles == {Role.REVIEWER, Role.TEACHER}
    assert person.actor == "oidc:dr.rad@example.org"
    assert person.display_name == "Dr Rad" and person.mode is AuthMode.OIDC


def test_an_oidc_user_without_roles_gets_the_default_or_is_refused():
    claims = {"sub": "abc123"}
    assert access.oidc_identity(claims, AccessConfig.from_secrets({})).roles == {
        Role.READER
    }
    assert access.oidc_identity(claims, AccessConfig()).actor == "oidc:abc123"
    with pytest.raises(AccessDenied, match="abc123 has no casebook role"):
        access.oidc_identity(claims, AccessConfig.from_secrets({"default_role": ""}))
    with pytest.raises(AccessDenied, match="no e-mail or subject"):
        access.oidc_identity({"name": "nobody"}, AccessConfig())


def test_a_custom_role_claim_is_read():
    config = AccessConfig.from_secrets({"role_claim": "groups", "default_role": ""})
    assert access.oidc_identity(
        {"email": "a@b.c", "groups": "qa_auditor"}, config
    ).roles == {Role.QA_AUDITOR}


# --------------------------------------------------------------------------- local mode


def test_local_mode_takes_the_role_and_name_from_the_environment():
    person = access.local_identity(
        {"CASEBOOK_ROLE": "qa", "CASEBOOK_ACTOR": "dr.li"},
        chosen=None,
        loopback=False,
        login_name="root",
    )
    assert person.roles == {Role.QA_AUDITOR}
    assert person.actor == "local:dr.li" and person.mode is AuthMode.LOCAL


def test_local_mode_defaults_to_a_reviewer_named_after_the_login():
    person = access.local_identity({}, chosen=None, loopback=True, login_name="wang")
    assert person.roles == {access.DEFAULT_LOCAL_ROLE} and person.actor == "local:wang"


def test_the_sidebar_role_switch_works_on_loopback_only():
    env = {"CASEBOOK_ROLE": "reader"}
    assert access.local_identity(
        env, chosen="admin", loopback=True, login_name="u"
    ).roles == {Role.ADMIN}
    assert access.local_identity(
        env, chosen="admin", loopback=False, login_name="u"
    ).roles == {Role.READER}
    assert access.local_identity(
        env, chosen="nonsense", loopback=True, login_name="u"
    ).roles == {Role.READER}


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.1.1", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert access.is_loopback(address) is loopback


def test_a_bad_role_in_the_environment_is_an_error_not_a_silent_default():
    with pytest.raises(AccessDenied, match="unknown role"):
        access.local_identity(
            {"CASEBOOK_ROLE": "superuser"}, chosen=None, loopback=True, login_name="u"
        )


def test_the_secrets_example_configures_sign_in_and_roles():
    import tomllib
    from pathlib import Path

    example = tomllib.loads(
        (
            Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.example.toml"
        ).read_text()
    )
    assert {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    } <= set(example["auth"])
    config = AccessConfig.from_secrets(example["casebook"])
    assert config.default_role is Role.READER
    assert config.roles_by_email["qa.office@example-hospital.org"] == {Role.QA_AUDITOR}

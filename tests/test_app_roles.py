"""app/roles.py: who each caller is, and what their roles let them do."""

from __future__ import annotations

import pytest

from app.roles import ACTIONS, NotAllowed, identify, require
from app.settings import Settings, SettingsError, load_users, user_roles

USERS = "ann:pw1,rev:pw2:reviewer,boss:pw3:admin,pat:p:a:ss"


@pytest.fixture(autouse=True)
def _not_a_space(monkeypatch):
    for name in ("SPACE_ID", "SPACES_ZERO_GPU", "SYSTEM"):
        monkeypatch.delenv(name, raising=False)


def test_a_users_line_may_end_in_roles_and_a_password_may_hold_colons():
    assert load_users(USERS) == [("ann", "pw1"), ("rev", "pw2"), ("boss", "pw3"), ("pat", "p:a:ss")]
    assert user_roles(USERS) == {"ann": frozenset(), "rev": {"reviewer"}, "boss": {"admin"},
                                 "pat": frozenset()}  # fmt: skip


def test_an_entry_without_a_password_is_refused():
    with pytest.raises(SettingsError, match="user:password"):
        load_users("ann:")


ALLOWED = {  # with a login: each user's actions
    "ann": {"view", "annotate"},
    "rev": {"view", "annotate", "review", "export"},
    "boss": set(ACTIONS),
    "hf-rev": {"view", "annotate", "review", "export"},  # named by --reviewers
    None: set(),  # an anonymous visitor sees the demo only
}


@pytest.mark.parametrize("user", list(ALLOWED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_with_a_login_the_roles_decide(user, action):
    settings = Settings(users=USERS, reviewers="hf-rev")
    identity = identify(settings, user, typed="boss")  # a typed name never counts
    if action in ALLOWED[user]:
        assert require(identity, action) == user
    else:
        with pytest.raises(NotAllowed, match="sign in" if user is None else "only a"):
            require(identity, action)


@pytest.mark.parametrize(
    ("admins", "typed", "action", "allowed"),
    [
        (None, "anyone", "pin", True),  # a one-person Studio: every role
        (None, None, "load_model", True),  # records no name, needs none
        (None, None, "annotate", False),  # records a name: type one first
        ("boss", "boss", "pin", True),
        ("boss", "ann", "pin", False),  # --admins narrows the admin actions to those names
        ("boss", "ann", "review", True),
        ("boss", None, "load_model", True),  # no name to check, as in the page's Model tab
        ("boss", None, "pin", False),  # pinning records a name: type one
    ],
)
def test_without_a_login_the_typed_name_counts(admins, typed, action, allowed):
    identity = identify(Settings(admins=admins), None, typed)
    if allowed:
        assert require(identity, action) == typed
    else:
        with pytest.raises(NotAllowed):
            require(identity, action)


def test_on_a_space_without_admins_nobody_changes_the_demo(monkeypatch):
    monkeypatch.setenv("SPACE_ID", "owner/studio")
    with pytest.raises(NotAllowed, match="only an admin may change the demo gallery; ann is"):
        require(identify(Settings(), "ann", None), "pin")


ORG_ROLES = "vau-lab:reviewer,vau-lab/admin:admin"


@pytest.mark.parametrize(
    ("orgs", "top"),
    [
        ([], "annotator"),  # a member of no listed organisation
        ([("other-org", "admin")], "annotator"),
        ([("vau-lab", "read")], "reviewer"),  # every member of vau-lab reviews
        ([("VAU-Lab", "write")], "reviewer"),  # Hub names are case-insensitive
        ([("vau-lab", "admin")], "admin"),  # its admins run the Studio
    ],
)
def test_organisation_members_get_the_role_their_organisation_maps_to(orgs, top, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "owner/studio")  # signed in with Hugging Face
    identity = identify(Settings(org_roles=ORG_ROLES), "hf-user", None, orgs)
    assert max(identity.roles, key=["annotator", "reviewer", "admin"].index) == top


@pytest.mark.parametrize(
    "spec", ["vau-lab", "vau-lab:owner", ":reviewer", "vau-lab/owner:admin", "a:reviewer,b"]
)
def test_a_bad_organisation_rule_is_refused_at_start_up(spec):
    with pytest.raises(SettingsError, match="--org-roles entry"):
        Settings(org_roles=spec).validate()


@pytest.mark.parametrize(
    ("environ", "space", "sign_in"),
    [
        ({}, False, False),
        ({"SPACE_ID": "acme/studio"}, True, False),
        ({"SYSTEM": "spaces"}, True, False),  # Gradio's own test agrees with ours
        ({"SPACES_ZERO_GPU": "1", "OAUTH_CLIENT_ID": "x"}, True, True),
        ({"OAUTH_CLIENT_ID": "x"}, False, False),  # OAuth settings off a Space cannot sign in
    ],
)
def test_on_a_space_and_hugging_face_sign_in_are_each_decided_once(environ, space, sign_in):
    from app.gpu import on_space
    from app.roles import hf_sign_in

    assert (on_space(environ), hf_sign_in(environ)) == (space, sign_in)

"""Who may do what: three ranked roles, one table of actions, one check every handler calls.

Identity comes from the login whenever one is configured (a users file, or Hugging Face sign-in
on a Space); the name typed in the header counts only in a local Studio without login, whose one
user holds every role. Roles: a users-file line `name:password:reviewer` (or `:admin`), the
`--reviewers` / `--admins` lists (Hugging Face accounts on a Space), and `--org-roles` for the
members of a Hugging Face organisation (as the sign-in reports them). Everyone signed in is an
annotator; a reviewer may also annotate, an admin may do everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.gpu import on_space
from app.settings import ROLES, Settings, names, org_rules, user_roles
from inference.errors import StudioError

# The least role each action needs, how a refusal names it, and whether it records a name.
ACTIONS: dict[str, tuple[str, str, bool]] = {
    "view": ("annotator", "see the annotation work", False),  # open, pick, upload, run, progress
    "annotate": ("annotator", "save corrections", True),  # save, submit, restore, next item
    "review": ("reviewer", "review corrections", True),
    "export": ("reviewer", "export training data", False),
    "pin": ("admin", "change the demo gallery", True),
    "load_model": ("admin", "load or list models", False),
    "prelabel": ("admin", "pre-label the queue", False),
    "train": ("admin", "start or stop training", True),
    "watch_training": ("admin", "see training jobs", False),
}


class NotAllowed(StudioError):
    """The signed-in user's roles do not cover the action; nothing was written."""


@dataclass(frozen=True)
class Identity:
    """Who is calling and what they may do; `login` is whether the name came from a login."""

    name: str | None
    roles: frozenset[str]
    login: bool


def hf_sign_in(environ: Mapping[str, str] | None = None) -> bool:
    """True when Hugging Face sign-in can work: on a Space whose front matter turned on OAuth
    (the platform then sets OAUTH_CLIENT_ID); elsewhere Gradio's button wants a local token."""
    environ = os.environ if environ is None else environ
    return on_space(environ) and bool(environ.get("OAUTH_CLIENT_ID"))


def login_configured(settings: Settings) -> bool:
    """True when names come from a login: a users file, or Hugging Face sign-in on a Space."""
    return settings.users is not None or on_space()


def ranked(roles: set[str]) -> frozenset[str]:
    """The roles with every lower one added (an admin reviews, a reviewer annotates)."""
    top = max((ROLES.index(r) for r in roles if r in ROLES), default=-1)
    return frozenset(ROLES[: top + 1])


def org_roles(settings: Settings, orgs: Iterable[tuple[str, str | None]]) -> set[str]:
    """The roles --org-roles gives a member of `orgs` ((organisation, their role in it) pairs)."""
    held = {(org.lower(), hub_role) for org, hub_role in orgs}
    return {
        rule.role
        for rule in org_rules(settings.org_roles)
        for org, hub_role in held
        if org == rule.org.lower() and rule.org_role in (None, hub_role)
    }


def identify(
    settings: Settings,
    signed_in: str | None,
    typed: str | None,
    orgs: Iterable[tuple[str, str | None]] = (),
) -> Identity:
    """The caller: the login's user with their roles, or the local Studio's one user.

    `orgs`: the signed-in user's Hugging Face organisations, as (name, their role there)."""
    if not login_configured(settings):
        name = (typed or "").strip() or None
        admins = names(settings.admins)
        # --admins narrows what a typed name may do; actions that record no name carry none.
        roles = set(ROLES) if not admins or name is None or name in admins else {"reviewer"}
        return Identity(name, ranked(roles), login=False)
    if not signed_in:
        return Identity(None, frozenset(), login=True)
    roles = {"annotator", *user_roles(settings.users).get(signed_in, ())}
    roles |= {"reviewer"} if signed_in in names(settings.reviewers) else set()
    roles |= {"admin"} if signed_in in names(settings.admins) else set()
    roles |= org_roles(settings, orgs)
    return Identity(signed_in, ranked(roles), login=True)


def require(identity: Identity, action: str) -> str | None:
    """The caller's name when their roles allow `action`; NotAllowed saying why otherwise.

    None only for a local Studio's unnamed user doing something that records no name.
    """
    needed, what, named = ACTIONS[action]
    if identity.name is None and identity.login:
        raise NotAllowed(f"sign in to {what}; visitors see the demo")
    if identity.name is None and named:
        raise NotAllowed(f"enter your name at the top of the page to {what}")
    if needed not in identity.roles:
        held = max(identity.roles, key=ROLES.index) if identity.roles else "no role"
        who = identity.name or "this unnamed user"
        article = "an" if needed[0] in "aeiou" else "a"
        raise NotAllowed(f"only {article} {needed} may {what}; {who} is {held}")
    return identity.name

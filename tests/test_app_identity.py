"""Who is annotating: Gradio's login, a Hugging Face OAuth account, or the typed name."""

from __future__ import annotations

import time

import gradio as gr
import pytest
from starlette.requests import Request as StarletteRequest

from app.guard import signed_in_orgs, signed_in_user, who_is
from app.settings import Settings
from app.ui import build_app


def _request(session: dict | None = None, username: str | None = None) -> gr.Request:
    scope = {"type": "http", "headers": [], "method": "POST", "path": "/", "query_string": b""}
    if session is not None:
        scope["session"] = session  # what Starlette's SessionMiddleware puts there
    return gr.Request(request=StarletteRequest(scope), username=username)


def _oauth(name: str, expires_in: float = 3600) -> dict:
    return {
        "oauth_info": {
            "userinfo": {"preferred_username": name},
            "expires_at": time.time() + expires_in,
        }
    }


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (None, None),
        (_request(), None),
        (_request(session={}), None),
        (_request(session=_oauth("hf-ann")), "hf-ann"),
        (_request(session=_oauth("hf-ann", expires_in=-1)), None),
        (_request(session=_oauth("hf-ann"), username="local-bob"), "local-bob"),
    ],
    ids=[
        "no-request",
        "no-session-middleware",
        "logged-out",
        "oauth",
        "oauth-expired",
        "auth-wins",
    ],
)
def test_signed_in_user(request_, expected):
    assert signed_in_user(request_) == expected


def test_a_signed_in_account_overrides_the_typed_name():
    assert who_is("typed-name", _request(session=_oauth("hf-ann"))) == "hf-ann"


def test_the_typed_name_is_used_when_nobody_is_signed_in():
    assert who_is("  typed-name ", _request(session={})) == "typed-name"


def _has_login_button(demo: gr.Blocks) -> bool:
    return any(isinstance(block, gr.LoginButton) for block in demo.blocks.values())


@pytest.mark.parametrize(("client_id", "expected"), [("abc", True), (None, False)])
def test_a_space_with_hf_oauth_shows_the_sign_in_button(tmp_path, monkeypatch, client_id, expected):
    import gradio.oauth

    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "owner/studio")
    if client_id:  # what a Space with `hf_oauth: true` gets from the platform
        platform = {
            "OAUTH_CLIENT_ID": client_id,
            "OAUTH_CLIENT_SECRET": "secret",
            "OAUTH_SCOPES": "openid profile",
            "OPENID_PROVIDER_URL": "https://huggingface.co",
        }
        for name, value in platform.items():
            monkeypatch.setenv(name, value)
            monkeypatch.setattr(gradio.oauth, name, value)  # Gradio reads them at import
    else:
        monkeypatch.delenv("OAUTH_CLIENT_ID", raising=False)
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'studio.db'}", samples="")
    assert _has_login_button(build_app(settings)) is expected


def test_the_organisations_come_from_the_hugging_face_sign_in():
    session = _oauth("hf-ann")
    session["oauth_info"]["userinfo"]["orgs"] = [
        {"preferred_username": "vau-lab", "roleInOrg": "write", "name": "VAU Lab"},
        {"preferred_username": "other", "name": "Other"},  # no role reported
    ]
    assert signed_in_orgs(_request(session=session)) == [("vau-lab", "write"), ("other", None)]
    assert signed_in_orgs(_request(session=session, username="local-bob")) == []  # users file

"""The one guard every event handler passes: who is calling, may they, and what a refusal says.

`Guard(studio)(action, shown_in)` wraps a handler. A parameter named `who` receives the name
typed in the header; the guard replaces it with the caller's identity (the login's whenever one
is configured, app.roles) once their roles allow `action`. A `StudioError` raised by the check
or the handler becomes a toast and a red line in `shown_in`: never a traceback.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable

import gradio as gr

from app import roles, views
from inference.errors import StudioError, first_line

Extra = Callable[[dict], dict]  # the bound arguments -> more updates for a refusal


def message_of(error: StudioError) -> str:
    """The one-line message of a domain error, for the UI."""
    return first_line(error, limit=1000)


def failure(component, error: StudioError) -> dict:
    """A domain error as a toast and a red line in `component`: never a traceback."""
    message = message_of(error)
    gr.Warning(message)
    return {component: views.message_html(message, ok=False)}


def signed_in_user(request: gr.Request | None) -> str | None:
    """The logged-in user: Gradio's login, else the Hugging Face account signed in by OAuth."""
    if request is None:
        return None
    if request.username:
        return request.username
    return _oauth_userinfo(request).get("preferred_username")


def signed_in_orgs(request: gr.Request | None) -> list[tuple[str, str | None]]:
    """The Hugging Face organisations of the OAuth user: (name, their role there) pairs."""
    if request is None or request.username:  # a users-file login has no organisations
        return []
    orgs = _oauth_userinfo(request).get("orgs") or []
    return [
        (o["preferred_username"], o.get("roleInOrg")) for o in orgs if o.get("preferred_username")
    ]


def _oauth_userinfo(request: gr.Request) -> dict:
    raw = request.request  # the Starlette request; OAuth keeps its result in the session
    if raw is None or "session" not in raw.scope:
        return {}
    info = raw.session.get("oauth_info") or {}
    if info.get("expires_at") and info["expires_at"] < time.time():
        return {}
    return info.get("userinfo") or {}


def who_is(typed: str | None, request: gr.Request | None) -> str | None:
    """The annotator's name, or None when nobody is named yet (no role check: display only)."""
    return (signed_in_user(request) or typed or "").strip() or None


def actor(studio, typed: str | None, request: gr.Request | None, action: str) -> str | None:
    """The caller's name when their roles allow `action` (app.roles); NotAllowed otherwise."""
    signed_in, orgs = signed_in_user(request), signed_in_orgs(request)
    identity = roles.identify(studio.settings, signed_in, typed, orgs)
    return roles.require(identity, action)


class Guard:
    """Wraps event handlers: resolves and checks the caller, turns refusals into messages."""

    def __init__(self, studio) -> None:
        self.studio = studio

    def __call__(
        self, action: str | None, shown_in=None, *, also: Extra | None = None, otherwise=None
    ):
        """A decorator for a handler that needs `action`'s role (None: any caller). A refusal
        shows in `shown_in` (with `also(arguments)`'s updates); without `shown_in` it is a toast
        and `otherwise` (nothing changes by default)."""
        return self._decorator(action, shown_in, also, otherwise, raises=False)

    def api(self, action: str | None):
        """The same check for an endpoint with no page (app.api, MCP tools): a refusal is the
        call's error, its message the one the page would show."""
        return self._decorator(action, None, None, None, raises=True)

    def _decorator(self, action, shown_in, also, otherwise, raises: bool):
        def refusal(error: StudioError, arguments: dict):
            if raises:
                raise gr.Error(message_of(error), print_exception=False) from None
            if shown_in is None:
                gr.Warning(message_of(error))
                return gr.skip() if otherwise is None else otherwise
            return failure(shown_in, error) | (also(arguments) if also else {})

        def decorate(handler):
            signature = inspect.signature(handler)

            def bind(args, kwargs) -> inspect.BoundArguments:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return bound

            def check(bound: inspect.BoundArguments) -> None:
                typed, request = bound.arguments.get("who"), bound.arguments.get("request")
                if action is None:  # nothing to allow: `who` is only shown
                    named = who_is(typed, request)
                else:
                    named = self.who(typed, request, action)
                if "who" in bound.arguments:
                    bound.arguments["who"] = named

            if inspect.isgeneratorfunction(handler):

                @functools.wraps(handler)
                def streamed(*args, **kwargs):
                    bound = bind(args, kwargs)
                    shown = dict(bound.arguments)  # as called: `who` still the typed name
                    try:
                        check(bound)
                        yield from handler(*bound.args, **bound.kwargs)
                    except StudioError as error:
                        yield refusal(error, shown)

                return streamed

            @functools.wraps(handler)
            def guarded(*args, **kwargs):
                bound = bind(args, kwargs)
                shown = dict(bound.arguments)
                try:
                    check(bound)
                    return handler(*bound.args, **bound.kwargs)
                except StudioError as error:
                    return refusal(error, shown)

            return guarded

        return decorate

    def who(self, typed: str | None, request: gr.Request | None, action: str) -> str | None:
        """The caller's name once their roles allow `action`; NotAllowed otherwise."""
        return actor(self.studio, typed, request, action)

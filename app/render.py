"""From a session and a form to component updates: the one place that knows the screen."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import gradio as gr

from annotate.errors import InvalidInput
from app import handlers, roles, views
from app.editor import editor_html
from app.handlers import Studio
from app.layout import ANSWER_INFO, Screen
from app.state import Form, Session
from app.steps import step_source
from inference.errors import StudioError
from inference.tasks import CLASSES


def text_or_none(value: str | None, field: str = "text") -> str | None:
    """Trimmed text, or None for an empty field; InvalidInput for what is not text (an API
    caller's number or list)."""
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{field}: text expected, got {type(value).__name__} {value!r:.40}")
    value = (value or "").strip()
    return value or None


def number_or_none(value, field: str = "number") -> float | None:
    """A number field's value in seconds (3 decimals), or None when empty; InvalidInput for
    what is not a finite number."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: a number of seconds expected, got {value!r:.40}") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput(f"{field}: a finite number of seconds expected, got {value!r:.40}")
    return round(number, 3)


def form_from_fields(answer, start, end, klass, reasoning, comment) -> Form:
    """The correction fields' values as a Form (InvalidInput naming a field of a wrong type)."""
    text, number = text_or_none, number_or_none
    return Form(
        text(answer, "answer"), number(start, "start"), number(end, "end"),
        text(klass, "class"), text(reasoning, "reasoning"), text(comment, "comment"),
    )  # fmt: skip


def view_form(reasoning, start, end) -> Form:
    """The fields the step view and the timeline depend on."""
    return Form(
        reasoning=text_or_none(reasoning), start=number_or_none(start), end=number_or_none(end)
    )


def form_updates(s: Screen, task: str, form: Form) -> dict:
    """The correction fields showing `form` (the answer field sized for the task)."""
    return {
        s.answer: gr.update(
            value=form.answer or "",
            info=ANSWER_INFO.get(task),
            lines=4 if task == "description" else 1,
        ),
        s.klass: form.class_name if form.class_name in CLASSES else None,
        s.start: form.start,
        s.end: form.end,
        s.reasoning: form.reasoning or "",
        s.comment: form.comment or "",
    }


def step_updates(s: Screen, session: Session, form: Form, index: int) -> dict:
    """The step view, the step editor and the timeline for step `index` of the reasoning."""
    html, steps, index = views.steps_view(form.reasoning, index)
    step = steps[index] if steps else None
    data = views.timeline_data(session, form, steps, index)
    return {
        s.steps: html,
        s.step_index: index,
        s.step_edit: step_source(form.reasoning or "", step) if step else "",
        s.timeline: editor_html(data),
    }


def task_updates(s: Screen, session: Session) -> dict:
    """The task choice and the QA question and options of the session."""
    qa = session.task == "qa"
    options = list(session.options or ()) + [""] * 4
    updates = {
        s.task: session.task,
        s.qa_box: gr.update(visible=qa),
        s.question: session.question or "",
    }
    updates.update({box: options[i] for i, box in enumerate(s.qa_options)})
    return updates


def show(
    s: Screen, studio: Studio, session: Session, form: Form, who: str | None, *, video: bool = False
) -> dict:
    """Every update that follows from moving to a new session state (`form` fills the form)."""
    session = replace(session, shown=form.as_shown())
    updates = {
        s.state: session,
        s.result: views.result_html(session),
        s.raw: session.result.raw if session.result else "",
        s.history: views.history_rows(handlers.history(studio, session, who)),
    }
    updates |= task_updates(s, session) | form_updates(s, session.task, form)
    updates |= step_updates(s, session, form, 0)
    if video:
        updates[s.player] = gr.update(value=session.video, playback_position=0)
    return updates


def open_updates(s: Screen, studio: Studio, session: Session, who: str | None, note: str) -> dict:
    """The Studio tab moved to a newly opened item: video, form, steps, and a status line."""
    form = handlers.initial_form(studio, session, who)
    if session.video is None:
        note = "The video file of this item is not on this machine; you can still annotate."
    updates = show(s, studio, session, form, who, video=True)
    return updates | {s.save_msg: views.message_html(note, ok=session.video is not None)}


def show_outputs(s: Screen) -> list:
    """Every component `show` may update (an event's outputs list)."""
    return [
        s.state,
        s.result,
        s.raw,
        s.history,
        s.task,
        s.qa_box,
        s.question,
        *s.qa_options,
        s.answer,
        s.klass,
        s.start,
        s.end,
        s.reasoning,
        s.comment,
        s.steps,
        s.step_index,
        s.step_edit,
        s.timeline,
        s.player,
    ]


def record_id(value, what: str = "item") -> int:
    """A record id from a picker (a number, or typed text from an API caller)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        text = str(value)[:40]
        raise InvalidInput(f"no {what} {text!r}; pick one from the list") from None


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
    """The annotator's name, or None when nobody is named yet."""
    return (signed_in_user(request) or typed or "").strip() or None


def actor(studio, typed: str | None, request: gr.Request | None, action: str) -> str | None:
    """The caller's name when their roles allow `action` (app.roles); NotAllowed otherwise."""
    signed_in, orgs = signed_in_user(request), signed_in_orgs(request)
    identity = roles.identify(studio.settings, signed_in, typed, orgs)
    return roles.require(identity, action)


def failure(component, error: StudioError) -> dict:
    """A domain error as a toast and a red line in `component`: never a traceback."""
    message = handlers.message_of(error)
    gr.Warning(message)
    return {component: views.message_html(message, ok=False)}

"""The Studio tab's view changes: stepping through the reasoning, seeking the player, and
nudging the interval. Instant: none of them queues or writes."""

from __future__ import annotations

import gradio as gr

from annotate.errors import InvalidInput
from annotate.validate import seconds
from app import views
from app.fields import number_or_none, seconds_text, text_or_none, view_form
from app.services import UI, UI_TOLD
from app.steps import clamp, replace_step, scroll_to_step_js, seek_time
from app.tabs.studio.components import StudioTab
from app.tabs.studio.render import step_updates

# Reads the player's current time into the first input of the event (for "from player").
PLAYER_TIME_JS = """
(value, ...rest) => {
  const video = document.querySelector("#player video");
  return [video ? Math.round(video.currentTime * 10) / 10 : value, ...rest];
}
"""


NO_STEPS = "No reasoning to step through yet: run the model or type it in the form."


def _seek(seconds: float | None, nothing: str = ""):
    """A player update that jumps to `seconds`; without one the player stays and, when a button
    asked for it, a toast says why (`nothing`)."""
    if seconds is None:
        if nothing:
            gr.Info(nothing)
        return gr.skip()
    return gr.update(playback_position=float(seconds))


def wire_steps(s: StudioTab) -> None:
    """Previous / next / current step, typing the reasoning, editing one step, seeking."""
    form_in = [s.state, s.reasoning, s.step_index, s.start, s.end]
    outputs = [s.steps, s.step_index, s.step_edit, s.timeline, s.player]

    def mover(delta: int, asked: bool = True):
        """Move `delta` steps; `asked`: a button press, which says so when nothing can happen."""

        def on_move(session, reasoning, index, start, end):
            form = view_form(reasoning, start, end)
            steps = views.reasoning_steps(form.reasoning)
            index = clamp(int(index or 0) + delta, len(steps))
            updates = step_updates(s, session, form, index)
            if not steps:
                return updates | {s.player: _seek(None, NO_STEPS if asked else "")}
            # Seeking to a step that names no time is only worth a word when that was the ask.
            nothing = f"Step {index + 1} names no time." if asked and delta == 0 else ""
            return updates | {s.player: _seek(seek_time(steps[index]), nothing)}

        return on_move

    for button, delta in ((s.prev_step, -1), (s.next_step, +1), (s.seek_step, 0)):
        moved = button.click(mover(delta), form_in, outputs, **UI_TOLD)
        moved.then(None, None, None, js=scroll_to_step_js("steps"))
    s.reasoning.input(mover(0, asked=False), form_in, outputs, **UI, trigger_mode="always_last")

    def on_apply(session, reasoning, index, start, end, new_text):
        steps = views.reasoning_steps(reasoning)
        if not steps or not text_or_none(new_text):
            return {s.steps: gr.skip()}  # a dict of updates (an empty one reads as a value)
        index = clamp(int(index or 0), len(steps))
        text = replace_step(reasoning, steps[index], new_text.strip())
        form = view_form(text, start, end)
        return step_updates(s, session, form, index) | {s.reasoning: text}

    s.apply_step.click(on_apply, [*form_in, s.step_edit], [*outputs, s.reasoning], **UI)

    def on_seek_model(session):
        result = session.result
        if result is None:
            return _seek(None, "No model run on this item yet: press Run.")
        return _seek(
            min(result.interval) if result.interval else None, "The model gave no interval."
        )

    def on_seek_truth(session):
        truth = session.truth.interval
        return _seek(min(truth) if truth else None, "This item has no ground-truth interval.")

    s.seek_model.click(on_seek_model, [s.state], [s.player], **UI_TOLD)
    s.seek_truth.click(on_seek_truth, [s.state], [s.player], **UI_TOLD)


def _nudge(delta: float):
    def on_nudge(value):
        try:
            now = number_or_none(value) or 0.0
        except InvalidInput:
            return gr.skip()  # not a time: the field keeps what was typed, Save names it
        return seconds_text(seconds(max(0.0, now + delta)))  # 4.1 + 0.5 is 4.6, not 4.6000…1

    return on_nudge


def wire_interval(s: StudioTab) -> None:
    """The nudge buttons, "from the player", and "no anomaly"."""
    # No server event redraws the timeline when Start / End change: its Yours lane follows the
    # fields in the browser (assets/timeline.js), so two replies can never land out of order.
    for button, box, delta in (
        (s.start_minus, s.start, -0.5),
        (s.start_plus, s.start, 0.5),
        (s.end_minus, s.end, -0.5),
        (s.end_plus, s.end, 0.5),
    ):
        button.click(_nudge(delta), [box], [box], **UI)
    s.start_here.click(_nudge(0.0), [s.start], [s.start], js=PLAYER_TIME_JS, **UI)
    s.end_here.click(_nudge(0.0), [s.end], [s.end], js=PLAYER_TIME_JS, **UI)

    def on_normal(session):
        answer = "Normal" if session.task == "grounding" else gr.skip()
        return {s.answer: answer, s.start: None, s.end: None}

    s.no_anomaly.click(on_normal, [s.state], [s.answer, s.start, s.end], **UI)

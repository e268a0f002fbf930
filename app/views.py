"""Pure functions from the session to what the components show (HTML is always escaped)."""

from __future__ import annotations

import html

from annotate.records import Edit, ItemRecord, RevisionRecord
from annotate.schema import STATUSES
from app.labels import item_label
from app.runtime import ModelStatus
from app.state import Session
from app.steps import clamp, step_html
from app.timeline import Caption, TimelineData
from inference.core.protocol import without_partial_tag, without_tags
from inference.core.steps import Step, split_steps
from inference.core.tasks import CLASSES, GROUNDING_ANSWERS


def answer_choices(task: str) -> list[str]:
    """Suggested answers for a task's answer field (any text is still accepted)."""
    return {
        "grounding": list(GROUNDING_ANSWERS),
        "qa": ["A", "B", "C", "D"],
        "classification": list(CLASSES),
    }.get(task, [])


def status_pill(status: ModelStatus) -> str:
    """The header's model badge."""
    label = {"ready": "●", "loading": "◌", "failed": "✕", "none": "○"}[status.state]
    note = f'<span class="vau-note">{html.escape(status.note)}</span>' if status.note else ""
    return (
        f'<span class="vau-pill {status.state}" title="{html.escape(status.pill)}">'
        f"{label} {html.escape(status.pill)}{note}</span>"
    )


def header_html(status: ModelStatus) -> str:
    """Title, one-line purpose and the model badge."""
    return (
        '<div id="vau-header"><div><h1>VAU-R1 Studio</h1>'
        '<div class="vau-sub">Run a video anomaly model, see where and why, correct it, '
        f"turn it into training data.</div></div>{status_pill(status)}</div>"
    )


def message_html(text: str, ok: bool = True) -> str:
    """A status line under a button row."""
    kind = "ok" if ok else "warn"
    return f'<div class="vau-message"><span class="{kind}">{html.escape(text)}</span></div>'


def lines_html(lines: list[str]) -> str:
    """Lines of fixed-width text (a memory plan) in the status area."""
    body = html.escape("\n".join(lines))
    return f'<div class="vau-message"><pre class="vau-plan">{body}</pre></div>'


def reasoning_steps(text: str | None) -> list[Step]:
    """The parser's steps of a reasoning text (sections, list items or sentences)."""
    return split_steps(text or "")


def steps_view(text: str | None, index: int) -> tuple[str, list[Step], int]:
    """(HTML of the reasoning with the step highlighted, the steps, the clamped index)."""
    steps = reasoning_steps(text)
    index = clamp(index, len(steps))
    return step_html(text or "", steps, index), steps, index


def live_html(text: str) -> str:
    """The reasoning as it streams in, escaped and without the protocol's tags (a half-written
    one included), with a caret."""
    shown = without_tags(without_partial_tag(text))
    body = html.escape(shown) if shown else "Waiting for the first token…"
    return f'<div class="vau-steps"><div class="vau-text vau-live">{body}</div></div>'


def _fmt_interval(interval) -> str:
    return f"{interval[0]:.1f}–{interval[1]:.1f} s" if interval else "none"


def _cell(label: str, value: str, kind: str = "") -> str:
    wide = ' class="wide"' if len(value) > 40 else ""  # long answers span the whole card
    return (
        f'<div{wide}><div class="k">{html.escape(label)}</div>'
        f'<div class="v {kind}">{html.escape(value)}</div></div>'
    )


def result_html(session: Session) -> str:
    """The model's answer next to the ground truth, and the run's timings."""
    result, truth = session.result, session.truth
    if result is None:
        hint = "No model output yet for this item: press Run."
        if truth.known:
            hint = f"Ground truth: {truth.answer} · interval {_fmt_interval(truth.interval)}"
        return f'<div class="vau-card vau-empty">{html.escape(hint)}</div>'
    answer = (result.answer or "no answer")[:120]
    kind = {"Anomaly": "anomaly", "Normal": "normal"}.get(result.answer or "", "")
    cells = [
        _cell("Model answer", answer, kind),
        _cell("Interval", _fmt_interval(result.interval)),
        _cell("Format", "tags OK" if result.format_ok else "tags malformed"),
    ]
    if truth.known:
        cells += [
            _cell("Truth", (truth.answer or "")[:120]),
            _cell("Truth interval", _fmt_interval(truth.interval)),
            _cell("Truth class", truth.class_name or "—"),
        ]
    note = " · stopped early" if session.stopped else ""
    return (
        f'<div class="vau-card"><div class="vau-result">{"".join(cells)}</div>'
        f'<div class="vau-timings">{html.escape(timings_line(session) + note)}</div></div>'
    )


def timings_line(session: Session) -> str:
    """'sampling 0.41 s · first token 0.20 s · 12.5 tok/s · 96 visual tokens · tiny'."""
    t = session.timings or {}
    if not t:
        return ""
    parts = [
        f"sampling {t.get('sampling_s', 0):.2f} s",
        f"preprocess {t.get('preprocess_s', 0):.2f} s",
        f"first token {t.get('first_token_s', 0):.2f} s",
        f"generation {t.get('generate_s', 0):.2f} s",
        f"{t.get('tokens_per_s', 0):.1f} tok/s",
        f"{t.get('visual_tokens', 0)} visual tokens",
    ]
    if session.checkpoint:
        parts.append(session.checkpoint)
    return " · ".join(parts)


def timeline_data(session: Session, form: Edit | None, steps: list[Step], index: int):
    """What the timeline shows for the session, the correction in progress (drawn once both
    its times are given) and the step."""
    step = steps[clamp(index, len(steps))] if steps else None
    corrected = form.interval if form and form.interval and None not in form.interval else None
    return TimelineData(
        duration=session.duration,
        predicted=session.result.interval if session.result else None,
        truth=session.truth.interval,
        corrected=corrected,
        frame_times=session.frame_times,
        step_times=list(step.times) if step else [],
        step_label=f"Step {step.index + 1}" if step else "Step",
        fps=session.fps,
        captions=captions(steps),
        **scan_lane(session),
    )


def scan_lane(session: Session) -> dict:
    """The Score lane's fields of TimelineData for the session's scan (none: no lane)."""
    scan = session.scan
    if scan is None:
        return {}
    return {
        "curve": scan.curve,
        "curve_threshold": scan.threshold,
        "curve_frames": scan.frames,
        "curve_label": scan.checkpoint,
    }


CAPTION_S = 3.0  # a step that names one moment stays on the player this long
CAPTION_CHARS = 90


def captions(steps: list[Step]) -> list[Caption]:
    """The reasoning steps as subtitles: each at every time it names, titled or abridged."""
    out = []
    for step in steps:
        words = step.title or " ".join(without_tags(step.text).split())
        if len(words) > CAPTION_CHARS:
            words = words[: CAPTION_CHARS - 1].rstrip() + "…"
        text = f"Step {step.index + 1} · {words}"
        for start, end in step.times:
            out.append(Caption(start, max(end, start + CAPTION_S), text))
    return sorted(out, key=lambda c: c.start)


def history_rows(revisions: list[RevisionRecord]) -> list[list]:
    """One row per revision, newest first."""
    return [
        [
            r.number,
            r.status + (f" (from #{r.restored_from})" if r.restored_from else ""),
            r.author,
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            (r.answer or "")[:60],
            _fmt_interval(r.interval),
            r.class_name or "",
            (r.review_comment or r.comment or "")[:80],
        ]
        for r in revisions
    ]


# "revision": the number the annotator saw when saving (the store's ids stay out of sight).
REVIEW_HEADERS = ["item", "annotator", "revision", "answer", "interval", "class", "saved (UTC)"]


def review_rows(pairs: list[tuple[ItemRecord, RevisionRecord]]) -> list[list]:
    """The review queue as table rows."""
    return [
        [
            item_label(item),
            r.annotator,
            r.number,
            (r.answer or "")[:60],
            _fmt_interval(r.interval),
            r.class_name or "",
            r.created_at.strftime("%Y-%m-%d %H:%M"),
        ]
        for item, r in pairs
    ]


PROGRESS_HEADERS = ["annotator", *STATUSES, "total"]


HISTORY_HEADERS = ["#", "status", "by", "saved (UTC)", "answer", "interval", "class", "comment"]


def next_up_markdown(item: ItemRecord | None, who: str | None) -> str:
    """The progress tab's pointer to the next item for this annotator."""
    if not who:
        return "Enter your name at the top to see what is next for you."
    if item is None:
        return f"Nothing left for {html.escape(who)}: every item has your correction."
    label = html.escape(item_label(item))
    return f"Next for {html.escape(who)}: **{label}** (press *Next item →* in the Studio tab)."


def revision_html(item: ItemRecord | None, revision: RevisionRecord | None) -> str:
    """A submitted correction as a reviewer reads it; annotator text is escaped."""
    if item is None or revision is None:
        return '<div class="vau-card vau-empty">Pick a revision to see the correction.</div>'
    cells = [
        _cell("Item", item_label(item)),
        _cell("Annotator", revision.annotator),
        _cell("Answer", (revision.answer or "—")[:120]),
        _cell("Interval", _fmt_interval(revision.interval)),
        _cell("Class", revision.class_name or "—"),
        _cell("Truth", (item.truth.answer or "—")[:120]),
    ]
    reasoning = html.escape(revision.reasoning or "(no reasoning)")
    comment = html.escape(revision.comment or "")
    return (
        f'<div class="vau-card"><div class="vau-result">{"".join(cells)}</div>'
        f'<div class="vau-text" style="margin-top:8px">{reasoning}</div>'
        f'<div class="vau-timings">{comment}</div></div>'
    )


def rubric_html(item: ItemRecord | None, run_text: str | None) -> str:
    """A model description beside the reference it is scored against; all text escaped."""
    if item is None or run_text is None:
        return '<div class="vau-card vau-empty">Pick a description run to score it.</div>'
    truth = item.truth
    reference = html.escape(truth.description or "(no reference description)")
    reasoning = html.escape(truth.reasoning or "(no reference reasoning)")
    return (
        f'<div class="vau-card"><div class="vau-result">{_cell("Item", item_label(item))}'
        f"{_cell('Class', truth.class_name or '—')}</div>"
        f'<div class="vau-text" style="margin-top:8px"><b>Model</b><br>{html.escape(run_text)}'
        "</div>"
        f'<div class="vau-text" style="margin-top:8px"><b>Reference</b><br>{reference}'
        f"<br><br>{reasoning}</div></div>"
    )


def reasoning_diff_html(model: str | None, correction: str | None) -> str:
    """The correction's reasoning against the model's, word by word: removed words struck
    through, added words marked (all text escaped: both sides are untrusted)."""
    import difflib

    if not model and not correction:
        return '<div class="vau-card vau-empty">No reasoning on either side.</div>'
    before, after = (model or "").split(), (correction or "").split()
    parts = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{html.escape(' '.join(before[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{html.escape(' '.join(after[b1:b2]))}</ins>")
        if op == "equal":
            parts.append(html.escape(" ".join(before[a1:a2])))
    source = "the model's reasoning" if model else "no model run"
    return (
        f'<div class="vau-card"><div class="vau-timings">Changes from {source} to the '
        f'correction</div><div class="vau-text vau-diff">{" ".join(parts)}</div></div>'
    )

"""What the Studio shows: forms from results, truth and revisions; escaped HTML cards."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from annotate.records import Edit, GroundTruth, ItemRecord, RevisionRecord, VideoRecord
from app import views
from app.fields import interval_of
from app.runtime import ModelStatus
from app.state import Session, from_result, from_revision, from_truth
from inference.core.parse import parse_response

GROUNDING = "<think>1. At 3 s a car stops.\n2. From 4 to 9 s it burns.</think><answer>Anomaly</answer><glue>[4.0, 9.0]</glue>"  # noqa: E501
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VIDEO = VideoRecord(1, "msad", "clip<1>.mp4", None, None, 12.0, 30.0)


def _item(task: str = "grounding", truth: GroundTruth | None = None) -> ItemRecord:
    return ItemRecord(7, VIDEO, task, None, None, truth or GroundTruth(), "x.csv", 3, NOW)


def _revision(**fields) -> RevisionRecord:
    base = dict(
        id=11,
        correction_id=2,
        item_id=7,
        annotator="ann",
        number=2,
        is_current=True,
        answer="Anomaly",
        reasoning="They <b>fight</b>.",
        steps=(),
        interval=(4.0, 9.0),
        class_name="Fighting",
        comment="ok",
        status="submitted",
        author="ann",
        reviewer=None,
        review_comment=None,
        restored_from=None,
        run_id=None,
        created_at=NOW,
    )
    return RevisionRecord(**(base | fields))


def test_form_from_a_grounding_result_holds_answer_interval_and_reasoning():
    form = from_result(parse_response(GROUNDING, "grounding"))
    assert (form.answer, form.interval) == ("Anomaly", (4.0, 9.0))
    assert form.reasoning.startswith("1. At 3 s a car stops.")


def test_form_from_output_without_tags_keeps_the_whole_text_as_reasoning():
    form = from_result(parse_response("the car burns from 4 to 9 s", "grounding"))
    assert form.reasoning == "the car burns from 4 to 9 s"


def test_form_from_a_classification_result_sets_the_class():
    form = from_result(parse_response("<answer>traffic accident</answer>", "classification"))
    assert (form.answer, form.class_name) == ("Traffic_accident", "Traffic_accident")


def test_form_from_truth_and_from_revision():
    truth = GroundTruth(answer="Anomaly", interval=(1.0, 2.0), class_name="Fire", reasoning="r")
    assert from_truth(truth, "grounding") == Edit(
        answer="Anomaly", reasoning="r", interval=(1.0, 2.0), class_name="Fire"
    )
    assert from_truth(truth, "qa").class_name is None
    assert from_revision(_revision()) == Edit(
        answer="Anomaly",
        reasoning="They <b>fight</b>.",
        interval=(4.0, 9.0),
        class_name="Fighting",
        comment="ok",
    )


@pytest.mark.parametrize(
    ("start", "end", "interval"), [(None, None, None), (1.0, 2.5, (1.0, 2.5)), (0.0, 0.0, (0, 0))]
)
def test_the_start_and_end_fields_are_one_interval(start, end, interval):
    assert interval_of(start, end) == interval


def test_result_card_escapes_model_text_and_shows_truth():
    result = parse_response("<answer><img src=x onerror=alert(1)></answer>", "description")
    session = Session(result=result, truth=GroundTruth(answer="Normal"))
    card = views.result_html(session)
    assert "<img" not in card and "&lt;img src=x" in card
    assert "Truth" in card and "Normal" in card


def test_result_card_before_any_run_points_to_the_truth_or_the_run_button():
    assert "press Run" in views.result_html(Session())
    truth = GroundTruth(answer="Anomaly", interval=(6.0, 12.0))
    assert "Ground truth: Anomaly · interval 6.0–12.0 s" in views.result_html(Session(truth=truth))


def test_live_text_is_escaped():
    assert "&lt;script&gt;" in views.live_html("<script>")
    assert "Waiting for the first token" in views.live_html("")


def test_timings_line_reads_every_stage():
    timings = {
        "sampling_s": 0.5,
        "preprocess_s": 0.1,
        "first_token_s": 0.25,
        "generate_s": 2.0,
        "tokens_per_s": 12.34,
        "visual_tokens": 96,
    }
    line = views.timings_line(Session(timings=timings, checkpoint="tiny"))
    assert line == (
        "sampling 0.50 s · preprocess 0.10 s · first token 0.25 s · generation "
        "2.00 s · 12.3 tok/s · 96 visual tokens · tiny"
    )


def test_timeline_data_follows_session_form_and_step():
    result = parse_response(GROUNDING, "grounding")
    session = Session(
        duration=12.0, result=result, truth=GroundTruth(interval=(5.0, 9.0)), frame_times=(0.5, 1.5)
    )
    form = Edit(reasoning=result.think, interval=(4.5, 9.0))
    steps = views.reasoning_steps(form.reasoning)
    data = views.timeline_data(session, form, steps, 1)
    assert (data.predicted, data.truth, data.corrected) == ((4.0, 9.0), (5.0, 9.0), (4.5, 9.0))
    assert (list(data.step_times), data.step_label) == ([(4.0, 9.0)], "Step 2")


def test_half_an_interval_is_not_drawn():
    data = views.timeline_data(Session(), Edit(interval=(3.0, None)), [], 0)
    assert data.corrected is None


def test_status_pill_escapes_the_name():
    pill = views.status_pill(ModelStatus("ready", "<model>", "<model> ready"))
    assert "vau-pill ready" in pill and "&lt;model&gt; ready" in pill and "<model>" not in pill


@pytest.mark.parametrize(
    ("status", "shows"),
    [
        (ModelStatus("ready", "/srv/ckpt/run-7", "run-7 ready. Model /srv/x did not load: no"),
         "run-7 ready"),
        (ModelStatus("failed", "/srv/x", "Model /srv/x did not load: no such directory"),
         "No model: the last load failed"),
        (ModelStatus("loading", "acme/vau-7b", "Loading acme/vau-7b…"), "Loading acme/vau-7b…"),
    ],
)  # fmt: skip
def test_the_pill_names_the_serving_model_and_never_a_failure_or_a_server_path(status, shows):
    pill = views.status_pill(status)
    assert shows in pill and "did not load" not in pill and "/srv" not in pill


def test_history_rows_say_who_when_and_what():
    rows = views.history_rows([_revision(status="draft", restored_from=1)])
    assert rows == [
        [
            2,
            "draft (from #1)",
            "ann",
            "2026-01-02 03:04:05",
            "Anomaly",
            "4.0–9.0 s",
            "Fighting",
            "ok",
        ]
    ]
    assert len(rows[0]) == len(views.HISTORY_HEADERS)


def test_revision_card_escapes_the_annotators_text():
    card = views.revision_html(_item(), _revision())
    assert "They &lt;b&gt;fight&lt;/b&gt;." in card and "clip&lt;1&gt;.mp4" in card


@pytest.mark.parametrize(
    ("item", "who", "text"),
    [
        (None, None, "Enter your name"),
        (None, "ann", "Nothing left for ann"),
        (_item(), "ann", "Next for ann: **clip&lt;1&gt;.mp4 · Grounding**"),
    ],
)
def test_next_up_points_to_the_next_item(item, who, text):
    assert text in views.next_up_markdown(item, who)


@pytest.mark.parametrize(
    ("task", "choices"),
    [("grounding", ["Anomaly", "Normal"]), ("qa", ["A", "B", "C", "D"]), ("description", [])],
)
def test_answer_choices_per_task(task, choices):
    assert views.answer_choices(task) == choices


def test_timeline_data_carries_the_frame_rate_and_the_steps_as_captions():
    steps = views.reasoning_steps("1. They meet at 2 s.\n2. From 6 to 12 s they fight.")
    data = views.timeline_data(Session(fps=25.0), None, steps, 0)
    assert data.fps == 25.0
    assert [(c.start, c.end) for c in data.captions] == [(2.0, 2.0 + views.CAPTION_S), (6, 12)]
    assert data.captions[1].text == "Step 2 · From 6 to 12 s they fight."


def test_a_long_step_is_abridged_as_a_caption():
    (caption,) = views.captions(views.reasoning_steps("At 3 s " + "a very long remark " * 20))
    assert len(caption.text) <= len("Step 1 · ") + views.CAPTION_CHARS
    assert caption.text.endswith("…")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (("Anomaly", "abc", 3.0, None, None, None), "start: a number of seconds expected"),
        (("Anomaly", 1.0, float("inf"), None, None, None), "end: a finite number"),
        ((123, None, None, None, None, None), "answer: text expected, got int 123"),
        (("Normal", None, None, None, None, ["a"]), "comment: text expected, got list"),
    ],
)
def test_form_fields_of_a_wrong_type_are_refused_by_name(fields, says):
    from annotate.errors import InvalidInput
    from app.fields import form_from_fields

    with pytest.raises(InvalidInput, match=re.escape(says)):
        form_from_fields(*fields)


@pytest.mark.parametrize(
    ("interval", "shown"),
    [(None, ("", "")), ((6.0, 12.0), ("6", "12")), ((5.5, 4.12345), ("5.5", "4.123")),
     ((0.0, 1234.567), ("0", "1234.567"))],
)  # fmt: skip
def test_the_time_fields_show_seconds_plainly_and_none_as_empty(interval, shown):
    from app.fields import interval_fields

    assert interval_fields(interval) == shown


@pytest.mark.parametrize(("start", "end"), [("abc", "12"), ("6", "1e400"), ("", "-")])
def test_a_time_being_typed_draws_no_interval_in_the_step_view(start, end):
    from app.fields import view_form

    assert view_form("step one", start, end).interval is None


@pytest.mark.parametrize(
    ("status", "note"),
    [
        (ModelStatus("ready", "world", "world ready"), "not VAU-R1"),
        (ModelStatus("loading", "world", "Loading world…"), "not VAU-R1"),
        (ModelStatus("ready", "tiny", "tiny ready"), "random weights"),
        (ModelStatus("ready", "acme/vau-7b", "acme/vau-7b ready"), None),
        (ModelStatus("failed", "world", "world did not load"), None),
    ],
)  # fmt: skip
def test_the_pill_says_what_a_named_model_is(status, note):
    pill = views.status_pill(status)
    assert (note in pill) if note else "vau-note" not in pill

"""The annotation store's API, on SQLite and on a real PostgreSQL server.

Corrections are immutable revisions: each save appends, the latest is current, history lists
them all, restore and review append copies. The tests run once per backend; PostgreSQL is
skipped (with the reason shown) only where no server can be started.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from annotate.db import HEAD, alembic_config, current_revision
from annotate.errors import InvalidInput, NotFound, StoreError
from annotate.records import Edit, GroundTruth, StepText
from annotate.store import Store
from inference.errors import StudioError
from tests import pg
from tests.conftest import ROOT

BACKENDS = ["sqlite", "postgresql"]
TRICKY = "Ünïcödé “quotes” 'single' \"double\"\nnew line\r\ncrlf\ttab — 漢字 🙂 \\ back\\slash"


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with Store(pg.backend_url(request.param, tmp_path)) as opened:
        yield opened


def make_item(store: Store, task: str = "grounding", name: str = "fall.mp4", **kwargs):
    video = store.add_video(name, "local", duration=20.0, fps=25.0)
    return store.add_item(video.id, task, **kwargs)


def qa_item(store: Store, name: str = "qa.mp4"):
    options = ("A man falls", "A car passes", "Nothing", "Rain")
    return make_item(store, "qa", name, question="What happens?", options=options)


# --- opening and schema ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_creates_the_schema_at_the_newest_migration(backend, tmp_path):
    with Store(pg.backend_url(backend, tmp_path, fresh=True)) as store:
        assert current_revision(store.engine) == HEAD == "0009"
        assert store.counts().items == 0


def test_head_names_the_newest_shipped_migration():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == HEAD


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_go_down_to_nothing_and_up_again(backend, tmp_path):
    url = pg.backend_url(backend, tmp_path, fresh=True)
    with Store(url) as store:
        config = alembic_config()
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert current_revision(store.engine) is None
        assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    with Store(url) as store:
        assert current_revision(store.engine) == HEAD
        assert store.count_items() == 0


def test_the_alembic_command_line_migrates_a_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "annotate/alembic.ini", "-x", f"db={url}",
         "upgrade", "head"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Store(url, migrate=False) as store:
        assert current_revision(store.engine) == HEAD


def test_opening_again_keeps_the_data(store):
    item = make_item(store)
    with Store(store.url.render_as_string(hide_password=False)) as again:
        assert again.get_item(item.id) == item


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'x.db'}") as store, store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_bare_path_means_a_sqlite_file_and_its_folder_is_created(tmp_path):
    path = tmp_path / "new" / "folder" / "studio.db"
    with Store(str(path)) as store:
        make_item(store)
    assert path.is_file()


def test_a_database_newer_than_the_program_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Store(url) as store, store.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this program"):
        Store(url)


@pytest.mark.parametrize("url", ["not a url://", "nosuchdriver://x/y"])
def test_a_bad_url_is_a_store_error(url):
    with pytest.raises(StoreError):
        Store(url)


# --- videos and items -----------------------------------------------------------------------


def test_add_video_is_get_or_create_and_fills_in_facts(store):
    first = store.add_video("a.mp4", "msad")
    again = store.add_video("a.mp4", "msad", path="/videos/a.mp4", content_hash="ab" * 32)
    assert again.id == first.id
    assert (again.path, again.content_hash, again.duration) == ("/videos/a.mp4", "ab" * 32, None)
    assert store.find_video("a.mp4") == again
    assert store.find_video("a.mp4", "ucf") is None


def test_the_same_question_twice_is_one_item(store):
    first, second = qa_item(store), qa_item(store)
    other = make_item(store, "qa", "qa.mp4", question="Who?", options=("a", "b", "c", "d"))
    assert first.id == second.id != other.id
    assert first.options == ("A man falls", "A car passes", "Nothing", "Rain")


def test_ground_truth_is_kept(store):
    truth = GroundTruth(answer="Anomaly", interval=(2.5, 7.0), class_name="Fighting")
    item = make_item(store, truth=truth)
    assert store.get_item(item.id).truth == truth


@pytest.mark.parametrize("task", ["nonsense", "", "QA"])
def test_an_unknown_task_is_refused(store, task):
    video = store.add_video("a.mp4")
    with pytest.raises(InvalidInput, match="unknown task"):
        store.add_item(video.id, task)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.get_item(999), "no item 999"),
        (lambda s: s.get_run(999), "no model run 999"),
        (lambda s: s.get_revision(999), "no revision 999"),
        (lambda s: s.add_item(999, "qa"), "no video 999"),
        (lambda s: s.save_correction(999, "ann", Edit()), "no item 999"),
    ],
)
def test_missing_ids_are_not_found(store, call, message):
    with pytest.raises(NotFound, match=message):
        call(store)


# --- model runs -----------------------------------------------------------------------------


def test_a_model_run_keeps_settings_output_parse_and_timings(store):
    item = make_item(store, "classification")
    settings = {
        "fps": 2.0,
        "frames": 16,
        "max_pixels": 602112,
        "quant": "4bit",
        "template": "vau-r1",
    }
    parsed = {"answer": "It is Fighting", "interval": None, "format_ok": True}
    run = store.record_run(
        item.id, checkpoint="tiny", settings=settings, raw=TRICKY, parsed=parsed,
        timings={"generate_s": 1.5, "new_tokens": 40},
    )  # fmt: skip
    again = store.get_run(run.id)
    assert again == run
    assert (again.fps, again.frames, again.quantization, again.template) == (
        2.0,
        16,
        "4bit",
        "vau-r1",
    )
    assert (again.raw, again.class_name, again.settings) == (TRICKY, "Fighting", settings)
    assert store.runs(item.id) == [again]


def test_a_run_with_non_json_settings_is_refused(store):
    item = make_item(store)
    with pytest.raises(InvalidInput, match="JSON"):
        store.record_run(item.id, checkpoint="x", settings={"fps": float("nan")}, raw="")


# --- corrections and history ----------------------------------------------------------------


def test_each_save_is_a_new_revision_and_the_latest_is_current(store):
    item = make_item(store)
    first = store.save_correction(item.id, "ann", Edit(answer="Normal"))
    second = store.save_correction(item.id, "ann", Edit(answer="Anomaly", interval=(3, 9)))
    history = store.history(item.id, "ann")
    assert [(r.number, r.answer, r.is_current) for r in history] == [
        (1, "Normal", False),
        (2, "Anomaly", True),
    ]
    assert history[0] == store.get_revision(first.id) and history[0].interval is None
    assert store.current(item.id, "ann") == second


def test_restore_appends_a_copy_of_an_old_revision(store):
    item = make_item(store)
    old = store.save_correction(item.id, "ann", Edit(answer="Anomaly", interval=(1, 2)))
    store.save_correction(item.id, "ann", Edit(answer="Normal"))
    restored = store.restore(old.id, by="ann")
    assert (restored.number, restored.restored_from, restored.status) == (3, 1, "draft")
    assert (restored.answer, restored.interval) == ("Anomaly", (1.0, 2.0))
    assert len(store.history(item.id, "ann")) == 3


def test_annotators_have_separate_threads_on_one_item(store):
    item = make_item(store)
    store.save_correction(item.id, "ann", Edit(answer="Normal"))
    store.save_correction(item.id, "bob", Edit(answer="Anomaly", interval=(1, 4)))
    assert [(r.annotator, r.number) for r in store.corrections(item.id)] == [
        ("ann", 1),
        ("bob", 1),
    ]


def test_text_round_trips_exactly(store):
    item = make_item(store, "description")
    steps = (StepText("Key Evidence", TRICKY), StepText(None, "plain"))
    saved = store.save_correction(
        item.id, "ann", Edit(answer=TRICKY, reasoning=TRICKY, steps=steps, comment=TRICKY)
    )
    again = store.get_revision(saved.id)
    assert (again.answer, again.reasoning, again.comment) == (TRICKY, TRICKY, TRICKY)
    assert again.steps == steps


def test_steps_are_split_from_the_reasoning_when_not_given(store):
    item = make_item(store, "qa", question="q", options=("a", "b", "c", "d"))
    reasoning = "1. The man walks in.\n2. He falls at 12.5 to 14.0 seconds."
    saved = store.save_correction(item.id, "ann", Edit(answer="b", reasoning=reasoning))
    assert [s.text for s in saved.steps] == [
        "The man walks in.",
        "He falls at 12.5 to 14.0 seconds.",
    ]
    assert saved.answer == "B"


def test_the_whole_text_is_joined_from_steps_when_only_steps_are_given(store):
    item = make_item(store)
    steps = (StepText("Location", "A street."), StepText("Conclusion", "A fall."))
    saved = store.save_correction(item.id, "ann", Edit(answer="Normal", steps=steps))
    assert saved.reasoning == "Location: A street.\n\nConclusion: A fall."


@pytest.mark.parametrize(
    ("task", "edit", "status", "message"),
    [
        ("qa", Edit(answer="E"), "draft", "one letter A-D"),
        ("grounding", Edit(answer="maybe"), "draft", "Anomaly or Normal"),
        ("grounding", Edit(answer="Normal", interval=(1, 2)), "draft", "Normal answer has no"),
        ("grounding", Edit(interval=(5, 2)), "draft", "interval: start 5 s must come before end"),
        ("grounding", Edit(interval=(4, 4)), "draft", "interval: start 4 s must come before end"),
        ("grounding", Edit(interval=(-3, 2)), "draft", "interval: start -3 s is before the video"),
        ("grounding", Edit(interval=(1, float("inf"))), "draft", "interval: times must be finite"),
        ("grounding", Edit(interval=(float("nan"), 2)), "draft", "interval: times must be finite"),
        ("grounding", Edit(interval=(1e12, 2e12)), "draft", "interval: end 2e\\+12 s is after"),
        ("grounding", Edit(interval=(18, 45)), "draft", r"45 s is after the video ends \(20 s\)"),
        ("grounding", Edit(interval=("a", 2)), "draft", "interval: two times in seconds"),
        ("grounding", Edit(interval=(1, 2, 3)), "draft", "interval: two times in seconds"),
        ("grounding", Edit(interval=(4, None)), "draft", "give both the start and the end"),
        ("grounding", Edit(interval=(None, 9)), "draft", "give both the start and the end"),
        ("grounding", Edit(interval=(4.0001, 4.0004)), "draft", "start 4 s must come before"),
        ("grounding", Edit(answer="Anomaly"), "submitted", "without its interval"),
        ("classification", Edit(answer="Dancing"), "draft", "unknown class"),
        ("classification", Edit(answer="Fire", class_name="Arson"), "draft", "disagree"),
        ("description", Edit(), "submitted", "without an answer"),
        ("description", Edit(answer="x"), "approved", "unknown status"),
    ],
)
def test_invalid_corrections_are_refused(store, task, edit, status, message):
    item = make_item(store, task)
    with pytest.raises(InvalidInput, match=message):
        store.save_correction(item.id, "ann", edit, status=status)
    assert store.history(item.id, "ann") == []


@pytest.mark.parametrize(
    ("task", "edit", "expected"),
    [
        ("qa", Edit(answer="c. Nothing"), ("C", None, None)),
        ("grounding", Edit(interval=(1, 2)), ("Anomaly", (1.0, 2.0), None)),
        ("grounding", Edit(answer="normal", interval=(-1, -1)), ("Normal", None, None)),
        ("grounding", Edit(answer="Normal", interval=(0, 0)), ("Normal", None, None)),
        ("grounding", Edit(interval=(19.5, 20.03)), ("Anomaly", (19.5, 20.03), None)),  # last frame
        ("grounding", Edit(interval=(4.12345, 9.87651)), ("Anomaly", (4.123, 9.877), None)),  # ms
        ("classification", Edit(answer="traffic accident"), ("Traffic_accident", None, "Traffic_accident")),  # noqa: E501
        ("classification", Edit(class_name="food_safety"), ("Food Safety", None, "Food Safety")),
    ],
)  # fmt: skip
def test_answers_are_normalised_per_task(store, task, edit, expected):
    item = make_item(store, task)
    saved = store.save_correction(item.id, "ann", edit)
    assert (saved.answer, saved.interval, saved.class_name) == expected


@pytest.mark.parametrize("name", ["", "   ", "x" * 129])
def test_an_empty_or_overlong_annotator_name_is_refused(store, name):
    item = make_item(store)
    with pytest.raises(InvalidInput, match="annotator name"):
        store.save_correction(item.id, name, Edit())


def test_a_correction_links_the_model_run_it_fixes(store):
    item = make_item(store)
    run = store.record_run(item.id, checkpoint="tiny", settings={}, raw="<glue>[0, 1]</glue>")
    saved = store.save_correction(item.id, "ann", Edit(answer="Normal"), run_id=run.id)
    assert saved.run_id == run.id
    other = make_item(store, name="other.mp4")
    with pytest.raises(InvalidInput, match="another item"):
        store.save_correction(other.id, "ann", Edit(), run_id=run.id)


@pytest.mark.parametrize(
    "statement", ["UPDATE revisions SET answer = 'x'", "DELETE FROM revisions"]
)
def test_the_database_refuses_to_change_a_revision(store, statement):
    item = make_item(store)
    store.save_correction(item.id, "ann", Edit(answer="Normal"))
    with pytest.raises(Exception, match="immutable"), store.engine.begin() as c:
        c.execute(text(statement))
    assert store.history(item.id, "ann")[0].answer == "Normal"


# --- review ---------------------------------------------------------------------------------


def submitted(store: Store, annotator: str = "ann"):
    item = make_item(store)
    edit = Edit(answer="Anomaly", interval=(2, 6), reasoning="He falls.")
    return item, store.save_correction(item.id, annotator, edit, status="submitted")


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_a_review_appends_the_decision_with_reviewer_and_comment(store, decision):
    item, revision = submitted(store)
    reviewed = store.review(revision.id, "rita", decision, comment="checked the 2 s mark")
    assert (reviewed.number, reviewed.status, reviewed.reviewer) == (2, decision, "rita")
    assert (reviewed.author, reviewed.review_comment) == ("rita", "checked the 2 s mark")
    assert reviewed.edit == revision.edit
    assert store.current(item.id, "ann") == reviewed


def test_a_draft_cannot_be_reviewed(store):
    item = make_item(store)
    draft = store.save_correction(item.id, "ann", Edit(answer="Normal"))
    with pytest.raises(InvalidInput, match="draft"):
        store.review(draft.id, "rita", "approved")


def test_only_the_current_revision_can_be_reviewed(store):
    item, revision = submitted(store)
    store.save_correction(item.id, "ann", Edit(answer="Normal"), status="submitted")
    with pytest.raises(InvalidInput, match="not the current one"):
        store.review(revision.id, "rita", "approved")


@pytest.mark.parametrize("decision", ["draft", "submitted", "ok"])
def test_a_review_decision_is_approved_or_rejected(store, decision):
    _, revision = submitted(store)
    with pytest.raises(InvalidInput, match="unknown status"):
        store.review(revision.id, "rita", decision)


def test_the_review_queue_lists_submitted_work(store):
    _, revision = submitted(store)
    assert [r.id for _, r in store.review_queue()] == [revision.id]
    store.review(revision.id, "rita", "approved")
    assert store.review_queue() == []


def test_the_review_queue_puts_the_longest_waiting_first_not_the_lowest_item(store):
    early, late = make_item(store, name="a.mp4"), make_item(store, name="b.mp4")
    assert early.id < late.id
    edit = Edit(answer="Normal")
    first = store.save_correction(late.id, "zoe", edit, status="submitted")  # waits longest
    second = store.save_correction(early.id, "ann", edit, status="submitted")
    assert [r.id for _, r in store.review_queue()] == [first.id, second.id]
    assert [item.id for item, _ in store.review_queue(limit=1)] == [late.id]


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (Edit(answer=123), "answer: text expected, got int"),  # type: ignore[arg-type]
        (Edit(answer="Normal", comment=["a", "b"]), "comment: text expected, got list"),  # type: ignore[arg-type]
        (Edit(answer="Normal", comment="c" * 4_001), "comment: 4,001 characters"),
        (Edit(answer="Anomaly", interval=(1, 2), reasoning="r" * 40_001), "reasoning: 40,001"),
    ],
)
def test_text_fields_are_text_and_bounded(store, edit, says):
    item = make_item(store)
    with pytest.raises(InvalidInput, match=says):
        store.save_correction(item.id, "ann", edit, status="draft")
    assert store.history(item.id, "ann") == []


# --- what to do next, listing, counting -----------------------------------------------------


def test_next_item_prefers_rejected_then_drafts_then_the_least_corrected(store):
    items = [make_item(store, name=f"v{i}.mp4") for i in range(4)]
    store.save_correction(items[0].id, "bob", Edit(answer="Normal"))  # touched by someone else
    assert store.next_item("ann") == items[1]
    store.save_correction(items[2].id, "ann", Edit(answer="Normal"))  # ann's draft
    assert store.next_item("ann") == items[2]
    rejected = store.save_correction(items[3].id, "ann", Edit(answer="Normal"), status="submitted")
    store.review(rejected.id, "rita", "rejected", "look again")
    assert store.next_item("ann") == items[3]


def test_next_item_is_none_when_everything_is_done(store):
    item = make_item(store)
    store.save_correction(item.id, "ann", Edit(answer="Normal"), status="submitted")
    assert store.next_item("ann") is None
    assert store.next_item("ann", task="qa") is None


def test_next_item_filters_by_task_and_source(store):
    make_item(store, "grounding")
    qa = qa_item(store)
    assert store.next_item("ann", task="qa") == qa
    assert store.next_item("ann", source="msad") is None


def test_next_item_passes_the_excluded_items(store):
    items = [make_item(store, name=f"v{i}.mp4") for i in range(3)]
    store.save_correction(items[2].id, "ann", Edit(answer="Normal"))  # a draft: first in line
    assert store.next_item("ann", exclude=[items[2].id]) == items[0]
    assert store.next_item("ann", exclude=[items[2].id, items[0].id]) == items[1]
    assert store.next_item("ann", exclude=[i.id for i in items]) is None


def test_statuses_of_an_annotator_are_their_current_ones(store):
    items = [make_item(store, name=f"v{i}.mp4") for i in range(3)]
    store.save_correction(items[0].id, "ann", Edit(answer="Normal"))
    store.save_correction(items[0].id, "ann", Edit(answer="Normal"), status="submitted")
    store.save_correction(items[1].id, "bob", Edit(answer="Normal"))
    assert store.statuses_of("ann") == {items[0].id: "submitted"}
    assert store.statuses_of("nobody") == {}


def test_list_and_count_items_with_filters(store):
    items = [make_item(store, name=f"v{i}.mp4") for i in range(3)]
    qa_item(store)
    store.save_correction(items[1].id, "ann", Edit(answer="Normal"), status="submitted")
    assert store.count_items() == 4 and store.count_items(task="grounding") == 3
    assert store.list_items(status="submitted") == [items[1]]
    assert store.list_items(status="submitted", annotator="bob") == []
    assert store.list_items(task="grounding", limit=2, offset=1) == items[1:]


def test_counts_by_status_task_annotator_and_source(store):
    items = [make_item(store, name=f"v{i}.mp4") for i in range(2)]
    store.save_correction(items[0].id, "ann", Edit(answer="Normal"))
    _, revision = submitted(store, "bob")  # a third video and item
    store.review(revision.id, "rita", "approved")
    counts = store.counts()
    assert (counts.videos, counts.items, counts.revisions, counts.runs) == (3, 3, 3, 0)
    assert counts.corrections_by_status == {"approved": 1, "draft": 1}
    assert counts.corrections_by_annotator == {"ann": 1, "bob": 1}
    assert counts.corrections_by_task == {"grounding": 2}
    assert counts.items_by_task == {"grounding": 3}
    assert counts.items_by_source == {"local": 3}


# --- the demo gallery: latest runs and pins ---------------------------------------------------


def _run(store: Store, item_id: int, raw: str):
    return store.record_run(item_id, checkpoint="ckpt", settings={"fps": 2.0}, raw=raw)


def test_latest_runs_gives_each_items_newest_run(store):
    first, second = make_item(store), make_item(store, name="other.mp4")
    _run(store, first.id, "old")
    newest = _run(store, first.id, "new")
    only = _run(store, second.id, "only")
    found = store.latest_runs([first.id, second.id])
    assert {k: r.id for k, r in found.items()} == {first.id: newest.id, second.id: only.id}


def test_latest_complete_runs_skip_a_stopped_newest_run(store):
    item, alone = make_item(store), make_item(store, name="other.mp4")
    done = _run(store, item.id, "whole")
    stopped = {"fps": 2.0, "stopped": True}
    partial = store.record_run(item.id, checkpoint="ckpt", settings=stopped, raw="par")
    store.record_run(alone.id, checkpoint="ckpt", settings=stopped, raw="only partial")
    assert store.latest_runs([item.id])[item.id].id == partial.id
    assert {k: r.id for k, r in store.latest_runs([item.id, alone.id], complete=True).items()} == {
        item.id: done.id
    }


def test_latest_runs_leaves_out_items_without_a_run(store):
    item = make_item(store)
    assert store.latest_runs([item.id, 999]) == {}


def test_a_pinned_item_is_listed_with_who_pinned_it(store):
    item = make_item(store)
    pin = store.pin(item.id, " admin ", note="for the board")
    assert (pin.item.id, pin.pinned_by, pin.note) == (item.id, "admin", "for the board")
    assert [p.item.id for p in store.pins()] == [item.id]


def test_pinning_twice_keeps_the_first_pin(store):
    item = make_item(store)
    store.pin(item.id, "first")
    again = store.pin(item.id, "second")
    assert again.pinned_by == "first"
    assert len(store.pins()) == 1


def test_a_pin_names_the_run_the_demo_replays_and_a_new_choice_replaces_it(store):
    item = make_item(store)
    first, second = (
        store.record_run(item.id, checkpoint=c, settings={}, raw="") for c in ("old", "new")
    )
    assert store.pin(item.id, "boss", run_id=first.id).run_id == first.id
    again = store.pin(item.id, "chief", run_id=second.id)
    assert (again.run_id, again.pinned_by) == (second.id, "chief")  # who chose this run
    assert store.pin(item.id, "boss").run_id == second.id  # pinning without a run keeps it


@pytest.mark.parametrize(
    ("whose", "settings", "says"),
    [("other", {}, "is item"), ("own", {"stopped": True}, "stopped part-way")],
)
def test_the_demo_run_must_be_the_items_own_complete_run(store, whose, settings, says):
    item, other = make_item(store), make_item(store, name="other.mp4")
    run_item = other if whose == "other" else item
    run = store.record_run(run_item.id, checkpoint="x", settings=settings, raw="")
    with pytest.raises(InvalidInput, match=says):
        store.pin(item.id, "boss", run_id=run.id)
    assert store.pins() == []


def test_latest_runs_by_one_user(store):
    item = make_item(store)
    mine = store.record_run(item.id, checkpoint="x", settings={}, raw="", created_by="rec")
    store.record_run(item.id, checkpoint="x", settings={}, raw="", created_by="visitor")
    assert store.latest_runs([item.id], by="rec")[item.id].id == mine.id
    assert store.latest_runs([item.id], complete=True, by="rec")[item.id].id == mine.id


def test_pins_are_listed_oldest_first(store):
    a, b = make_item(store, name="a.mp4"), make_item(store, name="b.mp4")
    store.pin(b.id, "admin")
    store.pin(a.id, "admin")
    assert [p.item.id for p in store.pins()] == [b.id, a.id]


def test_unpin_removes_the_pin_and_says_whether_there_was_one(store):
    item = make_item(store)
    store.pin(item.id, "admin")
    assert store.unpin(item.id) is True
    assert store.unpin(item.id) is False
    assert store.pins() == []


def test_pinning_a_missing_item_is_refused(store):
    with pytest.raises(NotFound, match="no item 4242"):
        store.pin(4242, "admin")


def test_pinning_needs_a_name(store):
    item = make_item(store)
    with pytest.raises(InvalidInput, match="admin name is empty"):
        store.pin(item.id, "  ")


def test_located_videos_are_those_with_a_path_by_name(store):
    store.add_video("b.mp4", "local", path="/videos/b.mp4")
    store.add_video("a.mp4", "local", path="/videos/a.mp4")
    store.add_video("nowhere.mp4", "msad")
    assert [v.name for v in store.located_videos()] == ["a.mp4", "b.mp4"]


def test_without_a_known_duration_only_the_video_start_bounds_the_interval(store):
    video = store.add_video("unprobed.mp4", "local")
    item = store.add_item(video.id, "grounding")
    saved = store.save_correction(item.id, "ann", Edit(answer="Anomaly", interval=(30, 45)))
    assert saved.interval == (30.0, 45.0)


# --- no self-approval -----------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["approved", "rejected"])
def test_a_reviewer_cannot_judge_their_own_correction(store, decision):
    item = make_item(store)
    saved = store.save_correction(item.id, "ann", Edit(answer="Normal"), status="submitted")
    with pytest.raises(InvalidInput, match="ann wrote this correction; another reviewer must"):
        store.review(saved.id, "ann", decision)
    assert [r.status for r in store.history(item.id, "ann")] == ["submitted"]


def test_a_one_person_studio_may_review_its_own_work_and_the_revision_says_so(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'solo.db'}", allow_self_review=True) as solo:
        item = make_item(solo)
        saved = solo.save_correction(item.id, "ann", Edit(answer="Normal"), status="submitted")
        reviewed = solo.review(saved.id, "ann", "approved")
        assert (reviewed.status, reviewed.self_review) == ("approved", True)
        other = solo.save_correction(item.id, "bob", Edit(answer="Normal"), status="submitted")
        assert solo.review(other.id, "ann", "approved").self_review is False


def test_a_work_queue_keeps_its_items_in_order_and_a_resend_replaces_it(store):
    items = [make_item(store, "grounding", name=f"q{n}.mp4") for n in range(3)]
    ids = [items[2].id, items[0].id]
    saved = store.save_queue("A vs B · grounding", ids, "rev", note="disagreements")
    assert (saved.item_ids, saved.created_by, saved.note) == (tuple(ids), "rev", "disagreements")
    store.save_queue("A vs B · grounding", [items[1].id], "rev")
    assert store.queue("A vs B · grounding").item_ids == (items[1].id,)
    assert [q.name for q in store.queues()] == ["A vs B · grounding"]


@pytest.mark.parametrize(
    ("name", "ids", "says"),
    [("", [1], "queue name is empty"), ("q", [], "would hold no items"), ("q", [999], "999")],
)
def test_a_work_queue_that_cannot_be_kept_is_refused(store, name, ids, says):
    make_item(store)
    with pytest.raises(StudioError, match=says):
        store.save_queue(name, ids, "rev")
    assert store.queues() == []


# --- scans ----------------------------------------------------------------------------------

SCAN = {
    "curve": [[0.5, 0.1], [1.5, 0.9], [2.5, 0.95]],
    "windows": [{"start": 0.0, "end": 2.0, "score": 0.5, "frames": [0.0, 0.5, 1.0, 1.5]}],
    "interval": [1.0, 3.0],
    "segments": [[1.0, 3.0]],
    "timings": {"score_s": 0.2},
}
SCAN_SETTINGS = {"window_s": 4.0, "stride_s": 1.0, "fps": 2.0, "question": "classification"}


def test_a_stored_scan_reads_back_whole(store):
    video = store.add_video("fire.mp4", "local", duration=3.0)
    engine = {"backend": "transformers", "quant": "none"}
    saved = store.record_scan(video.id, checkpoint="world", settings=SCAN_SETTINGS, scan=SCAN,
                              engine=engine, created_by="ann")  # fmt: skip
    (found,) = store.scans(video.id)
    assert found == saved
    assert found.curve == SCAN["curve"] and found.windows == SCAN["windows"]
    assert found.interval == (1.0, 3.0) and found.segments == [[1.0, 3.0]]
    assert found.settings == SCAN_SETTINGS | {"engine": engine} and found.created_by == "ann"


def test_a_scan_is_found_again_by_checkpoint_and_settings_in_any_order(store):
    video = store.add_video("fire.mp4", "local", duration=3.0)
    store.record_scan(video.id, checkpoint="world", settings=SCAN_SETTINGS, scan=SCAN)
    newer = store.record_scan(video.id, checkpoint="world", settings=SCAN_SETTINGS, scan=SCAN)
    reordered = dict(reversed(list(SCAN_SETTINGS.items())))
    assert store.latest_scan(video.id, "world", reordered) == newer
    assert store.latest_scan(video.id, "tiny", SCAN_SETTINGS) is None
    assert store.latest_scan(video.id, "world", SCAN_SETTINGS | {"window_s": 8.0}) is None


def test_a_normal_scan_keeps_no_interval(store):
    video = store.add_video("street.mp4", "local", duration=3.0)
    scan = SCAN | {"interval": None, "segments": []}
    saved = store.record_scan(video.id, checkpoint="world", settings=SCAN_SETTINGS, scan=scan)
    assert saved.interval is None and saved.segments == []


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"video": 999}, NotFound, "999"),
        ({"scan": SCAN | {"curve": [[0.5, float("nan")]]}}, InvalidInput, "scan must be JSON"),
    ],
)
def test_a_bad_scan_is_refused_and_nothing_is_stored(store, change, error, message):
    video = store.add_video("fire.mp4", "local", duration=3.0)
    with pytest.raises(error, match=message):
        store.record_scan(change.get("video", video.id), checkpoint="world",
                          settings=SCAN_SETTINGS, scan=change.get("scan", SCAN))  # fmt: skip
    assert store.scans(video.id) == []


# --- a run's uncertainty --------------------------------------------------------------------


def test_a_run_keeps_its_spread_and_uncertainty(store):
    item = make_item(store)
    run = store.record_run(item.id, checkpoint="world", settings={}, raw="<glue>[1.0, 2.0]</glue>")
    assert run.uncertainty is None
    spread = {"samples": 4, "disagreement": 0.5, "interval_spread": 0.3, "closeness": None,
              "uncertainty": 0.4}  # fmt: skip
    kept = store.record_spread(run.id, spread)
    assert kept.spread == spread and kept.uncertainty == 0.4
    assert store.get_run(run.id).uncertainty == 0.4


@pytest.mark.parametrize("uncertainty", [-0.1, 1.5])
def test_an_uncertainty_outside_0_to_1_is_refused(store, uncertainty):
    item = make_item(store)
    run = store.record_run(item.id, checkpoint="world", settings={}, raw="x")
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        store.record_spread(run.id, {"uncertainty": uncertainty})
    assert store.get_run(run.id).spread is None

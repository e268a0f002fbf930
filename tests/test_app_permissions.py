"""Roles through gradio_client: each role's calls succeed, the rest are refused and write nothing.

The launched Studio has a users file with an annotator, a reviewer and an admin. The rules are
checked in the handlers, so an API caller meets exactly what the page does.
"""

from __future__ import annotations

import html

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from annotate.jobs import list_jobs
from app.training import JobForm
from tests.app_helpers import call, item_id, launch, studio_settings

USERS = {"ann": ("pw-a", ""), "rev": ("pw-r", ":reviewer"), "boss": ("pw-b", ":admin")}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    users = ",".join(f"{name}:{pw}{roles}" for name, (pw, roles) in USERS.items())
    demo, url = launch(studio_settings(tmp_path_factory.mktemp("roles"), users=users))
    yield demo, url
    demo.close()


def client(url: str, user: str) -> Client:
    return Client(url, auth=(user, USERS[user][0]), verbose=False)


def rows(demo) -> tuple[int, int, int]:
    """What a refused call must leave unchanged: revisions, runs, pins, rubric scores, jobs."""
    store = demo.studio.store
    counts = store.counts()
    jobs = len(list_jobs(store))
    return counts.revisions, counts.runs, len(store.pins()), len(store.rubric_scores()), jobs


def description_run(demo) -> int:
    """A stored description run (scripted text, no model) for reviewers to score."""
    item = item_id(demo, "sample_fall.mp4", "description")
    text = "A man walks and falls down."
    run = demo.studio.store.record_run(
        item, checkpoint="scripted (no model)", settings={}, raw=text
    )
    return run.id


def submitted(demo, url: str, video: str) -> int:
    """A correction ann submitted on the video's grounding item; its revision id."""
    ann = client(url, "ann")
    item = item_id(demo, video, "grounding")
    call(ann, "open_item", item, "")
    call(ann, "submit", "Anomaly", 6.0, 12.0, None, "", "", "")
    return demo.studio.store.current(item, "ann").id


@pytest.mark.parametrize("user", ["ann", "rev", "boss"])
def test_everyone_signed_in_annotates(studio, user):
    demo, url = studio
    caller = client(url, user)
    item = item_id(demo, "sample_fall.mp4", "qa")
    call(caller, "open_item", item, "typed names do not count")
    out = call(caller, "save_draft", "B", None, None, None, "", "", "typed names do not count")
    assert "Saved draft" in out["Save status"], out["Save status"]
    assert demo.studio.store.current(item, user).author == user


# (endpoint, arguments, the message part of the output, who may call it)
CALLS = [
    ("approve", ("{revision}", "ok", ""), "Review status", {"rev", "boss"}),
    ("reject", ("{revision}", "no", ""), "Review status", {"rev", "boss"}),
    ("review_queue", ("",), "Review status", {"rev", "boss"}),
    ("export", ("trl-sft", "all", True), "Export status", {"rev", "boss"}),
    ("pin", ("",), "Pin status", {"boss"}),
    ("score_description", ("{run}", 7, 6, 8, 5, 7, ""), "Scoring status", {"rev", "boss"}),
    ("load_model", ("/no/such/model", "none", "cpu"), "Model status", {"boss"}),
    ("memory_plan", ("tiny", "none", "cpu"), "Model status", {"boss"}),
    ("start_prelabel", ("grounding", False, 0, False, ""), "Pre-label status", {"boss"}),
    ("prelabel_status", (), "Pre-label status", {"boss"}),
    ("training_data", ("sft", "all", False, True), "Training data", {"boss"}),
    (
        "start_training",
        (*vars(JobForm(name="bad name!")).values(), ""),
        "Training status",
        {"boss"},
    ),  # fmt: skip
    ("training_jobs", (None,), "Training status", {"boss"}),
    ("stop_training", (1, ""), "Training status", {"boss"}),
    ("resume_training", (1, ""), "Training status", {"boss"}),
    ("evaluate_checkpoint", ("world", 2, "grounding", False, ""), "Evaluation status", {"boss"}),
]


@pytest.mark.parametrize("user", ["ann", "rev", "boss"])
@pytest.mark.parametrize(("api", "args", "message", "allowed"), CALLS, ids=[c[0] for c in CALLS])
def test_each_role_may_do_its_own_work_and_nothing_else(studio, user, api, args, message, allowed):
    demo, url = studio
    caller = client(url, user)
    revision = submitted(demo, url, "sample_fight.mp4")
    run = description_run(demo) if "{run}" in args else None
    call(caller, "open_item", item_id(demo, "sample_fire.mp4", "grounding"), "")
    before = rows(demo)
    ids = {"{revision}": revision, "{run}": run}
    out = call(caller, api, *(ids.get(a, a) if isinstance(a, str) else a for a in args))
    text = str(out.get(message, ""))
    if user in allowed:
        assert "only a" not in text, text
    else:
        assert "only a" in text and f"{user} is" in text, text
        assert rows(demo) == before
    if api == "pin" and user in allowed:
        demo.studio.store.unpin(item_id(demo, "sample_fire.mp4", "grounding"))


def test_a_reviewer_cannot_approve_their_own_correction(studio):
    demo, url = studio
    rev = client(url, "rev")
    item = item_id(demo, "sample_normal.mp4", "grounding")
    call(rev, "open_item", item, "")
    call(rev, "submit", "Normal", None, None, None, "", "", "")
    own = demo.studio.store.current(item, "rev")
    before = rows(demo)
    out = call(rev, "approve", own.id, "mine", "")
    assert "rev wrote this correction" in out["Review status"]
    assert rows(demo) == before


def test_every_endpoint_has_a_meaningful_name_and_labelled_inputs(studio):
    _, url = studio
    info = client(url, "ann").view_api(return_format="dict", print_info=False)
    names = sorted(info["named_endpoints"])
    assert not info["unnamed_endpoints"]
    assert not [n for n in names if n.startswith(("/lambda", "/on_"))], names
    for name, endpoint in info["named_endpoints"].items():
        labels = [p.get("label") or "" for p in endpoint["parameters"]]
        assert all(label and not label.startswith("value_") for label in labels), (name, labels)


def test_a_reviewer_scores_a_description_and_the_scores_are_theirs(studio):
    demo, url = studio
    run = description_run(demo)
    out = call(
        client(url, "rev"), "score_description", run, 7, 6, 8, 5, 7, "typed names do not count"
    )
    status = html.unescape(out["Scoring status"])
    assert (
        "Saved rev's scores for scripted (no model)'s description of sample_fall.mp4: 33/50."
        in status
    )
    (found,) = [r for r in demo.studio.store.rubric_scores() if r.run.id == run]
    assert found.reviewer == "rev" and found.scores["fluency"] == 8


def test_out_of_range_scores_are_refused_and_nothing_is_stored(studio):
    demo, url = studio
    run = description_run(demo)
    before = rows(demo)
    with pytest.raises(AppError, match="greater than maximum value 10"):  # the slider's own check
        call(client(url, "rev"), "score_description", run, 7, 6, 11, 5, 7, "")
    out = call(client(url, "rev"), "score_description", run, 7, 6, 7.5, 5, 7, "")
    assert "scores: fluency is 7.5, not a whole number" in out["Scoring status"]
    assert rows(demo) == before

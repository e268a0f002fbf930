"""The model slot: the Studio starts without a model, loads one in the background, says why not."""

from __future__ import annotations

import pytest

from app.runtime import ModelSlot, StopSwitches


def test_an_empty_slot_says_annotation_still_works():
    status = ModelSlot().status()
    assert (status.state, status.name) == ("none", None)
    assert "annotation and review still work" in status.message


def test_an_injected_engine_is_ready_at_once():
    engine = object()
    slot = ModelSlot(engine, "my-checkpoint")
    assert slot.engine is engine and slot.wait(0) is engine
    assert slot.status().message == "my-checkpoint ready"


def test_a_failed_load_keeps_its_reason(tmp_path):
    status = ModelSlot().load(str(tmp_path / "missing"), device="cpu")
    assert status.state == "failed"
    assert status.message.startswith(f"Model {tmp_path / 'missing'} did not load:")
    assert "does not exist" in status.message


def test_a_failed_reload_keeps_the_working_model_serving_and_says_why(tmp_path):
    old = object()
    slot = ModelSlot(old, "old")
    status = slot.load(str(tmp_path / "missing"), device="cpu")
    assert slot.engine is old and (status.state, status.name) == ("ready", "old")
    assert "did not load" in status.message and "old is still serving" in status.message
    assert status.pill == "old ready"  # the header names what serves; the reason is the admin's


def test_the_world_model_loads_by_name_and_says_it_is_a_toy():
    status = ModelSlot().load("world", device="cpu")
    assert (status.state, status.pill) == ("ready", "world ready")
    assert status.note == "toy model trained on synthetic videos; not VAU-R1"


def test_the_pill_names_a_local_checkpoint_by_its_folder_not_its_path(tiny_checkpoint):
    status = ModelSlot().load(str(tiny_checkpoint), device="cpu")
    assert status.pill == f"{tiny_checkpoint.name} ready" and str(tiny_checkpoint.parent) in (
        status.message
    )


def test_a_successful_reload_replaces_the_model(tiny_checkpoint):
    old = object()
    slot = ModelSlot(old, "old")
    status = slot.load(str(tiny_checkpoint), device="cpu")
    assert slot.engine is not old and status.name == str(tiny_checkpoint)
    assert status.state == "ready" and "did not load" not in status.message


def test_background_load_is_loading_then_ready(tiny_checkpoint):
    slot = ModelSlot()
    slot.load_in_background(str(tiny_checkpoint), device="cpu")
    assert slot.status().state in ("loading", "ready")
    engine = slot.wait(timeout=300)
    status = slot.status()
    assert engine is not None and status.state == "ready"
    assert "cpu, float32" in status.message


def test_a_second_load_while_loading_is_refused(tiny_checkpoint):
    slot = ModelSlot()
    slot.load_in_background(str(tiny_checkpoint), device="cpu")
    if slot.status().state == "loading":
        assert slot.load("another").state == "loading"
    assert slot.wait(timeout=300) is not None
    assert slot.status().name == str(tiny_checkpoint)


@pytest.mark.parametrize("session", ["tab-1", "a-much-longer-session-hash"])
def test_a_released_switch_cannot_be_stopped(session):
    switches = StopSwitches()
    event = switches.arm(session)
    switches.release(session, event)
    assert not switches.stop(session) and not event.is_set()


def test_a_newer_run_keeps_its_switch_when_an_older_one_ends():
    switches = StopSwitches()
    old = switches.arm("tab")
    new = switches.arm("tab")
    switches.release("tab", old)
    assert switches.stop("tab") and new.is_set() and not old.is_set()


def test_the_serving_name_is_the_model_in_service_not_one_being_loaded(tmp_path):
    old = object()
    slot = ModelSlot(old, "old")
    slot.load(str(tmp_path / "missing"), device="cpu")
    assert slot.serving() == (old, "old")
    assert ModelSlot().serving() == (None, None)


def test_taking_over_a_session_ends_its_previous_run_and_only_that():
    switches = StopSwitches()
    first, other = switches.arm("page"), switches.arm("another page")
    second = switches.take_over("page")
    assert first.is_set() and not second.is_set() and not other.is_set()
    assert switches.current("page", second) and not switches.current("page", first)
    switches.release("page", first)  # the old run's cleanup leaves the new switch in place
    assert switches.current("page", second)

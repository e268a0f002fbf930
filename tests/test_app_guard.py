"""The one guard every handler passes: the caller's identity replaces the typed name, a role
refusal or a domain error becomes the named component's red line, and nothing runs past it."""

from __future__ import annotations

import pytest

from annotate.errors import InvalidInput
from annotate.store import Store
from app.guard import Guard
from app.services import Studio
from app.settings import Settings

MSG, OTHER = "message-box", "other-box"  # stand-ins for components: any hashable key


@pytest.fixture
def guard(tmp_path):
    settings = Settings(db_url=f"sqlite:///{tmp_path}/guard.db", admins="boss").validate()
    store = Store(settings.db_url)
    yield Guard(Studio(settings, store))
    store.close()


def red_line(updates: dict) -> str:
    return updates[MSG]


def test_the_checked_name_reaches_the_handler_in_who(guard):
    @guard("pin", MSG)
    def handler(value, who, request=None):
        return {"ran": (value, who)}

    assert handler(1, "  boss ") == {"ran": (1, "boss")}


@pytest.mark.parametrize(
    ("action", "typed", "refusal"),
    [
        ("pin", "ann", "only an admin may change the demo gallery; ann is reviewer"),
        ("annotate", "", "enter your name at the top of the page to save corrections"),
    ],
)
def test_a_refused_caller_runs_nothing_and_reads_why(guard, action, typed, refusal):
    ran = []

    @guard(action, MSG)
    def handler(who, request=None):
        ran.append(who)
        return {"ran": True}

    updates = handler(typed)
    assert ran == [] and refusal in red_line(updates)


def test_a_domain_error_inside_the_handler_is_the_same_red_line(guard):
    @guard("view", MSG, also=lambda arguments: {OTHER: arguments["value"]})
    def handler(value, who, request=None):
        raise InvalidInput("pick a revision to review")

    updates = handler(7, "ann")
    assert "pick a revision to review" in red_line(updates) and updates[OTHER] == 7


def test_without_a_component_a_refusal_changes_what_it_is_told(guard):
    @guard("load_model", otherwise={OTHER: "unchanged"})
    def handler(who, request=None):
        return {"ran": True}

    assert handler("ann") == {OTHER: "unchanged"}


def test_a_streamed_handler_ends_with_the_red_line(guard):
    @guard("view", MSG)
    def handler(who, request=None):
        yield {"step": 1}
        raise InvalidInput("the server dropped the connection mid-answer")

    *steps, last = list(handler("ann"))
    assert steps == [{"step": 1}] and "dropped the connection" in red_line(last)


def test_an_action_of_none_checks_no_role_and_only_names_the_caller(guard):
    @guard(None, MSG)
    def handler(who, request=None):
        return {"who": who}

    assert handler("  ann ") == {"who": "ann"} and handler("") == {"who": None}


def test_an_error_that_is_not_the_users_to_fix_is_not_hidden(guard):
    @guard("view", MSG)
    def handler(who, request=None):
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        handler("ann")

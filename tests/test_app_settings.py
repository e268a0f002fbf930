"""The Studio's settings: flags over environment variables over defaults, validated in one place."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError, from_sources, load_users


def test_defaults_need_no_flags_and_no_environment():
    settings = from_sources([], {})
    assert settings == Settings()
    assert settings.model is None
    assert settings.db_url == "sqlite:///var/studio.db"
    assert settings.auth is None


@pytest.mark.parametrize(
    ("env", "field", "value"),
    [
        ({"VAU_MODEL": "tiny"}, "model", "tiny"),
        ({"VAU_QUANT": "4bit"}, "quant", "4bit"),
        ({"VAU_DEVICE": "cpu"}, "device", "cpu"),
        ({"VAU_DB_URL": "sqlite:////tmp/x.db"}, "db_url", "sqlite:////tmp/x.db"),
        ({"VAU_PORT": "8080"}, "port", 8080),
        ({"VAU_SHARE": "true"}, "share", True),
        ({"VAU_SHARE": "0"}, "share", False),
        ({"VAU_USERS": "ann:pw"}, "users", "ann:pw"),
        ({"VAU_MODEL": ""}, "model", None),
        ({"VAU_ADMINS": "boss,chief"}, "admins", "boss,chief"),
        ({"VAU_REPLAY_CPS": "120.5"}, "replay_cps", 120.5),
        ({"VAU_LANDING": "demo"}, "landing", "demo"),
        ({"VAU_HOST": "0.0.0.0"}, "host", "0.0.0.0"),
    ],
)
def test_environment_variables_set_fields(env, field, value):
    assert getattr(from_sources([], env), field) == value


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["--model", "Qwen/Qwen2.5-VL-3B-Instruct"], "model", "Qwen/Qwen2.5-VL-3B-Instruct"),
        (["--quant", "8bit"], "quant", "8bit"),
        (["--db", "postgresql+psycopg://u@h/db"], "db_url", "postgresql+psycopg://u@h/db"),
        (["--port", "9000"], "port", 9000),
        (["--share"], "share", True),
        (["--host", "0.0.0.0"], "host", "0.0.0.0"),
    ],
)
def test_flags_set_fields(argv, field, value):
    assert getattr(from_sources(argv, {}), field) == value


def test_a_server_backend_comes_from_the_environment():
    env = {"VAU_BACKEND": "openai", "VAU_BASE_URL": "http://gpu:8000/v1", "VAU_API_KEY_ENV": "K"}
    options = from_sources([], env).backend_options
    assert (options.backend, options.base_url, options.api_key_env) == (
        "openai",
        "http://gpu:8000/v1",
        "K",
    )


def test_flags_win_over_environment():
    settings = from_sources(
        ["--model", "tiny", "--port", "7000"], {"VAU_MODEL": "other", "VAU_PORT": "8000"}
    )
    assert (settings.model, settings.port) == ("tiny", 7000)


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--quant", "3bit"], {}, "--quant must be one of none, 4bit, 8bit"),
        ([], {"VAU_DEVICE": "tpu"}, "--device must be one of auto, cpu, cuda"),
        (["--port", "0"], {}, "--port must be between 1 and 65535"),
        ([], {"VAU_BACKEND": "tgi"}, "--backend must be one of transformers, openai"),
        (["--backend", "openai"], {}, "--backend openai needs --base-url"),
        ([], {"VAU_BACKEND": "openai", "VAU_BASE_URL": "gpu:8000"}, "must be an http"),
        (["--backend", "openai", "--base-url", "http://h/v1", "--quant", "8bit"], {}, "--quant"),
        ([], {"VAU_PORT": "eighty"}, "VAU_PORT must be a whole number"),
        (["--users", "/nonexistent/users.txt"], {}, "cannot read users file"),
        ([], {"VAU_USERS": "ann"}, "cannot read users file"),
        (
            [],
            {"VAU_USERS": "ann:,bob:pw"},
            "users entry 'ann' must be 'user:password\\[:role,role\\]'",
        ),
    ],
)
def test_bad_values_raise_one_line_messages(argv, env, message):
    with pytest.raises(SettingsError, match=message) as caught:
        from_sources(argv, env)
    assert "\n" not in str(caught.value)


def test_inline_users_become_login_pairs():
    settings = from_sources([], {"VAU_USERS": "ann:secret, bob:p:w"})
    assert settings.auth == [("ann", "secret"), ("bob", "p:w")]


def test_users_file_skips_blank_lines_and_comments(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# annotators\nann:one\n\n  bob:two  \n", encoding="utf-8")
    assert load_users(str(users)) == [("ann", "one"), ("bob", "two")]


def test_empty_users_file_is_refused(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# nobody yet\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="no users"):
        load_users(str(users))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VAU_LANDING": "gallery"}, "--landing must be demo or studio"),
        ({"VAU_REPLAY_CPS": "-1"}, "--replay-cps must be 0"),
        ({"VAU_REPLAY_CPS": "fast"}, "VAU_REPLAY_CPS must be a number"),
    ],
)
def test_bad_demo_settings_are_refused(env, message):
    with pytest.raises(SettingsError, match=message):
        from_sources([], env)


@pytest.fixture
def off_space(monkeypatch):
    for name in ("SPACE_ID", "SPACES_ZERO_GPU"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("space", "landing", "tab", "host"),
    [
        (False, None, "studio", "127.0.0.1"),  # local: straight to work, loopback only
        (True, None, "demo", "0.0.0.0"),  # a Space: the demo, on the proxy's interface
        (True, "studio", "studio", "0.0.0.0"),
        (False, "demo", "demo", "127.0.0.1"),
    ],
)
def test_a_space_lands_on_the_demo_and_listens_for_its_proxy(
    off_space, monkeypatch, space, landing, tab, host
):
    if space:
        monkeypatch.setenv("SPACE_ID", "owner/studio")
    settings = Settings(landing=landing)
    assert (settings.first_tab, settings.bind_host) == (tab, host)


def test_an_explicit_host_wins_on_a_space(off_space, monkeypatch):
    monkeypatch.setenv("SPACE_ID", "owner/studio")
    assert Settings(host="127.0.0.2").bind_host == "127.0.0.2"

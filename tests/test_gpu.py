"""gpu_task: inert off a Space, spaces.GPU with a computed duration on one; host-only results."""

from __future__ import annotations

import inspect
import sys
import threading
import types
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from app import gpu
from app.gpu import generation_seconds, gpu_task, on_space, to_host


@pytest.mark.parametrize(
    ("frames", "tokens", "seconds"),
    [
        (64, 1024, 53.92),  # 20 + 3.2 + 30.72
        (768, 1024, 89.12),  # 20 + 38.4 + 30.72
        (0, 0, 20.0),
        (4, 10, 20.5),
        (0, -5, 20.0),  # nonsense counts never shorten the request
        (10_000, 8192, 300.0),  # clamped to MAX_S
    ],
)
def test_generation_seconds(frames: int, tokens: int, seconds: float) -> None:
    assert generation_seconds(frames, tokens) == seconds


def test_generation_seconds_never_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "BASE_S", 0.0)
    assert generation_seconds(1, 1) == gpu.MIN_S


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"SPACE_ID": "me/studio"}, True),
        ({"SPACES_ZERO_GPU": "true"}, True),
        ({"SPACE_ID": ""}, False),
    ],
)
def test_on_space(environ: dict[str, str], expected: bool) -> None:
    assert on_space(environ) is expected


def _stream(n: int, max_new_tokens: int):
    yield from range(n)


def _frames_and_tokens(n: int, max_new_tokens: int) -> float:
    return generation_seconds(n, max_new_tokens)


class FakeSpaces(types.ModuleType):
    """Stands in for the `spaces` package: records the duration each call asked for."""

    def __init__(self) -> None:
        super().__init__("spaces")
        self.asked: list[float] = []

    def GPU(self, duration):  # noqa: N802  # spaces' own name
        def decorate(function):
            def on_gpu(*args, **kwargs):
                self.asked.append(duration(*args, **kwargs))
                return function(*args, **kwargs)

            on_gpu.wrapped = function
            return on_gpu

        return decorate


@pytest.fixture
def off_space(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in gpu.SPACE_VARS:
        monkeypatch.delenv(name, raising=False)


def test_locally_the_function_is_returned_unchanged(off_space, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "spaces", FakeSpaces())  # installed but not on a Space
    assert gpu_task(_frames_and_tokens)(_stream) is _stream


def test_on_a_space_without_the_package_the_function_is_unchanged(monkeypatch) -> None:
    monkeypatch.setenv("SPACE_ID", "me/studio")
    monkeypatch.setitem(sys.modules, "spaces", None)  # makes `import spaces` fail
    assert gpu_task(_frames_and_tokens)(_stream) is _stream


def test_on_a_space_spaces_gpu_gets_the_computed_duration(monkeypatch) -> None:
    fake = FakeSpaces()
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setitem(sys.modules, "spaces", fake)
    wrapped = gpu_task(_frames_and_tokens)(_stream)
    assert wrapped.wrapped is _stream
    assert list(wrapped(3, 1024)) == [0, 1, 2]  # still streams
    assert fake.asked == [generation_seconds(3, 1024)]


def test_the_generation_entry_streams_and_asks_for_frames_and_tokens() -> None:
    from app import runs

    assert inspect.isgeneratorfunction(runs.generate)  # inert here: a plain generator
    clip = SimpleNamespace(num_frames=64)
    assert runs._gpu_seconds(1, clip, None, 1024) == generation_seconds(64, 1024)


def test_the_generation_entry_passes_the_held_engine_and_stop() -> None:
    from app import runs

    seen = []

    class Engine:
        def stream(self, clip, prompt, max_new_tokens, stop):
            seen.append((clip, prompt, max_new_tokens, stop))
            yield "partial"
            yield "done"

    stop = threading.Event()
    key = gpu.hold(Engine(), stop)
    try:
        assert list(runs.generate(key, "clip", "prompt", 7)) == ["partial", "done"]
    finally:
        gpu.release(key)
    assert seen == [("clip", "prompt", 7, stop)]
    with pytest.raises(KeyError):
        gpu.held(key)


@dataclass(frozen=True)
class Carrier:
    name: str
    scores: object
    extra: list


def test_to_host_moves_tensors_out_of_dataclasses_lists_and_dicts() -> None:
    torch = pytest.importorskip("torch")
    tensor = torch.ones(2, requires_grad=True)
    value = Carrier("x", tensor, [{"t": tensor}, 3])
    moved = to_host(value)
    assert moved.name == "x"
    assert moved.scores.device.type == "cpu" and not moved.scores.requires_grad
    assert not moved.extra[0]["t"].requires_grad
    assert moved.extra[1] == 3


@pytest.mark.parametrize("value", ["text", 3, None, ("a", 1), {"k": [1, 2]}])
def test_to_host_leaves_plain_values_alone(value) -> None:
    assert to_host(value) is value


# --- ZeroGPU's refusals ------------------------------------------------------------------------


def _zero_gpu_error(title: str, message: str) -> Exception:
    """What the spaces package raises: a gr.Error with a title (spaces.zero.gradio.error)."""
    import gradio as gr

    return gr.Error(message, title=title, print_exception=False)


def _refused(error: Exception):
    yield "partial"
    raise error


@pytest.mark.parametrize(
    ("title", "message", "says"),
    [
        (
            "ZeroGPU quota exceeded",
            "You have exceeded your free ZeroGPU quota (60s requested vs. 12s left). "
            "Try again in 0:04:10.",
            "The GPU quota is used up for now (You have exceeded your free ZeroGPU quota",
        ),
        (
            "ZeroGPU quota exceeded",
            "Space app has reached its GPU limit. Try re-running outside of examples",
            "The GPU quota is used up for now (Space app has reached its GPU limit.",
        ),
        (
            "ZeroGPU queue timeout",
            'No GPU was available after 60s. <a href="x">Sign in</a> to get a higher priority',
            "No GPU was free for this run (No GPU was available after 60s. Sign in to get",
        ),
    ],
)
def test_a_zero_gpu_refusal_becomes_a_clear_message(title, message, says) -> None:
    events = gpu.refusals_explained(_refused(_zero_gpu_error(title, message)))
    assert next(events) == "partial"
    with pytest.raises(gpu.GpuUnavailable) as raised:
        next(events)
    assert str(raised.value).startswith(says)
    assert "Demo tab still replay" in str(raised.value) and "<a" not in str(raised.value)


def test_other_errors_pass_through_unchanged() -> None:
    import gradio as gr

    for error in (RuntimeError("CUDA error"), gr.Error("some other failure")):
        with pytest.raises(type(error)):
            list(gpu.refusals_explained(_refused(error)))


def test_a_stop_flag_is_a_file_while_set_and_gone_once_closed(tmp_path) -> None:
    flag = gpu.StopFlag(str(tmp_path))
    assert not flag.is_set() and list(tmp_path.iterdir()) == []
    flag.set()
    flag.set()  # twice is still one stop
    assert flag.is_set() and len(list(tmp_path.iterdir())) == 1
    flag.close()
    assert list(tmp_path.iterdir()) == []


def test_a_stop_flag_set_here_reaches_a_copy_made_before() -> None:
    # A forked worker holds such a copy: its Event never changes, the file does.
    flag = gpu.StopFlag()
    copy = gpu.StopFlag.__new__(gpu.StopFlag)
    copy._event, copy._path = threading.Event(), flag._path
    try:
        flag.set()
        assert copy.is_set()
    finally:
        flag.close()

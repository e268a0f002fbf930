"""Generate on a serving engine through its OpenAI-compatible chat API (vLLM is the one tested).

The client sends the frames the project's own sampler chose, as one `video/jpeg` data URL with
the clip's fps, so the server's processor sees the same frames and the same
`second_per_grid_ts` as the in-process engine. vLLM takes per-request fps only when started with
`--trust-request-mm-kwargs`; without it the request is refused and the message says so.

Every failure becomes one line: `ServerError` when the server is down, slow, or drops the
stream (nothing from that generation is returned), `GenerationError` when it refuses a request.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inference.backends.generation import (
    DEFAULT_MAX_NEW_TOKENS,
    TURN_SEPARATOR,
    Decoding,
    Generation,
    Partial,
    TurnStats,
    build_messages,
    finished,
    last_generation,
)
from inference.errors import GenerationError, ModelUnavailable, ServerError, first_line
from inference.video.sampling import clip_identity

if TYPE_CHECKING:  # only read
    from inference.core.prompts import Prompt
    from inference.video.sampling import Clip

JPEG_QUALITY = 95  # visually lossless; the server decodes each frame back to RGB
CONNECT_TIMEOUT_S = 10.0
ENCODED_CLIPS = 2  # data URLs kept: a clip's turns and tasks reuse its encoding
POLL_S = 0.05  # how often a waiting stream checks its Stop switch
NO_KEY = "EMPTY"  # what a local vLLM takes when it was started without --api-key
SCORE_REQUESTS = 8  # window requests in flight at once during a scan (the server batches them)


@dataclass(frozen=True)
class ServerOptions:
    """Where the server is and what to ask it for; `api_key` comes from an environment variable."""

    base_url: str
    model: str
    api_key: str = NO_KEY
    timeout_s: float = 300.0
    max_retries: int = 2


def api_key_from(variable: str | None) -> str:
    """The API key held by environment variable `variable` (none: a keyless local server)."""
    if not variable:
        return NO_KEY
    key = os.environ.get(variable, "").strip()
    if not key:
        raise ModelUnavailable(f"environment variable {variable} (--api-key-env) is not set")
    return key


def encode_frames(clip: Clip) -> str:
    """The clip's frames as one `data:video/jpeg;base64,<f1>,<f2>,...` URL, in order."""
    from PIL import Image

    parts = []
    for frame in clip.frames:
        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="JPEG", quality=JPEG_QUALITY)
        parts.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return "data:video/jpeg;base64," + ",".join(parts)


def chat_messages(prompt: Prompt, answers: list[str], video_url: str) -> list[dict]:
    """The engine's chat messages with the video part as the OpenAI API's `video_url`."""
    messages = build_messages(prompt, answers)
    for message in messages:
        message["content"] = [
            {"type": "video_url", "video_url": {"url": video_url}}
            if part["type"] == "video"
            else part
            for part in message["content"]
        ]
    return messages


class RemoteEngine:
    """Runs prompts on clips on an OpenAI-compatible server; many generations at once."""

    runs_here = False  # the server's GPUs do the work

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.client = make_client(options)
        self.served: dict[str, Any] = {}
        self._urls: OrderedDict[str, str] = OrderedDict()
        self._urls_lock = threading.Lock()

    def connect(self) -> RemoteEngine:
        """Ask the server what it serves; ModelUnavailable unless it serves our model."""
        try:
            models = list(self.client.models.list())
        except Exception as error:  # noqa: BLE001 - every failure becomes one line
            raise ModelUnavailable(str(explain(error, self.options))) from None
        names = [model.id for model in models]
        if self.options.model not in names:
            offered = ", ".join(names) or "nothing"
            raise ModelUnavailable(
                f"{self.options.base_url} serves {offered}, not {self.options.model}"
            )
        model = models[names.index(self.options.model)]
        self.served = {"root": getattr(model, "root", None)}
        self.served["max_model_len"] = getattr(model, "max_model_len", None)
        return self

    def facts(self) -> dict:
        """What ran, as a stored run records it: the server, the model it says it serves."""
        return {
            "backend": "openai",
            "base_url": self.options.base_url,
            "quant": None,  # the server's business; it does not say
            "dtype": None,
            "device": "server",
            "model_source": str(self.served.get("root") or self.options.model),
        }

    def describe(self) -> str:
        """A short note for the model status line."""
        return f" (served by {self.options.base_url})"

    def run(
        self,
        clip: Clip,
        prompt: Prompt,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        stop: threading.Event | None = None,
        decoding: Decoding | None = None,
    ) -> Generation:
        """Generate to the end and return the Generation."""
        return last_generation(self.stream(clip, prompt, max_new_tokens, stop, decoding))

    def stream(
        self,
        clip: Clip,
        prompt: Prompt,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        stop: threading.Event | None = None,
        decoding: Decoding | None = None,
    ) -> Iterator[Partial | Generation]:
        """Yield Partial(text so far) while the server streams (greedy, or sampled by
        `decoding`), then the Generation."""
        if clip.num_frames == 0:
            raise GenerationError("the clip has no frames")
        stop = stop if stop is not None else threading.Event()
        turns: list[str] = []
        stats: list[TurnStats] = []
        while len(turns) < len(prompt.turns) and not stop.is_set():
            started = time.perf_counter()
            messages = chat_messages(prompt, turns, self._video_url(clip))
            preprocess_s = time.perf_counter() - started
            prefix = "".join(t + TURN_SEPARATOR for t in turns)
            request = self._request(messages, clip, max_new_tokens, decoding)
            turn = yield from self._turn(request, prefix, stop)
            turn.preprocess_s, turn.visual_tokens = preprocess_s, clip.visual_tokens
            stats.append(turn)
            turns.append(turn.text)
        yield finished(clip, prompt, turns, stats, stop.is_set())

    def reply_probabilities(
        self,
        clip: Clip,
        spans: Sequence[range],
        prompt: Prompt,
        reply: str,
        rival: str,
        reuse: bool = True,
    ) -> list[float]:
        """The model's probability of `reply`, from where it departs from `rival`, on each span
        of frames of `clip`: one request per window, the reply forced as the assistant's turn
        and read back from vLLM's `prompt_logprobs` (the server keeps its own caches, so
        `reuse` is its business)."""
        departs = len(reply) - len(os.path.commonprefix([reply, rival]))
        with ThreadPoolExecutor(SCORE_REQUESTS) as pool:
            return list(pool.map(lambda f: self._reply_probability(clip.part(f), prompt, reply,
                                                                   departs), spans))  # fmt: skip

    def _reply_probability(self, clip: Clip, prompt: Prompt, reply: str, departs: int) -> float:
        """P(the reply's last tokens that cover its last `departs` characters)."""
        messages = chat_messages(prompt, [], encode_frames(clip))
        messages.append({"role": "assistant", "content": reply})
        try:
            response = self.client.chat.completions.create(
                model=self.options.model,
                messages=messages,
                max_tokens=1,
                temperature=0.0,
                extra_body={
                    "continue_final_message": True,
                    "add_generation_prompt": False,
                    "prompt_logprobs": 0,
                    "return_token_ids": True,
                    "media_io_kwargs": {"video": {"num_frames": -1, "fps": clip.sample_fps}},
                },
            )
        except Exception as error:  # noqa: BLE001 - every failure becomes one line
            raise explain(error, self.options) from None
        extra = response.model_extra or {}
        entries, ids = extra.get("prompt_logprobs"), extra.get("prompt_token_ids")
        if not entries or not ids or len(entries) != len(ids):
            raise GenerationError(
                f"the server at {self.options.base_url} sent no prompt_logprobs: the scan "
                "needs vLLM's OpenAI server (or one that returns them)"
            )
        total, covered = 0.0, 0
        for entry, token in zip(reversed(entries), reversed(ids), strict=True):
            found = (entry or {}).get(str(token)) or (entry or {}).get(token)
            if found is None:
                raise GenerationError(f"prompt_logprobs lacks the prompt's token {token}")
            total += found["logprob"]
            covered += len(found.get("decoded_token") or "")
            if covered >= departs:
                return math.exp(total)
        raise GenerationError("the forced reply is not at the end of the server's prompt")

    def _video_url(self, clip: Clip) -> str:
        """The clip's data URL, encoded once per clip."""
        key = clip_identity(clip)
        with self._urls_lock:
            if key in self._urls:
                self._urls.move_to_end(key)
                return self._urls[key]
        url = encode_frames(clip)
        with self._urls_lock:
            self._urls[key] = url
            while len(self._urls) > ENCODED_CLIPS:
                self._urls.popitem(last=False)
        return url

    def _request(
        self, messages: list[dict], clip: Clip, max_new_tokens: int, decoding: Decoding | None
    ) -> dict:
        """Greedy (or sampled), streamed, with usage; every frame sent is used, at the clip's
        fps."""
        sampled = {}
        if decoding is not None:
            sampled = {"top_p": decoding.top_p, "seed": decoding.seed}
        return {
            "model": self.options.model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": decoding.temperature if decoding else 0.0,
            **sampled,
            "stream": True,
            "stream_options": {"include_usage": True},
            "extra_body": {
                "media_io_kwargs": {"video": {"num_frames": -1, "fps": clip.sample_fps}},
            },
        }

    def _turn(self, request: dict, prefix: str, stop: threading.Event) -> Iterator[Partial]:
        """Stream one assistant turn, yielding Partials; returns its TurnStats."""
        chunks: queue.Queue = queue.Queue()
        cancel = threading.Event()
        held: dict[str, Any] = {}
        worker = threading.Thread(
            target=self._pump, args=(request, chunks, cancel, held), daemon=True
        )
        started = time.perf_counter()
        deadline = started + self.options.timeout_s  # the whole request, not each chunk
        worker.start()
        text, first, usage, finish, pieces = "", None, None, None, 0
        try:
            while not stop.is_set():
                if time.perf_counter() > deadline:
                    raise ServerError(
                        f"{self.options.base_url} did not finish the answer within "
                        f"{self.options.timeout_s:g} s (the --timeout of a whole request)"
                    )
                try:
                    item = chunks.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if item is None:  # the stream ended
                    break
                if isinstance(item, BaseException):
                    raise explain(item, self.options, mid_answer="response" in held) from None
                usage = item.usage or usage
                for choice in item.choices:
                    finish = choice.finish_reason or finish
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        first = first or time.perf_counter()
                        text, pieces = text + delta, pieces + 1
                        yield Partial(prefix + text)
        finally:
            cancel.set()  # Stop, an error, or an abandoned stream: the server aborts the request
            _close(held.get("response"))
            worker.join(timeout=CONNECT_TIMEOUT_S)
        generate_s = time.perf_counter() - started
        if finish is None and not stop.is_set():
            raise ServerError(
                f"the stream from {self.options.base_url} ended before the answer did "
                "(no finish reason): the server may have stopped"
            )
        return TurnStats(
            text=text,
            preprocess_s=0.0,
            first_token_s=(first - started) if first is not None else 0.0,
            generate_s=generate_s,
            new_tokens=usage.completion_tokens if usage else pieces,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            visual_tokens=0,
        )

    def _pump(
        self, request: dict, chunks: queue.Queue, cancel: threading.Event, held: dict
    ) -> None:
        """Worker thread: send the request and pass each chunk (or the error) to the consumer."""
        try:
            response = self.client.chat.completions.create(**request)
            held["response"] = response
            if cancel.is_set():
                return
            for chunk in response:
                chunks.put(chunk)
                if cancel.is_set():
                    return
        except Exception as error:  # noqa: BLE001 - the consumer turns it into one line
            if not cancel.is_set():
                chunks.put(error)
        finally:
            chunks.put(None)


def make_client(options: ServerOptions) -> Any:
    """An OpenAI client for the server: its retries for refused connections and 5xx, timeouts."""
    import openai

    return openai.OpenAI(
        base_url=options.base_url,
        api_key=options.api_key,
        # openai's own Timeout: the type of the transport it ships with (httpx2 since 3.57)
        timeout=openai.Timeout(options.timeout_s, connect=CONNECT_TIMEOUT_S),
        max_retries=options.max_retries,
    )


def explain(
    error: BaseException, options: ServerOptions, mid_answer: bool = False
) -> GenerationError:
    """One line for any failure talking to the server (`mid_answer`: once it had answered)."""
    import httpx2  # openai's transport: a dropped stream raises its errors unwrapped
    import openai

    url = options.base_url
    detail = first_line(error)
    if isinstance(error, openai.APITimeoutError | httpx2.TimeoutException):
        return ServerError(f"{url} did not answer within {options.timeout_s:g} s")
    if mid_answer and isinstance(error, openai.APIConnectionError | httpx2.HTTPError):
        return ServerError(f"the server at {url} dropped the connection mid-answer ({detail})")
    if isinstance(error, openai.APIConnectionError):
        cause = first_line(error.__cause__) if error.__cause__ else detail
        return ServerError(f"cannot reach the server at {url}: {cause}")
    if isinstance(error, httpx2.HTTPError):
        return ServerError(f"cannot talk to the server at {url}: {detail}")
    if isinstance(error, openai.APIStatusError):
        message = _status_message(error)
        if "trust-request-mm-kwargs" in message:
            return GenerationError(
                f"the server at {url} must be started with --trust-request-mm-kwargs: "
                "each clip is sent with its own fps"
            )
        kind = ServerError if error.status_code >= 500 else GenerationError
        return kind(
            f"the server at {url} refused the request (HTTP {error.status_code}): {message}"
        )
    if isinstance(error, openai.APIError):  # an error event inside the stream
        return ServerError(f"the server at {url} failed mid-answer: {detail}")
    return ServerError(f"the server at {url} sent a malformed stream: {detail}")


def _status_message(error: Any) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    return first_line(inner.get("message") or error.message)


def _close(response: Any) -> None:
    if response is not None:
        with contextlib.suppress(Exception):  # closing a broken stream may fail; it is closed
            response.close()

"""Generate on a sampled clip: chat template, processor, streamed decoding (greedy, or sampled),
timings.

Questions about one clip share a prompt prefix (system turn, then the user turn's video tokens up
to `<|vision_end|>`). The engine runs the model over that prefix once, keeps its KV cache, and
answers later questions from a copy of it without the vision encoder or the prefix's prefill.
It also keeps the processor's pixel tensors of the clip, so the frames are not normalised again.
When the engine runs in a copy of this process (a ZeroGPU worker), `caches_since` hands what the
run added back to the original, which `adopt`s it for the next copy.
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import torch
from transformers import (
    BatchFeature,
    DynamicCache,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from inference.backends.generation import (
    DEFAULT_MAX_NEW_TOKENS,
    TURN_SEPARATOR,
    CacheEntries,
    Decoding,
    Generation,
    Partial,
    TurnStats,
    build_messages,
    finished,
    last_generation,
)
from inference.backends.inputs import text_inputs, video_inputs
from inference.errors import GenerationError, first_line
from inference.models.loading import LoadedModel
from inference.video.sampling import clip_identity

if TYPE_CHECKING:  # the engine only reads their fields
    from inference.core.prompts import Prompt
    from inference.video.sampling import Clip

VISION_END = "<|vision_end|>"
PREFIX_CACHE_ENTRIES = 2  # KV caches kept per engine; each holds a whole video's prefill
VIDEO_INPUTS = ("pixel_values_videos", "video_grid_thw", "second_per_grid_ts")


class _StopOn(StoppingCriteria):
    """Ends generation as soon as `should_stop()` turns true (checked after every token)."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.should_stop(), dtype=torch.bool)


class _Streamer(TextIteratorStreamer):
    """TextIteratorStreamer that also notes when the first new token arrived."""

    def __init__(self, tokenizer) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.first_token_at: float | None = None

    def put(self, value) -> None:
        if not self.next_tokens_are_prompt and self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        super().put(value)


class Engine:
    """Runs prompts on clips with one loaded model, one generation at a time."""

    runs_here = True  # generates on this machine's device (on ZeroGPU: inside spaces.GPU)

    def __init__(self, loaded: LoadedModel, prefix_cache: bool = True) -> None:
        self.loaded = loaded
        self.prefix_cache = prefix_cache
        self.prefix_stats = {"hits": 0, "misses": 0}
        self._prefixes: OrderedDict[str, DynamicCache] = OrderedDict()
        self._videos: OrderedDict[str, dict] = OrderedDict()  # clip key -> VIDEO_INPUTS
        self.processor = loaded.processor
        self.tokenizer = loaded.processor.tokenizer
        self.video_token_id = self.tokenizer.convert_tokens_to_ids(loaded.processor.video_token)
        self._vision_end_id = self.tokenizer.convert_tokens_to_ids(VISION_END)

    def facts(self) -> dict:
        """What ran, as a stored run records it: backend, quantization, dtype, device, source."""
        loaded = self.loaded
        return {
            "backend": "transformers",
            "quant": loaded.options.quant,
            "dtype": str(loaded.dtype),
            "device": str(loaded.device),
            "model_source": str(loaded.source or loaded.options.model),
        }

    def describe(self) -> str:
        """A short note for the model status line: device, dtype, quantization, load time."""
        loaded = self.loaded
        quant = "" if loaded.options.quant == "none" else f", {loaded.options.quant}"
        return f" ({loaded.device}, {loaded.dtype}{quant}, loaded in {loaded.load_s:.1f} s)"

    def cache_keys(self) -> frozenset[str]:
        """The keys of everything cached now, to tell later what a run added."""
        return frozenset(self._prefixes) | frozenset(self._videos)

    def caches_since(self, keys: frozenset[str], stats: dict) -> CacheEntries:
        """What was cached after `keys` was taken, on the CPU, with the prefix hits and misses
        since `stats` (an earlier copy of `prefix_stats`)."""
        return CacheEntries(
            prefixes={k: _cache_on(v, "cpu") for k, v in self._prefixes.items() if k not in keys},
            videos={
                k: {name: _to(t, "cpu") for name, t in v.items()}
                for k, v in self._videos.items()
                if k not in keys
            },
            hits=self.prefix_stats["hits"] - stats["hits"],
            misses=self.prefix_stats["misses"] - stats["misses"],
        )

    def adopt(self, entries: CacheEntries) -> None:
        """Keep the cache entries another process's copy of this engine made (kept on the CPU;
        a run moves them to the model's device when it uses them)."""
        with self.loaded.lock:
            for cache, new in ((self._prefixes, entries.prefixes), (self._videos, entries.videos)):
                cache.update(new)
                _trim(cache)
            self.prefix_stats["hits"] += entries.hits
            self.prefix_stats["misses"] += entries.misses

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
        of frames of `clip` (the scan's window scores)."""
        from inference.backends.probability import reply_probabilities

        with self.loaded.lock:
            return reply_probabilities(self.loaded, clip, spans, prompt, reply, rival, reuse)

    def stream(
        self,
        clip: Clip,
        prompt: Prompt,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        stop: threading.Event | None = None,
        decoding: Decoding | None = None,
    ) -> Iterator[Partial | Generation]:
        """Yield Partial(text so far) while generating (greedy, or sampled by `decoding`), then the
        Generation."""
        stop = stop if stop is not None else threading.Event()
        turns: list[str] = []
        stats: list[TurnStats] = []
        with self.loaded.lock:
            while len(turns) < len(prompt.turns) and not stop.is_set():
                messages = build_messages(prompt, turns)
                prefix = "".join(t + TURN_SEPARATOR for t in turns)
                turn = yield from self._turn(messages, clip, prefix, max_new_tokens, stop, decoding)
                stats.append(turn)
                turns.append(turn.text)
        yield finished(clip, prompt, turns, stats, stop.is_set())

    def _turn(
        self,
        messages: list[dict],
        clip: Clip,
        prefix: str,
        max_new_tokens: int,
        stop: threading.Event,
        decoding: Decoding | None = None,
    ) -> Iterator[Partial]:
        """Generate one assistant turn, yielding Partials; returns its TurnStats."""
        started = time.perf_counter()
        clip_key = clip_identity(clip) if self.prefix_cache else ""
        inputs = self._prepare(messages, clip, clip_key)
        preprocess_s = time.perf_counter() - started
        input_ids = inputs["input_ids"]
        # Set when the consumer abandons the stream, so the worker thread ends promptly too.
        abandoned = threading.Event()
        streamer = _Streamer(self.tokenizer)
        outcome: dict = {}
        options = dict(
            streamer=streamer,
            max_new_tokens=max_new_tokens,
            stopping_criteria=StoppingCriteriaList(
                [_StopOn(lambda: stop.is_set() or abandoned.is_set())]
            ),
        )
        if decoding is not None:  # the seed is global: the model's lock is held here
            options |= dict(do_sample=True, temperature=decoding.temperature, top_p=decoding.top_p)
            torch.manual_seed(decoding.seed)
        worker = threading.Thread(
            target=self._generate, args=(inputs, clip_key, options, streamer, outcome), daemon=True
        )
        generate_start = time.perf_counter()
        worker.start()
        text = ""
        try:
            for chunk in streamer:
                if chunk:
                    text += chunk
                    yield Partial(prefix + text)
        finally:
            abandoned.set()
            worker.join()
        generate_s = time.perf_counter() - generate_start
        if "error" in outcome:
            raise outcome["error"]
        new_ids = outcome["output"][0, input_ids.shape[1] :]
        first = streamer.first_token_at
        return TurnStats(
            text=self.tokenizer.decode(new_ids, skip_special_tokens=True),
            preprocess_s=preprocess_s,
            first_token_s=(first - generate_start) if first is not None else 0.0,
            generate_s=generate_s,
            new_tokens=int(new_ids.numel()),
            prompt_tokens=int(input_ids.shape[1]),
            visual_tokens=int((input_ids == self.video_token_id).sum()),
        )

    def _generate(
        self, inputs: dict, clip_key: str, options: dict, streamer: _Streamer, outcome: dict
    ) -> None:
        """Worker thread: run generate, keeping the output or the error for the caller."""
        try:
            with torch.inference_mode():
                model_inputs = self._reuse_prefix(inputs, clip_key) if clip_key else inputs
                outcome["output"] = self.loaded.model.generate(**model_inputs, **options)
        except torch.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()  # so the next, smaller request can run
            outcome["error"] = GenerationError(
                "out of memory while generating; sample fewer frames or use 4bit quantization"
            )
            streamer.end()  # unblock the consumer; generate did not get to end the stream
        except Exception as error:  # any failure must reach the consumer, not die in a thread
            outcome["error"] = GenerationError(f"generation failed: {first_line(error)}")
            outcome["error"].__cause__ = error
            streamer.end()

    def _reuse_prefix(self, inputs: dict, clip_key: str) -> dict:
        """`inputs` for generate with the video prefix's KV cache in place of the video.

        Called under the model's lock: it sets the model's `rope_deltas` (the offset between
        token index and multimodal rotary position, which the model otherwise keeps from the
        last prefill, possibly another clip's) for this prompt before generate reads it.
        """
        ids = inputs["input_ids"]
        length = self._prefix_length(ids)
        if length is None or "pixel_values_videos" not in inputs:
            return inputs
        key = _prefix_key(ids[0, :length], clip_key)
        prefix = self._prefixes.get(key)
        if prefix is None:
            self.prefix_stats["misses"] += 1
            prefix = self._prefill(inputs, length)
            self._prefixes[key] = prefix
            _trim(self._prefixes)
        else:
            self.prefix_stats["hits"] += 1
            self._prefixes.move_to_end(key)
        model = self.loaded.model.model
        _, model.rope_deltas = model.get_rope_index(
            ids,
            mm_token_type_ids=inputs["mm_token_type_ids"],
            video_grid_thw=inputs["video_grid_thw"],
            second_per_grid_ts=inputs.get("second_per_grid_ts"),
            attention_mask=inputs.get("attention_mask"),
        )
        reused = {k: v for k, v in inputs.items() if k != "pixel_values_videos"}
        # generate appends to the copy, keeping ours clean; an adopted entry waits on the CPU.
        reused["cache"] = _cache_on(copy.deepcopy(prefix), ids.device)
        return reused

    def _prefix_length(self, ids: torch.Tensor) -> int | None:
        """Tokens up to and including the first `<|vision_end|>`, if text follows it."""
        if ids.shape[0] != 1 or "mm_token_type_ids" not in self.processor.model_input_names:
            return None
        ends = (ids[0] == self._vision_end_id).nonzero()
        if len(ends) == 0 or int(ends[0]) + 1 >= ids.shape[1]:
            return None
        return int(ends[0]) + 1

    def _prefill(self, inputs: dict, length: int) -> DynamicCache:
        """Run the model (vision encoder included) over the first `length` tokens; their cache."""
        prefix = {
            k: v[:, :length] if k in ("input_ids", "attention_mask", "mm_token_type_ids") else v
            for k, v in inputs.items()
        }
        output = self.loaded.model(**prefix, use_cache=True, logits_to_keep=1)
        return output.cache

    def prepare_inputs(self, messages: list[dict], clip: Clip) -> dict:
        """Chat template and processor over the clip's frames, on the model's device."""
        with self.loaded.lock:  # _prepare updates the engine's caches, as generations do
            return self._prepare(messages, clip, clip_identity(clip) if self.prefix_cache else "")

    def _prepare(self, messages: list[dict], clip: Clip, clip_key: str) -> dict:
        """prepare_inputs, reusing the clip's pixel tensors when `clip_key` was seen."""
        text = self.processor.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        if clip.num_frames == 0:
            raise GenerationError("the clip has no frames")
        if clip_key in self._videos:
            self._videos.move_to_end(clip_key)
            return self._with_video(text, self._videos[clip_key])
        try:
            inputs = video_inputs(self.processor, [text], [clip])
        except (ValueError, TypeError, RuntimeError) as error:
            message = first_line(error)
            raise GenerationError(f"cannot prepare the clip for the model: {message}") from error
        inputs = inputs.to(self.loaded.model.device)
        if clip_key and all(name in inputs for name in VIDEO_INPUTS):
            self._videos[clip_key] = {name: inputs[name] for name in VIDEO_INPUTS}
            _trim(self._videos)
        return inputs

    def _with_video(self, text: str, video: dict) -> BatchFeature:
        """What the processor would return for `text` and an already processed video."""
        features = text_inputs(self.processor, text, video["video_grid_thw"][0])
        # An adopted video waits on the CPU; `to` leaves tensors already on the device alone.
        return BatchFeature({**features, **video}).to(self.loaded.model.device)


def _prefix_key(prefix_ids: torch.Tensor, clip_key: str) -> str:
    """Identity of a prefix: its tokens and its clip."""
    digest = hashlib.blake2b(prefix_ids.cpu().numpy().tobytes(), digest_size=16)
    digest.update(clip_key.encode())
    return digest.hexdigest()


def _to(value, device):
    return value.to(device) if isinstance(value, torch.Tensor) else value


def _cache_on(cache: DynamicCache, device) -> DynamicCache:
    """A copy of `cache` whose layers' keys and values are on `device` (the original's stay)."""
    moved = copy.copy(cache)
    moved.layers = [copy.copy(layer) for layer in cache.layers]
    for layer in moved.layers:
        if getattr(layer, "is_initialized", False):
            layer.keys, layer.values = layer.keys.to(device), layer.values.to(device)
            layer.device = layer.keys.device
    return moved


def _trim(entries: OrderedDict) -> None:
    """Drop the least recently used entries beyond PREFIX_CACHE_ENTRIES."""
    while len(entries) > PREFIX_CACHE_ENTRIES:
        entries.popitem(last=False)

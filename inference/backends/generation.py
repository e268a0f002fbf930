"""What any backend yields: partial text, then the finished Generation with its timings.

Backend-neutral (no torch): the in-process engine and the OpenAI-compatible client both build
the same chat messages and report the same Generation, so the app, eval and the store cannot
tell them apart except by the facts a backend states about itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from inference.core.parse import Result, parse_response
from inference.errors import GenerationError

if TYPE_CHECKING:  # only read
    from inference.core.prompts import Prompt
    from inference.video.sampling import Clip

DEFAULT_MAX_NEW_TOKENS = 1024  # the answer budget of every engine, CLI and the Studio
TURN_SEPARATOR = "\n\n"
# Sampled runs (the default is greedy): the model's own distribution, unsharpened, so the
# spread of K samples measures its uncertainty (app.prelabel --samples).
SAMPLE_TEMPERATURE = 1.0
SAMPLE_TOP_P = 1.0


@dataclass(frozen=True)
class Decoding:
    """Sampled decoding instead of greedy: temperature, nucleus (top-p) and the seed."""

    temperature: float = SAMPLE_TEMPERATURE
    top_p: float = SAMPLE_TOP_P
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.temperature <= 2:
            raise ValueError(f"temperature must be in (0, 2], got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


@dataclass(frozen=True)
class Partial:
    """The text generated so far (all turns joined), sent while generation runs."""

    text: str


@dataclass
class Timings:
    """Seconds per stage and token counts, summed over the turns of a description.

    first_token_s (from the start of generate, so prefill included) and visual_tokens are the
    first turn's; tokens_per_s is new_tokens / generate_s; sampling_s is the clip's, if known.
    """

    sampling_s: float
    preprocess_s: float
    first_token_s: float
    generate_s: float
    new_tokens: int
    tokens_per_s: float
    visual_tokens: int
    prompt_tokens: int

    def to_dict(self) -> dict:
        """Plain dict with seconds rounded to 0.1 ms."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class Generation:
    """A finished (or stopped) generation: the text, each assistant turn, the parsed result."""

    text: str
    turns: list[str]
    result: Result
    timings: Timings
    clip: Clip = field(repr=False)
    prompt: Prompt
    stopped: bool

    def to_dict(self) -> dict:
        """JSON-safe summary: text, parsed result, timings, prompt and clip (without frames)."""
        height, width = self.clip.frame_size
        return {
            "task": self.prompt.task,
            "text": self.text,
            "turns": list(self.turns),
            "stopped": self.stopped,
            "result": self.result.to_dict(),
            "timings": self.timings.to_dict(),
            "prompt": self.prompt.to_dict(),
            "clip": {
                "path": str(self.clip.info.path),
                "num_frames": self.clip.num_frames,
                "frame_size": [height, width],
                "sample_fps": self.clip.sample_fps,
                "timestamps": [float(t) for t in self.clip.timestamps],
                "visual_tokens": self.clip.visual_tokens,
            },
        }


@dataclass(frozen=True)
class CacheEntries:
    """What a run added to an engine's caches in another process (a ZeroGPU worker), on the CPU:
    video-prefix KV caches and processed pixels by key, and the prefix cache's hits and misses."""

    prefixes: dict = field(default_factory=dict)
    videos: dict = field(default_factory=dict)
    hits: int = 0
    misses: int = 0


@dataclass
class TurnStats:
    """One assistant turn's text, timings and token counts."""

    text: str
    preprocess_s: float
    first_token_s: float
    generate_s: float
    new_tokens: int
    prompt_tokens: int
    visual_tokens: int


def _text(text: str) -> dict:
    return {"type": "text", "text": text}


def build_messages(prompt: Prompt, answers: Sequence[str] = ()) -> list[dict]:
    """Qwen chat messages for the turn after `answers`; the video goes in the first user turn."""
    # Without a system message Qwen's template adds its default one, as the reference does.
    messages = [{"role": "system", "content": [_text(prompt.system)]}] if prompt.system else []
    for index, question in enumerate(prompt.turns[: len(answers) + 1]):
        content = [{"type": "video"}, _text(question)] if index == 0 else [_text(question)]
        messages.append({"role": "user", "content": content})
        if index < len(answers):
            messages.append({"role": "assistant", "content": [_text(answers[index])]})
    return messages


def total_timings(stats: Sequence[TurnStats], sampling_s: float) -> Timings:
    """The Timings of a whole generation from its turns' stats."""
    generate_s = sum(s.generate_s for s in stats)
    new_tokens = sum(s.new_tokens for s in stats)
    return Timings(
        sampling_s=float(sampling_s or 0.0),
        preprocess_s=sum(s.preprocess_s for s in stats),
        first_token_s=stats[0].first_token_s if stats else 0.0,
        generate_s=generate_s,
        new_tokens=new_tokens,
        tokens_per_s=new_tokens / generate_s if generate_s > 0 else 0.0,
        visual_tokens=stats[0].visual_tokens if stats else 0,
        prompt_tokens=sum(s.prompt_tokens for s in stats),
    )


def last_generation(events: Iterable[Partial | Generation]) -> Generation:
    """The Generation that ends a stream (what `run` returns), the Partials before it dropped."""
    for event in events:
        if isinstance(event, Generation):
            return event
    raise GenerationError("generation ended without a result")  # a stream always yields one


def finished(
    clip: Clip, prompt: Prompt, turns: list[str], stats: Sequence[TurnStats], stopped: bool
) -> Generation:
    """The Generation of a stream's turns: joined text, parsed result, summed timings."""
    text = TURN_SEPARATOR.join(turns)
    return Generation(
        text=text,
        turns=turns,
        result=parse_response(text, prompt.task, prompt.think),
        timings=total_timings(stats, clip.sampling_s),
        clip=clip,
        prompt=prompt,
        stopped=stopped,
    )

"""VAU-Eval's judge: an LLM scores a description against VAU-Bench's ground truth, 0-10 x 5.

The five criteria are the paper's, in the project's own wording. Each request is seeded and,
by default, greedy (temperature 0); repeats that measure the judge's noise sample at a stated
temperature, each with its own seed. Where the server takes one, a JSON-schema response format
is asked for; the reply must hold five integers 0-10. A reply that never validates within the
allowed attempts is recorded as unscored with its reason: never a crash, never a zero. The
client, its retries, timeouts and error lines are the `openai` backend's
(`inference.backends.remote`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from inference.backends.remote import ServerOptions, explain, make_client
from inference.core.rubric import CRITERIA, KEYS, MAX_SCORE, ReplyError, check_scores
from inference.errors import GenerationError

DEFAULT_SEED = 0
DEFAULT_ATTEMPTS = 3

SYSTEM = (
    "You grade descriptions of surveillance videos. You are given a reference description and "
    "reasoning written by an annotator who watched the video, and a model's prediction. Score "
    "the prediction against the reference on each criterion with an integer from 0 (absent or "
    "wrong) to 10 (as good as the reference). Judge content, not length. Reply with one JSON "
    "object and nothing else."
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {key: {"type": "integer", "minimum": 0, "maximum": MAX_SCORE} for key in KEYS},
    "required": list(KEYS),
    "additionalProperties": False,
}
_FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Reference:
    """What the judge compares against: VAU-Bench's class, description and reasoning."""

    anomaly_class: str | None
    description: str | None
    reasoning: str | None


@dataclass(frozen=True)
class Verdict:
    """One judgement: the scores, or None with the reason; the reply and attempts it took."""

    scores: dict[str, int] | None
    reason: str | None
    reply: str
    attempts: int

    @property
    def total(self) -> int | None:
        """The five scores summed (0-50), or None when unscored."""
        return sum(self.scores.values()) if self.scores else None


def judge_messages(reference: Reference, prediction: str) -> list[dict]:
    """The judge's chat: the criteria, the reference, the prediction, the reply's keys."""
    criteria = "\n".join(f"- {key}: {meaning}" for key, meaning in CRITERIA)
    user = (
        f"Criteria (each 0-{MAX_SCORE}):\n{criteria}\n\n"
        f"Reference class: {reference.anomaly_class or 'unknown'}\n"
        f"Reference description:\n{reference.description or '(none)'}\n\n"
        f"Reference reasoning:\n{reference.reasoning or '(none)'}\n\n"
        f"Prediction:\n{prediction.strip() or '(empty)'}\n\n"
        f"Reply with a JSON object with exactly these integer keys: {', '.join(KEYS)}."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_scores(reply: str) -> dict[str, int]:
    """The five scores in a reply (bare JSON, or the first fenced or braced object in it)."""
    text = reply.strip()
    match = _FENCED.search(text) or _OBJECT.search(text)
    if match is None:
        raise ReplyError("no JSON object in the reply")
    try:
        data = json.loads(match.group(1) if match.re is _FENCED else match.group(0))
    except json.JSONDecodeError as error:
        raise ReplyError(f"the reply's JSON does not parse ({error.msg})") from None
    if not isinstance(data, dict):
        raise ReplyError("the reply's JSON is not an object")
    return check_scores(data)


class Judge:
    """Asks one judge model on an OpenAI-compatible server; thread-safe, many at once."""

    def __init__(
        self,
        options: ServerOptions,
        seed: int = DEFAULT_SEED,
        attempts: int = DEFAULT_ATTEMPTS,
        temperature: float = 0.0,
    ) -> None:
        if attempts < 1:
            raise ValueError("--attempts must be at least 1")
        self.options, self.seed, self.attempts = options, seed, attempts
        self.temperature = temperature
        self.client = make_client(options)
        self.schema = True  # dropped for good once the server refuses response_format

    def judge(self, reference: Reference, prediction: str, seed: int | None = None) -> Verdict:
        """Ask until the reply validates or the attempts run out; ServerError if it is gone."""
        messages = judge_messages(reference, prediction)
        seed = self.seed if seed is None else seed
        reply, reason = "", "no reply"
        for attempt in range(1, self.attempts + 1):
            reply = self._ask(messages, seed)
            try:
                return Verdict(parse_scores(reply), None, reply, attempt)
            except ReplyError as error:
                reason = str(error)
        return Verdict(None, f"{reason} (after {self.attempts} attempts)", reply, self.attempts)

    def _ask(self, messages: list[dict], seed: int) -> str:
        """One seeded request at the judge's temperature; the reply's text."""
        import openai

        request: dict[str, Any] = {
            "model": self.options.model,
            "messages": messages,
            "temperature": self.temperature,
            "seed": seed,
            "max_tokens": 256,
        }
        if self.schema:
            schema = {"name": "vau_eval", "schema": SCHEMA, "strict": True}
            request["response_format"] = {"type": "json_schema", "json_schema": schema}
        try:
            response = self.client.chat.completions.create(**request)
        except openai.BadRequestError as error:
            if self.schema and "response_format" in str(error):
                self.schema = False  # a server without structured output: ask in words only
                return self._ask(messages, seed)
            raise explain(error, self.options) from None
        except Exception as error:  # noqa: BLE001 - every failure becomes one line
            raise explain(error, self.options) from None
        if not response.choices:
            raise GenerationError(f"the judge at {self.options.base_url} sent no choices")
        return response.choices[0].message.content or ""

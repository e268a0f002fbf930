"""The model's output protocol, written: what a correct answer looks like in VAU-R1's tags.

QA and classification: `<think>reasoning</think><answer>X</answer>`; grounding adds
`<glue>[s, e]</glue>` (one decimal, `[-1.0, -1.0]` for Normal). Without think, the tags hold
only the answer, and grounding answers with the `<glue>` interval alone. Description is free
prose over two turns (a description, then an analysis).
"""

from __future__ import annotations

from annotate.records import Interval
from annotate.validate import join_steps, split_reasoning

NORMAL_INTERVAL = "[-1.0, -1.0]"


def format_interval(interval: Interval | None) -> str:
    """`[s, e]` with one decimal, as in VAU-R1's training data; None gives the Normal marker."""
    if interval is None:
        return NORMAL_INTERVAL
    start, end = interval
    return f"[{start:.1f}, {end:.1f}]"


def assistant_text(
    task: str,
    answer: str,
    reasoning: str | None = None,
    interval: Interval | None = None,
    think: bool = True,
) -> str:
    """The assistant's reply in the tag protocol; think needs a non-empty `reasoning`."""
    if task == "description":
        raise ValueError("description has two turns; use description_turns")
    if think and not (reasoning and reasoning.strip()):
        raise ValueError("the think variant needs reasoning text")
    glue = f"<glue>{format_interval(interval)}</glue>" if task == "grounding" else ""
    if not think:
        return glue if task == "grounding" else f"<answer>{answer}</answer>"
    return f"<think>{reasoning.strip()}</think><answer>{answer}</answer>{glue}"  # type: ignore[union-attr]


def description_turns(description: str, analysis: str | None) -> tuple[str, str]:
    """The two assistant turns of the description task: what happens, then why it matters."""
    return description.strip(), (analysis or "").strip()


def readable_reasoning(text: str | None) -> str | None:
    """Reasoning as prose for training: VAU-Bench's dict-string or markdown sections become
    "Title: text" paragraphs; other text is kept as written."""
    if text is None or not text.strip():
        return None
    steps = split_reasoning(text)
    if steps and all(step.title for step in steps):
        return join_steps(steps)
    return text.strip()

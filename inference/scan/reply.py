"""What a scan asks each window, and which part of the answer its score is read from.

A window's anomaly score is 1 - P(the Normal answer), read from the model's own probabilities
of the protocol's no-think Normal reply after the text that every answer shares: for the class
question `<answer>` then `Normal`, for the grounding question `<glue>[` then `-1.0, -1.0]`.
The split is found from the protocol's writer, not spelled here, so it follows the protocol.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from inference.core import protocol

# The class question is the default: its Normal answer is one word in the think and no-think
# protocols alike, and the world model learned it (its grounding answer is never Normal).
QUESTIONS: tuple[str, ...] = ("classification", "grounding")
QUESTION = "classification"
_ANOMALY = {"classification": "Fire", "grounding": "Anomaly"}  # any anomaly answer will do


@dataclass(frozen=True)
class Reply:
    """The Normal reply up to its closing tag, and where it departs from an anomaly answer."""

    question: str
    text: str  # forced after the prompt, up to (not including) the closing tag
    rival: str  # an anomaly answer, likewise: the score reads `text` from where they differ

    @property
    def shared(self) -> str:
        """What every answer begins with."""
        return os.path.commonprefix([self.text, self.rival])


def _head(text: str, start: int) -> str:
    """`text` up to its first closing tag at or after `start`."""
    close = text.find("</", start)
    return text if close < 0 else text[:close]


def normal_reply(question: str = QUESTION) -> Reply:
    """The reply a scan scores for `question` (ValueError for a question it cannot ask)."""
    if question not in QUESTIONS:
        raise ValueError(f"--question must be one of {', '.join(QUESTIONS)}, not {question!r}")
    normal = protocol.write(question, "Normal", think=False)
    anomaly = protocol.write(question, _ANOMALY[question], interval=(1.0, 2.0), think=False)
    shared = len(os.path.commonprefix([normal, anomaly]))
    return Reply(question, _head(normal, shared), _head(anomaly, shared))

"""The four VAU-R1 tasks, their sampling defaults, and the 20 VAU-Bench classes."""

from __future__ import annotations

import re

TASKS: tuple[str, ...] = ("qa", "grounding", "classification", "description")

# Grounding and classification need finer time resolution than QA and description.
DEFAULT_FPS: dict[str, float] = {
    "qa": 1.0,
    "grounding": 2.0,
    "classification": 2.0,
    "description": 1.0,
}
# VAU-R1's cap on sampled frames; the pixel budget (inference.video.sampling) usually binds
# first. Here, beside the frame rates, so that the command lines read it without loading the
# video readers.
DEFAULT_MAX_FRAMES = 768
# The per-frame pixel bounds of VAU-R1's processor and the whole-video budget it trained with
# (3584 visual tokens; a token is 28x28 pixels). Small videos train and run at their own size
# with smaller bounds: every command that samples or exports takes them as settings.
PIXEL_KEYS: tuple[str, ...] = ("min_pixels", "max_pixels", "total_pixels")
DEFAULT_PIXELS: dict[str, int] = {
    "min_pixels": 128 * 28 * 28,
    "max_pixels": 768 * 28 * 28,
    "total_pixels": 3584 * 28 * 28,
}


def pixels_of(source: object) -> dict[str, int]:
    """The pixel bounds an object carries as attributes (flags, options, settings)."""
    return {key: getattr(source, key) for key in PIXEL_KEYS}


CLASSES: tuple[str, ...] = (
    "Abuse",
    "Agriculture",
    "Arrest",
    "Arson",
    "Assault",
    "Explosion",
    "Fighting",
    "Fire",
    "Food Safety",
    "Medical Abnormality",
    "Natural Hazard",
    "Normal",
    "Object_falling",
    "People_falling",
    "Robbery",
    "Shooting",
    "Stealing",
    "Traffic_accident",
    "Vandalism",
    "Water_incident",
)

GROUNDING_ANSWERS: tuple[str, ...] = ("Anomaly", "Normal")


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", " ", name).strip().lower()


_BY_KEY = {_key(c): c for c in CLASSES}
# Longest names first so "Food Safety" wins over a shorter name inside it.
_SEARCH = sorted(CLASSES, key=len, reverse=True)


def check_task(task: str) -> str:
    """Return `task` if it is one of TASKS, else raise ValueError naming the choices."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    return task


def canonical_class(text: str | None) -> str | None:
    """Map a class name in any case, with spaces or underscores, to its canonical spelling."""
    if not text:
        return None
    return _BY_KEY.get(_key(text))


def find_class(text: str | None) -> str | None:
    """Return the class whose name appears first in `text` (the paper's matching rule)."""
    if not text:
        return None
    haystack = " " + _key(text) + " "
    best: tuple[int, str] | None = None
    for name in _SEARCH:
        match = re.search(r"(?<![a-z])" + re.escape(_key(name)) + r"(?![a-z])", haystack)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None

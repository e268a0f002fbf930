"""Prompt templates for the four VAU-R1 tasks, as editable data.

The wording lives in `inference/templates/*.json` (one registry entry per file, "vau-r1" the
default). A user whose checkpoint was trained on other wording copies the default
(`python -m inference.core.prompts > mine.json`), edits it, and passes the file to `load_templates`;
keys left out keep the default wording. Every value is a `str.format` string: write `{{` and
`}}` for literal braces. Placeholders:

- `wrapper`: {question}, {options}, {instructions} (all three required);
- `option`: {letter}, {text} (one QA option line); `choices`: {choices} (the comma-joined
  names offered for grounding and classification);
- every other field takes none.

QA takes 2 to 4 options, lettered A-D (VAU-Bench always has four; fewer suit ad-hoc questions,
and the parser reads answers A-D). Grounding and classification ask their fixed questions and
ignore `question`/`options`. Description is two turns; with think, only the second turn (the
analysis) asks for `<think>`/`<answer>` tags.
"""

from __future__ import annotations

import json
import re
import string
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from inference.core.tasks import CLASSES, GROUNDING_ANSWERS, check_task

DEFAULT = "vau-r1"
TEMPLATE_DIR = Path(__file__).with_name("templates")
LETTERS = "ABCD"
MIN_OPTIONS, MAX_OPTIONS = 2, 4

# Placeholders each field must contain; fields not listed take none.
_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "wrapper": frozenset({"question", "options", "instructions"}),
    "option": frozenset({"letter", "text"}),
    "choices": frozenset({"choices"}),
}


def _placeholders(name: str, value: str) -> set[str]:
    """The placeholder names in one template string; ValueError on anything but {name}."""
    hint = "write {{ and }} for literal braces"
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as error:
        raise ValueError(
            f"template {name!r} is not a valid format string ({error}); {hint}"
        ) from None
    found = set()
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if not field_name.isidentifier() or spec or conversion:
            raise ValueError(f"template {name!r} has a bad placeholder {{{field_name}}}; {hint}")
        found.add(field_name)
    return found


def _check_field(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is a valid template string for field `name`."""
    if name == "system" and value is None:
        return
    if not isinstance(value, str):
        raise ValueError(f"template {name!r} must be a string, not {type(value).__name__}")
    expected = _PLACEHOLDERS.get(name, frozenset())
    found = _placeholders(name, value)
    if unknown := found - expected:
        allowed = ", ".join(f"{{{p}}}" for p in sorted(expected)) or "none"
        bad = ", ".join(f"{{{p}}}" for p in sorted(unknown))
        raise ValueError(f"template {name!r} uses unknown placeholder {bad} (allowed: {allowed})")
    if missing := expected - found:
        need = ", ".join(f"{{{p}}}" for p in sorted(missing))
        raise ValueError(f"template {name!r} must contain {need}")


@dataclass(frozen=True)
class Templates:
    """The wording of every prompt; each field is a format string (see the module docstring)."""

    system: str | None
    wrapper: str
    option: str
    choices: str
    grounding_question: str
    classification_question: str
    qa_think: str
    qa_plain: str
    grounding_think: str
    grounding_plain: str
    classification_think: str
    classification_plain: str
    describe: str
    analyze: str
    analyze_think: str

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_field(f.name, getattr(self, f.name))

    @classmethod
    def key_names(cls) -> tuple[str, ...]:
        """The field names, in order: the keys a template file may hold."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Templates | None = None) -> Templates:
        """Templates from a dict; keys it lacks come from `base` (required when it lacks any)."""
        if unknown := sorted(set(data) - set(cls.key_names())):
            raise ValueError(
                f"unknown template key {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(cls.key_names())})"
            )
        merged = {**(asdict(base) if base else {}), **data}
        if missing := [k for k in cls.key_names() if k not in merged]:
            raise ValueError(f"missing template key {', '.join(map(repr, missing))}")
        return cls(**merged)

    def to_json(self) -> str:
        """The templates as a JSON object, ready to copy into a file and edit."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in `path`; ValueError with a one-line reason otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"template file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ValueError(f"template file {path} is not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"cannot read template file {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise ValueError(
            f"template file {path} is not valid JSON ({error.msg} at {where})"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"template file {path} must hold a JSON object of template strings")
    return data


def load_templates(path: str | Path, base: Templates | None = None) -> Templates:
    """Templates from a JSON file; keys it leaves out keep `base` (default: the vau-r1 wording)."""
    path = Path(path)
    data = _read_json(path)
    try:
        return Templates.from_dict(data, base or TEMPLATES[DEFAULT])
    except ValueError as error:
        raise ValueError(f"template file {path}: {error}") from None


def _builtin_templates() -> dict[str, Templates]:
    """Every complete template file shipped in TEMPLATE_DIR, by file stem."""
    found = {}
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        try:
            found[path.stem] = Templates.from_dict(_read_json(path))
        except ValueError as error:
            raise ValueError(f"template file {path}: {error}") from None
    if DEFAULT not in found:  # a broken install, not a user error
        raise RuntimeError(f"the default templates {TEMPLATE_DIR / DEFAULT}.json are missing")
    return found


TEMPLATES: dict[str, Templates] = _builtin_templates()


@dataclass(frozen=True)
class Prompt:
    """The user turns (one, or two for description) and optional system text for one request."""

    task: str
    think: bool
    turns: tuple[str, ...]
    system: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {
            "task": self.task,
            "think": self.think,
            "turns": list(self.turns),
            "system": self.system,
        }


def _qa_question(question: str | None) -> str:
    if question is None or not str(question).strip():
        raise ValueError("a QA prompt needs a question")
    return str(question).strip()


def _qa_options(options: Sequence[str] | None) -> list[str]:
    """2 to 4 non-empty option texts, without a leading "A. " the caller may have added."""
    if options is None or isinstance(options, str):
        raise ValueError(f"a QA prompt needs a list of {MIN_OPTIONS} to {MAX_OPTIONS} options")
    items = [str(o).strip() for o in options]
    if not MIN_OPTIONS <= len(items) <= MAX_OPTIONS:
        raise ValueError(
            f"a QA prompt needs {MIN_OPTIONS} to {MAX_OPTIONS} options (A-D), got {len(items)}"
        )
    cleaned = []
    for letter, item in zip(LETTERS, items, strict=False):
        item = re.sub(rf"^{letter}[.):]\s+", "", item)
        if not item:
            raise ValueError(f"QA option {letter} is empty")
        cleaned.append(item)
    return cleaned


def _wrap(t: Templates, question: str, options: str, instructions: str) -> str:
    return t.wrapper.format(question=question, options=options, instructions=instructions.format())


def _choice_list(t: Templates, names: Sequence[str]) -> str:
    return t.choices.format(choices=", ".join(names))


def _turns(t: Templates, task: str, think: bool, question: Any, options: Any) -> tuple[str, ...]:
    if task == "qa":
        question = _qa_question(question)
        pairs = zip(LETTERS, _qa_options(options), strict=False)
        lines = "\n".join(t.option.format(letter=k, text=x) for k, x in pairs)
        return (_wrap(t, question, lines, t.qa_think if think else t.qa_plain),)
    if task == "grounding":
        names = _choice_list(t, GROUNDING_ANSWERS)
        instructions = t.grounding_think if think else t.grounding_plain
        return (_wrap(t, t.grounding_question.format(), names, instructions),)
    if task == "classification":
        names = _choice_list(t, CLASSES)
        instructions = t.classification_think if think else t.classification_plain
        return (_wrap(t, t.classification_question.format(), names, instructions),)
    return (t.describe.format(), (t.analyze_think if think else t.analyze).format())


def build_prompt(
    task: str,
    think: bool = True,
    question: str | None = None,
    options: Sequence[str] | None = None,
    templates: Templates | None = None,
) -> Prompt:
    """The prompt for `task`; ValueError for an unknown task or a bad QA question/options."""
    check_task(task)
    t = templates or TEMPLATES[DEFAULT]
    system = t.system.format() if t.system else None
    return Prompt(task, bool(think), _turns(t, task, bool(think), question, options), system)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m inference.core.prompts [NAME]`: print a built-in template set as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args else DEFAULT
    if name not in TEMPLATES or len(args) > 1:
        print(f"usage: python -m inference.core.prompts [{' | '.join(TEMPLATES)}]", file=sys.stderr)
        return 2
    sys.stdout.write(TEMPLATES[name].to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Every keyboard shortcut, in one table: the page's key handler, the `?` overlay and the README
table are all made from it."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass

from app.settings import ROOT

KEYS_JS_PATH = ROOT / "assets" / "keys.js"


@dataclass(frozen=True)
class Binding:
    """One key press and what the page does for it.

    `code` names the physical key (KeyboardEvent.code), so `,` and Shift+`,` are one key on every
    layout; `key` (KeyboardEvent.key) is for characters whose key differs between layouts, like
    `?`. The press clicks a button (an elem_id; only when it is on screen, so a key of another tab
    does nothing) or runs one of keys.js's commands with `arg`.
    """

    code: str = ""
    key: str = ""
    mod: str = ""  # "", "ctrl" (Ctrl or Cmd) or "alt"
    shift: bool = False
    button: str = ""
    command: str = ""
    arg: float = 0


@dataclass(frozen=True)
class Hotkey:
    """A row of the help: what the user presses, what it does, where, and its key presses."""

    label: str  # as the user reads it: "Ctrl+S", ", / ."
    does: str
    where: str  # "Studio", "Player", "Review", "Anywhere"
    bindings: tuple[Binding, ...]


def _click(code: str, button: str, mod: str = "") -> Binding:
    return Binding(code=code, mod=mod, button=button)


HOTKEYS: tuple[Hotkey, ...] = (
    Hotkey("Ctrl+S", "save a draft", "Studio", (_click("KeyS", "save-btn", "ctrl"),)),
    Hotkey("Ctrl+Enter", "submit for review", "Studio", (_click("Enter", "submit-btn", "ctrl"),)),
    Hotkey("Alt+N", "next unfinished item", "Studio", (_click("KeyN", "next-btn", "alt"),)),
    Hotkey(
        "Alt+← / Alt+→",
        "previous / next reasoning step",
        "Studio",
        (_click("ArrowLeft", "prev-step", "alt"), _click("ArrowRight", "next-step", "alt")),
    ),
    Hotkey("K", "play / pause", "Player", (Binding(code="KeyK", command="play"),)),
    Hotkey(
        ", / .",
        "one frame back / forward",
        "Player",
        (
            Binding(code="Comma", command="frames", arg=-1),
            Binding(code="Period", command="frames", arg=1),
        ),
    ),
    Hotkey(
        "Shift+, / Shift+.",
        "one second back / forward",
        "Player",
        (
            Binding(code="Comma", shift=True, command="seconds", arg=-1),
            Binding(code="Period", shift=True, command="seconds", arg=1),
        ),
    ),
    Hotkey(
        "[ / ]",
        "slower / faster, 0.25x to 4x",
        "Player",
        (
            Binding(code="BracketLeft", command="speed", arg=-1),
            Binding(code="BracketRight", command="speed", arg=1),
        ),
    ),
    Hotkey("\\", "normal speed", "Player", (Binding(code="Backslash", command="speed", arg=0),)),
    Hotkey(
        "I / O",
        "your interval starts / ends at the playhead",
        "Player",
        (_click("KeyI", "start-here"), _click("KeyO", "end-here")),
    ),
    Hotkey("Alt+A", "approve", "Review", (_click("KeyA", "approve-btn", "alt"),)),
    Hotkey("Alt+R", "reject", "Review", (_click("KeyR", "reject-btn", "alt"),)),
    Hotkey("?", "show or hide this list", "Anywhere", (Binding(key="?", command="help"),)),
    Hotkey("Esc", "close this list", "Anywhere", (Binding(key="Escape", command="close-help"),)),
)

# What the pointer does on the Studio's timeline, listed beside the keys.
GESTURES = (
    ("drag an edge of Yours", "move that end of your interval"),
    ("drag the middle of Yours", "move your interval, keeping its length"),
    ("drag along the Yours lane", "draw a new interval"),
    ("click any lane", "move the player there"),
    ("hover the Score lane", "read the score of the scan at that time"),
)


def bindings() -> list[dict]:
    """Every key press as keys.js reads it."""
    return [asdict(b) for hotkey in HOTKEYS for b in hotkey.bindings]


def keys_js() -> str:
    """The page's `js` hook: keys.js given this table (the file is read when the app is built)."""
    return f"() => ({KEYS_JS_PATH.read_text().strip()})({json.dumps(bindings())})"


def help_html() -> str:
    """The `?` overlay: every key and gesture, with where it works."""
    rows = [_row(_kbd(h.label), h.does, h.where) for h in HOTKEYS]
    rows += [_row(html.escape(gesture), does, "Timeline") for gesture, does in GESTURES]
    return (
        '<div class="vau-help" role="dialog" aria-label="Keys and gestures" hidden>'
        '<div class="vau-help-card"><button class="vau-help-close" type="button" '
        'aria-label="Close">×</button><h4>Keys and gestures</h4>'
        f"<table><tbody>{''.join(rows)}</tbody></table>"
        "<p>Keys without Ctrl or Alt wait while you type in a field.</p></div></div>"
    )


def keys_line() -> str:
    """The short reminder under the correction form, with the button that opens the list."""
    return (
        '<div class="vau-keys"><kbd>Ctrl</kbd>+<kbd>S</kbd> save · <kbd>Ctrl</kbd>+'
        "<kbd>Enter</kbd> submit · <kbd>Alt</kbd>+<kbd>N</kbd> next item · <kbd>,</kbd> "
        "<kbd>.</kbd> frames · <kbd>I</kbd> <kbd>O</kbd> in / out · "
        '<button class="vau-help-open" type="button"><kbd>?</kbd> every key</button></div>'
    )


def markdown_table() -> str:
    """The README's table of keys and gestures (a test checks the README shows this)."""
    lines = ["| Keys | Does | Where |", "| --- | --- | --- |"]
    lines += [f"| {_code(h.label)} | {h.does} | {h.where} |" for h in HOTKEYS]
    lines += [f"| {gesture} | {does} | Timeline |" for gesture, does in GESTURES]
    return "\n".join(lines)


def _row(keys: str, does: str, where: str) -> str:
    return f"<tr><td>{keys}</td><td>{html.escape(does)}</td><td>{html.escape(where)}</td></tr>"


def _kbd(label: str) -> str:
    # "Shift+, / Shift+." -> <kbd>Shift</kbd>+<kbd>,</kbd> / ...; a lone "+" key stays a key.
    def one(combo: str) -> str:
        keys = combo.split("+") if len(combo) > 1 else [combo]
        return "+".join(f"<kbd>{html.escape(k)}</kbd>" for k in keys)

    return " / ".join(one(part) for part in label.split(" / "))


def _code(label: str) -> str:
    # A backslash or a pipe would be read as markdown; code spans keep each key literal.
    return " / ".join(f"`{part}`" for part in label.split(" / "))

"""Append-only JSON Lines files that survive being killed mid-write (eval and judge results)."""

from __future__ import annotations

from pathlib import Path


def repair_tail(path: Path) -> bool:
    """Make `path` safe to append to: drop a cut-off last line (True), end a complete one."""
    if not path.exists():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    last = data[data.rfind(b"\n") + 1 :]
    if _is_json(last):
        with path.open("ab") as handle:
            handle.write(b"\n")
        return False
    with path.open("r+b") as handle:
        handle.truncate(len(data) - len(last))
    return True


def _is_json(line: bytes) -> bool:
    import json

    try:
        json.loads(line)
    except ValueError:
        return False
    return True

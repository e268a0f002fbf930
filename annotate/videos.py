"""Finding dataset videos on disk by name, and hashing their content."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"})


@dataclass(frozen=True)
class Match:
    """Where a dataset video was found (path None: missing), and any doubt about it."""

    path: Path | None
    note: str | None = None


class VideoIndex:
    """Every video file under a folder, looked up by file name."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._by_name: dict[str, list[Path]] = defaultdict(list)
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() in VIDEO_SUFFIXES and path.is_file():
                self._by_name[path.name].append(path)

    def __len__(self) -> int:
        return sum(len(paths) for paths in self._by_name.values())

    def find(self, name: str, source: str) -> Match:
        """The file for dataset video `name`; a `msad_`-style prefix may be absent on disk."""
        candidates = self._by_name.get(name, [])
        prefix = source + "_"
        if not candidates and name.lower().startswith(prefix):
            candidates = self._by_name.get(name[len(prefix) :], [])
        if len(candidates) > 1:
            # Several datasets reuse plain names such as "17.mp4": prefer the source's folder.
            inside = [p for p in candidates if source in (part.lower() for part in p.parts)]
            candidates = inside or candidates
        if not candidates:
            return Match(None)
        note = None
        if len(candidates) > 1:
            shown = ", ".join(str(p.relative_to(self.root)) for p in candidates[:3])
            note = f"{len(candidates)} files named like {name}: {shown}; using the first"
        return Match(candidates[0], note)


def content_hash(path: str | Path) -> str:
    """The sha256 of a file's bytes, as hex."""
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

"""Read an `annotate export` folder: its records, their videos, and how each was sampled.

The export records the sampling options in each video part (fps, min / max / total pixels), so
training samples every video exactly as inference does (`inference.video.sampling`), frames
included.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inference.core.export_layout import MANIFEST, RECIPE_FORMATS, TRAIN_FILE, VALIDATION_FILE
from inference.core.tasks import DEFAULT_MAX_FRAMES, PIXEL_KEYS
from inference.video.cache import cached_sample_video
from inference.video.sampling import Clip, SamplingOptions
from train.config import TrainError

# recipe: the export format it reads, and the key of each record's chat
FORMATS = {"sft": (RECIPE_FORMATS["sft"], "messages"), "grpo": (RECIPE_FORMATS["grpo"], "prompt")}


@dataclass(frozen=True)
class Record:
    """One training example: its chat (SFT) or prompt (GRPO), video and reward columns."""

    key: str  # unique in its export: "line N: record id"
    messages: list[dict[str, Any]]
    video: str
    sampling: SamplingOptions
    task: str
    columns: dict[str, Any] = field(default_factory=dict)  # solution, interval, class, ...

    def clip(self) -> Clip:
        """The video's frames, sampled as inference samples them (cached per file and options)."""
        return cached_sample_video(self.video, self.sampling)


@dataclass(frozen=True)
class ExportData:
    """The records of an export folder, where they came from, and what the export says of them."""

    folder: Path
    records: list[Record]
    sha256: str
    manifest: dict[str, Any] | None
    validation: list[Record] = field(default_factory=list)
    video_root: str | None = None  # where the videos were found on this host

    def summary(self) -> dict[str, Any]:
        """What training.json records of the data."""
        tasks: dict[str, int] = {}
        for record in self.records:
            tasks[record.task] = tasks.get(record.task, 0) + 1
        return {
            "folder": str(self.folder),
            "file": TRAIN_FILE,
            "sha256": self.sha256,
            "records": len(self.records),
            "validation_records": len(self.validation),
            "tasks": tasks,
            "video_root": self.video_root,
            "manifest": self.manifest,
            "sampling": self.sampling_settings(),
        }

    def sampling_settings(self) -> list[dict[str, Any]]:
        """Each distinct way the records' videos are sampled (rate, frame cap, pixel bounds)."""
        keys = ("fps", "max_frames", *PIXEL_KEYS)
        found = {tuple(getattr(r.sampling, k) for k in keys) for r in self.records}
        return [dict(zip(keys, values, strict=True)) for values in sorted(found)]


def video_part(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first video content part of a chat, if any."""
    for message in messages:
        for part in message.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "video":
                return part
    return None


def _sampling(part: dict[str, Any], max_frames: int, where: str) -> SamplingOptions:
    keys = ("fps", *PIXEL_KEYS)
    try:
        values = {k: part[k] for k in keys if k in part}
        return SamplingOptions(max_frames=max_frames, **values)
    except (TypeError, ValueError) as error:
        raise TrainError(f"{where}: bad sampling options in the video part ({error})") from None


def _record(line: str, number: int, recipe: str, max_frames: int, where: str) -> Record:
    fmt, key = FORMATS[recipe]
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise TrainError(f"{where} line {number}: not JSON") from None
    if not isinstance(data, dict):
        raise TrainError(f"{where} line {number}: not a record")
    if key not in data:
        other = next((f for r, (f, k) in FORMATS.items() if r != recipe and k in data), None)
        found = f"a {other} export" if other else "no such export"
        raise TrainError(f"{where} holds {found}; `train {recipe}` reads --format {fmt}")
    messages = data[key]
    part = video_part(messages) if isinstance(messages, list) else None
    if part is None or not isinstance(part.get("video"), str):
        raise TrainError(f"{where} line {number}: no video in the record")
    columns = {k: v for k, v in data.items() if k != key}
    sampling = _sampling(part, max_frames, f"{where} line {number}")
    key = f"line {number}: {data.get('id', '')}"
    return Record(key, messages, part["video"], sampling, str(data.get("task", "")), columns)


def read_export(
    folder: str | Path,
    recipe: str,
    max_frames: int = DEFAULT_MAX_FRAMES,
    videos: str | Path | None = None,
) -> ExportData:
    """The training (and validation) records of an export folder; TrainError if unusable.

    Video paths are relative to the root the manifest records, or to `videos` (the folder
    that holds them on this host) when given; a file not found there is looked up by name.
    """
    folder = Path(folder)
    path = folder / TRAIN_FILE
    if not folder.is_dir():
        raise TrainError(f"{folder}: no such folder (write one with `python -m annotate export`)")
    fmt = FORMATS[recipe][0]
    if not path.is_file():
        hint = f"python -m annotate export --format {fmt} --out {folder}"
        raise TrainError(f"no {TRAIN_FILE} in {folder}; write one with `{hint}`")
    raw, records = _read_records(path, recipe, max_frames)
    if not records:
        raise TrainError(
            f"{path} has no records: nothing to train on (approve corrections, or export "
            "with --include-ground-truth)"
        )
    validation = folder / VALIDATION_FILE
    held_out = _read_records(validation, recipe, max_frames)[1] if validation.is_file() else []
    manifest = _manifest(folder)
    root = Path(videos) if videos else Path((manifest or {}).get("video_root") or folder)
    records, held_out = _located(records, root, videos), _located(held_out, root, videos)
    return ExportData(folder, records, hashlib.sha256(raw).hexdigest(), manifest, held_out,
                      str(root))  # fmt: skip


def _read_records(path: Path, recipe: str, max_frames: int) -> tuple[bytes, list[Record]]:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TrainError(f"{path}: cannot read ({error})") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    return raw, [_record(line, n, recipe, max_frames, str(path)) for n, line in lines]


def _located(records: list[Record], root: Path, videos: str | Path | None) -> list[Record]:
    """The records with each video's file on this host; TrainError naming what is missing."""
    found, missing = [], []
    for record in records:
        path = root / record.video  # an absolute path stays as it is
        if not path.is_file() and videos:
            path = root / Path(record.video).name
        (found if path.is_file() else missing).append(replace(record, video=str(path)))
    if missing:
        names = sorted({r.video for r in missing})
        flag = "" if videos else "; pass --videos DIR, the folder that holds them on this machine"
        raise TrainError(
            f"{len(names)} video(s) of the export are missing under {root}, e.g. {names[0]}{flag}"
        )
    return found


def _manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise TrainError(f"{folder / MANIFEST}: cannot read ({error})") from None

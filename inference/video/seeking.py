"""Decode only what the wanted frames need: seek to each one's keyframe, split across threads.

Sampling 58 frames of a 5-minute video at the app's token budget, decoding in order means
decoding all 9000 frames. Reading the container's packet index (demuxing, no decoding: ~30 ms
for 5 minutes of 720p) tells where the keyframes are, so each run of wanted frames starts at
its keyframe and the tail of a GOP after its last wanted frame is never decoded. The runs are
shared among threads, each with its own demuxer and decoder (FFmpeg releases the GIL), which
uses the cores better than one decoder's frame threading. Frames are identified by their
presentation timestamp, so the frame numbers are those of an in-order decode.
"""

from __future__ import annotations

import bisect
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

MAX_THREADS = 4


class SeekMiss(Exception):
    """Seeking did not land where the index said; the caller decodes in order instead."""


@dataclass(frozen=True)
class PacketIndex:
    """Every frame's presentation timestamp in display order, and the keyframes' timestamps."""

    pts: list[int]
    keyframes: list[int]

    def keyframe_before(self, pts: int) -> int:
        """The timestamp of the keyframe a decoder must start from to reach `pts`."""
        return self.keyframes[bisect.bisect_right(self.keyframes, pts) - 1]


def packet_index(
    container: av.container.InputContainer, stream: av.VideoStream
) -> tuple[int, PacketIndex | None]:
    """The stream's frame count from its packets, and its index when seeking can trust it."""
    pts: list[int] = []
    keyframes: list[int] = []
    count, timed = 0, True
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        count += 1
        if packet.pts is None:
            timed = False  # frames without timestamps cannot be matched: decode in order
            continue
        pts.append(packet.pts)
        if packet.is_keyframe:
            keyframes.append(packet.pts)
    pts.sort()
    if not timed or not keyframes or len(set(pts)) != len(pts) or min(keyframes) != pts[0]:
        return count, None
    return count, PacketIndex(pts, sorted(keyframes))


def read_seeking(
    path: Path, index: PacketIndex, indices: list[int], height: int, width: int
) -> np.ndarray:
    """Frames at `indices` (in range of the index) as (T, height, width, 3) uint8."""
    wanted = sorted(set(indices))
    threads = max(1, min(MAX_THREADS, os.cpu_count() or 1, len(wanted)))
    parts = [list(part) for part in np.array_split(np.array(wanted), threads) if len(part)]
    if len(parts) == 1:
        found = _decode_run(path, index, parts[0], height, width, "AUTO")
    else:
        with ThreadPoolExecutor(len(parts), thread_name_prefix="seek") as pool:
            runs = pool.map(lambda part: _decode_run(path, index, part, height, width), parts)
            found = {k: v for run in runs for k, v in run.items()}
    return np.stack([found[i] for i in indices])


def _decode_run(
    path: Path, index: PacketIndex, wanted: list[int], height: int, width: int, threads="SLICE"
) -> dict[int, np.ndarray]:
    """Decode the sorted frame numbers `wanted`, seeking to a keyframe whenever that skips."""
    targets = [index.pts[i] for i in wanted]
    frames: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = threads  # segment threads already use the cores: no frame threads
        at = 0
        while at < len(targets):
            container.seek(index.keyframe_before(targets[at]), stream=stream, backward=True)
            at = _decode_from_seek(
                container, stream, index, targets, wanted, at, frames, (height, width)
            )
    return frames


def _decode_from_seek(container, stream, index, targets, wanted, at, frames, size) -> int:
    """Decode after a seek, keeping wanted frames; stop where seeking ahead is cheaper."""
    for frame in container.decode(stream):
        if frame.pts is None or frame.pts < targets[at]:
            continue
        if frame.pts > targets[at]:
            raise SeekMiss(f"frame at pts {targets[at]} is missing")
        frames[wanted[at]] = frame.to_ndarray(width=size[1], height=size[0], format="rgb24")
        at += 1
        if at == len(targets):
            return at
        if index.keyframe_before(targets[at]) > frame.pts:
            return at  # the next wanted frame is past another keyframe: seek there
    raise SeekMiss(f"the stream ended before pts {targets[at]}")

"""Turn a video file into the frames Qwen2.5-VL sees: which frames, at what size, at what fps.

The frame-count and frame-size rules are qwen-vl-utils' (`smart_nframes`, `smart_resize`), plus a
whole-video token budget that is actually enforced: first frames shrink (down to `min_pixels`),
then frames are dropped. Readers return frames already at their final size (FFmpeg's scaler
runs as each frame is decoded) instead of full-size frames resized afterwards, the slow part of
the reference pipeline. decord is tried first; PyAV reads what decord cannot (AV1, some
webm/mkv). Sizes are (height, width) throughout, as in numpy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import av
import decord
import numpy as np

from inference.core.tasks import DEFAULT_MAX_FRAMES, DEFAULT_PIXELS
from inference.errors import VideoError
from inference.video.seeking import SeekMiss, packet_index, read_seeking

PATCH = 28  # pixels per side of one visual token (ViT patch 14, spatial merge 2)
FRAME_FACTOR = 2  # frames per visual token (temporal patch 2): frame counts stay even
MIN_BUDGET_FRAMES = 4  # the token budget never cuts a video below this many frames
MAX_ASPECT_RATIO = 200  # Qwen's processor refuses frames more elongated than this
# Frames missing at the end of a stream whose header overstates its length by a little;
# they repeat the last decoded frame instead of failing the whole video.
TAIL_SLACK_FRAMES = 3

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Settings and results


@dataclass(frozen=True)
class SamplingOptions:
    """How to sample a video; `total_pixels` caps visual tokens at total_pixels / 784."""

    fps: float = 2.0
    min_frames: int = 4
    max_frames: int = DEFAULT_MAX_FRAMES
    min_pixels: int = DEFAULT_PIXELS["min_pixels"]
    max_pixels: int = DEFAULT_PIXELS["max_pixels"]
    total_pixels: int = DEFAULT_PIXELS["total_pixels"]
    reader: str = "auto"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a positive number, got {self.fps}")
        if not 1 <= self.min_frames <= self.max_frames:
            raise ValueError(
                f"need 1 <= min_frames <= max_frames, got {self.min_frames} and {self.max_frames}"
            )
        if not PATCH * PATCH <= self.min_pixels <= self.max_pixels:
            raise ValueError(
                f"need {PATCH * PATCH} <= min_pixels <= max_pixels, "
                f"got {self.min_pixels} and {self.max_pixels}"
            )
        if self.total_pixels < MIN_BUDGET_FRAMES // FRAME_FACTOR * self.min_pixels:
            raise ValueError(
                f"total_pixels {self.total_pixels} cannot hold {MIN_BUDGET_FRAMES} frames "
                f"of min_pixels {self.min_pixels}"
            )
        if self.reader != "auto" and self.reader not in READERS:
            raise ValueError(
                f"unknown reader {self.reader!r}; choose one of auto, {', '.join(READERS)}"
            )

    @property
    def token_budget(self) -> int:
        """The most visual tokens a sampled video may cost."""
        return self.total_pixels // (PATCH * PATCH)


@dataclass(frozen=True)
class VideoInfo:
    """What a reader found in the file; `duration` is frame_count / fps."""

    path: str
    fps: float
    frame_count: int
    duration: float
    width: int
    height: int
    reader: str


@dataclass(frozen=True)
class SamplingPlan:
    """Which frames to take and at what size, decided before decoding anything."""

    indices: list[int]
    height: int
    width: int
    sample_fps: float
    timestamps: list[float]

    @property
    def visual_tokens(self) -> int:
        """Tokens the model spends on these frames."""
        return visual_tokens(len(self.indices), self.height, self.width)


@dataclass(frozen=True, eq=False)
class Clip:
    """Sampled frames (T, H, W, 3) uint8, the second each was taken at, and the fps to report."""

    frames: np.ndarray = field(repr=False)
    timestamps: list[float]
    sample_fps: float
    info: VideoInfo
    options: SamplingOptions
    sampling_s: float = 0.0  # wall time spent decoding and resizing, for the engine's timings

    @property
    def num_frames(self) -> int:
        """Number of sampled frames (always even)."""
        return int(self.frames.shape[0])

    @property
    def frame_size(self) -> tuple[int, int]:
        """(height, width) of every frame, both multiples of 28."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    @property
    def visual_tokens(self) -> int:
        """Tokens the model spends on this clip."""
        return visual_tokens(self.num_frames, *self.frame_size)

    def part(self, frames: range) -> Clip:
        """Frames `frames` as a clip of their own (their times stay the video's)."""
        return dataclasses.replace(
            self,
            frames=self.frames[frames.start : frames.stop],
            timestamps=self.timestamps[frames.start : frames.stop],
        )


# ---------------------------------------------------------------------------------------------
# Pure maths (no I/O)


def round_even(value: float, factor: int = FRAME_FACTOR) -> int:
    """The multiple of `factor` nearest to `value`."""
    return round(value / factor) * factor


def floor_even(value: float, factor: int = FRAME_FACTOR) -> int:
    """The largest multiple of `factor` not above `value`."""
    return math.floor(value / factor) * factor


def ceil_even(value: float, factor: int = FRAME_FACTOR) -> int:
    """The smallest multiple of `factor` not below `value`."""
    return math.ceil(value / factor) * factor


def visual_tokens(num_frames: int, height: int, width: int) -> int:
    """Visual tokens for `num_frames` frames of height x width (one per 28x28 per 2 frames)."""
    return math.ceil(num_frames / FRAME_FACTOR) * (height // PATCH) * (width // PATCH)


def budget_tokens(total_pixels: int) -> int:
    """Visual tokens a whole-video pixel budget allows (total_pixels / 784)."""
    return total_pixels // (PATCH * PATCH)


def smart_resize(height: int, width: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """Nearest (height, width) in multiples of 28 with min <= h*w <= max, aspect ratio kept."""
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(f"aspect ratio of {width}x{height} exceeds {MAX_ASPECT_RATIO}:1")
    new_h = max(PATCH, round_even(height, PATCH))
    new_w = max(PATCH, round_even(width, PATCH))
    if new_h * new_w > max_pixels:
        scale = math.sqrt(height * width / max_pixels)
        new_h = max(PATCH, floor_even(height / scale, PATCH))
        new_w = max(PATCH, floor_even(width / scale, PATCH))
    elif new_h * new_w < min_pixels:
        scale = math.sqrt(min_pixels / (height * width))
        new_h = ceil_even(height * scale, PATCH)
        new_w = ceil_even(width * scale, PATCH)
    return new_h, new_w


def smart_nframes(
    frame_count: int, video_fps: float, fps: float, min_frames: int, max_frames: int
) -> int:
    """Frames to sample: duration * fps, clamped to [min, max] and the video's frames, even.

    A video of a single frame yields it twice, since the model packs frames in pairs.
    """
    wanted = frame_count / video_fps * fps
    clamped = min(max(wanted, ceil_even(min_frames)), floor_even(max_frames), frame_count)
    return max(FRAME_FACTOR, floor_even(clamped))


def frame_indices(frame_count: int, nframes: int) -> list[int]:
    """`nframes` indices spread evenly from the first frame to the last."""
    return np.linspace(0, frame_count - 1, nframes).round().astype(int).tolist()


def fit_to_budget(
    height: int, width: int, nframes: int, options: SamplingOptions
) -> tuple[int, int, int]:
    """(height, width, nframes) within the token budget: shrink frames first, then drop frames."""
    budget = options.token_budget
    per_frame = FRAME_FACTOR * options.total_pixels / nframes
    ceiling = min(options.max_pixels, max(options.min_pixels, per_frame))
    new_h, new_w = smart_resize(height, width, options.min_pixels, ceiling)
    if visual_tokens(nframes, new_h, new_w) <= budget:
        return new_h, new_w, nframes
    tokens_per_pair = (new_h // PATCH) * (new_w // PATCH)
    fewest = min(MIN_BUDGET_FRAMES, nframes)
    nframes = max(fewest, FRAME_FACTOR * (budget // tokens_per_pair))
    if visual_tokens(nframes, new_h, new_w) > budget:
        # Only when even the fewest frames at min_pixels overflow: go below min_pixels.
        per_frame = FRAME_FACTOR * options.total_pixels / nframes
        new_h, new_w = smart_resize(height, width, PATCH * PATCH, per_frame)
    return new_h, new_w, nframes


def plan_sampling(info: VideoInfo, options: SamplingOptions) -> SamplingPlan:
    """Decide frames, size and fps for a video; raises ValueError for an impossible shape."""
    nframes = smart_nframes(
        info.frame_count, info.fps, options.fps, options.min_frames, options.max_frames
    )
    height, width, nframes = fit_to_budget(info.height, info.width, nframes, options)
    indices = frame_indices(info.frame_count, nframes)
    return SamplingPlan(
        indices=indices,
        height=height,
        width=width,
        sample_fps=nframes / info.frame_count * info.fps,
        timestamps=[index / info.fps for index in indices],
    )


# ---------------------------------------------------------------------------------------------
# Readers (I/O)


class Source(Protocol):
    """An opened video: its metadata, and a way to decode chosen frames at a chosen size."""

    info: VideoInfo

    def read(self, indices: list[int], height: int, width: int) -> np.ndarray:
        """Frames at `indices` as a (T, height, width, 3) uint8 array."""
        ...


def _video_info(
    path: Path, fps: float, frame_count: int, width: int, height: int, reader: str
) -> VideoInfo:
    if frame_count <= 0:
        raise VideoError(f"{path}: the video has no frames")
    if not (math.isfinite(fps) and fps > 0):
        raise VideoError(f"{path}: the video does not say its frame rate")
    if width <= 0 or height <= 0:
        raise VideoError(f"{path}: the video does not say its frame size")
    return VideoInfo(str(path), fps, frame_count, frame_count / fps, width, height, reader)


class DecordSource:
    """decord reader: seeks to the wanted frames and scales them while decoding."""

    name = "decord"

    def __init__(self, path: Path) -> None:
        # decord's FFmpeg would print to stderr; its failures reach the user as VideoError.
        decord.logging.set_level(decord.logging.QUIET)
        self._path = path
        try:
            self._reader = decord.VideoReader(str(path))
            height, width = self._reader.next().shape[:2]
            fps, frame_count = self._reader.get_avg_fps(), len(self._reader)
        except Exception as error:  # decord raises bare RuntimeError/AssertionError too
            raise VideoError(f"{path}: decord cannot open it ({_one_line(error)})") from None
        self.info = _video_info(path, fps, frame_count, width, height, self.name)

    def read(self, indices: list[int], height: int, width: int) -> np.ndarray:
        """Frames at `indices`, decoded straight to height x width."""
        try:
            if (height, width) == (self.info.height, self.info.width):
                reader = self._reader
            else:
                reader = decord.VideoReader(str(self._path), width=width, height=height)
            return reader.get_batch(indices).asnumpy()
        except Exception as error:  # see __init__
            raise VideoError(
                f"{self._path}: decord cannot decode it ({_one_line(error)})"
            ) from None


class PyAVSource:
    """PyAV reader: seeks to the wanted frames' keyframes (inference.video.seeking), else decodes in
    order and keeps the wanted frames."""

    name = "pyav"

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            with av.open(str(path)) as container:
                stream = _video_stream(container, path)
                rate = stream.average_rate or stream.guessed_rate or 0
                # Matroska/WebM headers carry no frame count; demuxing (no decoding) is cheap.
                counted, self._index = packet_index(container, stream)
                frame_count = stream.frames or counted
                context = stream.codec_context
                info = (float(rate), frame_count, context.width, context.height)
        except AV_ERRORS as error:
            raise VideoError(f"{path}: not a readable video ({_av_message(error)})") from None
        self.info = _video_info(path, *info, reader=self.name)

    def read(self, indices: list[int], height: int, width: int) -> np.ndarray:
        """Frames at `indices` scaled to height x width: by seeking when the index allows."""
        if self._index is not None and max(indices) < len(self._index.pts):
            try:
                return read_seeking(self._path, self._index, indices, height, width)
            except (SeekMiss, *AV_ERRORS):
                pass  # a container whose index misleads: decode it in order instead
        return self._read_in_order(indices, height, width)

    def _read_in_order(self, indices: list[int], height: int, width: int) -> np.ndarray:
        """Frames at `indices`, decoded in order and scaled to height x width."""
        wanted: dict[int, list[int]] = {}
        for slot, index in enumerate(indices):
            wanted.setdefault(index, []).append(slot)
        frames = np.zeros((len(indices), height, width, 3), np.uint8)
        decoded, last = 0, max(indices)
        try:
            with av.open(str(self._path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for number, frame in enumerate(container.decode(stream)):
                    decoded = number + 1
                    if number in wanted:
                        image = frame.to_ndarray(width=width, height=height, format="rgb24")
                        frames[wanted[number]] = image
                    if number == last:
                        break
        except AV_ERRORS as error:
            message = _av_message(error)
            raise VideoError(
                f"{self._path}: decoding failed at frame {decoded} ({message})"
            ) from None
        return self._fill_tail(frames, indices, decoded)

    def _fill_tail(self, frames: np.ndarray, indices: list[int], decoded: int) -> np.ndarray:
        missing = [slot for slot, index in enumerate(indices) if index >= decoded]
        if not missing:
            return frames
        if decoded == 0 or self.info.frame_count - decoded > TAIL_SLACK_FRAMES:
            raise VideoError(
                f"{self._path}: the stream ends after {decoded} of {self.info.frame_count} "
                "frames (truncated or corrupt file)"
            )
        last = max(slot for slot, index in enumerate(indices) if index < decoded)
        frames[missing] = frames[last]
        return frames


READERS: dict[str, Callable[[Path], Source]] = {"decord": DecordSource, "pyav": PyAVSource}

_DECORD_PREFIX = re.compile(r"^(?:\[[\d:]+\] )?\S+\.cc:\d+: (?:\[[^\]]*\] )?")


def _one_line(error: BaseException) -> str:
    """The error's last non-blank line, without decord's "[time] file.cc:123: " prefix."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = _DECORD_PREFIX.sub("", lines[-1]) if lines else type(error).__name__
    return line[:200]


# PyAV decodes container metadata as UTF-8; a corrupt header raises UnicodeDecodeError.
AV_ERRORS = (av.FFmpegError, UnicodeDecodeError)


def _av_message(error: Exception) -> str:
    return getattr(error, "strerror", None) or _one_line(error)


def _video_stream(container: av.container.InputContainer, path: Path) -> av.VideoStream:
    """The first video stream, refusing still images (FFmpeg reads those as one-frame videos)."""
    formats = set(container.format.name.split(","))
    if formats & {"image2", "image2pipe"} or any(name.endswith("_pipe") for name in formats):
        raise VideoError(f"{path}: this is a still image, not a video")
    if not container.streams.video:
        raise VideoError(f"{path}: the file has no video stream")
    return container.streams.video[0]


def _checked_path(path: str | Path) -> Path:
    """The path, once its headers show a video; else a one-line VideoError naming it."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path}: no such file")
    if path.is_dir():
        raise VideoError(f"{path}: is a directory, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty")
    # Sniff with PyAV before any reader: decord prints its own errors straight to stderr.
    try:
        with av.open(str(path)) as container:
            _video_stream(container, path)
    except AV_ERRORS as error:
        raise VideoError(f"{path}: not a readable video ({_av_message(error)})") from None
    return path


def _reader_names(reader: str) -> tuple[str, ...]:
    # PyAV first: seeking to keyframes on parallel threads it is 2-4x faster than decord on the
    # same frames (docs/benchmarks.md); decord reads what PyAV cannot.
    return ("pyav", "decord") if reader == "auto" else (reader,)


def _with_readers(path: str | Path, reader: str, use: Callable[[Source], T]) -> T:
    """Run `use` on the file opened by each reader in turn; the first success wins."""
    path = _checked_path(path)
    failure: VideoError | None = None
    for name in _reader_names(reader):
        try:
            return use(READERS[name](path))
        except VideoError as error:
            failure = error
    assert failure is not None
    raise failure


def probe_video(path: str | Path, reader: str = "auto") -> VideoInfo:
    """Frame rate, frame count, duration and size of a video, without decoding it all."""
    return _with_readers(path, reader, lambda source: source.info)


def _sample(source: Source, options: SamplingOptions) -> Clip:
    try:
        plan = plan_sampling(source.info, options)
    except ValueError as error:
        raise VideoError(f"{source.info.path}: {error}") from None
    frames = source.read(plan.indices, plan.height, plan.width)
    return Clip(frames, plan.timestamps, plan.sample_fps, source.info, options)


def sample_video(path: str | Path, options: SamplingOptions | None = None) -> Clip:
    """Sample a video file for the model; raises VideoError for anything unreadable."""
    options = options or SamplingOptions()
    started = time.perf_counter()
    clip = _with_readers(path, options.reader, lambda source: _sample(source, options))
    return dataclasses.replace(clip, sampling_s=time.perf_counter() - started)


def clip_identity(clip: Clip) -> str:
    """Identity of a clip for the model: its frames and the fps they are reported at."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((clip.frames.shape, clip.sample_fps)).encode())
    digest.update(np.ascontiguousarray(clip.frames).reshape(-1).view(np.uint8))
    return digest.hexdigest()


def still_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(height, width) scaled to fit `max_side`, kept even (what video scalers want)."""
    scale = min(1.0, max_side / max(height, width, 1))
    return max(2, round(height * scale / 2) * 2), max(2, round(width * scale / 2) * 2)


def read_frame(path: str | Path, seconds: float, max_side: int = 320) -> np.ndarray:
    """The frame shown at `seconds` (clamped to the video), as an RGB array fitting `max_side`."""

    def read(source: Source) -> np.ndarray:
        info = source.info
        index = min(max(int(seconds * info.fps), 0), max(info.frame_count - 1, 0))
        height, width = still_size(info.height, info.width, max_side)
        return source.read([index], height, width)[0]

    return _with_readers(path, "auto", read)

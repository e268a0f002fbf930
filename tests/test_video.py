"""inference.video.sampling: which frames are sampled, when, at what size, how bad files fail."""

from __future__ import annotations

import dataclasses
import logging

import av
import decord
import numpy as np
import pytest
from PIL import Image

from inference.errors import VideoError
from inference.video import sampling as video
from inference.video.sampling import (
    PATCH,
    PyAVSource,
    SamplingOptions,
    VideoInfo,
    frame_indices,
    plan_sampling,
    probe_video,
    sample_video,
    smart_nframes,
    smart_resize,
    visual_tokens,
)
from tests.conftest import ROOT
from tests.videos import frame_index, is_anomalous, write_video

DEFAULTS = SamplingOptions()
READERS = ("decord", "pyav")


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory):
    """10 s at 25 fps (250 frames), anomalous from 4 s to 6 s."""
    return write_video(tmp_path_factory.mktemp("v") / "ten.mp4", 10, 25, anomaly=(4.0, 6.0))


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory):
    """A 10-minute video (tiny frames, 4 fps) whose fps rule alone would overflow the budget."""
    return write_video(tmp_path_factory.mktemp("v") / "long.mp4", 600, 4)


def info(seconds: float, fps: float, width: int, height: int) -> VideoInfo:
    frames = round(seconds * fps)
    return VideoInfo("made-up.mp4", fps, frames, frames / fps, width, height, "test")


# --- frame count -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame_count", "video_fps", "fps", "min_frames", "max_frames", "expected"),
    [
        (250, 25, 2.0, 4, 768, 20),  # 10 s at 2 fps
        (250, 25, 1.0, 4, 768, 10),  # 10 s at 1 fps
        (105, 10, 1.0, 4, 768, 10),  # 10.5 s: fractional count rounds down to even
        (110, 10, 1.0, 4, 768, 10),  # 11 s: odd count rounds down to even
        (30, 10, 0.5, 4, 768, 4),  # 1.5 wanted: raised to min_frames
        (20, 10, 1.0, 5, 768, 6),  # odd min_frames rounds up to even
        (36000, 30, 2.0, 4, 768, 768),  # 20 minutes: capped at max_frames
        (1000, 10, 2.0, 4, 101, 100),  # odd max_frames rounds down to even
        (3, 10, 2.0, 4, 768, 2),  # never more than the video has
        (12, 10, 30.0, 4, 768, 12),  # fps above the source's: every frame once
        (1, 10, 2.0, 4, 768, 2),  # a single frame is taken twice (frames go in pairs)
    ],
)
def test_frame_count_follows_fps_clamped_and_even(
    frame_count, video_fps, fps, min_frames, max_frames, expected
):
    assert smart_nframes(frame_count, video_fps, fps, min_frames, max_frames) == expected


@pytest.mark.parametrize(
    ("frame_count", "video_fps", "fps", "min_frames", "max_frames"),
    [(250, 25, 2.0, 4, 768), (105, 10, 1.0, 4, 768), (30, 10, 0.5, 4, 768), (36000, 30, 2, 4, 768)]
    + [(1000, 10, 2.0, 4, 101), (3, 10, 2.0, 4, 768), (4471, 29.97, 1.0, 4, 768)],
)
def test_frame_count_matches_qwen_vl_utils(frame_count, video_fps, fps, min_frames, max_frames):
    qwen = pytest.importorskip("qwen_vl_utils.vision_process")
    logging.getLogger(qwen.__name__).setLevel(logging.ERROR)
    options = {"fps": fps, "min_frames": min_frames, "max_frames": max_frames}
    expected = qwen.smart_nframes(options, total_frames=frame_count, video_fps=video_fps)
    assert smart_nframes(frame_count, video_fps, fps, min_frames, max_frames) == expected


def test_indices_spread_evenly_from_first_to_last_frame():
    indices = frame_indices(250, 20)
    assert indices[0] == 0 and indices[-1] == 249
    gaps = np.diff(indices)
    assert gaps.min() >= 13 and gaps.max() <= 14


# --- frame size ------------------------------------------------------------------------------

SIZES = [(480, 640), (720, 1280), (1080, 1920), (2160, 3840), (48, 64), (240, 320), (1920, 1080)]


@pytest.mark.parametrize(("height", "width"), SIZES + [(100, 5000), (333, 777)])
def test_frame_size_is_multiples_of_28_within_pixel_limits(height, width):
    new_h, new_w = smart_resize(height, width, DEFAULTS.min_pixels, DEFAULTS.max_pixels)
    assert new_h % PATCH == 0 and new_w % PATCH == 0
    assert new_h * new_w <= DEFAULTS.max_pixels
    assert new_h * new_w >= DEFAULTS.min_pixels * 0.9  # rounding to 28 may land a bit under


@pytest.mark.parametrize(("height", "width"), SIZES)
def test_frame_size_keeps_aspect_ratio(height, width):
    new_h, new_w = smart_resize(height, width, DEFAULTS.min_pixels, DEFAULTS.max_pixels)
    assert new_w / new_h == pytest.approx(width / height, rel=0.1)


@pytest.mark.parametrize(("height", "width"), SIZES + [(333, 777)])
def test_frame_size_matches_qwen_vl_utils(height, width):
    qwen = pytest.importorskip("qwen_vl_utils.vision_process")
    limits = {"min_pixels": DEFAULTS.min_pixels, "max_pixels": DEFAULTS.max_pixels}
    expected = qwen.smart_resize(height, width, factor=PATCH, **limits)
    assert smart_resize(height, width, **limits) == expected


def test_extreme_aspect_ratio_is_refused():
    with pytest.raises(ValueError, match="aspect ratio"):
        smart_resize(10, 2100, DEFAULTS.min_pixels, DEFAULTS.max_pixels)


# --- whole-video token budget ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "fps", "width", "height"),
    [
        (10, 25, 640, 480),
        (20, 25, 1280, 720),
        (300, 30, 1280, 720),  # a UCF-Crime-length clip
        (7200, 30, 3840, 2160),  # two hours of 4K
        (600, 4, 64, 48),  # tiny frames are enlarged to min_pixels first
        (0.1, 10, 320, 240),  # one frame
    ],
)
def test_plan_stays_within_the_token_budget(seconds, fps, width, height):
    plan = plan_sampling(info(seconds, fps, width, height), DEFAULTS)
    assert plan.visual_tokens <= DEFAULTS.token_budget
    assert len(plan.indices) % 2 == 0
    assert plan.height % PATCH == 0 and plan.width % PATCH == 0


def test_budget_shrinks_frames_before_dropping_any():
    plan = plan_sampling(info(20, 25, 1280, 720), DEFAULTS)  # 40 frames at 2 fps
    assert len(plan.indices) == 40
    assert plan.height * plan.width < 720 * 1280
    assert plan.height * plan.width >= DEFAULTS.min_pixels
    assert plan.sample_fps == pytest.approx(2.0)


def test_budget_drops_frames_once_frames_are_at_min_pixels():
    plan = plan_sampling(info(300, 30, 1280, 720), DEFAULTS)  # 600 frames wanted
    assert 4 <= len(plan.indices) < 600
    assert plan.height * plan.width <= DEFAULTS.min_pixels * 1.1
    assert plan.sample_fps == pytest.approx(len(plan.indices) / 9000 * 30)
    assert plan.sample_fps < 2.0


def test_budget_never_drops_below_four_frames():
    options = SamplingOptions(total_pixels=2 * DEFAULTS.min_pixels)
    plan = plan_sampling(info(300, 30, 1280, 720), options)
    assert len(plan.indices) == 4
    assert plan.visual_tokens <= options.token_budget


def test_timestamps_are_index_over_source_fps():
    plan = plan_sampling(info(10, 25, 640, 480), DEFAULTS)
    assert plan.timestamps == [index / 25 for index in plan.indices]


def test_visual_tokens_count_one_per_28x28_per_two_frames():
    assert visual_tokens(20, 280, 392) == 10 * 10 * 14


@pytest.mark.parametrize(
    "bad",
    [
        {"fps": 0},
        {"fps": -1.0},
        {"fps": float("nan")},
        {"min_frames": 0},
        {"min_frames": 10, "max_frames": 8},
        {"min_pixels": 100},
        {"min_pixels": 800 * 784, "max_pixels": 700 * 784},
        {"total_pixels": 784},
        {"reader": "opencv"},
    ],
)
def test_inconsistent_options_are_refused(bad):
    with pytest.raises(ValueError):
        SamplingOptions(**bad)


# --- sampling real files ---------------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_sampling_at_2fps_takes_20_frames_at_known_times(ten_seconds, reader):
    clip = sample_video(ten_seconds, SamplingOptions(fps=2.0, reader=reader))
    expected = frame_indices(250, 20)
    assert clip.num_frames == 20
    assert clip.timestamps == [index / 25 for index in expected]
    assert [frame_index(frame) for frame in clip.frames] == expected
    assert clip.sample_fps == pytest.approx(20 / 250 * 25)
    assert clip.info.reader == reader


@pytest.mark.parametrize("reader", READERS)
def test_frames_are_uint8_rgb_at_the_planned_size(ten_seconds, reader):
    clip = sample_video(ten_seconds, SamplingOptions(reader=reader))
    height, width = clip.frame_size
    assert clip.frames.dtype == np.uint8
    assert clip.frames.shape == (clip.num_frames, height, width, 3)
    assert height % PATCH == 0 and width % PATCH == 0
    assert clip.visual_tokens == clip.num_frames // 2 * (height // PATCH) * (width // PATCH)


def test_frames_inside_the_anomaly_are_the_anomalous_ones(ten_seconds):
    clip = sample_video(ten_seconds, SamplingOptions(fps=4.0))
    inside = [4.0 <= t < 6.0 for t in clip.timestamps]
    assert [is_anomalous(frame) for frame in clip.frames] == inside
    assert any(inside)


def test_both_readers_return_the_same_frames(ten_seconds):
    clips = [sample_video(ten_seconds, SamplingOptions(reader=r)) for r in READERS]
    assert clips[0].timestamps == clips[1].timestamps
    difference = np.abs(clips[0].frames.astype(int) - clips[1].frames.astype(int)).mean()
    assert difference < 8


def test_ten_minute_video_stays_within_the_token_budget(ten_minutes):
    clip = sample_video(ten_minutes, DEFAULTS)
    assert clip.visual_tokens <= DEFAULTS.token_budget
    assert clip.num_frames >= 4 and clip.num_frames % 2 == 0
    assert clip.sample_fps == pytest.approx(clip.num_frames / 2400 * 4)
    assert [frame_index(frame) for frame in clip.frames] == [round(t * 4) for t in clip.timestamps]
    assert clip.timestamps[-1] == pytest.approx(599.75)


def test_single_frame_video_gives_that_frame_twice(tmp_path):
    clip = sample_video(write_video(tmp_path / "one.mp4", 0.1, 10))
    assert clip.num_frames == 2
    assert [frame_index(frame) for frame in clip.frames] == [0, 0]


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
@pytest.mark.parametrize("reader", READERS)
def test_probe_reports_fps_frames_duration_and_size(tmp_path, suffix, reader):
    path = write_video(tmp_path / f"v{suffix}", 3, 10, size=(96, 64))
    found = probe_video(path, reader)
    assert (found.fps, found.frame_count, found.duration) == (10.0, 30, 3.0)
    assert (found.width, found.height, found.reader) == (96, 64, reader)


# --- files that are not videos ---------------------------------------------------------------


def _png(path):
    Image.new("RGB", (64, 48), "red").save(path)


def _truncated(path, faststart: bool):
    source = path.with_name("whole" + path.suffix)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(source), "w", options=options) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(40):
            noise = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(noise, format="rgb24")))
        container.mux(stream.encode())
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BAD_FILES = {
    "empty": lambda p: p.write_bytes(b""),
    "text": lambda p: p.write_text("this is not a video\n" * 20),
    "random bytes": lambda p: p.write_bytes(np.random.default_rng(1).bytes(4096)),
    "mp4 header only": lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64),
    "png image": _png,
    "truncated (index at the end)": lambda p: _truncated(p, faststart=False),
    "truncated (index at the start)": lambda p: _truncated(p, faststart=True),
}


@pytest.mark.parametrize("reader", ("auto", *READERS))
@pytest.mark.parametrize("kind", BAD_FILES)
def test_unreadable_file_is_a_one_line_video_error_naming_it(tmp_path, kind, reader):
    path = tmp_path / ("bad.png" if kind == "png image" else "bad.mp4")
    BAD_FILES[kind](path)
    with pytest.raises(VideoError) as caught:
        sample_video(path, SamplingOptions(reader=reader))
    message = str(caught.value)
    assert str(path) in message and "\n" not in message


@pytest.mark.parametrize("kind", BAD_FILES)
def test_unreadable_file_prints_nothing_to_stderr(tmp_path, capfd, kind):
    path = tmp_path / ("bad.png" if kind == "png image" else "bad.mp4")
    BAD_FILES[kind](path)
    capfd.readouterr()
    with pytest.raises(VideoError):
        sample_video(path)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p, "no such file"),
        (lambda p: p.mkdir() or p, "directory"),
        (lambda p: p.write_bytes(b"") or p, "empty"),
    ],
)
def test_missing_directory_and_empty_paths_say_so(tmp_path, make, says):
    path = tmp_path / "clip.mp4"
    make(path)
    with pytest.raises(VideoError, match=says):
        probe_video(path)


def test_still_image_is_not_a_video(tmp_path):
    _png(tmp_path / "still.png")
    with pytest.raises(VideoError, match="still image"):
        sample_video(tmp_path / "still.png")


# --- falling back from PyAV to decord --------------------------------------------------------


def test_pyav_open_failure_falls_back_to_decord(ten_seconds, monkeypatch):
    def refuse(path):
        raise VideoError(f"{path}: pyav cannot")

    monkeypatch.setitem(video.READERS, "pyav", refuse)
    clip = sample_video(ten_seconds, SamplingOptions(fps=2.0))
    assert clip.info.reader == "decord"
    assert [frame_index(frame) for frame in clip.frames] == frame_indices(250, 20)


def test_pyav_decode_failure_falls_back_to_decord(ten_seconds, monkeypatch):
    def refuse(self, indices, height, width):
        raise VideoError(f"{self._path}: decoding failed at frame 3 (broken)")

    monkeypatch.setattr(PyAVSource, "read", refuse)
    assert sample_video(ten_seconds).info.reader == "decord"


def test_explicit_pyav_does_not_fall_back(ten_seconds, monkeypatch):
    def refuse(self, indices, height, width):
        raise VideoError(f"{self._path}: decoding failed at frame 3 (broken)")

    monkeypatch.setattr(PyAVSource, "read", refuse)
    with pytest.raises(VideoError, match="broken"):
        sample_video(ten_seconds, SamplingOptions(reader="pyav"))


def test_explicit_decord_does_not_fall_back(ten_seconds, monkeypatch):
    def refuse(self, indices):
        raise decord.DECORDError("broken frame")

    monkeypatch.setattr(decord.VideoReader, "get_batch", refuse)
    with pytest.raises(VideoError, match="broken frame"):
        sample_video(ten_seconds, SamplingOptions(reader="decord"))


def test_av1_webm_that_decord_cannot_open_is_read_by_pyav(tmp_path):
    if "libsvtav1" not in av.codecs_available:
        pytest.skip("this PyAV build has no AV1 encoder")
    path = write_video(tmp_path / "av1.webm", 3, 10, codec="libsvtav1")
    try:
        decord.VideoReader(str(path))
    except Exception:
        pass
    else:
        pytest.skip("this decord reads AV1; the monkeypatched fallback tests cover the path")
    clip = sample_video(path, SamplingOptions(fps=2.0))
    assert clip.info.reader == "pyav"
    assert [frame_index(frame) for frame in clip.frames] == frame_indices(30, 6)


def test_pyav_repeats_the_last_frame_when_the_header_overstates_by_a_little(ten_seconds):
    source = PyAVSource(ten_seconds)
    source.info = dataclasses.replace(source.info, frame_count=252)
    frames = source.read([0, 249, 251], 56, 56)
    assert [frame_index(frame) for frame in frames] == [0, 249, 249]


def test_pyav_refuses_a_stream_far_shorter_than_its_header(ten_seconds):
    source = PyAVSource(ten_seconds)
    source.info = dataclasses.replace(source.info, frame_count=300)
    with pytest.raises(VideoError, match="ends after 250 of 300"):
        source.read([0, 299], 56, 56)


def test_readers_registry_names_decord_and_pyav():
    assert set(video.READERS) == {"decord", "pyav"}


def test_a_corrupt_trailing_byte_is_a_video_error(tmp_path):
    # PyAV reads the damaged metadata as UTF-8 and raises UnicodeDecodeError underneath.
    damaged = tmp_path / "damaged.mp4"
    data = bytearray((ROOT / "assets" / "samples" / "sample_fall.mp4").read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(VideoError, match="damaged.mp4"):
        sample_video(damaged)

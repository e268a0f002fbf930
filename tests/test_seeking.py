"""Seeking to keyframes on parallel threads returns exactly the frames an in-order decode does."""

from __future__ import annotations

import av
import pytest

from inference.video import seeking
from inference.video.sampling import PyAVSource, SamplingOptions, sample_video
from tests.videos import frame_index, write_video

INDEX_SETS = {
    "spread": [0, 37, 74, 111, 148, 185, 222, 259, 296],
    "one keyframe each": [0, 30, 60, 90, 120, 150, 180, 210, 240, 270],
    "repeats": [5, 5, 6, 6, 200, 200],
    "ends": [0, 299],
    "first GOP only": [1, 2, 3],
    "keyframes exactly": [0, 30, 60],
    "unsorted": [250, 3, 120],
}


@pytest.fixture(scope="module", params=["x264 ultrafast", "x264 with B-frames", "vp9 webm"])
def video(request, tmp_path_factory):
    """300 frames (12 s at 25 fps), a keyframe every 30 frames."""
    folder = tmp_path_factory.mktemp("seek")
    if request.param == "vp9 webm":
        return write_video(folder / "v.webm", 12, 25, (96, 64), keyframe_every=30)
    options = {"crf": "12", "preset": "medium", "bf": "3"} if "B-frames" in request.param else None
    return write_video(folder / "v.mp4", 12, 25, (96, 64), keyframe_every=30, options=options)


def test_the_index_finds_every_frame_and_the_keyframes(video):
    with av.open(str(video)) as container:
        count, index = seeking.packet_index(container, container.streams.video[0])
    assert count == 300 and index is not None and len(index.pts) == 300
    assert len(index.keyframes) >= 10  # one every 30 frames (an encoder may add more)


@pytest.mark.parametrize("name", INDEX_SETS)
def test_seeking_returns_the_frames_an_in_order_decode_does(video, name):
    indices = INDEX_SETS[name]
    source = PyAVSource(video)
    seeked = seeking.read_seeking(video, source._index, indices, 48, 64)
    in_order = source._read_in_order(indices, 48, 64)
    assert [frame_index(f) for f in seeked] == indices
    assert (seeked == in_order).all()


def test_sampling_reads_the_planned_frames_with_pyav_by_default(video):
    clip = sample_video(video, SamplingOptions(fps=2.0))
    assert clip.info.reader == "pyav"
    assert [frame_index(f) for f in clip.frames] == [round(t * 25) for t in clip.timestamps]


def test_a_misleading_index_falls_back_to_decoding_in_order(video, monkeypatch):
    def miss(*args):
        raise seeking.SeekMiss("frame at pts 30 is missing")

    monkeypatch.setattr("inference.video.sampling.read_seeking", miss)
    frames = PyAVSource(video).read([0, 150, 299], 48, 64)
    assert [frame_index(f) for f in frames] == [0, 150, 299]


def test_runs_are_shared_among_threads(video, monkeypatch):
    runs = []
    real = seeking._decode_run
    monkeypatch.setattr(seeking.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(seeking, "_decode_run", lambda *a, **k: runs.append(a[2]) or real(*a, **k))
    seeking.read_seeking(video, PyAVSource(video)._index, [0, 100, 200, 290], 48, 64)
    assert runs == [[0, 100], [200, 290]]

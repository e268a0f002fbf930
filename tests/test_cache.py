"""The frame cache: a repeat decodes nothing, a changed file or changed settings decodes again,
the byte bound evicts least recently used clips, and cached clips equal freshly sampled ones."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import inference.video.cache as cache_module
from inference.errors import VideoError
from inference.video.cache import FrameCache, cache_key, cached_sample_video, file_digest
from inference.video.sampling import SamplingOptions, sample_video
from tests.videos import write_video

OPTIONS = SamplingOptions(fps=2.0)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", seconds=2.0, fps=10.0)


def same_length_video(directory: Path, n: int) -> Path:
    """Video `n` of a set with equal frame counts and sizes but different pictures."""
    return write_video(directory / f"{n}.mp4", seconds=2.0, fps=10.0, anomaly=(0.0, 0.5 * n))


@pytest.fixture
def decodes(monkeypatch) -> list[Path]:
    """Every path the cache hands to sample_video, in order."""
    calls: list[Path] = []

    def counting(path, options=None):
        calls.append(Path(path))
        return sample_video(path, options)

    monkeypatch.setattr(cache_module, "sample_video", counting)
    return calls


def test_second_sample_of_same_video_does_not_decode(video: Path, decodes: list):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    cache.sample(video, OPTIONS)
    assert len(decodes) == 1


def test_cached_clip_equals_a_fresh_sample(video: Path):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    cached, fresh = cache.sample(video, OPTIONS), sample_video(video, OPTIONS)
    assert np.array_equal(cached.frames, fresh.frames)
    assert (cached.timestamps, cached.sample_fps) == (fresh.timestamps, fresh.sample_fps)


def test_cached_frames_are_read_only(video: Path):
    clip = FrameCache().sample(video, OPTIONS)
    with pytest.raises(ValueError):
        clip.frames[0, 0, 0, 0] = 1


def test_hit_and_miss_are_counted(video: Path):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    cache.sample(video, OPTIONS)
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)


@pytest.mark.parametrize(
    "changed",
    [
        SamplingOptions(fps=1.0),
        SamplingOptions(fps=2.0, max_pixels=128 * 28 * 28),
        SamplingOptions(fps=2.0, max_frames=4),
        SamplingOptions(fps=2.0, reader="pyav"),
    ],
    ids=["fps", "max_pixels", "max_frames", "reader"],
)
def test_changed_settings_decode_again(video: Path, decodes: list, changed: SamplingOptions):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    cache.sample(video, changed)
    assert len(decodes) == 2


def test_rewritten_file_decodes_again(video: Path, decodes: list):
    cache = FrameCache()
    first = cache.sample(video, OPTIONS)
    write_video(video, seconds=3.0, fps=10.0)
    second = cache.sample(video, OPTIONS)
    assert len(decodes) == 2
    assert second.info.frame_count != first.info.frame_count


def test_edit_that_keeps_the_mtime_decodes_again(video: Path, decodes: list):
    # The content is the key, so an edit is seen even when the file's mtime is put back.
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    stat = video.stat()
    write_video(video, seconds=2.0, fps=10.0, anomaly=(0.5, 1.5))
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    cache.sample(video, OPTIONS)
    assert len(decodes) == 2


def test_copy_of_a_video_is_a_hit_reported_under_its_own_path(
    video: Path, decodes: list, tmp_path: Path
):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    copy = Path(shutil.copy(video, tmp_path / "copy.mp4"))
    clip = cache.sample(copy, OPTIONS)
    assert len(decodes) == 1
    assert clip.info.path == str(copy)


def test_least_recently_used_clip_is_evicted_first(tmp_path: Path, decodes: list):
    videos = [same_length_video(tmp_path, n) for n in range(3)]
    one_clip = sample_video(videos[0], OPTIONS).frames.nbytes
    cache = FrameCache(max_bytes=2 * one_clip)
    cache.sample(videos[0], OPTIONS)
    cache.sample(videos[1], OPTIONS)
    cache.sample(videos[0], OPTIONS)  # 0 is now more recent than 1
    cache.sample(videos[2], OPTIONS)  # over the bound: 1 goes
    decodes.clear()
    cache.sample(videos[0], OPTIONS)
    cache.sample(videos[1], OPTIONS)
    assert decodes == [videos[1]]


def test_bytes_held_never_exceed_the_bound(tmp_path: Path):
    videos = [same_length_video(tmp_path, n) for n in range(3)]
    cache = FrameCache(max_bytes=sample_video(videos[0], OPTIONS).frames.nbytes)
    for path in videos:
        cache.sample(path, OPTIONS)
    assert cache.nbytes <= cache.max_bytes and len(cache) == 1


def test_clip_larger_than_the_bound_is_returned_but_not_kept(video: Path):
    cache = FrameCache(max_bytes=10)
    clip = cache.sample(video, OPTIONS)
    assert clip.num_frames > 0 and len(cache) == 0


def test_clear_forgets_everything(video: Path, decodes: list):
    cache = FrameCache()
    cache.sample(video, OPTIONS)
    cache.clear()
    cache.sample(video, OPTIONS)
    assert len(decodes) == 2 and cache.nbytes > 0


def test_sampling_time_is_this_calls_time(video: Path):
    cache = FrameCache()
    first = cache.sample(video, OPTIONS)
    second = cache.sample(video, OPTIONS)
    assert 0 < second.sampling_s < first.sampling_s


@pytest.mark.parametrize("name", ["missing.mp4", "."], ids=["missing", "directory"])
def test_unreadable_path_raises_video_error(tmp_path: Path, name: str):
    with pytest.raises(VideoError, match=str(tmp_path)):
        FrameCache().sample(tmp_path / name, OPTIONS)


def test_key_depends_on_content_not_name(video: Path, tmp_path: Path):
    copy = shutil.copy(video, tmp_path / "other-name.mp4")
    assert cache_key(video, OPTIONS) == cache_key(copy, OPTIONS)


def test_digest_changes_with_one_byte(tmp_path: Path):
    path = tmp_path / "bytes.bin"
    path.write_bytes(b"a" * 3_000_000)
    before = file_digest(path)
    path.write_bytes(b"a" * 2_999_999 + b"b")
    assert file_digest(path) != before


def test_cached_sample_video_uses_the_given_cache(video: Path):
    cache = FrameCache()
    cached_sample_video(video, OPTIONS, cache=cache)
    assert len(cache) == 1


def test_negative_bound_is_refused():
    with pytest.raises(ValueError, match="max_bytes"):
        FrameCache(max_bytes=-1)

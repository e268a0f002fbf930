"""Keep sampled clips in memory so a second question on the same video skips decoding.

A clip is found again by what the file holds and how it was sampled: the key is a blake2b digest
of the file's bytes (streamed in 1 MiB blocks, about 1 GB/s, far cheaper than decoding) with the
file size, and the `SamplingOptions`. Hashing the content instead of trusting (path, mtime) means
a file rewritten in place, renamed, or copied is never confused with another; a changed file or
changed settings is simply a different key. Entries are evicted least recently used first once
the frames held exceed `max_bytes`. Cached frames are read-only: callers share one array.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from inference.errors import VideoError
from inference.video.sampling import Clip, SamplingOptions, sample_video

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: about 60 clips at the default 3584-token budget


@dataclass(frozen=True)
class CacheKey:
    """What makes two sampled clips the same: the file's content and the sampling settings."""

    digest: str
    size: int
    options: SamplingOptions


@dataclass
class CacheStats:
    """Counters since the cache was made."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0


def file_digest(path: str | Path) -> str:
    """blake2b (128-bit) hex digest of a file's bytes; raises VideoError if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
    except OSError as error:
        raise VideoError(f"{path}: cannot read it ({error.strerror or error})") from None


def cache_key(path: str | Path, options: SamplingOptions) -> CacheKey:
    """The key of a file sampled with `options` (hashes the whole file)."""
    path = Path(path)
    return CacheKey(file_digest(path), path.stat().st_size, options)


class FrameCache:
    """A bounded in-memory LRU of sampled clips; thread-safe."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._clips: OrderedDict[CacheKey, Clip] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._clips)

    @property
    def nbytes(self) -> int:
        """Bytes of frames held now."""
        return self._bytes

    def sample(self, path: str | Path, options: SamplingOptions | None = None) -> Clip:
        """`sample_video(path, options)`, decoding only when this content and options are new.

        The returned clip's `sampling_s` is this call's wall time (hashing, plus decoding on a
        miss) and its `info.path` is the path asked for.
        """
        options = options or SamplingOptions()
        started = time.perf_counter()
        if not Path(path).is_file():
            return sample_video(path, options)  # raises its usual one-line VideoError
        key = cache_key(path, options)
        clip = self._get(key)
        if clip is None:
            # Decoded outside the lock: other videos need not wait for this one.
            clip = sample_video(path, options)
            clip.frames.flags.writeable = False
            self._put(key, clip)
        info = dataclasses.replace(clip.info, path=str(path))
        return dataclasses.replace(clip, info=info, sampling_s=time.perf_counter() - started)

    def clear(self) -> None:
        """Forget every clip."""
        with self._lock:
            self._clips.clear()
            self._bytes = 0

    def _get(self, key: CacheKey) -> Clip | None:
        with self._lock:
            clip = self._clips.get(key)
            if clip is None:
                self.stats.misses += 1
                return None
            self._clips.move_to_end(key)
            self.stats.hits += 1
            return clip

    def _put(self, key: CacheKey, clip: Clip) -> None:
        size = clip.frames.nbytes
        if size > self.max_bytes:
            return  # would evict everything and still not fit
        with self._lock:
            if key in self._clips:
                return  # another thread sampled it meanwhile
            self._clips[key] = clip
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._clips.popitem(last=False)
                self._bytes -= evicted.frames.nbytes
                self.stats.evictions += 1


_default_cache: FrameCache | None = None
_default_lock = threading.Lock()


def default_cache() -> FrameCache:
    """The process-wide FrameCache used when none is given."""
    global _default_cache
    with _default_lock:
        if _default_cache is None:
            _default_cache = FrameCache()
        return _default_cache


def cached_sample_video(
    path: str | Path, options: SamplingOptions | None = None, cache: FrameCache | None = None
) -> Clip:
    """`sample_video` through a FrameCache (the process-wide one unless `cache` is given)."""
    return (cache if cache is not None else default_cache()).sample(path, options)

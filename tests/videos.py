"""Write small synthetic test videos with PyAV; every frame shows its own index as a bit pattern.

The top three quarters of a frame are a 3 x 4 grid of black/white cells spelling the frame index
in binary (12 bits), so a test can tell which frame a reader returned, at any resize. The bottom
quarter is grey, or red while the frame lies inside the `anomaly` interval.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROWS, COLS = 3, 4
BITS = ROWS * COLS
GREY = (128, 128, 128)
RED = (220, 30, 30)
CODECS = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx-vp9"}


def frame_image(index: int, size: tuple[int, int], anomalous: bool = False) -> np.ndarray:
    """The RGB picture of frame `index` at size (width, height)."""
    width, height = size
    image = np.empty((height, width, 3), np.uint8)
    grid_height = height * 3 // 4
    for bit in range(BITS):
        row, col = divmod(bit, COLS)
        top, bottom = row * grid_height // ROWS, (row + 1) * grid_height // ROWS
        left, right = col * width // COLS, (col + 1) * width // COLS
        image[top:bottom, left:right] = 255 if index >> bit & 1 else 0
    image[grid_height:] = RED if anomalous else GREY
    return image


def frame_index(frame: np.ndarray) -> int:
    """Read back the index a frame made by `frame_image` shows, from a frame of any size."""
    height, width = frame.shape[:2]
    grid_height = height * 3 // 4
    luma = frame.astype(float).mean(axis=2)
    index = 0
    for bit in range(BITS):
        row, col = divmod(bit, COLS)
        y = int((row + 0.5) * grid_height / ROWS)
        x = int((col + 0.5) * width / COLS)
        index |= int(luma[y, x] > 127) << bit
    return index


def is_anomalous(frame: np.ndarray) -> bool:
    """True when the frame's bottom band is red (the frame lies inside the anomaly)."""
    band = frame[frame.shape[0] * 7 // 8 :].reshape(-1, 3).astype(float).mean(axis=0)
    return band[0] > 150 and band[1] < 100


def write_video(
    path: str | Path,
    seconds: float = 2.0,
    fps: float = 10.0,
    size: tuple[int, int] = (64, 48),
    anomaly: tuple[float, float] | None = None,
    codec: str | None = None,
    keyframe_every: int | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Write round(seconds * fps) frames of (width, height); the codec follows the suffix.

    `keyframe_every` sets the GOP length (the encoder's default otherwise: 250 for x264);
    `options` replace the encoder options (x264's default here: crf 12, preset ultrafast).
    """
    path = Path(path)
    codec = codec or CODECS.get(path.suffix, "libx264")
    frame_count = round(seconds * fps)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            # High quality keeps the bit cells crisp; ultrafast keeps long videos quick.
            stream.options = options or {"crf": "12", "preset": "ultrafast"}
        elif options:
            stream.options = options
        if keyframe_every:
            stream.codec_context.gop_size = keyframe_every
        for index in range(frame_count):
            inside = anomaly is not None and anomaly[0] <= index / fps < anomaly[1]
            picture = frame_image(index % (1 << BITS), size, inside)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    return path

"""Drawing primitives of the street: people, cars, flames, smoke, bags, benches.

Shared by the bundled samples (assets/make_samples.py) and the world's scenes. Sizes and
positions are pixels of a 320x240 canvas; every function draws one thing at one moment, so a
scene is a function of time and the pictures are deterministic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import ImageDraw

Draw = ImageDraw.ImageDraw
RGB = tuple[int, int, int]
SKIN: RGB = (226, 190, 160)
LEGS: RGB = (40, 40, 48)


def ease(x: float) -> float:
    """Smooth 0 -> 1 ramp for x in [0, 1] (clamped outside)."""
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def person(
    draw: Draw,
    x: float,
    y: float,
    color: RGB,
    size: float = 44,
    stride: float = 0.0,
    lean: float = 0.0,
    arms: float = 0.0,
) -> None:
    """A figure standing at feet (x, y); `lean` tilts it about the feet (radians, + = right)."""
    cos, sin = math.cos(lean), math.sin(lean)

    def at(dx: float, dy: float) -> tuple[float, float]:
        return x + (dx * cos - dy * sin) * size, y + (dx * sin + dy * cos) * size

    swing = 0.14 * math.sin(stride)
    reach = 0.16 * math.sin(stride + math.pi) + arms
    width = max(2, round(size * 0.09))
    for foot in (swing, -swing):
        draw.line([at(0, -0.45), at(foot, 0)], fill=(40, 40, 48), width=width)
    draw.line([at(0, -0.45), at(0, -0.78)], fill=color, width=round(size * 0.16))
    for hand in (reach, -reach):
        draw.line([at(0, -0.74), at(hand, -0.5 - abs(arms) * 0.6)], fill=color, width=width)
    hx, hy = at(0, -0.89)
    r = size * 0.1
    draw.ellipse((hx - r, hy - r, hx + r, hy + r), fill=(226, 190, 160))


def car(draw: Draw, x: float, y: float, color: RGB, facing: int = 1) -> None:
    """A side-on car whose wheels touch y, front at x (facing +1 right, -1 left)."""
    back = x - 70 * facing
    left, right = min(x, back), max(x, back)
    draw.rectangle((left, y - 22, right, y - 6), fill=color)
    # The cabin sits nearer the back, which is what shows the direction of travel.
    inset_left, inset_right = (12, 24) if facing > 0 else (24, 12)
    roof = tuple(int(c * 0.75) for c in color)
    draw.rectangle((left + inset_left, y - 36, right - inset_right, y - 22), fill=roof)
    for wheel in (left + 14, right - 14):
        draw.ellipse((wheel - 7, y - 13, wheel + 7, y + 1), fill=(24, 24, 24))


def fire(draw: Draw, x: float, y: float, size: float, rng: np.random.Generator) -> None:
    """Flickering flames of height `size` on a base at (x, y), with smoke above."""
    for i in range(int(size / 5) + 3):
        puff = (i * 13 + rng.uniform(0, 8)) % (size * 1.6 + 1)
        r = 4 + puff * 0.25
        sx = x + rng.uniform(-6, 6) + puff * 0.3
        sy = y - size - puff
        shade = int(90 + puff * 0.4)
        draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=(shade, shade, shade + 4))
    for layer, color in enumerate(((230, 80, 20), (250, 150, 30), (255, 225, 90))):
        scale = 1.0 - layer * 0.3
        for _ in range(6):
            h = size * scale * rng.uniform(0.6, 1.0)
            w = size * scale * rng.uniform(0.25, 0.45)
            cx = x + rng.uniform(-size * 0.35, size * 0.35) * scale
            draw.polygon(
                [(cx - w, y), (cx + w, y), (cx + rng.uniform(-w, w) * 0.5, y - h)], fill=color
            )


def seated(draw: Draw, x: float, y: float, color: RGB, size: float = 44) -> None:
    """A figure sitting on a seat whose top is at height y, facing right."""
    width = max(2, round(size * 0.09))
    draw.line([(x, y), (x + 0.3 * size, y), (x + 0.3 * size, y + 0.35 * size)], fill=LEGS,
              width=width)  # fmt: skip
    draw.line([(x, y), (x, y - 0.33 * size)], fill=color, width=round(size * 0.16))
    draw.line([(x, y - 0.3 * size), (x + 0.2 * size, y - 0.1 * size)], fill=color, width=width)
    r = size * 0.1
    draw.ellipse((x - r, y - 0.44 * size - r, x + r, y - 0.44 * size + r), fill=SKIN)


def bench(draw: Draw, x: float, y: float, tone: int = 110) -> None:
    """A street bench standing on y, its seat 16 px up, from x to x + 46."""
    draw.rectangle((x, y - 18, x + 46, y - 14), fill=(tone, tone - 30, tone - 60))
    for leg in (x + 4, x + 40):
        draw.rectangle((leg, y - 14, leg + 3, y), fill=(50, 50, 50))


def bag(draw: Draw, x: float, y: float, color: RGB) -> None:
    """A bag standing on y, centred on x."""
    draw.rectangle((x - 6, y - 10, x + 6, y), fill=color)
    draw.arc((x - 4, y - 16, x + 4, y - 6), 180, 360, fill=(30, 30, 30), width=2)


def smoke(draw: Draw, x: float, y: float, size: float, rng: np.random.Generator) -> None:
    """A grey cloud of `size` px rising from (x, y)."""
    for i in range(int(size / 6) + 2):
        r = size * (0.25 + 0.1 * i) * rng.uniform(0.8, 1.1)
        sx, sy = x + rng.uniform(-size, size) * 0.4, y - i * size * 0.3
        shade = int(70 + 8 * i)
        draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=(shade, shade, shade + 4))


def flash(draw: Draw, x: float, y: float, radius: float) -> None:
    """The bright burst of an explosion, centred on (x, y)."""
    for scale, color in ((1.0, (250, 150, 30)), (0.65, (255, 220, 90)), (0.3, (255, 255, 230))):
        r = radius * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=color)


def x264_cpu_cap(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """x264 options that keep it off its AVX-512 kernels, on a CPU that has them.

    With AVX-512 the encoded bytes varied from run to run (1 run in 5 reproducible on a loaded
    2-core Xeon); capped at AVX2, 5 in 5 were. Every AVX-512 CPU also has AVX2.
    """
    try:
        flags = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {"x264-params": "asm=avx2"} if re.search(r"\bavx512f\b", flags) else {}


def write_mp4(path: Path, frames: Iterable[np.ndarray], fps: int, crf: int, preset: str) -> None:
    """Encode RGB frames with libx264, one thread (so the bytes are reproducible), through a
    `.partial` file that takes the name only when complete."""
    frames = iter(frames)
    first = next(frames)
    partial = path.with_name(path.name + ".partial")
    with av.open(str(partial), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.height, stream.width = first.shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset, "threads": "1", **x264_cpu_cap()}
        for pixels in (first, *frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    partial.replace(path)

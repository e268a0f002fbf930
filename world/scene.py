"""A street drawn from a seed: its layout, colours and light, the people and cars passing, the
look-alikes (someone sitting down, two cars passing close) and the camera's noise.

Everything is a function of (seed, time): the same seed always gives the same pictures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from world.draw import RGB, Draw, bench, car, person, seated

CANVAS = (320, 240)  # the drawing's pixels (the primitives' units)
SIZE = (160, 120)  # the video's pixels: small videos train and run at their own size
FPS = 8
NEAR_Y, FAR_Y = 214, 150  # where the near and far pedestrians' feet are
LANE_Y = {1: 194, -1: 170}  # rightwards traffic in the near lane, leftwards in the far one
BENCH_Y = 206
FONT = ImageFont.load_default(size=10)
COLORS: dict[str, RGB] = {
    "red": (190, 40, 40),
    "blue": (40, 70, 190),
    "orange": (200, 120, 40),
    "green": (60, 140, 60),
    "purple": (130, 60, 150),
    "yellow": (200, 180, 50),
    "white": (225, 225, 225),
    "brown": (120, 70, 40),
}


@dataclass(frozen=True)
class Mover:
    """A walker or a car entering at `start` from `x0` at `speed` px/s (negative: leftwards)."""

    start: float
    x0: float
    speed: float
    color: RGB
    far: bool = False

    def x(self, t: float) -> float:
        """Where it is at time t."""
        return self.x0 + self.speed * (t - self.start)


@dataclass(frozen=True)
class Sitter:
    """A look-alike: someone walks to the bench, sits from `sit` to `rise`, and walks on."""

    sit: float
    rise: float
    speed: float
    color: RGB


@dataclass(frozen=True)
class Layout:
    """What the camera sees apart from the event: drawn once per video from its seed."""

    buildings: tuple[tuple[int, int, int], ...]  # (left, right, tone)
    road: int
    sidewalk: int
    light: float  # 1 is daylight, about 0.6 dusk
    tint: tuple[float, float, float]
    noise: float  # the camera's grain, standard deviation in 0-255 levels
    camera: int
    clock: int  # seconds after midnight at the video's start
    walkers: tuple[Mover, ...]
    cars: tuple[Mover, ...]
    bench_x: float
    sitter: Sitter | None

    @property
    def dusk(self) -> bool:
        """Dim light, which the description mentions."""
        return self.light < 0.8


def color(rng: np.random.Generator, avoid: tuple[str, ...] = ()) -> tuple[str, RGB]:
    """A named colour for a person or car, not one of `avoid`."""
    names = [name for name in COLORS if name not in avoid]
    name = names[int(rng.integers(len(names)))]
    return name, COLORS[name]


def walkers(rng: np.random.Generator, duration: float) -> tuple[Mover, ...]:
    """Zero to four people crossing the view on either sidewalk."""
    found = []
    for _ in range(int(rng.integers(0, 5))):
        speed = float(rng.uniform(10, 30)) * (1 if rng.random() < 0.5 else -1)
        far = bool(rng.random() < 0.5)
        x0 = -15.0 if speed > 0 else CANVAS[0] + 15.0
        start = float(rng.uniform(-10, max(duration - 8, 1)))
        found.append(Mover(start, x0, speed, color(rng)[1], far))
    return tuple(found)


def traffic(rng: np.random.Generator, duration: float) -> tuple[Mover, ...]:
    """Cars in both lanes; sometimes a pair that pass each other close, which is ordinary."""
    found = []
    for _ in range(int(rng.integers(0, 5))):
        speed = float(rng.uniform(40, 90)) * (1 if rng.random() < 0.5 else -1)
        x0 = -10.0 if speed > 0 else CANVAS[0] + 80.0
        found.append(Mover(float(rng.uniform(0, duration)), x0, speed, color(rng)[1]))
    if rng.random() < 0.3:  # the look-alike: two cars meet mid-view in opposite lanes
        meet, speed = float(rng.uniform(2, max(duration - 2, 3))), float(rng.uniform(50, 80))
        found.append(Mover(meet, 150.0, speed, color(rng)[1]))
        found.append(Mover(meet, 220.0, -speed, color(rng)[1]))
    return tuple(found)


def draw_layout(rng: np.random.Generator, duration: float) -> Layout:
    """A street from `rng`."""
    edges = np.sort(rng.choice(np.arange(60, 280, 10), size=int(rng.integers(1, 4)), replace=False))
    bounds = [0, *map(int, edges), CANVAS[0]]
    spans = zip(bounds, bounds[1:], strict=False)
    buildings = tuple((left, right, int(rng.integers(90, 150))) for left, right in spans)
    sitter = None
    if rng.random() < 0.35:
        sit = float(rng.uniform(1, max(duration - 6, 2)))
        sitter = Sitter(sit, sit + float(rng.uniform(2, 6)), float(rng.uniform(12, 20)),
                        color(rng)[1])  # fmt: skip
    return Layout(
        buildings=buildings,
        road=int(rng.integers(50, 80)),
        sidewalk=int(rng.integers(140, 175)),
        light=float(rng.uniform(0.55, 1.15)),
        tint=tuple(float(v) for v in rng.uniform(-12, 12, size=3)),
        noise=float(rng.uniform(0, 6)),
        camera=int(rng.integers(1, 40)),
        clock=int(rng.integers(0, 86_400 - 120)),
        walkers=walkers(rng, duration),
        cars=traffic(rng, duration),
        bench_x=float(rng.uniform(20, 250)),
        sitter=sitter,
    )


def street(draw: Draw, layout: Layout, t: float) -> None:
    """Buildings, sidewalks, the road and its marks, the bench, and the camera's caption."""
    w, h = CANVAS
    draw.rectangle((0, 0, w, 118), fill=(92, 96, 108))
    for left, right, tone in layout.buildings:
        draw.rectangle((left, 8, right - 4, 118), fill=(tone, tone - 12, tone - 24))
        for wx in range(left + 10, right - 20, 26):
            for wy in (20, 52, 84):
                draw.rectangle((wx, wy, wx + 14, wy + 18), fill=(58, 70, 86))
    side = layout.sidewalk
    draw.rectangle((0, 118, w, 152), fill=(side - 10, side - 10, side - 14))
    draw.rectangle((0, 152, w, 198), fill=(layout.road, layout.road + 2, layout.road + 6))
    for x in range(0, w, 40):
        draw.rectangle((x + 6, 174, x + 26, 176), fill=(210, 200, 120))
    draw.rectangle((0, 198, w, h), fill=(side, side - 2, side - 10))
    bench(draw, layout.bench_x, BENCH_Y)
    clock = layout.clock + int(t)
    stamp = f"{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}"
    draw.rectangle((4, 4, 150, 18), fill=(0, 0, 0))
    draw.text((8, 5), f"CAM-{layout.camera:02d}  {stamp}", fill=(235, 235, 235), font=FONT)


def passers_by(draw: Draw, layout: Layout, t: float) -> None:
    """The cars, the walkers and the sitter at time t."""
    for mover in layout.cars:
        facing = 1 if mover.speed > 0 else -1
        if t >= mover.start and -90 < mover.x(t) < CANVAS[0] + 90:
            car(draw, mover.x(t), LANE_Y[facing], mover.color, facing)
    for mover in layout.walkers:
        x, y, size = mover.x(t), FAR_Y if mover.far else NEAR_Y, 30 if mover.far else 44
        if t >= mover.start and -20 < x < CANVAS[0] + 20:
            person(draw, x, y, mover.color, size, stride=(t - mover.start) * 7)
    sitter = layout.sitter
    if sitter is not None:
        seat = layout.bench_x + 12
        if sitter.sit <= t < sitter.rise:
            seated(draw, seat, BENCH_Y - 16, sitter.color)
        else:
            x = seat - sitter.speed * (sitter.sit - t) if t < sitter.sit else (
                seat + sitter.speed * (t - sitter.rise))  # fmt: skip
            if -20 < x < CANVAS[0] + 20:
                person(draw, x, NEAR_Y, sitter.color, stride=t * 7)


def finish(image: Image.Image, layout: Layout, grain: np.random.Generator) -> np.ndarray:
    """The drawing as the camera gives it: the video's size, its light, its grain."""
    small = np.asarray(image.resize(SIZE, Image.Resampling.BOX), dtype=np.float32)
    lit = small * layout.light + np.asarray(layout.tint, dtype=np.float32)
    if layout.noise > 0:
        lit += grain.normal(0.0, layout.noise, size=lit.shape).astype(np.float32)
    return np.clip(np.rint(lit), 0, 255).astype(np.uint8)


def canvas() -> tuple[Image.Image, Draw]:
    """An empty drawing."""
    image = Image.new("RGB", CANVAS)
    return image, ImageDraw.Draw(image)


def on_screen(x: float, margin: float = 20) -> bool:
    """Whether a thing at x is (partly) in view."""
    return -margin < x < CANVAS[0] + margin and math.isfinite(x)

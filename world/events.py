"""The anomalies the world plants, one registry entry per VAU-Bench class.

An event is drawn over the whole video: its actors behave normally outside [start, end] and
abnormally inside it. `calm=True` draws the same actors behaving normally throughout (what the
scene would have shown without the anomaly), which is how the tests check that the truth
interval is exactly where the pictures differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from world.draw import RGB, Draw, bag, car, ease, fire, flash, person, seated, smoke
from world.scene import BENCH_Y, CANVAS, COLORS, FAR_Y, LANE_Y, NEAR_Y, color, on_screen


@dataclass(frozen=True)
class Event:
    """One planted anomaly: its class, interval (seconds), place and actors' looks."""

    kind: str
    start: float
    end: float
    x: float  # where it happens, canvas pixels
    far: bool  # on the far sidewalk, smaller: a subtle one
    speed: float  # the main actor's walking or driving speed, px/s (signed)
    colors: tuple[str, str]  # the actors' colour names (the texts use them)
    scale: float  # 0.3-1: how big the fire or blast gets

    @property
    def y(self) -> float:
        """The feet of the event's people."""
        return FAR_Y if self.far else NEAR_Y

    @property
    def size(self) -> float:
        """The height of the event's people."""
        return 30.0 if self.far else 44.0

    def rgb(self, which: int = 0) -> RGB:
        """An actor's colour."""
        return COLORS[self.colors[which]]


Drawer = Callable[[Draw, float, Event, bool, np.random.Generator], None]


@dataclass(frozen=True)
class EventSpec:
    """How a class is drawn and how long it lasts (seconds)."""

    draw: Drawer
    lengths: tuple[float, float]
    on_sidewalk: bool = True  # people on a sidewalk (else the road or a fixed spot)


def _walk(draw: Draw, x: float, e: Event, which: int, t: float, **pose) -> None:
    if on_screen(x):
        person(draw, x, e.y, e.rgb(which), e.size, **{"stride": t * 7, **pose})


def draw_fall(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """A walker falls at `start`, lies still, gets up in the last 1.5 s and walks on."""
    if calm or t < e.start:
        return _walk(draw, e.x + e.speed * (t - e.start), e, 0, t)
    if t >= e.end:
        return _walk(draw, e.x + e.speed * (t - e.end), e, 0, t)
    rise = max(e.end - 1.5, e.start + 0.9)
    down = ease((t - e.start) / 0.8) * (1 - ease((t - rise) / (e.end - rise)))
    lean = math.copysign(math.pi / 2, e.speed) * down
    _walk(draw, e.x, e, 0, t, stride=0.0, lean=lean)


def draw_fight(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """Two people meet at `start` and push and hit each other; at `end` one runs, one limps."""
    pace = abs(e.speed)
    if calm or t < e.start:
        _walk(draw, e.x - 10 + pace * (t - e.start), e, 0, t)
        return _walk(draw, e.x + 10 - pace * (t - e.start), e, 1, t)
    if t >= e.end:
        _walk(draw, e.x - 10 + 3 * pace * (t - e.end), e, 0, t * 2)
        return _walk(draw, e.x + 10 - 0.5 * pace * (t - e.end), e, 1, t, lean=-0.3)
    beat = math.sin((t - e.start) * 2 * math.pi * 2.5)
    jolt = 8 * beat + float(rng.uniform(-2, 2))
    for which, side in ((0, -1), (1, 1)):
        arms = 0.3 * abs(beat) * -side
        _walk(draw, e.x + side * 10 + jolt, e, which, t * 2.3, lean=0.25 * beat, arms=arms)


def draw_fire(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """A parked car (always there); a fire beside it grows from `start` and is out at `end`."""
    car(draw, e.x, LANE_Y[1] + 10, e.rgb(0), facing=1)
    if calm or not e.start <= t < e.end:
        return
    length = e.end - e.start
    grow, fade = ease((t - e.start) / (0.2 * length)), ease((e.end - t) / (0.15 * length))
    # 57-120 canvas pixels at full height (28-60 in the video): bench_world_cues found that the
    # tiny architecture learns a fire about 40 video pixels tall and not one of 10 or 20.
    fire(draw, e.x + 14, LANE_Y[1] + 10, 8 + (30 + 90 * e.scale) * min(grow, fade), rng)


def draw_explosion(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """A flash at `start` (0.6 s), then smoke and debris that thin out until `end`."""
    if calm or not e.start <= t < e.end:
        return
    base, since = LANE_Y[1] - 6, t - e.start
    left = (e.end - t) / (e.end - e.start)
    size = (40 + 80 * e.scale * ease(since / 1.0)) * (0.5 + 0.5 * left)  # salient, like fire
    smoke(draw, e.x, base - 10, size, rng)
    if since < 0.8:
        flash(draw, e.x, base, 25 + 60 * e.scale * math.sin(math.pi * since / 0.8))
    for _ in range(int(6 * left) + 1):
        dx, dy = rng.uniform(-40, 40) * e.scale, rng.uniform(-30, 5)
        draw.rectangle((e.x + dx, base + dy, e.x + dx + 2, base + dy + 2), fill=(40, 36, 30))


def draw_accident(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """Two cars in the near lane; at `start` the front one brakes, the one behind runs into it;
    both stand, smoking, until `end`, then drive on."""
    gap, front_start = 78.0, e.x
    if calm or t < e.start:
        front, back = e.x + e.speed * (t - e.start), e.x - gap + e.speed * (t - e.start)
    elif t < e.end:
        front, back = front_start, min(e.x - gap + e.speed * (t - e.start), e.x - 70)
    else:
        front, back = e.x + e.speed * (t - e.end), e.x - 70 + e.speed * (t - e.end)
    for x, which in ((front, 0), (back, 1)):
        if on_screen(x, 90):
            car(draw, x, LANE_Y[1], e.rgb(which), facing=1)
    if not calm and e.start + 0.1 <= t < e.end:
        smoke(draw, e.x - 70, LANE_Y[1] - 30, 30 + 40 * e.scale, rng)


def draw_stealing(draw: Draw, t: float, e: Event, calm: bool, rng) -> None:
    """A person sits on a bench with a bag beside it; at `start` a passer-by grabs the bag and
    runs off, out of view by `end`."""
    seat = e.x - 30
    seated(draw, seat, BENCH_Y - 16, e.rgb(1))
    draw.rectangle((seat - 12, BENCH_Y - 16, seat + 34, BENCH_Y - 12), fill=(110, 80, 50))
    pace = abs(e.speed)
    if calm or t < e.start:
        bag(draw, e.x, NEAR_Y, (90, 50, 30))
        x = e.x + pace * (t - e.start)
        if on_screen(x):
            person(draw, x, NEAR_Y, e.rgb(0), stride=t * 7)
        return
    x = e.x + 3.5 * pace * (t - e.start)
    if on_screen(x):
        person(draw, x, NEAR_Y, e.rgb(0), stride=t * 16, arms=0.2)
        bag(draw, x + 8, NEAR_Y - 16, (90, 50, 30))


EVENTS: dict[str, EventSpec] = {
    "People_falling": EventSpec(draw_fall, (2.3, 9.0)),
    "Fighting": EventSpec(draw_fight, (3.0, 12.0)),
    "Fire": EventSpec(draw_fire, (5.0, 20.0), on_sidewalk=False),
    "Explosion": EventSpec(draw_explosion, (2.0, 8.0), on_sidewalk=False),
    "Traffic_accident": EventSpec(draw_accident, (3.0, 10.0), on_sidewalk=False),
    "Stealing": EventSpec(draw_stealing, (1.5, 8.0)),
}
NORMAL = "Normal"
KINDS: tuple[str, ...] = (*EVENTS, NORMAL)


def off_whole_seconds(value: float) -> float:
    """A time to 0.1 s that is not on a whole second (the world's truth is never round)."""
    value = round(value, 1)
    return round(value + 0.3, 1) if value == int(value) else value


def draw_event(rng: np.random.Generator, kind: str, duration: float) -> Event:
    """An event of `kind` placed at random in a video of `duration` seconds."""
    spec = EVENTS[kind]
    far = spec.on_sidewalk and kind != "Stealing" and bool(rng.random() < 0.35)
    speed = float(rng.uniform(12, 24)) * (1 if rng.random() < 0.5 else -1)
    if kind == "Traffic_accident":  # a car's speed (drawn after the walkers', keeping the seeds)
        speed = float(rng.uniform(45, 80))
    x = float(rng.uniform(90, 230))
    length = float(rng.uniform(*spec.lengths))
    if kind == "Stealing":  # it lasts until the thief is out of view
        speed = abs(speed)
        length = (CANVAS[0] + 20 - x) / (3.5 * speed)
    length = min(length, duration - 3.0)
    start = off_whole_seconds(float(rng.uniform(1.0, duration - length - 1.0)))
    end = off_whole_seconds(start + length)
    if kind == "Stealing":
        end = off_whole_seconds(math.ceil((start + length) * 10) / 10 + 0.1)
    first, _ = color(rng)
    second, _ = color(rng, avoid=(first,))
    scale = float(rng.uniform(0.3, 1.0))
    return Event(kind, start, min(end, round(duration - 0.5, 1)), x, far, speed, (first, second),
                 scale)  # fmt: skip

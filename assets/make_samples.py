"""Make the bundled sample videos and their VAU-Bench manifest; nothing is downloaded.

    python assets/make_samples.py [--out assets/samples] [--manifest assets/samples.csv]
                                  [--force] [--check]

Four drawn "surveillance camera" clips (320x240, 10 fps, H.264): a person falls, two people
fight, a fire starts beside a parked car, and an ordinary street. Each anomaly happens between
known seconds, written to the manifest in VAU-Bench's 13-column CSV format. The output is
deterministic: every frame is drawn from a fixed seed. Existing videos are kept unless --force.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a script from anywhere: the project's own modules sit one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.core.steps import SECTIONS  # noqa: E402
from inference.core.vaubench import COLUMNS  # noqa: E402
from world.draw import car, ease, fire, person, write_mp4  # noqa: E402

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT, FPS = 320, 240, 10
SEED = 20250606
MAX_BYTES = 250_000
SIDEWALK_Y, FAR_SIDEWALK_Y = 214, 150  # where the near and far pedestrians' feet are
FONT = ImageFont.load_default(size=10)

Draw = ImageDraw.ImageDraw
RGB = tuple[int, int, int]


# --- drawing primitives ----------------------------------------------------------------------


def street(draw: Draw, t: float) -> None:
    """Building fronts, far sidewalk, road with lane marks, near sidewalk, camera overlay."""
    draw.rectangle((0, 0, WIDTH, 118), fill=(92, 96, 108))
    for left, right, tone in ((0, 110, 120), (110, 215, 104), (215, 320, 128)):
        draw.rectangle((left, 8, right - 4, 118), fill=(tone, tone - 12, tone - 24))
        for wx in range(left + 10, right - 20, 26):
            for wy in (20, 52, 84):
                draw.rectangle((wx, wy, wx + 14, wy + 18), fill=(58, 70, 86))
    draw.rectangle((0, 118, WIDTH, 152), fill=(150, 150, 146))
    draw.rectangle((0, 152, WIDTH, 198), fill=(64, 66, 70))
    for x in range(0, WIDTH, 40):
        draw.rectangle((x + 6, 174, x + 26, 176), fill=(210, 200, 120))
    draw.rectangle((0, 198, WIDTH, HEIGHT), fill=(160, 158, 150))
    overlay(draw, t)


def overlay(draw: Draw, t: float) -> None:
    """Camera name and a running clock, as burnt into real CCTV footage."""
    second = int(t)
    clock = f"2025-06-06 14:41:{second:02d}"
    draw.rectangle((4, 4, 172, 18), fill=(0, 0, 0))
    draw.text((8, 5), f"CAM-02  {clock}", fill=(235, 235, 235), font=FONT)


def walker(
    draw: Draw, t: float, start: float, x0: float, speed: float, y: float, color: RGB, size=44.0
) -> None:
    """A pedestrian entering at time `start` from x0, walking at `speed` px/s."""
    if t >= start:
        x = x0 + speed * (t - start)
        if -20 < x < WIDTH + 20:
            person(draw, x, y, color, size, stride=(t - start) * 7)


def traffic(draw: Draw, t: float, cars: tuple[tuple[float, float, RGB], ...]) -> None:
    """Cars (start time, speed px/s, colour) crossing the road; negative speed drives left."""
    for start, speed, color in cars:
        if t >= start:
            facing = 1 if speed > 0 else -1
            x = (-10 if facing > 0 else WIDTH + 80) + speed * (t - start)
            lane = 170 if facing < 0 else 194
            if -90 < x < WIDTH + 90:
                car(draw, x, lane, color, facing)


# --- the four scenes -------------------------------------------------------------------------


def scene_fall(draw: Draw, t: float, rng: np.random.Generator) -> None:
    """A walker trips at 8 s, lies still, gets up from 13 s and walks off by 15 s."""
    street(draw, t)
    traffic(draw, t, ((2.0, 60, (170, 40, 40)), (14.0, -55, (60, 90, 160))))
    walker(draw, t, 0.0, 330, -14, FAR_SIDEWALK_Y, (70, 120, 70), size=30)
    if t < 8.0:
        x, lean, stride = 30 + 14 * t, 0.0, t * 7
    elif t < 13.0:
        x, lean, stride = 142 + 10 * ease(t - 8.0), math.pi / 2 * ease((t - 8.0) / 0.9), 0.0
    elif t < 15.0:
        x, lean, stride = 152, math.pi / 2 * (1 - ease((t - 13.0) / 2.0)), 0.0
    else:
        x, lean, stride = 152 + 9 * (t - 15.0), 0.0, (t - 15.0) * 5
    person(draw, x, SIDEWALK_Y, (200, 120, 40), stride=stride, lean=lean)


def scene_fight(draw: Draw, t: float, rng: np.random.Generator) -> None:
    """Two people meet at 6 s, trade blows until 12 s, then one runs off and one staggers away."""
    street(draw, t)
    car(draw, 300, 194, (120, 120, 130), facing=1)
    traffic(draw, t, ((1.0, -70, (40, 110, 60)),))
    walker(draw, t, 0.0, -10, 16, FAR_SIDEWALK_Y, (140, 140, 60), size=30)
    red_x, blue_x = 40 + 17 * min(t, 6.0), 280 - 17 * min(t, 6.0)
    red_lean = blue_lean = red_arms = blue_arms = 0.0
    if 6.0 <= t < 12.0:
        beat = math.sin((t - 6.0) * 2 * math.pi * 2.5)
        red_x += 8 * beat + rng.uniform(-2, 2)
        blue_x += 8 * beat + rng.uniform(-2, 2)
        red_lean, blue_lean = 0.25 * beat, 0.25 * beat
        red_arms, blue_arms = 0.3 * abs(beat), -0.3 * abs(beat)
    elif t >= 12.0:
        red_x += 45 * (t - 12.0)
        blue_x -= 8 * (t - 12.0)
        blue_lean = -0.3 + 0.1 * math.sin(t * 4)
    stride_red = t * 7 if t < 6.0 or t >= 12.0 else t * 16
    stride_blue = t * 7 if t < 6.0 else t * 16 if t < 12.0 else t * 3
    person(draw, red_x, SIDEWALK_Y, (190, 40, 40), stride=stride_red, lean=red_lean, arms=red_arms)
    person(
        draw, blue_x, SIDEWALK_Y, (40, 70, 190), stride=stride_blue, lean=blue_lean, arms=blue_arms
    )


def scene_fire(draw: Draw, t: float, rng: np.random.Generator) -> None:
    """A fire starts in front of a parked car at 9 s and keeps growing, with smoke, to the end."""
    street(draw, t)
    car(draw, 250, 194, (150, 150, 160), facing=1)
    walker(draw, t, 0.0, -10, 30, SIDEWALK_Y, (60, 60, 140))
    walker(draw, t, 2.0, 330, -12, FAR_SIDEWALK_Y, (120, 70, 40), size=30)
    if t >= 9.0:
        fire(draw, 262, 194, 6 + 38 * ease((t - 9.0) / 8.0), rng)
    if t >= 15.0:
        walker(draw, t, 15.0, 330, -40, SIDEWALK_Y, (80, 140, 80))  # someone running past


def scene_normal(draw: Draw, t: float, rng: np.random.Generator) -> None:
    """An ordinary street: people walk by both ways and cars pass."""
    street(draw, t)
    traffic(
        draw, t, ((0.5, 65, (170, 40, 40)), (6.0, -50, (60, 90, 160)), (11.0, 70, (200, 180, 60)))
    )
    walker(draw, t, 0.0, -10, 18, SIDEWALK_Y, (200, 120, 40))
    walker(draw, t, 3.0, 330, -15, SIDEWALK_Y, (60, 60, 140))
    walker(draw, t, 1.0, 330, -12, FAR_SIDEWALK_Y, (70, 120, 70), size=30)
    walker(draw, t, 7.0, -10, 14, FAR_SIDEWALK_Y, (140, 90, 140), size=30)


# --- the samples and their annotations -------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One sample video and its VAU-Bench annotation."""

    name: str
    seconds: float
    scene: Callable[[Draw, float, np.random.Generator], None]
    anomaly_class: str
    start: float
    end: float
    question: str
    options: tuple[str, str, str, str]
    correct: str
    key_object: str
    description: str
    reasoning: tuple[str, str, str, str, str, str]  # one text per SECTIONS entry

    @property
    def frame_count(self) -> int:
        """Frames in the video."""
        return round(self.seconds * FPS)

    def row(self) -> dict[str, str]:
        """The manifest row, in VAU-Bench's columns and conventions (MSAD-style reasoning)."""
        reasoning = "  ".join(
            f"### {title}: {text}" for title, text in zip(SECTIONS, self.reasoning, strict=True)
        )
        values = (
            self.name,
            self.question,
            *self.options,
            self.correct,
            self.key_object,
            self.description,
            reasoning,
            self.anomaly_class,
            repr(self.start),
            repr(self.end),
        )
        return dict(zip(COLUMNS, values, strict=True))


SAMPLES: tuple[Sample, ...] = (
    Sample(
        name="sample_fall.mp4",
        seconds=20.0,
        scene=scene_fall,
        anomaly_class="People_falling",
        start=8.0,
        end=15.0,
        question="What happens to the pedestrian in the orange shirt on the near sidewalk?",
        options=(
            "The pedestrian stops to talk to a passer-by and then walks on",
            "The pedestrian suddenly falls to the ground, lies there, and later gets up",
            "The pedestrian is hit by a car crossing the road",
            "The pedestrian runs away from someone chasing them",
        ),
        correct="B",
        key_object="pedestrian in orange shirt",
        description=(
            "A street camera shows building fronts, a road with passing cars and two "
            "sidewalks. A pedestrian in an orange shirt walks from left to right along the near "
            "sidewalk while another person walks the other way on the far side. At about 8 "
            "seconds the pedestrian suddenly topples sideways and falls flat on the pavement. "
            "The person lies motionless for several seconds while someone keeps walking "
            "along the far sidewalk. "
            "From about 13 seconds the pedestrian slowly gets up and walks on to the right."
        ),
        reasoning=(
            "People_falling",
            "Outdoors on the near sidewalk of a city street, in front of a row of buildings.",
            "- The pedestrian tips over from an upright walk to lying flat within one second. "
            "- The person stays on the ground without moving from about 9 to 13 seconds. "
            "- The person needs about two seconds to get back up before walking on.",
            "Walking along a sidewalk is normal; a sudden loss of balance followed by a long "
            "still period on the ground is not. No other person or vehicle touches the "
            "pedestrian, so this is an accidental fall rather than an assault or a collision.",
            "- Cause: the pedestrian trips or loses balance while walking. - Effect: the "
            "person falls to the ground, lies still for a while and recovers slowly, which could "
            "mean an injury that needs attention.",
            "The video shows a person falling on the sidewalk between about 8 and 15 seconds; "
            "the anomaly class is People_falling.",
        ),
    ),
    Sample(
        name="sample_fight.mp4",
        seconds=18.0,
        scene=scene_fight,
        anomaly_class="Fighting",
        start=6.0,
        end=12.0,
        question="What do the two people on the near sidewalk do when they meet?",
        options=(
            "They shake hands and walk on together",
            "They pass each other without stopping",
            "They fight, pushing and hitting each other, until one runs away",
            "They help each other carry a heavy bag",
        ),
        correct="C",
        key_object="two people fighting on the sidewalk",
        description=(
            "A street camera shows a parked grey car, a road and two sidewalks. A person in red "
            "and a person in blue walk towards each other along the near sidewalk. When they "
            "meet in the middle at about 6 seconds they start pushing and hitting each other, "
            "lunging back and forth with their arms swinging. The scuffle lasts until about 12 "
            "seconds. Then the person in red runs off to the right while the person in blue "
            "staggers slowly away to the left."
        ),
        reasoning=(
            "Fighting",
            "Outdoors on the near sidewalk of a street, next to a parked car.",
            "- Two people walk straight at each other and stop face to face. - Their bodies "
            "jerk back and forth together with swinging arms for about six seconds. - One "
            "person then runs away quickly while the other staggers.",
            "People meeting on a sidewalk normally greet each other or pass by. Rapid repeated "
            "pushing with swinging arms is a physical fight, and the fast escape and the "
            "unsteady walk afterwards confirm that the contact was violent.",
            "- Cause: a confrontation between the two people when they meet. - Effect: a "
            "fight from about 6 to 12 seconds, after which one person flees and the other "
            "appears hurt.",
            "The video shows two people fighting on the sidewalk between about 6 and 12 "
            "seconds; the anomaly class is Fighting.",
        ),
    ),
    Sample(
        name="sample_fire.mp4",
        seconds=22.0,
        scene=scene_fire,
        anomaly_class="Fire",
        start=9.0,
        end=22.0,
        question="What abnormal event takes place near the parked car?",
        options=(
            "A driver gets into the car and drives away",
            "A fire starts beside the car and grows, giving off smoke",
            "Someone breaks the car window and steals from it",
            "The car is towed away by a truck",
        ),
        correct="B",
        key_object="fire beside the parked car",
        description=(
            "A street camera shows a grey car parked at the kerb of the road, with buildings "
            "behind. Two pedestrians walk past in the first seconds and nothing unusual "
            "happens. At about 9 seconds small orange flames appear next to the front of the "
            "car. The flames grow steadily taller and flicker, and grey smoke rises above them. "
            "The fire is still burning at the end of the video while a person runs past."
        ),
        reasoning=(
            "Fire",
            "Outdoors on a street, at the kerb beside a parked grey car.",
            "- Orange and yellow flickering flames appear at about 9 seconds where there was "
            "nothing before. - The flames keep growing until the end of the video. - Grey "
            "smoke rises above the flames.",
            "An open fire next to a parked car on a street is never a normal sight. The flames "
            "start small and spread, and the smoke shows real burning, so this is an "
            "uncontrolled fire that endangers the car and people nearby.",
            "- Cause: something ignites beside the car (no person is seen starting it, so it "
            "is not classed as arson). - Effect: a growing fire with smoke from about 9 "
            "seconds to the end, with the risk of the car catching fire.",
            "The video shows a fire starting beside a parked car at about 9 seconds and "
            "burning to the end; the anomaly class is Fire.",
        ),
    ),
    Sample(
        name="sample_normal.mp4",
        seconds=16.0,
        scene=scene_normal,
        anomaly_class="Normal",
        start=0.0,
        end=0.0,
        question="Which description best matches the street scene in the video?",
        options=(
            "People walk along both sidewalks and cars drive past; nothing unusual happens",
            "A pedestrian falls down and lies on the pavement",
            "Two people get into a fight on the sidewalk",
            "A car crashes into a building",
        ),
        correct="A",
        key_object="pedestrians and passing cars",
        description=(
            "A street camera shows building fronts, a road and two sidewalks. Several "
            "pedestrians walk along the sidewalks in both directions at a steady pace. Three "
            "cars drive past along the road at different times. Nobody stops, runs or touches "
            "anyone else. The scene stays calm and ordinary from start to end."
        ),
        reasoning=(
            "Normal",
            "Outdoors on a city street with two sidewalks and a two-way road.",
            "- Pedestrians walk at a steady pace in both directions. - Cars pass at normal "
            "speed in their lanes. - No falls, fights, fires or collisions are seen.",
            "Every movement in the video is ordinary street traffic: walking people and "
            "driving cars that keep their distance from each other.",
            "- Cause: everyday use of the street. - Effect: people and cars pass through "
            "the scene without incident.",
            "Normal. The video shows an ordinary street scene with no anomaly.",
        ),
    ),
)


# --- rendering, encoding, checking -----------------------------------------------------------


def render(sample: Sample, index: int) -> np.ndarray:
    """Frame `index` of a sample as an RGB array; the same index always gives the same pixels."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    rng = np.random.default_rng([SEED, index])
    sample.scene(ImageDraw.Draw(image), index / FPS, rng)
    return np.asarray(image)


def write_sample(sample: Sample, path: Path) -> None:
    """Encode a sample with libx264 (single-threaded, so the bytes are reproducible)."""
    pictures = (render(sample, index) for index in range(sample.frame_count))
    write_mp4(path, pictures, FPS, crf=23, preset="slow")


def manifest_text() -> str:
    """The manifest CSV for all samples."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(sample.row() for sample in SAMPLES)
    return buffer.getvalue()


def check(out: Path, manifest: Path) -> list[str]:
    """Problems with the generated files (missing, wrong length or size, stale manifest)."""
    problems = []
    if not manifest.is_file() or manifest.read_text(encoding="utf-8") != manifest_text():
        problems.append(f"{manifest}: missing or out of date")
    for sample in SAMPLES:
        path = out / sample.name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        if path.stat().st_size > MAX_BYTES:
            problems.append(f"{path}: {path.stat().st_size} bytes, over {MAX_BYTES}")
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        if frames != sample.frame_count:
            problems.append(f"{path}: {frames} frames, expected {sample.frame_count}")
    return problems


def make(out: Path, manifest: Path, force: bool = False) -> list[Path]:
    """Write the missing samples (all with `force`) and the manifest; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in SAMPLES:
        path = out / sample.name
        if force or not path.exists():
            write_sample(sample, path)
            written.append(path)
    text = manifest_text()
    if force or not manifest.is_file() or manifest.read_text(encoding="utf-8") != text:
        manifest.write_text(text, encoding="utf-8")
        written.append(manifest)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "samples", help="video folder")
    parser.add_argument("--manifest", type=Path, default=None, help="CSV (default: beside --out)")
    parser.add_argument("--force", action="store_true", help="rewrite existing videos")
    parser.add_argument("--check", action="store_true", help="only verify the files, exit 1 if bad")
    args = parser.parse_args(argv)
    manifest = args.manifest or args.out.parent / "samples.csv"
    if not args.check:
        for path in make(args.out, manifest, args.force):
            print(f"wrote {path}")
    problems = check(args.out, manifest)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

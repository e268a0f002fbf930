"""`python -m inference scan`: an anomaly score curve over a video from sliding windows."""

from __future__ import annotations

import argparse
import json
import time

from inference.argparsing import add_pixel_args
from inference.core.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES
from inference.flags import add_model_args, backend_options, load_templates_arg, open_model
from inference.scan.reply import QUESTION, QUESTIONS
from inference.scan.windows import RELEASE, STRIDE_S, THRESHOLD, WINDOW_S, ScanSettings

BAR_WIDTH = 40


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `scan` subcommand."""
    p = sub.add_parser(
        "scan",
        help="score sliding windows of a video for an anomaly: a curve and a proposed interval",
        description="Each window is asked the question without <think>; its score is 1 - the "
        "model's probability of the Normal answer. The windows' scores are averaged into a "
        "curve over the video, and the interval is where the curve reaches --threshold until "
        "it falls below --release.",
    )
    add_model_args(p)
    p.add_argument("--video", required=True, help="video file")
    p.add_argument("--window", type=float, default=WINDOW_S, help="seconds each window sees")
    p.add_argument("--stride", type=float, default=STRIDE_S, help="seconds between windows")
    p.add_argument(
        "--question",
        choices=QUESTIONS,
        default=QUESTION,
        help="the task whose question each window is asked (default: %(default)s)",
    )
    p.add_argument(
        "--threshold", type=float, default=THRESHOLD, help="score that enters an anomaly"
    )
    p.add_argument("--release", type=float, default=RELEASE, help="score below which it ends again")
    grounding_fps = DEFAULT_FPS["grounding"]
    p.add_argument(
        "--fps", type=float, default=None, help=f"frames per second (default: {grounding_fps:g})"
    )
    p.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, help="cap on frames")
    add_pixel_args(p)
    p.add_argument("--template", default=None, help="JSON file of prompt templates")
    p.add_argument(
        "--no-reuse",
        dest="reuse",
        action="store_false",
        help="encode each window's frames on their own (slower; for comparison)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=cmd_scan)


def bar(score: float) -> str:
    """A score as a bar of BAR_WIDTH cells."""
    return "█" * round(score * BAR_WIDTH)


def cmd_scan(args: argparse.Namespace) -> int:
    """Sample the video once, load the model, scan, print the curve or JSON."""
    from inference.flags import sampling_options
    from inference.scan.scanner import scan_clip
    from inference.video.sampling import sample_video

    settings = ScanSettings(args.window, args.stride, args.threshold, args.release)
    options = sampling_options(args, "grounding")
    templates = load_templates_arg(args.template)
    backend_options(args)
    clip = sample_video(args.video, options)
    started = time.perf_counter()
    engine = open_model(args)
    load_s = time.perf_counter() - started
    result = scan_clip(engine, clip, settings, args.question, args.reuse, templates)
    payload = result.to_dict()
    payload["sampling"] = {"fps": options.fps, "max_frames": options.max_frames,
                           "min_pixels": options.min_pixels, "max_pixels": options.max_pixels,
                           "total_pixels": options.total_pixels}  # fmt: skip
    payload["model"] = {"name": args.model, **engine.facts(), "load_s": round(load_s, 4)}
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    for t, score in result.curve:
        print(f"{t:8.2f} s  {score:.2f}  {bar(score)}")
    found = result.interval
    said = f"{found[0]:.1f} s – {found[1]:.1f} s" if found else "none (Normal)"
    print(f"interval   {said}  (threshold {settings.threshold:g}, release {settings.release:g})")
    timings = result.timings
    print(f"windows    {timings['windows']} of {settings.window_s:g} s every "
          f"{settings.stride_s:g} s; {timings['score_s']:.2f} s "
          f"({timings['seconds_per_minute']:.2f} s per minute of video)")  # fmt: skip
    return 0

"""Command line: `python -m inference run | scan | make-tiny | eval | score | compare | ...`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence

from inference.argparsing import ArgumentParser
from inference.core.tasks import TASKS
from inference.errors import StudioError
from inference.flags import (
    add_model_args,
    add_sampling_args,
    adopt_model_pixels,
    backend_options,
    load_templates_arg,
    open_model,
    sampling_options,
)


def _register_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a checkpoint on one video and print the parsed answer")
    add_model_args(p)
    p.add_argument("--video", required=True, help="video file")
    p.add_argument("--task", choices=TASKS, required=True)
    add_sampling_args(p)
    p.add_argument("--question", default=None, help="QA question")
    p.add_argument("--options", nargs="+", default=None, help="QA options (2 to 4)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Sample the video, build the prompt, load the model, stream, print the result."""
    from inference.backends.generation import Partial
    from inference.core.prompts import build_prompt
    from inference.video.sampling import sample_video

    # Validate cheap inputs before the slow model load.
    options = sampling_options(args, args.task)
    templates = load_templates_arg(args.template)
    prompt = build_prompt(args.task, args.think, args.question, args.options, templates)
    backend_options(args)
    clip = sample_video(args.video, options)
    started = time.perf_counter()
    engine = open_model(args)
    load_s = time.perf_counter() - started
    stream = sys.stderr if args.json else sys.stdout
    shown = 0
    generation = None
    for event in engine.stream(clip, prompt, max_new_tokens=args.max_new_tokens):
        if isinstance(event, Partial):
            stream.write(event.text[shown:])
            stream.flush()
            shown = len(event.text)
        else:
            generation = event
    stream.write("\n")
    payload = generation.to_dict()
    payload["model"] = {"name": args.model, **engine.facts(), "load_s": round(load_s, 4)}
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(format_summary(payload))
    return 0


def format_summary(payload: dict) -> str:
    """Render a generation's parsed fields and timings as readable lines."""
    result, timings = payload["result"], payload["timings"]
    lines = ["", "── result " + "─" * 40]
    lines.append(f"answer     {result.get('answer')}")
    if result.get("interval") is not None:
        start, end = result["interval"]
        lines.append(f"interval   {start:.1f} s – {end:.1f} s")
    lines.append(f"format ok  {result.get('format_ok')}")
    lines.append(f"steps      {len(result.get('steps') or [])}")
    lines.append("── timings " + "─" * 39)
    for key, value in timings.items():
        lines.append(f"{key:<15}{value}")
    return "\n".join(lines)


def _register_make_tiny(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-tiny", help="write the tiny random-weight offline checkpoint")
    p.add_argument("directory", help="where to write it")
    from inference.models.tiny import VARIANTS

    p.add_argument(
        "--variant",
        default="tiny",
        choices=tuple(VARIANTS),
        help="; ".join(f"{name}: {variant.help}" for name, variant in VARIANTS.items()),
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite another checkpoint in the directory"
    )
    p.set_defaults(handler=cmd_make_tiny)


def cmd_make_tiny(args: argparse.Namespace) -> int:
    """Write the tiny checkpoint and say where it went."""
    from pathlib import Path

    from inference.errors import ModelUnavailable
    from inference.models.tiny import holds_other_checkpoint, make_tiny

    if holds_other_checkpoint(Path(args.directory)) and not args.force:
        raise ModelUnavailable(
            f"{args.directory} holds another checkpoint; choose a new folder, or pass --force "
            "to overwrite it"
        )
    start = time.perf_counter()
    path = make_tiny(args.directory, variant=args.variant)
    print(f"tiny checkpoint written to {path} in {time.perf_counter() - start:.1f} s")
    return 0


def _register_plan(sub: argparse._SubParsersAction) -> None:
    from inference.argparsing import add_pixel_args
    from inference.backends.generation import DEFAULT_MAX_NEW_TOKENS
    from inference.core.tasks import DEFAULT_MAX_FRAMES
    from inference.models.loading import DEVICES, DTYPES, QUANTS

    p = sub.add_parser(
        "plan", help="the memory a checkpoint and one video will need, before loading (config only)"
    )
    p.add_argument("--model", required=True, help="hub id, checkpoint directory, or 'tiny'")
    p.add_argument("--quant", choices=QUANTS, default="none", help="bitsandbytes quantization")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where the model would run")
    p.add_argument("--dtype", choices=DTYPES, default="auto", help="the weights' dtype")
    video = p.add_mutually_exclusive_group()
    video.add_argument("--video", default=None, help="size the plan for this video's sampling")
    video.add_argument(
        "--visual-tokens", type=int, default=None, help="visual tokens of one video (default: "
        "the pixel budget's, --total-pixels / 784)"
    )  # fmt: skip
    p.add_argument("--task", choices=TASKS, default="grounding", help="the task's frame rate")
    p.add_argument("--fps", type=float, default=None, help="frames per second (default: per task)")
    p.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, help="cap on frames")
    add_pixel_args(p)
    p.add_argument(
        "--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS, help="the answer budget"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the memory plan; nothing but config.json is read (and the video, when given)."""
    from inference.backends.plan import make_plan, plan_lines
    from inference.models.loading import LoadOptions
    from inference.video.sampling import budget_tokens, sample_video

    tokens = args.visual_tokens
    if args.video is not None:
        tokens = sample_video(args.video, sampling_options(args, args.task)).visual_tokens
    elif tokens is None:
        tokens = budget_tokens(args.total_pixels)
    options = LoadOptions(model=args.model, quant=args.quant, device=args.device, dtype=args.dtype)
    plan = make_plan(options, tokens, args.max_new_tokens)
    print(json.dumps(plan.to_dict()) if args.json else "\n".join(plan_lines(plan)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The full `python -m inference` parser, with every module's subcommands."""
    from inference.eval import compare, evaluate, judge_agreement, score_command, vaueval
    from inference.scan import command as scan_command

    parser = ArgumentParser(prog="python -m inference", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    registrars: list[Callable] = [
        _register_run,
        _register_make_tiny,
        _register_plan,
        score_command.register,
        compare.register,
        evaluate.register,
        vaueval.register,
        judge_agreement.register,
        scan_command.register,
    ]
    for register in registrars:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; domain errors become one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    adopt_model_pixels(args)
    try:
        return args.handler(args)
    except (StudioError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  # Python flushes stdout at exit
        return 0

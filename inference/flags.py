"""The flags that pick and load a model and sample a video, shared by `run`, `eval` and the
other commands that run a checkpoint; each with the function that turns it into options."""

from __future__ import annotations

import argparse

from inference.argparsing import add_pixel_args
from inference.backends import BACKENDS, DEFAULT_TIMEOUT_S, BackendOptions
from inference.backends.generation import DEFAULT_MAX_NEW_TOKENS
from inference.core.tasks import DEFAULT_FPS, DEFAULT_MAX_FRAMES, PIXEL_KEYS, pixels_of
from inference.models.loading import DEVICES, QUANTS
from inference.models.named import WORLD_NOTE


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags that pick and load a checkpoint."""
    parser.add_argument(
        "--model",
        required=True,
        help=f"hub id, checkpoint directory, 'world' (a {WORLD_NOTE}), or 'tiny' / 'tiny-vllm' / "
        "'tiny-init' (offline test checkpoints)",
    )
    parser.add_argument("--quant", choices=QUANTS, default="none", help="bitsandbytes quantization")
    parser.add_argument("--device", choices=DEVICES, default="auto", help="where to run the model")
    parser.add_argument(
        "--backend",
        choices=tuple(BACKENDS),
        default="transformers",
        help="; ".join(f"{name}: {spec.help}" for name, spec in BACKENDS.items()),
    )
    parser.add_argument(
        "--base-url", default=None, help="the server's URL, e.g. http://host:8000/v1"
    )
    parser.add_argument(
        "--api-key-env", default=None, help="environment variable holding the server's API key"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="seconds one request to the server may take, from sending to the answer's end",
    )


def backend_options(args: argparse.Namespace) -> BackendOptions:
    """The BackendOptions the --backend flags name (ValueError when they do not fit)."""
    return BackendOptions(
        backend=args.backend,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        timeout_s=args.timeout,
    )


def open_model(args: argparse.Namespace, prefix_cache: bool = True):
    """The engine the model flags ask for, loaded or connected."""
    from inference.backends import open_engine

    return open_engine(
        args.model, args.quant, args.device, backend_options(args), prefix_cache=prefix_cache
    )


def add_sampling_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags that control how the video is sampled and the reasoning mode."""
    parser.add_argument(
        "--think",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask for <think> reasoning before the answer (default: on)",
    )
    parser.add_argument(
        "--fps", type=float, default=None, help="frames per second to sample (default: per task)"
    )
    parser.add_argument(
        "--max-frames", type=int, default=DEFAULT_MAX_FRAMES, help="cap on sampled frames"
    )
    add_pixel_args(parser)
    parser.add_argument(
        "--template", default=None, help="JSON file of prompt templates replacing the default"
    )
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=DEFAULT_MAX_NEW_TOKENS,
        help="generation length cap",
    )


def adopt_model_pixels(args: argparse.Namespace) -> None:
    """Pixel flags left at their defaults become the checkpoint's own (`inference.models.card`),
    so everything after parsing (sampling, the settings each prediction records) sees them."""
    if not getattr(args, "model", None) or not all(hasattr(args, k) for k in PIXEL_KEYS):
        return
    from inference.models.card import pixels_for

    for key, value in pixels_for(pixels_of(args), args.model).items():
        setattr(args, key, value)


def sampling_options(args: argparse.Namespace, task: str):
    """Build SamplingOptions from parsed flags, validating the numbers."""
    from inference.video.sampling import SamplingOptions

    fps = DEFAULT_FPS[task] if args.fps is None else args.fps
    if fps <= 0:
        raise ValueError("--fps must be positive")
    if args.max_frames < 4:
        raise ValueError("--max-frames must be at least 4")
    return SamplingOptions(fps=fps, max_frames=args.max_frames, **pixels_of(args))


def load_templates_arg(path: str | None):
    """Return the Templates a --template flag names, or None for the default."""
    if path is None:
        return None
    from inference.core.prompts import load_templates

    return load_templates(path)

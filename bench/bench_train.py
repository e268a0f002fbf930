"""SFT and GRPO seconds per step on CPU: full fine-tuning vs LoRA, on the bundled samples.

Builds a throwaway store from `assets/samples.csv`, exports the grounding ground truth as
trl-sft and trl-grpo (no think), and runs each recipe for the same steps twice: all weights,
then LoRA adapters (rank 16) on the language model. GRPO samples 4 completions of up to
`--tokens` tokens per prompt (one prompt per step). The figure is TRL's own
`train_runtime / steps`, so model loading and saving are left out. Models: the tiny checkpoint,
or a mid-size random-weight Qwen2.5-VL (bench_ttft's, built here; no download). Run from the
repository root:

    .venv/bin/python bench/bench_train.py [--steps 20] [--grpo-steps 3] [--tokens 32]
        [--model tiny|mid]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotate.export import ExportOptions, export  # noqa: E402
from annotate.importer import import_csv  # noqa: E402
from annotate.store import Store  # noqa: E402
from bench.bench_ttft import make_mid  # noqa: E402
from inference.models.tiny import make_tiny  # noqa: E402
from train.card import read_card  # noqa: E402
from train.config import TrainConfig  # noqa: E402
from train.grpo import grpo  # noqa: E402
from train.sft import sft  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def samples_export(folder: Path) -> Path:
    """The bundled samples' grounding truth as trl-sft and trl-grpo exports under `folder`."""
    with Store(f"sqlite:///{folder / 'bench.db'}") as store:
        import_csv(store, ROOT / "assets" / "samples.csv", videos=ROOT / "assets" / "samples")
        for fmt in ("trl-sft", "trl-grpo"):
            options = ExportOptions(format=fmt, out=folder / fmt, task="grounding",
                                    think=False, include_ground_truth=True)  # fmt: skip
            export(store, options)
    return folder


def seconds_per_step(recipe: str, model: Path, data: Path, out: Path, steps: int,
                     lora: bool, tokens: int) -> float:  # fmt: skip
    config = TrainConfig(recipe=recipe, model=str(model), data=str(data), out=str(out),
                         max_steps=steps, lr=1e-3, save_steps=10 * steps, lora=lora,
                         max_completion_length=tokens).check()  # fmt: skip
    (sft if recipe == "sft" else grpo)(config)
    return read_card(out)["metrics"]["train_runtime"] / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--grpo-steps", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--model", choices=("tiny", "mid"), default="tiny")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = make_tiny(tmp / "tiny")
        if args.model == "mid":
            model = make_mid(model, tmp / "mid")
        data = samples_export(tmp)
        figures = {}
        for recipe, steps in (("sft", args.steps), ("grpo", args.grpo_steps)):
            for lora in (False, True):
                out = tmp / f"{recipe}-{lora}"
                figures[recipe, lora] = seconds_per_step(recipe, model, data / f"trl-{recipe}",
                                                         out, steps, lora, args.tokens)  # fmt: skip
    print(
        f"{args.model} model, bundled samples, CPU; SFT {args.steps} steps of 1 example, "
        f"GRPO {args.grpo_steps} steps of 1 prompt x 4 completions x <= {args.tokens} tokens"
    )
    print(f"{'recipe':<8}{'full s/step':>14}{'LoRA r16 s/step':>18}{'LoRA / full':>14}")
    for recipe in ("sft", "grpo"):
        full, lora = figures[recipe, False], figures[recipe, True]
        print(f"{recipe:<8}{full:>14.3f}{lora:>18.3f}{lora / full:>13.2f}x")


if __name__ == "__main__":
    main()

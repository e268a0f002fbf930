"""SFT seconds per step on CPU: full fine-tuning vs LoRA, on the bundled samples' export.

Builds a throwaway store from `assets/samples.csv`, exports the grounding ground truth as
trl-sft (no think), and runs `train.sft` for the same steps twice: all weights, then LoRA
adapters (rank 16) on the language model. The figure is TRL's own `train_runtime / steps`, so
model loading and saving are left out. Models: the tiny checkpoint, or a mid-size random-weight
Qwen2.5-VL (bench_ttft's, built here; no download). Run from the repository root:

    .venv/bin/python bench/bench_train.py [--steps 20] [--model tiny|mid]
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
from inference.tiny import make_tiny  # noqa: E402
from train.card import read_card  # noqa: E402
from train.config import TrainConfig  # noqa: E402
from train.sft import sft  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def samples_export(folder: Path) -> Path:
    """The bundled samples' grounding truth as a trl-sft export."""
    with Store(f"sqlite:///{folder / 'bench.db'}") as store:
        import_csv(store, ROOT / "assets" / "samples.csv", videos=ROOT / "assets" / "samples")
        options = ExportOptions(format="trl-sft", out=folder / "sft", task="grounding",
                                think=False, include_ground_truth=True)  # fmt: skip
        export(store, options)
    return folder / "sft"


def seconds_per_step(model: Path, data: Path, out: Path, steps: int, lora: bool) -> float:
    config = TrainConfig(model=str(model), data=str(data), out=str(out), max_steps=steps,
                         lr=1e-3, save_steps=10 * steps, lora=lora).check()  # fmt: skip
    sft(config)
    return read_card(out)["metrics"]["train_runtime"] / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--model", choices=("tiny", "mid"), default="tiny")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = make_tiny(tmp / "tiny")
        if args.model == "mid":
            model = make_mid(model, tmp / "mid")
        data = samples_export(tmp)
        full = seconds_per_step(model, data, tmp / "full", args.steps, lora=False)
        lora = seconds_per_step(model, data, tmp / "lora", args.steps, lora=True)
    print(f"SFT on {args.model}, {args.steps} steps, batch 1, bundled samples (CPU)")
    print(f"{'variant':<10}{'s/step':>10}")
    print(f"{'full':<10}{full:>10.3f}")
    print(f"{'LoRA r16':<10}{lora:>10.3f}")
    print(f"LoRA / full: {lora / full:.2f}x")


if __name__ == "__main__":
    main()

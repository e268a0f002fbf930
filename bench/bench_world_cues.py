"""How salient must an event be for the tiny architecture to learn it? Planted cues vs the world's.

Every row starts from the same `tiny-init` weights (the tiny architecture at Qwen's 0.02 init),
trains for the same steps on the same world train clips with the project's own batches
(`train.collate.SFTCollator`: the processor over the sampled frames, loss on the answer only) to
answer the classification question, and scores held-out test clips, beside the accuracy of
always giving the majority answer:
- tint: half the clips' frames tinted red throughout (a whole-frame event), answer Fire / Normal;
- square N: an orange N x N pixel square in 30% of the frames of half the clips;
- fire N: the world's own fire drawing, N pixels tall, in 30% of the frames of half the clips;
- world Fire: the world's own Fire videos against its Normal ones, nothing planted.
The clips are 160x120 and sampled at 1 fps at their own size (24 visual tokens a frame pair).

    .venv/bin/python bench/bench_world_cues.py [--train 300] [--test 80] [--steps 600]

A plain AdamW loop (lr 1e-3, batch 1) rather than `train sft`, so that a row costs a minute.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from inference.backends.inputs import video_inputs  # noqa: E402
from inference.core.parse import parse_response  # noqa: E402
from inference.models.loading import LoadOptions, load_model  # noqa: E402
from inference.models.tiny import make_tiny  # noqa: E402
from train.collate import SFTCollator  # noqa: E402
from train.data import Record, read_export  # noqa: E402
from world.draw import fire  # noqa: E402

PIXELS = ["--min-pixels", "3136", "--max-pixels", "18816", "--total-pixels", "752640"]
ORANGE = (255, 90, 0)
POSITIVE, NEGATIVE = "Fire", "Normal"


def world_export(folder: Path, split: str, count: int) -> list[Record]:
    """`count` world videos of a split, imported and exported as classification records."""
    python = sys.executable
    videos, db, export = folder / split, folder / f"{split}.db", folder / f"{split}-sft"
    commands = (
        [python, "-m", "world", "generate", "--out", videos, "--count", count, "--split", split,
         "--jobs", "2"],
        [python, "-m", "annotate", "import-csv", videos / "world.csv", "--videos", videos,
         "--db", db],
        [python, "-m", "annotate", "export", "--db", db, "--format", "trl-sft", "--task",
         "classification", "--no-think", "--include-ground-truth", "--status", "all", "--fps",
         "1", *PIXELS, "--out", export],
    )  # fmt: skip
    for command in commands:
        subprocess.run([str(c) for c in command], check=True, capture_output=True, cwd=ROOT)
    return read_export(export, "sft", max_frames=64).records


def answer_of(record: Record) -> str:
    """The record's reference answer (its class)."""
    return parse_response(record.messages[-1]["content"][0]["text"], "classification").answer


def with_answer(record: Record, answer: str) -> list[dict]:
    """The record's chat with `answer` as the reply."""
    reply = {
        "role": "assistant",
        "content": [{"type": "text", "text": f"<answer>{answer}</answer>"}],
    }
    return [record.messages[0], reply]


def planted(records: list[Record], cue: str) -> list[tuple[list[dict], object, str]]:
    """(chat, clip, answer) with the cue planted in every other record's frames."""
    examples = []
    for k, record in enumerate(records):
        clip, positive = record.clip(), k % 2 == 1
        frames = clip.frames.copy()
        if positive and cue == "tint":
            frames[..., 0] = np.clip(frames[..., 0].astype(int) + 90, 0, 255)
        elif positive and cue.startswith("fire"):
            frames = with_fire(frames, int(cue.split()[1]), np.random.default_rng(k))
        elif positive:
            size, rng = int(cue.split()[1]), np.random.default_rng(k)
            count, height, width = frames.shape[0], frames.shape[1], frames.shape[2]
            n = max(2, int(0.3 * count))
            first = rng.integers(0, count - n + 1)
            y, x = rng.integers(0, height - size), rng.integers(0, width - size)
            frames[first : first + n, y : y + size, x : x + size] = ORANGE
        answer = POSITIVE if positive else NEGATIVE
        examples.append(
            (with_answer(record, answer), dataclasses.replace(clip, frames=frames), answer)
        )
    return examples


def with_fire(frames: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The world's own fire drawing, `size` pixels tall at the clip's size, burning at one
    random spot in 30% of the frames (its flames flicker from frame to frame)."""
    count, height, width = frames.shape[:3]
    n = max(2, int(0.3 * count))
    first = int(rng.integers(0, count - n + 1))
    x = float(rng.uniform(size, width - size))
    y = float(rng.uniform(min(2 * size, height - 2), height - 2))  # its base; smoke rises above
    for index in range(first, first + n):
        image = Image.fromarray(frames[index])
        fire(ImageDraw.Draw(image), x, y, size, rng)
        frames[index] = np.asarray(image)
    return frames


def world_pairs(records: list[Record]) -> list[tuple[list[dict], object, str]]:
    """The world's own Fire and Normal records, unchanged."""
    kept = [r for r in records if answer_of(r) in (POSITIVE, NEGATIVE)]
    return [(r.messages, r.clip(), answer_of(r)) for r in kept]


def train_and_score(
    init: Path, train: list, test: list, steps: int, seed: int
) -> tuple[float, float]:
    """(held-out accuracy, seconds) after `steps` AdamW steps from the `init` checkpoint."""
    torch.manual_seed(seed)
    order_rng = random.Random(seed)
    loaded = load_model(LoadOptions(model=str(init), device="cpu"))
    model, processor = loaded.model, loaded.processor
    mask = SFTCollator(processor, []).mask

    def inputs(chat, clip, prompt_only=False):
        text = processor.apply_chat_template(
            chat[:1] if prompt_only else chat, tokenize=False, add_generation_prompt=prompt_only
        )
        batch = video_inputs(processor, [text], [clip])
        if not prompt_only:
            batch["labels"] = mask.labels(batch["input_ids"])
        return batch

    batches = [inputs(chat, clip) for chat, clip, _ in train]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    warm = 30
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * s / steps))
    )
    model.train()
    started, order = time.perf_counter(), []
    for _ in range(steps):
        if not order:
            order = list(range(len(batches)))
            order_rng.shuffle(order)
        model(**batches[order.pop()]).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    seconds = time.perf_counter() - started
    model.eval()
    right = 0
    with torch.no_grad():
        for chat, clip, answer in test:
            batch = inputs(chat, clip, prompt_only=True)
            out = model.generate(**batch, max_new_tokens=8, do_sample=False)
            text = processor.tokenizer.decode(out[0, batch["input_ids"].shape[1] :])
            right += parse_response(text, "classification").answer == answer
    return 100 * right / len(test), seconds


def majority(test: list) -> float:
    """Accuracy of always giving the most common held-out answer."""
    return 100 * Counter(answer for _, _, answer in test).most_common(1)[0][1] / len(test)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=300, help="world train videos")
    parser.add_argument("--test", type=int, default=80, help="world test videos")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cues", nargs="+", default=["tint", "square 28", "square 14", "world"])
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        train, test = world_export(root, "train", args.train), world_export(root, "test", args.test)
        init = make_tiny(root / "init", variant="tiny-init")
        print(
            f"tiny-init, {args.steps} steps, seed {args.seed}; {len(train)} train / {len(test)} "
            "test world clips"
        )
        print(f"{'cue':12}{'train':>7}{'test':>6}{'seconds':>9}{'accuracy':>10}{'majority':>10}")
        for cue in args.cues:
            if cue == "world":
                rows = world_pairs(train), world_pairs(test)
            else:
                rows = planted(train, cue), planted(test, cue)
            accuracy, seconds = train_and_score(init, *rows, args.steps, args.seed)
            print(
                f"{cue:12}{len(rows[0]):7d}{len(rows[1]):6d}{seconds:9.0f}"
                f"{accuracy:10.1f}{majority(rows[1]):10.1f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""train/video_grpo.py against an oracle: GRPO's log-probs are a direct forward over the video."""

from __future__ import annotations

import pytest
import torch
from trl import GRPOConfig, GRPOTrainer

from annotate.export import ExportOptions, export
from annotate.importer import import_csv
from annotate.store import Store
from inference.models.loading import LoadOptions, load_model
from tests.conftest import SAMPLES_CSV, SAMPLES_DIR
from train.data import read_export
from train.grpo import dataset, task_reward
from train.video_grpo import VideoGRPOTrainer, vision_token_ids

COMPLETION = "<glue>[6.0, 12.0]</glue>"


@pytest.fixture(scope="module")
def grpo_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grpo")
    with Store(f"sqlite:///{folder / 'studio.db'}") as store:
        import_csv(store, SAMPLES_CSV, videos=SAMPLES_DIR)
        options = ExportOptions(format="trl-grpo", out=folder / "export", task="grounding",
                                think=False, include_ground_truth=True)  # fmt: skip
        export(store, options)
    return read_export(folder / "export", "grpo")


@pytest.fixture(scope="module")
def trainer(grpo_export, tiny_checkpoint, tmp_path_factory):
    loaded = load_model(LoadOptions(model=str(tiny_checkpoint), device="cpu"))
    rows, records = dataset(grpo_export)
    args = GRPOConfig(output_dir=str(tmp_path_factory.mktemp("out")), use_cpu=True, bf16=False,
                      num_generations=2, per_device_train_batch_size=2, max_completion_length=8,
                      report_to=[], beta=0.0)  # fmt: skip
    return VideoGRPOTrainer(model=loaded.model, reward_funcs=[task_reward("format")], args=args,
                            train_dataset=rows, processing_class=loaded.processor,
                            records=records)  # fmt: skip


def rows_and_oracle(trainer):
    """Two rows (prompt + a fixed completion) and the oracle's log-probs of the completion.

    The oracle calls the model once per row with the processor's own tensors for the prompt
    (mm_token_type_ids included) and reads the completion's log-softmax off the logits.
    """
    key = next(iter(trainer.records))
    prompt_ids, _, _ = trainer._tokenize_prompts([key, key])
    tokenizer = trainer.processing_class.tokenizer
    completion = tokenizer(COMPLETION, add_special_tokens=False)["input_ids"]
    completion = torch.tensor(completion + [tokenizer.convert_tokens_to_ids("<|im_end|>")])
    ids = torch.cat([torch.tensor(prompt_ids[0]), completion]).repeat(2, 1)
    mask = torch.ones_like(ids)
    prompt = trainer.prompt_inputs(key)
    types = torch.cat([prompt["mm_token_type_ids"][0], torch.zeros_like(completion)])
    with torch.no_grad():
        logits = trainer.model(input_ids=ids[:1], attention_mask=mask[:1],
                               mm_token_type_ids=types[None],
                               pixel_values_videos=prompt["pixel_values_videos"],
                               video_grid_thw=prompt["video_grid_thw"],
                               second_per_grid_ts=prompt["second_per_grid_ts"]).logits  # fmt: skip
    n = len(completion)
    logps = torch.log_softmax(logits[0, -n - 1 : -1].float(), dim=-1)
    oracle = logps.gather(-1, completion[:, None])[:, 0]
    return ids, mask, n, oracle


def test_grpo_log_probs_equal_a_direct_forward_over_the_video(trainer):
    ids, mask, n, oracle = rows_and_oracle(trainer)
    with torch.no_grad():
        logps, _, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, n)
    assert logps.shape == (2, n)
    assert (logps - oracle).abs().max() < 1e-3


def test_the_check_fails_when_the_video_is_left_out_of_the_log_prob_pass(trainer):
    ids, mask, n, oracle = rows_and_oracle(trainer)
    with torch.no_grad():  # TRL's own method, which passes no video tensors
        logps, _, _ = GRPOTrainer._get_per_token_logps_and_entropies(
            trainer, trainer.model, ids, mask, n
        )
    assert (logps - oracle).abs().max() > 1e-3


def test_the_loss_pass_trains_through_the_vision_tower(trainer):
    ids, mask, n, _ = rows_and_oracle(trainer)
    trainer.model.zero_grad()
    logps, _, _ = trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, n)
    logps.sum().backward()
    visual = [p.grad for name, p in trainer.model.named_parameters() if "visual" in name]
    assert any(g is not None and g.abs().sum() > 0 for g in visual)
    trainer.model.zero_grad()


def test_generation_takes_the_video_and_never_samples_a_vision_token(trainer):
    key = next(iter(trainer.records))
    prompt_ids, _, fields = trainer._tokenize_prompts([key, key])
    assert fields["video_grid_thw"].shape == (2, 3) and len(fields["mm_token_type_ids"]) == 2
    suppressed = set(vision_token_ids(trainer.processing_class.tokenizer))
    assert len(suppressed) == 5
    completions, _ = trainer._generate_single_turn(prompt_ids, None, fields, 2)
    assert all(not suppressed & set(c) for c in completions)


def test_a_prompt_from_another_generation_batch_is_refused(trainer):
    ids, mask, n, _ = rows_and_oracle(trainer)
    other = list(trainer.records)[1]
    trainer._tokenize_prompts([other])  # a new batch forgets the first prompt's video
    with pytest.raises(RuntimeError, match="never saw"):
        trainer._get_per_token_logps_and_entropies(trainer.model, ids, mask, n)


@pytest.mark.parametrize(
    ("name", "task", "counted"),
    [("iou", "grounding", True), ("iou", "qa", False), ("format", "qa", True)],
)
def test_a_reward_counts_only_for_the_tasks_it_trains(name, task, counted):
    reward = task_reward(name)
    values = reward(["<answer>B</answer>"], task=[task], solution=["B"], interval=[[1.0, 2.0]],
                    think=[False])  # fmt: skip
    assert (values[0] is not None) is counted and reward.__name__ == f"{name}_reward"

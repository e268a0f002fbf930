"""Fine-tuning recipes on the Studio's exports: `python -m train sft|grpo`.

torch and TRL, no Gradio and no SQL: the recipes read the folders `annotate export` writes,
sample each video with `inference.video.sampling` exactly as inference does, and write a
checkpoint that `inference.models.loading.load_model` (and so the Studio and `python -m inference
run`) loads, with `training.json` beside the weights.
"""

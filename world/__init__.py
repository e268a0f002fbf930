"""The synthetic anomaly world: procedurally drawn street videos with planted anomalies of known
class and interval, and their VAU-Bench-shaped manifest.

It is a toy: cartoon streets made by `python -m world generate`, not VAU-Bench's videos, and a
model trained on it is a toy trained on synthetic videos, not VAU-R1. What it gives is truth
that is known exactly, so the loop (import, correct, export, train, evaluate) can be measured.
"""

#!/bin/sh
# Every GPU figure of bench/ in one call, sized to finish in under 8 minutes on one GPU, so a
# session lent a GPU runs it once and copies the output into docs/benchmarks.md:
#   1. bf16 vs 4-bit vs 8-bit (Qwen2.5-VL-3B's architecture, random weights, no download);
#   2. a training step, full vs LoRA, SFT and GRPO (the mid-size random-weight model);
#   3. the 3B's memory at the default budget beside `inference plan`'s prediction;
#   4. in-process vs vLLM on one checkpoint (needs VAU_VLLM_PYTHON: a GPU build of vLLM;
#      without it the CPU build in .venv-vllm serves, which says nothing about GPUs: skipped).
# Each part has its own time limit, so one slow part cannot starve the others.
#
#     sh bench/gpu_suite.sh 2>&1 | tee gpu-suite.txt
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
test -x "$PY" || make .venv/.installed
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA GPU here')" || exit 2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

part() {  # part SECONDS TITLE COMMAND...
    limit=$1; title=$2; shift 2
    echo; echo "== $title"; start=$(date +%s)
    timeout "$limit" "$@" || echo "(part ended with status $?)"
    echo "-- $(( $(date +%s) - start )) s"
}

part 200 "quantization: bf16 / 4bit / 8bit" $PY bench/bench_quant_gpu.py
part 150 "training step: full vs LoRA" $PY bench/bench_train.py --model mid --steps 10 --grpo-steps 2
part 120 "the 3B's real shapes vs inference plan" $PY bench/bench_real_shape.py --device cuda --visual-tokens 3584
if [ -n "${VAU_VLLM_PYTHON:-}" ]; then
    part 120 "in-process vs vLLM" $PY bench/bench_backends.py --device cuda --items 32
else
    echo; echo "== in-process vs vLLM: skipped (set VAU_VLLM_PYTHON to a GPU vLLM's python)"
fi

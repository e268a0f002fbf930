# The two quick-start commands (`make app`, `make test`) bootstrap everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: app test lint format system-deps demo

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Start the Studio with the tiny offline checkpoint (pass ARGS="--model ID" for a real one).
app: $(STAMP)
	$(PY) app.py $(or $(ARGS),--model tiny)

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

## Lint, then the whole test suite (CPU only; GPU tests skip themselves).
test: $(STAMP) system-deps lint
	$(PY) -m pytest

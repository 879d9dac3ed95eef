# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit install install-dev clean studio migration router-model eval-real

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	OHM_OFFLINE=1 $(BIN)/ohm demo

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

unit: install-dev
	$(BIN)/pytest -q

test: lint typecheck unit

# Retrain the local router from nodes/router_data/ (train.jsonl; the threshold is chosen on
# heldout.jsonl) and rewrite model.joblib and model.json there.
router-model: install-dev
	$(BIN)/python -m nodes.router_train

# LangGraph's local API server for Studio, on Ohm's data directory. The two variables turn
# off the CLI's usage analytics and the server's version check, so it starts with no
# outbound connection; with no Bytez key set the graph answers with the offline model.
# Pass more options with STUDIO_ARGS, e.g. `make studio STUDIO_ARGS="--port 2025"`.
studio: install-dev
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true \
		$(BIN)/langgraph dev --no-browser $(STUDIO_ARGS)

# A new artifact-store schema revision from the change made to persistence/models.py.
migration: install-dev
	$(BIN)/python -m persistence.migrations "$(MESSAGE)"

# Opt-in and slow, not part of `make test`: a short conversation against a small real model
# served by llama.cpp on loopback. The first run builds llama-server and fetches the weights
# into ~/.cache/ohm-eval (OHM_EVAL_CACHE); see bench/eval_real.py. EVAL_ARGS="--model 0.5b".
eval-real: install-dev
	$(BIN)/python bench/eval_real.py $(EVAL_ARGS)

clean:
	rm -rf $(VENV) .ohm .pytest_cache .mypy_cache .ruff_cache

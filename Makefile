# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format clean reindex eval eval-retrieval bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port 8501

test: $(STAMP) lint
	$(BIN)/pytest

# Embed new or edited kb/ sections (the page does this itself on start, with a progress bar).
reindex: $(STAMP)
	$(BIN)/python -m knowledge reindex

# The scenario suite on the offline model, gated on evals/thresholds.yaml (exit 1 if one is
# missed). `python -m evals --live` runs it on Claude with the LLM judge.
eval: $(STAMP)
	$(BIN)/python -m evals

# Recall@1/3/5, MRR and nDCG@5 by language for the active embedders, hybrid and each half.
eval-retrieval: $(STAMP)
	$(BIN)/python -m evals.retrieval

# Speed and memory figures, checked against their targets (exit 1 if one is missed).
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache

# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use
# from uv.lock (every package, transitive ones included, at an exact version with hashes), so a
# fresh machine runs exactly what was tested. uv itself comes from tools/uv.txt, also hashed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
STAMP  := $(VENV)/.synced
# The interpreters the lock resolves for (pyproject's requires-python); 3.11 is what CI runs.
PY_MIN := 3.11
PY_MAX := 3.13
PY_OK  := import sys; low, high = ((3, int(v[2:])) for v in ("$(PY_MIN)", "$(PY_MAX)")); \
	sys.exit(not low <= sys.version_info[:2] <= high)
# uv copies from its cache instead of hard-linking (the cache is often on another disk).
export UV_LINK_MODE ?= copy

.PHONY: run test lint format clean reindex eval eval-baseline eval-determinism eval-retrieval eval-triggers \
	eval-routing bench lock \
	lock-upgrade python-version

python-version:
	@$(PYTHON) -c '$(PY_OK)' 2>/dev/null || { \
	  echo "Python $(PY_MIN) to $(PY_MAX) is needed; '$(PYTHON)' is" \
	    "$$($(PYTHON) --version 2>/dev/null || echo not found)."; \
	  echo "Run again with one of those, e.g. make $(MAKECMDGOALS) PYTHON=python3.11"; exit 1; }

$(UV): tools/uv.txt | python-version
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
	  --no-deps -r tools/uv.txt
	@touch $(UV)

# --locked: a pyproject.toml edited without `make lock` stops here with uv's reason.
$(STAMP): uv.lock pyproject.toml $(UV) | python-version
	$(UV) sync --locked --extra test --python $(PYTHON)
	$(BIN)/python -m knowledge engine || true
	@# The trigger exemplars' vectors (~15 s once), so the app's first message need not wait.
	$(BIN)/python -c "from guardrails.semantic import bundled; bundled()"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port 8501

test: $(STAMP) lint
	$(BIN)/pytest

# After editing the dependencies in pyproject.toml: resolve what changed, keep every other pin.
lock: $(UV)
	$(UV) lock

# Every package (and uv itself) to its newest release within pyproject's ranges. Commit the
# result only after `make test` passes on it.
lock-upgrade: $(UV)
	$(UV) pip compile tools/uv.in --generate-hashes --quiet --python-version $(PY_MIN) \
	  --custom-compile-command "make lock-upgrade" -o tools/uv.txt
	$(UV) lock --upgrade

# Embed new or edited kb/ sections (the page does this itself on start, with a progress bar).
reindex: $(STAMP)
	$(BIN)/python -m knowledge reindex

# The scenarios and the simulated-customer tasks on the offline model, each run EVAL_TRIALS
# times (pass^1…pass^k), graded on end states and words, gated on evals/thresholds.yaml and on
# the committed per-case baseline (exit 1 on a missed threshold or a case that used to pass).
# `python -m evals --live --trials 3` runs it on Claude: the side model plays the customers.
EVAL_TRIALS ?= 3
eval: $(STAMP)
	$(BIN)/python -m evals --trials $(EVAL_TRIALS)

# Record today's offline results as the baseline (after a change that makes Eva better).
eval-baseline: $(STAMP)
	$(BIN)/python -m evals --write-baseline

# The offline suite under two numeric paths (BLAS kernel, threads, SIMD): identical outcomes.
eval-determinism: $(STAMP)
	$(BIN)/python -m evals.determinism

# Recall@1/3/5, MRR and nDCG@5 by language for the active embedders, hybrid and each half.
eval-retrieval: $(STAMP)
	$(BIN)/python -m evals.retrieval

# Precision and recall of the escalation triggers (patterns and meaning) on evals/triggers.yaml,
# per trigger and language, with every false positive and miss (exit 1 below the gate's floors).
eval-triggers: $(STAMP)
	$(BIN)/python -m evals.triggers

# Where the offline model sends a new conversation's first message (article, identity check,
# a person, a quote), on a set of questions outside the scenarios and the retrieval set.
eval-routing: $(STAMP)
	$(BIN)/python -m evals.routing

# Speed and memory figures, checked against their targets (exit 1 if one is missed).
bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(TOOLS) data .pytest_cache .ruff_cache

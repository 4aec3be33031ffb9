# slt_sim: two commands on a fresh clone.
#   make demo  - set up .venv (pinned) and run the phase-change demo
#   make test  - set up .venv (pinned) and run the test suite
# Needs Python >= 3.12 (jax 0.12 and arviz 1.x require it).

VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.8
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 python; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	  && { echo $$p; break; }; done)
OUT    ?= demo_output
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: demo test install clean lock bench-venv llc-vs-devinterp tutorials

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON)" ]; then echo "slt_sim needs Python >= 3.12 and none was found: install one (e.g. 'pyenv install 3.12' or your OS package python3.12) and run make again."; exit 1; fi
	@echo "using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	$(UV) pip install -q --python $(PY) --compile-bytecode --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/slt-sim demo --out $(OUT)

test: $(STAMP)
	@sh scripts/ensure_chromium.sh
	$(PY) -m pytest $(PYTEST_ARGS)

lock:
	$(UV) pip compile --python-version 3.12 --extra test pyproject.toml -o requirements.lock

clean:
	rm -rf $(VENV) $(OUT)

# Optional: a separate Python 3.11 venv with devinterp + CPU torch for the LLC benchmark
bench-venv:
	$(MAKE) -C benchmarks bench-venv

llc-vs-devinterp: $(STAMP) bench-venv
	$(PY) benchmarks/llc_vs_devinterp.py --bench-python .venv-bench/bin/python

# Executed copies of the tutorials (full mode, with figures) under docs/tutorials/;
# `make tutorials NB="01 05"` rebuilds a subset. tests/test_tutorial_copies.py checks they are current.
NB ?=
tutorials: $(STAMP)
	$(PY) scripts/build_tutorials.py $(NB)

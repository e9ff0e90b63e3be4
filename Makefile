# compute-rwa: `make demo` and `make test` do all the set-up on a fresh machine that has
# Python 3.11, Node 20 and npm. Everything is pinned: requirements.lock, package-lock.json.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SOLC_VERSION := 0.8.28
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup build test demo bench lint slither invariants clean abi docs

setup: $(VENV)/.installed node_modules/.installed .solcx/solc-v$(SOLC_VERSION)

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.3.1
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# solcjs behind a native-looking facade, installed where py-solc-x and brownie look for
# compilers, so nothing is downloaded.
.solcx/solc-v$(SOLC_VERSION): tools/solc-facade.js node_modules/.installed
	mkdir -p .solcx
	printf '#!/bin/sh\nexec node "%s/tools/solc-facade.js" "$$@"\n' "$(CURDIR)" > $@
	chmod +x $@
	$@ --version | grep -q "Version: $(SOLC_VERSION)"

build: setup
	$(VENV)/bin/brownie compile | tail -n 2

# The gas guard re-measures on a fresh anvil and fails if any figure rose more than 1% above
# the committed bench/results.json (update it with `make bench` in the same change).
test: build lint slither invariants
	$(PY) -m pytest
	$(PY) bench/run.py --check

demo: build
	$(PY) -m compute_rwa.demo

bench: build
	$(PY) bench/run.py

# The integrator kit: ABIs as JSON in ./abi (git-ignored), and the committed contract reference
# regenerated from NatSpec (a test fails when docs/reference is stale).
abi: build
	$(VENV)/bin/compute-rwa abi export abi

docs: build
	$(VENV)/bin/compute-rwa docs build docs/reference

lint: setup
	$(VENV)/bin/ruff check src tests scripts bench examples tools
	$(VENV)/bin/ruff format --check src tests scripts bench examples tools
	$(VENV)/bin/mypy

# Static analysis (docs/slither.md): slither over contracts/ (mocks excluded), compiled for the AST
# only with brownie-config's settings; fails on a High or Medium finding, or a function slither
# could not analyse, that security/slither-triage.json does not explain. About 20 s. Every
# finding goes to reports/slither.json.
slither: setup
	$(PY) tools/slither_gate.py --json reports/slither.json

# Invariant campaigns (docs/invariants.md): forge drives each contract family's handler with
# 20,000 random calls per campaign and checks its conservation laws after every call; fails on a
# broken law, a short campaign or a family without one. The first run builds the contracts with
# forge (a few minutes with solcjs); later runs reuse .forge/. INVARIANT_SEED=random explores anew.
invariants: setup
	$(PY) tools/invariant_gate.py

clean:
	rm -rf build .solcx reports .pytest_cache .hypothesis .forge

# Rights Ledger: `make demo` sets everything up and runs the main job; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solc/bin

.PHONY: setup demo test test-static test-rest test-contracts test-kubo test-fast bench lint sizes clean slither messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# js-ipfs, a real IPFS daemon for the kubo-path tests (kubo itself cannot be installed offline).
# `npm install` from the committed lockfile, not `npm ci`: an optional git dependency trips ci.
tools/ipfs/node_modules/.installed: tools/ipfs/package.json tools/ipfs/package-lock.json
	cd tools/ipfs && npm install --omit=optional --no-audit --no-fund
	touch $@

# Debian's chromium drives the portal's end-to-end tests (Playwright never downloads a browser).
/usr/bin/chromium:
	flock /tmp/rights-ledger-apt.lock sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei"

# (apt runs under one lock: make test installs chromium and jq in parallel jobs)
# jq: the README's tour picks ids out of `--json` output with it (tests/cli/test_readme_tour.py runs the tour).
/usr/bin/jq:
	flock /tmp/rights-ledger-apt.lock sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq"

build/.compiled: $(VENV)/.installed node_modules/.installed $(wildcard contracts/*.sol contracts/*/*.sol) brownie-config.yaml
	$(BIN)/brownie compile
	$(BIN)/python scripts/slim_abi.py   # build/abi: ABI + bytecode only, what the SDK reads
	touch $@

setup: build/.compiled   ## venv + npm packages + compiled contracts

demo: setup /usr/bin/jq   ## start the embedded chain (if needed) and run the demo (jq: the tour after it uses it)
	$(BIN)/rights-ledger demo

# `make test` runs three jobs at once (2 cores; CI must stay under 30 minutes): the static checks
# (ruff, import-linter, slither), the contract tests on Brownie's node (port 8545) and every other
# test (each session starts its own anvil on a free port, and a js-ipfs daemon). `-k`: a failing
# job does not stop the others, so one run shows every failure; make exits non-zero if any failed.
test:   ## lint and static analysis, then the whole suite against real anvil nodes and a js-ipfs daemon
	$(MAKE) --no-print-directory -k -j3 --output-sync=target test-static test-contracts test-rest

test-static: lint slither

test-rest: setup /usr/bin/chromium /usr/bin/jq tools/ipfs/node_modules/.installed   ## every test but the contract tests
	RIGHTS_LEDGER_REQUIRE_IPFS=1 RIGHTS_LEDGER_FUZZ_SCALE=$(or $(FUZZ_SCALE),1) RIGHTS_LEDGER_FUZZ_SEED=fixed \
	  $(BIN)/python -m pytest -p no:pytest-brownie tests --ignore=tests/contracts -q --durations=15 $(PYTEST_ARGS)

test-kubo: setup tools/ipfs/node_modules/.installed   ## the IPFS-path tests only (store, CLI, end to end)
	RIGHTS_LEDGER_REQUIRE_IPFS=1 $(BIN)/python -m pytest -p no:pytest-brownie tests/sdk/test_store.py tests/integration/test_kubo_cli.py $(PYTEST_ARGS)

fuzz: setup              ## the input and portal fuzzers alone (they also run in `make test`); FUZZ_SCALE=10 for 10x the cases
	RIGHTS_LEDGER_FUZZ_SCALE=$(or $(FUZZ_SCALE),1) $(BIN)/python -m pytest -p no:pytest-brownie tests/fuzz tests/portal/test_portal_fuzz.py -q

test-contracts: setup   ## the contract tests (Brownie starts anvil on port 8545)
	$(BIN)/brownie test tests/contracts -q --durations=15 $(PYTEST_ARGS)

bench: setup             ## benchmarks: gas per operation, operations per second, replay rate
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

lint: setup              ## ruff, and the import-linter layer contracts (pyproject.toml)
	$(BIN)/ruff check ledger tests scripts benchmarks
	$(BIN)/lint-imports

messages: $(VENV)/.installed   ## gettext: extract the strings, merge them into zh_CN's .po, compile the .mo (committed)
	$(BIN)/python scripts/extract_messages.py
	$(BIN)/pybabel update -i ledger/locale/messages.pot -d ledger/locale -l zh_CN -w 120 --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d ledger/locale --statistics

sizes: build/.compiled   ## deployed size of every contract, and its headroom to the 24,576-byte limit
	$(BIN)/python scripts/contract_sizes.py

clean:
	rm -rf build reports .pytest_cache .hypothesis

SLITHER_VENV := .venv-slither
$(SLITHER_VENV)/bin/slither:
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install -q slither-analyzer==0.11.6

slither: $(SLITHER_VENV)/bin/slither node_modules/.installed   ## static analysis; fails on any medium or high finding
	$(SLITHER_VENV)/bin/slither contracts --solc-standard-json --solc $(CURDIR)/tools/solc/bin/solc-v0.8.37 \
	  --solc-remaps "@openzeppelin=node_modules/@openzeppelin" --filter-paths "node_modules|contracts/benchmarks" \
	  --exclude-informational --exclude-optimization --fail-medium

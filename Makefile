# TenantGuard: every task a developer or CI runs, in one place.
# `make demo` and `make test` are the two commands a newcomer needs; both set up what they use.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.build/collections
SANDBOX_DIR ?= $(CURDIR)/.sandbox
SANDBOX_PORT ?= 8443
PYTEST_ARGS ?=

.PHONY: help setup demo sandbox test test-sandbox test-units test-e2e test-properties test-referees sanity lint docs build bench fault-runs clean

help:
	@echo "make demo      set up, start the Graph sandbox (unless AZURE_* credentials are set) and run the main playbook"
	@echo "make test      set up and run every test: sandbox, units, sanity, end-to-end, lint"
	@echo "make sandbox   serve the Graph sandbox in the foreground (state in $(SANDBOX_DIR))"
	@echo "make test-referees  run the outside referees (IntuneCD, Microsoft's Graph SDKs) against the sandbox"
	@echo "make bench     run the benchmarks and print their figures"
	@echo "make test-properties  run the property tests (Hypothesis) with the long profile: many random examples"
	@echo "make fault-runs  run the hardening playbook 100 times under injected faults and check every outcome"

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

sandbox: setup
	$(BIN)/python -m tenantguard_sandbox serve --port $(SANDBOX_PORT) --state-dir $(SANDBOX_DIR) --seed sandbox/seeds/contoso.json

test: setup
	@scripts/test.sh

test-sandbox: setup
	$(BIN)/pytest -p no:cacheprovider sandbox/tests $(PYTEST_ARGS)

test-units: setup
	scripts/ansible-test.sh units

test-e2e: setup
	$(BIN)/pytest -p no:cacheprovider -n 3 tests/e2e $(PYTEST_ARGS)

# The property tests (Hypothesis) with the long profile: many more examples than CI draws, at random (a failure
# prints the shrunk example and the blob that reproduces it). CI runs them with the fixed-seed ci profile.
PROPERTY_TESTS ?= tests/unit/plugins/modules/test_stored_equals_declared.py tests/unit/plugins/module_utils/conditional_access/test_ca_properties.py \
	tests/unit/plugins/modules/test_conditional_access_preflight_property.py
test-properties: setup
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -p no:cacheprovider -n 2 --hypothesis-show-statistics $(PROPERTY_TESTS) $(PYTEST_ARGS)

test-referees: setup
	scripts/referees.sh $(PYTEST_ARGS)

sanity: setup
	scripts/ansible-test.sh sanity

lint: setup
	$(BIN)/ansible-lint --profile production
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .
	$(BIN)/python scripts/generate_ca_spec.py --check
	$(BIN)/python scripts/generate_app_protection_spec.py --check
	scripts/galaxy-importer.sh

docs: setup
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .
	rm -rf .build/docs && mkdir -p .build/docs
	$(BIN)/antsibull-docs collection-plugins --use-current --dest-dir .build/docs tenantguard.m365
	@echo "module documentation written to .build/docs"

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path .build

bench: setup
	@scripts/bench.sh $(BENCH)

fault-runs: setup
	$(BIN)/python scripts/fault_runs.py --runs 100 --jobs 3 $(FAULT_RUNS_ARGS)

clean:
	rm -rf .build .sandbox

# news-ingest: every target sets up what it needs (venv, broker jars, broker) on a fresh machine.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# helm and promtool, built from the Go module proxy (the only place this project's machines reach for them).
TOOLS := .local/bin
HELM_MODULE := helm.sh/helm/v3/cmd/helm@v3.22.0
PROMTOOL_MODULE := github.com/prometheus/prometheus/cmd/promtool@v0.316.0

.PHONY: help install bench bench-pages bench-state bench-dedupe conformance tools kafka-up kafka-down run test test-faults check lint typecheck unit deploy-check integration faults fix schema clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED) ## create .venv and install the project with its dev tools (idempotent)

$(TOOLS)/.built: Makefile
	@mkdir -p $(TOOLS)
	@echo "building helm and promtool with go install (minutes the first time; cached after)"
	GOBIN=$(abspath $(TOOLS)) go install $(HELM_MODULE) & helm=$$!; \
	GOBIN=$(abspath $(TOOLS)) go install $(PROMTOOL_MODULE) & promtool=$$!; \
	wait $$helm && wait $$promtool
	@touch $@

tools: $(INSTALLED) $(TOOLS)/.built ## helm and promtool into .local/bin (Go module proxy); hadolint, kubernetes-validate in the venv

kafka-up: $(INSTALLED) ## fetch the broker jars (Maven Central) and start a local KRaft broker on 127.0.0.1:9092
	deploy/kafka/kafka.sh up

kafka-down: ## stop the local broker
	deploy/kafka/kafka.sh down

run: $(INSTALLED) kafka-up ## the main job on the embedded default: demo feeds on loopback -> broker -> articles shown as they arrive
	$(BIN)/news-ingest demo --config demo/config.yaml --site demo/site --log-file .local/demo.log

test: check unit deploy-check integration faults ## everything CI runs: lint, types, unit, chart, integration, fast fault tests

check: lint typecheck ## lint, format check and type check (changes nothing)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

unit: $(INSTALLED) ## unit tests of the pure stages (no broker)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

deploy-check: tools ## the Dockerfile (hadolint), the Helm chart (lint, render, Kubernetes schemas) and alerts (promtool)
	$(BIN)/pytest tests/deploy $(PYTEST_ARGS)

integration: $(INSTALLED) kafka-up ## integration tests against the local broker and a loopback HTTP server
	$(BIN)/pytest -n 3 --dist loadfile --durations=8 tests/integration $(PYTEST_ARGS)

faults: $(INSTALLED) kafka-up ## the fast subset of the fault suite (kill -9, broker restart, rescaling)
	$(BIN)/pytest --durations=8 tests/faults $(PYTEST_ARGS)

test-faults: $(INSTALLED) kafka-up ## the whole fault suite at full size; writes docs/reliability-results.md
	rm -f .local/faults/results.jsonl
	NEWS_INGEST_FAULTS=full $(BIN)/pytest tests/faults $(PYTEST_ARGS)
	$(BIN)/python -m tests.faults.report

bench: $(INSTALLED) kafka-up ## run the benchmarks (15 minutes here); real pages from CORPORA=../shared/corpora (aeb/) first; writes docs/benchmarks.md and bench/results.json
	AEB_CORPUS=$(abspath $(CORPORA))/aeb $(BIN)/python -m bench.run

bench-pages: $(INSTALLED) kafka-up ## real pages alone: the processor on CORPORA/aeb against trafilatura with metadata, speed and F1 (its section of docs/benchmarks.md)
	AEB_CORPUS=$(abspath $(CORPORA))/aeb $(BIN)/python -m bench.real_pages

bench-revisits: $(INSTALLED) kafka-up ## revisits alone: CPU per revisit on the real broker, requests at 10k/100k stories a day, updates caught per schedule (its section of docs/benchmarks.md)
	$(BIN)/python -m bench.revisit_bench

STORIES ?= 300000
bench-store: $(INSTALLED) ## story state off the heap: RocksDB (rocksdict) and LMDB against the in-heap table, STORIES=N (its section of docs/benchmarks.md)
	$(BIN)/python -m bench.store_bench $(STORIES)

bench-state: $(INSTALLED) kafka-up ## story state at volume: STORIES=N stories in the story store on the real broker: RSS, disk, warm restart, cold rebuild, decision p99 (last line JSON; its section of docs/benchmarks.md)
	$(BIN)/python -m bench.state_bench $(if $(filter command line environment,$(origin STORIES)),$(STORIES),)

bench-dedupe: $(INSTALLED) kafka-up ## story identity: precision/recall on 1,200 labelled pairs, index memory and lookups at 100k/1M, restore rate
	$(BIN)/python -m bench.dedupe_run

CORPORA ?= ../shared/corpora
conformance: $(INSTALLED) ## real feeds (feedparser's suite, feed-rs's fixtures) and pages (CORPORA=../shared/corpora) through our parse path; writes docs/conformance.md
	$(BIN)/python -m bench.conformance --corpora $(CORPORA)

fix: $(INSTALLED) ## apply ruff's fixes and formatting (changes files)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(INSTALLED) ## regenerate schemas/*.schema.json from the record models
	$(BIN)/news-ingest schema --write

clean: kafka-down ## stop the broker and remove the venv, broker jars and data (.local)
	rm -rf .local $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

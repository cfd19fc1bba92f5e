# vendorintel: `make run` sets everything up and answers a sample question; `make test` checks it all.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INBOX ?= samples/inbox
DATA_DIR ?= data/demo
QUESTION ?= $(shell grep -v '^\#' prompts/sample_questions.txt | head -n 1)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run ingest ask lint format test clean

install: $(VENV)/.installed

# Reinstall when the project's dependencies or the torch pin change.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The constraints file pins the CPU build of torch, so no multi-GB CUDA build is pulled.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

run: install
	VENDORINTEL_INBOX=$(INBOX) VENDORINTEL_DATA_DIR=$(DATA_DIR) $(BIN)/vendorintel ingest
	@echo
	@echo "Q: $(QUESTION)"
	@echo
	VENDORINTEL_INBOX=$(INBOX) VENDORINTEL_DATA_DIR=$(DATA_DIR) $(BIN)/vendorintel ask "$(QUESTION)"

lint: install
	$(BIN)/ruff check assistant ingest tests bench
	$(BIN)/ruff format --check assistant ingest tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format assistant ingest tests bench
	$(BIN)/ruff check --fix assistant ingest tests bench

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts

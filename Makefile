# vendorintel: `make run` sets everything up and serves the chat; `make test` checks it all.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= data/demo
INBOX ?= $(DATA_DIR)/inbox
HOST ?= 127.0.0.1
PORT ?= 8000
QUESTION ?= $(shell grep -v '^\#' prompts/sample_questions.txt | head -n 1)
RUN_ENV := VENDORINTEL_DATA_DIR=$(DATA_DIR) VENDORINTEL_INBOX=$(INBOX)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run demo-inbox ask lint format browser test bench clean

install: $(VENV)/.installed

# Reinstall when the project's dependencies or the torch pin change.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The constraints file pins the CPU build of torch, so no multi-GB CUDA build is pulled.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[llm,dev]'
	touch $@

# The demo inbox starts as a copy of samples/inbox, so files dropped in the chat never land
# in the repository; files already there are kept.
demo-inbox:
	mkdir -p $(INBOX)
	cp -Rn samples/inbox/. $(INBOX)/

run: install demo-inbox
	$(RUN_ENV) $(BIN)/vendorintel ingest
	$(RUN_ENV) $(BIN)/vendorintel serve --host $(HOST) --port $(PORT)

ask: install demo-inbox
	$(RUN_ENV) $(BIN)/vendorintel ingest
	$(RUN_ENV) $(BIN)/vendorintel ask "$(QUESTION)"

lint: install
	$(BIN)/ruff check assistant ingest tests bench
	$(BIN)/ruff format --check assistant ingest tests bench
	$(BIN)/mypy
	# The architecture: which layer may import which (the contracts in pyproject.toml).
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format assistant ingest tests bench
	$(BIN)/ruff check --fix assistant ingest tests bench

# The chat is tested in Debian's Chromium; install it when missing and we may (as root).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing and cannot be installed here: the browser test will be skipped."; fi

test: lint browser
	$(BIN)/pytest

# Measurements, not tests: each prints its figures beside their goals and writes JSON under
# bench/results/. BENCH_SIZE=full: about 10,000 chunks and FinanceBench with every embedding
# backend (about an hour); small (default) takes a few minutes.
BENCH_SIZE ?= small
bench: install
	$(BIN)/python bench/suite.py --size $(BENCH_SIZE)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts .files

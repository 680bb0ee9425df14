# Two commands on a fresh machine: `make demo` (SQLite, no servers) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install demo serve test test-sqlite test-postgres lint bench browser report-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

demo: install
	$(BIN)/aftersales demo --reset
	$(BIN)/aftersales serve

serve: install
	$(BIN)/aftersales serve

browser:
	@bash scripts/ensure-chromium.sh

report-deps:
	@bash scripts/ensure-report-deps.sh

# The whole suite; AFTERSALES_TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL.
test: install browser report-deps
	$(BIN)/python -m pytest -n 2 -q

lint: install
	$(BIN)/ruff check aftersales tests benchmarks
	$(BIN)/ruff format --check aftersales tests benchmarks
	$(BIN)/mypy aftersales
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) aftersales.db aftersales.db-* .pytest_cache .mypy_cache .ruff_cache

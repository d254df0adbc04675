# `make run` and `make test` are all a user types on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the suite runs in this many processes (pytest-xdist); 0 runs it in this one
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

.PHONY: run test test-scale lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/partnerbot run

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(PYTEST)

test: lint typecheck pytest

# the suite again on PostgreSQL + Redis, started on loopback by .ci/services.sh
test-scale: $(STAMP)
	eval "$$(.ci/services.sh)" && $(PYTEST)

bench: $(STAMP)
	$(BIN)/python -m bench.faq_quality
	$(BIN)/python -m bench.faq_speed
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.relay_latency
	$(BIN)/python -m bench.group_load
	$(BIN)/python -m bench.csv_import
	$(BIN)/python -m bench.postback_load
	$(BIN)/python -m bench.top_load
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.vk

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# The two front-door commands: `make run` and `make test`; `make clean` resets.
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export EXIT_TRACKER_DATABASE_URL ?= sqlite:///exit-tracker.db

.PHONY: run test install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'  # bench: tests/bench runs the scaling bench
	touch $(STAMP)

install: $(STAMP)

## Create the SQLite database, load the sample data when it is empty, serve on $(HOST):$(PORT).
run: $(STAMP)
	$(BIN)/exit-tracker init-db
	$(BIN)/exit-tracker load-sample --if-empty
	$(BIN)/exit-tracker serve --host $(HOST) --port $(PORT)

## Run the whole test suite on every core (PostgreSQL too when EXIT_TRACKER_TEST_PG_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Reset: remove the virtualenv, the SQLite database and the tour's saved tokens; `make run` starts afresh.
clean:
	rm -rf $(VENV) exit-tracker.db exit-tracker.db-wal exit-tracker.db-shm .tour

# The two commands: `make run` (the whole product on SQLite) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install run test bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/syncer db upgrade

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache *.egg-info

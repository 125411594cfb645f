# The two commands: `make run` (the whole product on SQLite) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install run test mutation bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# The Procfile's release step, then the API and the worker together (honcho comes with `install`).
# Settings come from the environment or from .env (honcho reads it); GITHUB_OWNERS is the one you must give.
run: install
	@if [ -z "$$GITHUB_OWNERS" ] && ! grep -qs '^GITHUB_OWNERS=.' .env; then \
		echo "make run: say whose repositories to mirror, e.g. 'make run GITHUB_OWNERS=octocat'" >&2; \
		echo "          (or put GITHUB_OWNERS=octocat in .env, where the other settings may go too)" >&2; \
		exit 2; \
	fi
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start release
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port "$${PORT:-8000}" web worker

test: install
	$(BIN)/python -m pytest

$(BIN)/.mutation-installed: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	touch $@

# Mutation testing (mutmut) of the modules in setup.cfg's [mutation], each against its own tests, on
# SQLite; prints each module's score. Minutes per module, so not part of `make test` or CI.
# One module: `make mutation MODULES=api/params.py`.
mutation: $(BIN)/.mutation-installed
	$(BIN)/python -m tests.mutation $(MODULES)

clean:
	rm -rf $(VENV) data .pytest_cache *.egg-info .mutation

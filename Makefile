# The two commands: `make run` (the whole product on SQLite) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

SCHEMA := tests/graphql-schema

.PHONY: install graphql-schema run test bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# GitHub's published GraphQL schema (npm @octokit/graphql-schema) for the tests that validate every
# GraphQL document; `npm ci` runs again only when the lock file changed.
$(SCHEMA)/node_modules/.installed-lock: $(SCHEMA)/package-lock.json
	cd $(SCHEMA) && npm ci --no-audit --no-fund --ignore-scripts
	cp $< $@

graphql-schema: $(SCHEMA)/node_modules/.installed-lock

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

test: install graphql-schema
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache *.egg-info $(SCHEMA)/node_modules

# The two commands: `make run` (the whole product on SQLite) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

SCHEMA := tests/graphql-schema
STARTER := examples/nuxt

.PHONY: install graphql-schema nuxt-starter run test mutation bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# What running needs: the package, Brotli and honcho; no test tools.
$(BIN)/.installed-run: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[run,brotli]'
	touch $@

# What testing needs besides: the test extras (they include the runtime ones).
$(BIN)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[run,brotli,test]'
	touch $@ $(BIN)/.installed-run

install: $(BIN)/.installed-test

# The npm packages the tests use; `npm ci` runs again only when a lock file changed.
# GitHub's published GraphQL schema (npm @octokit/graphql-schema) for the tests that validate every
# GraphQL document.
$(SCHEMA)/node_modules/.installed-lock: $(SCHEMA)/package-lock.json
	cd $(SCHEMA) && npm ci --no-audit --no-fund --ignore-scripts
	cp $< $@

graphql-schema: $(SCHEMA)/node_modules/.installed-lock

# The Nuxt starter's locked dependencies (its install scripts prepare Nuxt); the tests build it.
$(STARTER)/node_modules/.installed-lock: $(STARTER)/package-lock.json
	cd $(STARTER) && npm ci --no-audit --no-fund --prefer-offline
	cp $< $@

nuxt-starter: $(STARTER)/node_modules/.installed-lock

# The Procfile's release step, then the API and the worker together.
# Settings come from the environment or from .env (honcho reads it); GITHUB_OWNERS is the one you must give.
run: $(BIN)/.installed-run
	@if [ -z "$$GITHUB_OWNERS" ] && ! grep -qs '^GITHUB_OWNERS=.' .env; then \
		echo "make run: say whose repositories to mirror, e.g. 'make run GITHUB_OWNERS=octocat'" >&2; \
		echo "          (or put GITHUB_OWNERS=octocat in .env, where the other settings may go too)" >&2; \
		exit 2; \
	fi
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start release
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port "$${PORT:-8000}" web worker

# Three pytest-xdist workers: most tests wait on real processes and sockets, so three share two cores
# well. The Nuxt starter's tests run after them, alone: its build is not to share the machine.
test: $(BIN)/.installed-test graphql-schema nuxt-starter
	$(BIN)/python -m pytest -n 3 --dist loadgroup --ignore=tests/frontend
	$(BIN)/python -m pytest tests/frontend

$(BIN)/.mutation-installed: $(BIN)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[run,brotli,test,mutation]"
	touch $@

# Mutation testing (mutmut) of the modules in setup.cfg's [mutation], each against its own tests, on
# SQLite; prints each module's score. Minutes per module, so not part of `make test` or CI.
# One module: `make mutation MODULES=api/params.py`.
mutation: $(BIN)/.mutation-installed
	$(BIN)/python -m tests.mutation $(MODULES)

clean:
	rm -rf $(VENV) data .pytest_cache *.egg-info $(SCHEMA)/node_modules $(STARTER)/node_modules $(STARTER)/.nuxt $(STARTER)/.output .mutation

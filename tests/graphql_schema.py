"""GitHub's published public GraphQL schema (npm @octokit/graphql-schema), built once per process."""

from __future__ import annotations

import threading
from pathlib import Path

from graphql import GraphQLSchema, build_schema, parse, validate

PACKAGE_DIR = Path(__file__).resolve().parent / "graphql-schema"
SDL_PATH = PACKAGE_DIR / "node_modules" / "@octokit" / "graphql-schema" / "schema.graphql"

_lock = threading.Lock()
_schema: GraphQLSchema | None = None


def github_schema() -> GraphQLSchema:
    """The schema, built on first use (about two seconds)."""
    global _schema
    with _lock:
        if _schema is None:
            if not SDL_PATH.exists():
                raise RuntimeError(f"{SDL_PATH} is missing: run `npm ci --prefix {PACKAGE_DIR}`")
            # assume_valid: GitHub's SDL breaks two of graphql-core's newer rules about the schema itself
            # (a field defined twice, deprecated implementations of undeprecated interface fields).
            # Documents are still validated against it in full.
            _schema = build_schema(SDL_PATH.read_text(encoding="utf-8"), assume_valid=True, assume_valid_sdl=True)
        return _schema


def validation_errors(document: str) -> list[str]:
    """What GitHub's schema finds wrong with ``document`` ([] when it is a valid query)."""
    return [error.message for error in validate(github_schema(), parse(document))]

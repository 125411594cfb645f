"""The answers other than 200 a client can act on, and which database errors mean "unavailable"."""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

# The database is down, unreachable, or not set up: a 503 rather than a bug.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class ApiError(Exception):
    """An answer other than 200 that the client can act on."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class NotSynced(ApiError):
    def __init__(self):
        super().__init__(
            503, "not_synced", "no data has been published yet: the first sync has not finished; try again later"
        )


class SchemaMissing(ApiError):
    def __init__(self):
        super().__init__(503, "schema_missing", "the database has no tables yet: run `syncer db upgrade`")


class DatabaseUnavailable(ApiError):
    def __init__(self):
        super().__init__(503, "database_unavailable", "the database does not answer; try again later")


class NotAcceptable(ApiError):
    def __init__(self, accept_encoding: str, available: tuple[str, ...]):
        codings = ", ".join(("identity", *available))
        message = f"Accept-Encoding {accept_encoding!r} excludes every encoding of this answer: {codings}"
        super().__init__(406, "not_acceptable", message)


def is_missing_table(error: ProgrammingError) -> bool:
    """PostgreSQL's undefined_table (42P01) or MariaDB's 1146; SQLite reports it as an OperationalError."""
    orig = error.orig
    return getattr(orig, "sqlstate", None) == "42P01" or (bool(getattr(orig, "args", None)) and orig.args[0] == 1146)

"""Flask's error handlers: every error is JSON `{"error": {"code", "message"}}`; a 500 tells nothing inside."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from sqlalchemy.exc import ProgrammingError
from werkzeug.exceptions import HTTPException

from api.http import SAFE_METHODS, error_response
from api.problems import DATABASE_ERRORS, ApiError, DatabaseUnavailable, SchemaMissing, is_missing_table

log = logging.getLogger(__name__)


def _code(exception: HTTPException) -> str:
    return (exception.name or "error").lower().replace(" ", "_")


def install(app: Flask) -> None:
    """Reject write methods everywhere and turn every failure into a JSON error."""

    @app.before_request
    def reject_write_methods() -> Response | None:
        if request.method not in SAFE_METHODS:
            return _method_not_allowed()
        return None

    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if error.code == 405:
            return _method_not_allowed()
        return error_response(error.code or 500, _code(error), error.description or error.name)

    def database_error(error: Exception) -> Response:
        log.warning("database unavailable: %s", error.__class__.__name__)
        return api_error(DatabaseUnavailable())

    for database_exception in DATABASE_ERRORS:
        app.register_error_handler(database_exception, database_error)

    @app.errorhandler(ProgrammingError)
    def programming_error(error: ProgrammingError) -> Response:
        if is_missing_table(error):
            return api_error(SchemaMissing())
        return internal_error(error)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the server failed to answer this request")


def _method_not_allowed() -> Response:
    return error_response(
        405,
        "method_not_allowed",
        f"{request.method} is not allowed: this API is read-only and answers {', '.join(SAFE_METHODS)}",
        headers=[("Allow", ", ".join(SAFE_METHODS))],
    )

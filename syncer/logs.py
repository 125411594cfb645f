"""Logging to stderr, one event per line (journald and Procfile log streams), secrets masked."""

from __future__ import annotations

import logging
import sys

_secrets: set[str] = set()


class _MaskSecrets(logging.Filter):
    """Replaces any registered secret that slipped into a message (defence in depth)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            message = record.getMessage()
            masked = message
            for secret in _secrets:
                masked = masked.replace(secret, "***")
            if masked != message:
                record.msg, record.args = masked, None
        return True


def mask(secret: str) -> None:
    """Never let `secret` appear in a log line (real tokens are long; a few characters would mangle text)."""
    if len(secret) >= 8:
        _secrets.add(secret)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_MaskSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler, Alembic and urllib3 are chatty at INFO; their warnings still show.
    for name in ("urllib3", "alembic", "apscheduler.executors.default"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))

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
    quiet_libraries(level)


def quiet_libraries(level: str) -> None:
    """Alembic, urllib3 and APScheduler are chatty at INFO, and APScheduler's reports of failed and
    missed jobs repeat what the worker logs; below DEBUG only their warnings (APScheduler's
    executor: nothing) show."""
    if level == "DEBUG":
        return
    for name in ("urllib3", "alembic", "apscheduler.scheduler"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
    logging.getLogger("apscheduler.executors.default").setLevel(logging.CRITICAL)

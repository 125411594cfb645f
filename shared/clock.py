"""The one clock: timezone-aware UTC now, as every timestamp column stores it."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)

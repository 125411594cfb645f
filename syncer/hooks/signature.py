"""GitHub's webhook signature: X-Hub-Signature-256 is sha256= and the HMAC-SHA256 of the raw body."""

from __future__ import annotations

import hashlib
import hmac

from shared.config import Secret


def signature(secret: Secret, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret.reveal().encode(), body, hashlib.sha256).hexdigest()


def verify(secret: Secret, body: bytes, header: str | None) -> bool:
    """Whether `header` is the signature of `body`, compared in constant time."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode("utf-8", "replace"))

"""Why a sync could not get what it needs from GitHub; each message is for the operator."""

from __future__ import annotations

from datetime import datetime


class GitHubError(Exception):
    """GitHub could not give what the sync needs."""


class RateLimited(GitHubError):
    """The rate limit is exhausted for longer than the run may wait."""

    def __init__(self, resume_at: datetime | None, message: str):
        self.resume_at = resume_at
        super().__init__(message)


class GitHubUnavailable(GitHubError):
    """GitHub keeps failing; the run gives up rather than hammer it."""


class Aborted(Exception):
    """The process was asked to stop while the sync was in flight."""

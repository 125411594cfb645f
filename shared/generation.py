"""The dataset generation: every committed change of published data bumps it, and nothing else does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shared.models import DatasetState


def record_publish(session: Session, now: datetime, *, changed: bool, complete: bool = False) -> int:
    """Inside the publishing transaction: bump the generation when something `changed`, and mark
    the dataset synced when it is the `complete` truth; returns the generation now in effect."""
    state = session.get(DatasetState, 1, with_for_update=True)
    if changed:
        state.generation += 1
        state.changed_at = now
    if complete:
        state.synced_at = now
    return state.generation

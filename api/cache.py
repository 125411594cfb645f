"""Keep the current dataset and its rendered responses in memory until a new generation is published."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from api.dataset import Dataset, current_version, load_dataset
from api.errors import DATABASE_ERRORS
from api.http import Rendered

log = logging.getLogger(__name__)

# Distinct queries (filters, pages) are unbounded; their rendered bodies are not allowed to be.
MAX_RENDERED_BYTES = 32 * 1024 * 1024


class RenderedResponses:
    """Rendered bodies of one dataset, least recently used dropped first past a byte budget."""

    def __init__(self, max_bytes: int = MAX_RENDERED_BYTES):
        self._max_bytes = max_bytes
        self._size = 0
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Rendered | None:
        with self._lock:
            rendered = self._entries.get(key)
            if rendered is not None:
                self._entries.move_to_end(key)
            return rendered

    def get_or_render(self, key: Hashable, render: Callable[[], Rendered]) -> Rendered:
        rendered = self.get(key)
        if rendered is not None:
            return rendered
        rendered = render()  # outside the lock: two threads may render the same body once each
        with self._lock:
            if key not in self._entries:
                self._entries[key] = rendered
                self._size += len(rendered.body)
                while self._size > self._max_bytes and len(self._entries) > 1:
                    _, dropped = self._entries.popitem(last=False)
                    self._size -= len(dropped.body)
        return rendered


@dataclass(frozen=True)
class Snapshot:
    """A dataset and the responses rendered from it; replaced whole when a generation is published."""

    dataset: Dataset
    responses: RenderedResponses = field(default_factory=RenderedResponses)


class DatasetCache:
    """The current snapshot, checked against the database's version at most every `check_interval`.

    Thread-safe: one thread at a time checks and reloads while the others keep answering from
    the snapshot they have (they wait only when there is none yet).
    """

    def __init__(self, engine: Engine, check_interval: float):
        self._engine = engine
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked_at = float("-inf")

    def snapshot(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked_at < self._check_interval:
            return snapshot
        if not self._lock.acquire(blocking=snapshot is None):
            return snapshot  # another thread is checking right now
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked_at < self._check_interval:
            return snapshot  # refreshed by the thread we waited for
        try:
            if snapshot is None or current_version(self._engine) != snapshot.dataset.version:
                snapshot = Snapshot(load_dataset(self._engine))
        except DATABASE_ERRORS as error:
            if snapshot is None:
                raise
            generation = snapshot.dataset.version.generation
            log.warning("database unavailable, still serving generation %s: %s", generation, type(error).__name__)
        self._snapshot = snapshot
        self._checked_at = time.monotonic()
        return snapshot

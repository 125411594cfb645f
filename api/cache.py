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
from api.problems import DATABASE_ERRORS
from api.rendered import Rendered

log = logging.getLogger(__name__)

# Distinct queries (filters, pages) are unbounded; their rendered bodies (all encodings) are not allowed to be.
MAX_RENDERED_BYTES = 24 * 1024 * 1024


class RenderedResponses:
    """Rendered answers of one dataset, least recently used dropped first past a byte budget.

    The budget counts every encoding kept of an answer, compressed ones included.
    """

    def __init__(self, max_bytes: int = MAX_RENDERED_BYTES):
        self._max_bytes = max_bytes
        self._size = 0
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self._retired = False

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
            if not self._retired and key not in self._entries:
                self._entries[key] = rendered
                self._size += rendered.size
                while self._size > self._max_bytes and len(self._entries) > 1:
                    _, dropped = self._entries.popitem(last=False)
                    self._size -= dropped.size
        return rendered


    def retire(self) -> None:
        """Drop every answer and keep no new one: their generation is being replaced, and a full
        budget of them must not share the memory with the loading of the next."""
        with self._lock:
            self._retired = True
            self._entries.clear()
            self._size = 0

    @property
    def retired(self) -> bool:
        return self._retired


@dataclass(frozen=True)
class LoadedGeneration:
    """A dataset and the responses rendered from it; replaced whole when a generation is published."""

    dataset: Dataset
    responses: RenderedResponses = field(default_factory=RenderedResponses)


class DatasetCache:
    """The current generation, checked against the database's version at most every `check_interval`.

    Thread-safe: one thread at a time checks and reloads while the others keep answering from
    the generation they have (they wait only when there is none yet).
    """

    def __init__(self, engine: Engine, check_interval: float):
        self._engine = engine
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._loaded: LoadedGeneration | None = None
        self._checked_at = float("-inf")

    def current(self) -> LoadedGeneration:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self._check_interval:
            return loaded
        if not self._lock.acquire(blocking=loaded is None):
            return loaded  # another thread is checking right now
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def recheck(self) -> LoadedGeneration:
        """Check the database's version now (a request found its generation replaced), waiting for
        a check another thread has begun."""
        with self._lock:
            self._checked_at = float("-inf")
            return self._refresh()

    def rendered(self, key: Hashable) -> Rendered | None:
        """The answer rendered for `key` in the current generation, if it was rendered already."""
        return self.current().responses.get(key)

    def _refresh(self) -> LoadedGeneration:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked_at < self._check_interval:
            return loaded  # refreshed by the thread we waited for
        try:
            if loaded is None or current_version(self._engine) != loaded.dataset.version:
                if loaded is not None:
                    loaded.responses.retire()  # until the new one is loaded, answers are rendered as asked
                loaded = LoadedGeneration(load_dataset(self._engine))
        except DATABASE_ERRORS as error:
            if loaded is None:
                raise
            if loaded.responses.retired:
                loaded = LoadedGeneration(loaded.dataset)  # serving it on: its answers may be kept again
            generation = loaded.dataset.version.generation
            log.warning("database unavailable, still serving generation %s: %s", generation, type(error).__name__)
        self._loaded = loaded
        self._checked_at = time.monotonic()
        return loaded

"""`syncer once`'s progress: a bar on a terminal's last line with log lines printed above it,
plain log lines (every 10 %) anywhere else."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from syncer.fetch import Progress

log = logging.getLogger("syncer.progress")
CLEAR_LINE = "\r\033[K"
WIDTH = 30


class TerminalBar:
    """A bar that owns the terminal's last line; `above()` prints a line without breaking it."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.lock = threading.RLock()
        self.done = self.total = 0

    def update(self, done: int, total: int) -> None:
        with self.lock:
            self.done, self.total = done, total
            self._draw()

    def above(self, line: str) -> None:
        with self.lock:
            self.stream.write(CLEAR_LINE + line.rstrip("\n") + "\n")
            if self.total:
                self._draw()
            else:
                self.stream.flush()

    def close(self) -> None:
        with self.lock:
            if self.total:
                self.stream.write("\n")
                self.stream.flush()
            self.total = 0

    def _draw(self) -> None:
        filled = WIDTH * self.done // self.total if self.total else 0
        self.stream.write(f"{CLEAR_LINE}repositories [{'#' * filled}{'-' * (WIDTH - filled)}] {self.done}/{self.total}")
        self.stream.flush()


class _AboveTheBar(logging.Handler):
    """Formats with the handler it stands in for, and prints above the bar."""

    def __init__(self, inner: logging.Handler, bar: TerminalBar):
        super().__init__(inner.level)
        self.inner, self.bar = inner, bar
        self.filters = inner.filters

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bar.above(self.inner.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the sync
            self.handleError(record)


@contextmanager
def progress_reporter(stream: TextIO | None = None) -> Iterator[Progress]:
    """Yield the callback the fetch reports progress to."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield _log_every_tenth()
        return
    bar = TerminalBar(stream)
    root = logging.getLogger()
    replaced = list(root.handlers)
    root.handlers[:] = [_AboveTheBar(handler, bar) for handler in replaced]
    try:
        yield bar.update
    finally:
        root.handlers[:] = replaced
        bar.close()


def _log_every_tenth() -> Progress:
    last = {"done": 0}

    def update(done: int, total: int) -> None:
        if total and (done == total or done * 10 // total != last["done"] * 10 // total):
            log.info("fetched languages and contributors of %d of %d repositories", done, total)
        last["done"] = done

    return update

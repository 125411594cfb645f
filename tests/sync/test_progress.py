"""`syncer once` on a terminal: log lines print above the progress bar, which stays whole on the last line."""

from __future__ import annotations

import io
import logging

from syncer.progress import CLEAR_LINE, TerminalBar, progress_reporter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(written: str) -> list[str]:
    """What a terminal shows: each clear-line sequence wipes the current line."""
    lines = [""]
    for part in written.split("\n"):
        lines[-1] = part.split(CLEAR_LINE)[-1].split("\r")[-1]
        lines.append("")
    return lines[:-1]


def test_log_lines_print_above_the_bar_and_the_bar_stays_whole():
    terminal = Terminal()
    root = logging.getLogger()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    saved, root.handlers[:] = list(root.handlers), [handler]
    try:
        with progress_reporter(terminal) as progress:
            progress(1, 4)
            logging.getLogger("syncer.test").warning("skipping alice/x: GitHub answered 404")
            progress(2, 4)
    finally:
        root.handlers[:] = saved
    shown = screen(terminal.getvalue())
    assert shown[0] == "WARNING skipping alice/x: GitHub answered 404"
    assert shown[1].startswith("repositories [") and shown[1].endswith("] 2/4")


def test_the_bar_fills_in_proportion():
    terminal = Terminal()
    bar = TerminalBar(terminal)
    bar.update(15, 30)
    assert terminal.getvalue().endswith("[" + "#" * 15 + "-" * 15 + "] 15/30")


def test_elsewhere_progress_is_logged_every_tenth(caplog):
    caplog.set_level(logging.INFO, logger="syncer.progress")
    with progress_reporter(io.StringIO()) as progress:
        for done in range(1, 101):
            progress(done, 100)
    assert len(caplog.records) == 10 and caplog.records[-1].getMessage().endswith("100 of 100 repositories")

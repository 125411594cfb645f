"""The end of every benchmark: the targets it missed, or that all were met (exit status 1 or 0)."""

from __future__ import annotations


def finish(failures: list[str]) -> None:
    if failures:
        print("\nTARGETS MISSED:\n  " + "\n  ".join(failures))
        raise SystemExit(1)
    print("\nall targets met")

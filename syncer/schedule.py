"""When `syncer run` syncs: once a day, at a random instant inside the window, in the window's zone.

The window is read on the local clock of its zone. On the night the clocks go back, a window
holding the repeated hour lasts longer in real time and still gets one run. On the night they
go forward, the skipped part of a window simply does not exist; a window lying wholly in the
skipped hour (02:00-03:00 in Europe/Oslo) runs at the instant the clocks jump, the first
instant after its start, so that day still gets its sync.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone, tzinfo

from apscheduler.triggers.base import BaseTrigger

from shared.config import SyncWindow

Span = tuple[datetime, datetime]  # UTC, start included, end excluded
Piece = tuple[datetime, datetime, timedelta]  # a span and the zone's UTC offset throughout it


def window_spans(window: SyncWindow, zone: tzinfo, day: date) -> list[Span]:
    """The stretches of real time during which the clock in `zone` shows the window opening on `day`.

    Usually one stretch; two when the clocks go back inside it. When the clocks jump over the
    whole window, the one zero-length stretch at the jump.
    """
    opens = datetime.combine(day, window.start)
    closes = datetime.combine(day + timedelta(days=window.end <= window.start), window.end)
    first = min(_instant(opens, zone, fold) for fold in (0, 1))
    last = max(_instant(closes, zone, fold) for fold in (0, 1))
    pieces = _constant_offset_pieces(zone, first, last)
    spans = []
    for begin, end, offset in pieces:
        begin = max(begin, (opens - offset).replace(tzinfo=timezone.utc))
        end = min(end, (closes - offset).replace(tzinfo=timezone.utc))
        if begin < end:
            spans.append((begin, end))
    if not spans:
        jump = pieces[-1][0]
        spans.append((jump, jump))
    return spans


def next_run(
    window: SyncWindow, zone: tzinfo, now: datetime, previous: datetime | None = None, seed: int = 0
) -> datetime:
    """A random instant, not before `now`, in the first window that is still open and had no run.

    `previous` is the last run: the window it fell in is done for the day. Each day's instant
    depends only on `seed` and the day, so asking again gives the same answer; when it has
    passed but its window is still open (a start in the middle of the window), the run falls
    in what is left of the window.
    """
    day = now.astimezone(zone).date() - timedelta(days=1)  # yesterday's window may cross midnight
    while True:
        spans = window_spans(window, zone, day)
        done = previous is not None and spans[0][0] <= previous <= spans[-1][1]
        left = [(max(begin, now), end) for begin, end in spans if end > now]
        if left and not done:
            rng = random.Random(f"{seed}:{day}")
            moment = _pick(spans, rng)
            return (moment if moment >= now else _pick(left, rng)).astimezone(zone)
        day += timedelta(days=1)


class WindowTrigger(BaseTrigger):
    """An APScheduler trigger that fires once per daily window, at a different random instant each day."""

    __slots__ = ("window", "zone", "seed")

    def __init__(self, window: SyncWindow, zone: tzinfo, seed: int | None = None):
        self.window = window
        self.zone = zone
        self.seed = random.randrange(2**32) if seed is None else seed

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        return next_run(self.window, self.zone, now, previous_fire_time, self.seed)

    def __str__(self) -> str:
        return f"window[{self.window} {zone_name(self.zone)}]"


def zone_name(zone: tzinfo) -> str:
    """The IANA name of a zone where it has one (`Europe/Oslo`: a ZoneInfo's str), else what it calls itself."""
    return str(zone)


def _instant(wall: datetime, zone: tzinfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(timezone.utc)


def _offset(zone: tzinfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


def _constant_offset_pieces(zone: tzinfo, first: datetime, last: datetime) -> list[Piece]:
    """Split [first, last] where the zone's UTC offset changes (at most once: windows are under a day)."""
    before, after = _offset(zone, first), _offset(zone, last)
    if before == after:
        return [(first, last, before)]
    low, high = int(first.timestamp()), int(last.timestamp())
    while high - low > 1:  # offsets change on whole seconds
        middle = (low + high) // 2
        if _offset(zone, datetime.fromtimestamp(middle, timezone.utc)) == before:
            low = middle
        else:
            high = middle
    change = datetime.fromtimestamp(high, timezone.utc)
    return [(first, change, before), (change, last, after)]


def _pick(spans: list[Span], rng: random.Random) -> datetime:
    """A uniformly random instant of the spans (their first instant when they have no length)."""
    total = sum((end - begin for begin, end in spans), timedelta())
    if not total:
        return spans[0][0]
    point = timedelta(microseconds=rng.randrange(total // timedelta(microseconds=1)))
    for begin, end in spans[:-1]:
        if point < end - begin:
            return begin + point
        point -= end - begin
    return spans[-1][0] + point

"""When the worker syncs: one random instant per daily window, read on the window zone's clock."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.config import SyncWindow, parse_window
from syncer.schedule import WindowTrigger, next_run, window_spans

UTC = timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
SPRING_FORWARD = date(2025, 3, 30)  # Oslo: 02:00 CET becomes 03:00 CEST
FALL_BACK = date(2025, 10, 26)  # Oslo: 03:00 CEST becomes 02:00 CET
ZONES = ["Europe/Oslo", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"]
SEEDS = range(200)


def at(zone, *fields) -> datetime:
    return datetime(*fields, tzinfo=zone)


def wall_clock(instant: datetime, zone) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def inside(window: SyncWindow, zone, day: date, instant: datetime) -> bool:
    """Does the clock in `zone` show, at `instant`, a time of the window opening on `day`?"""
    opens = datetime.combine(day, window.start)
    closes = datetime.combine(day + timedelta(days=window.end <= window.start), window.end)
    return opens <= wall_clock(instant, zone) < closes


def window_day(window: SyncWindow, zone, instant: datetime) -> date:
    """The day whose window holds `instant`."""
    local = instant.astimezone(zone).date()
    for day in (local, local - timedelta(days=1)):
        spans = window_spans(window, zone, day)
        if spans[0][0] <= instant <= spans[-1][1]:
            return day
    raise AssertionError(f"{instant} is in no window")


def test_runs_in_todays_window_when_it_is_ahead():
    now = at(UTC, 2025, 6, 1, 1, 0)
    runs = [next_run(parse_window("02:00-05:00"), UTC, now, seed=seed) for seed in SEEDS]
    assert all(at(UTC, 2025, 6, 1, 2) <= run < at(UTC, 2025, 6, 1, 5) for run in runs)
    assert len(set(runs)) == len(runs)  # random, not 02:00:00 for everyone


def test_a_start_inside_the_window_runs_in_what_is_left_of_it():
    now = at(UTC, 2025, 6, 1, 4, 30)
    for seed in SEEDS:
        assert now <= next_run(parse_window("02:00-05:00"), UTC, now, seed=seed) < at(UTC, 2025, 6, 1, 5)


def test_once_the_window_had_its_run_the_next_is_tomorrow():
    window = parse_window("02:00-05:00")
    ran = at(UTC, 2025, 6, 1, 3, 0)
    for seed in SEEDS:
        upcoming = next_run(window, UTC, now=ran, previous=ran, seed=seed)
        assert at(UTC, 2025, 6, 2, 2) <= upcoming < at(UTC, 2025, 6, 2, 5)


def test_each_day_gets_its_own_instant_and_asking_again_gives_the_same():
    window = parse_window("02:00-05:00")
    trigger = WindowTrigger(window, UTC, seed=7)
    first = trigger.get_next_fire_time(None, at(UTC, 2025, 6, 1, 0))
    assert trigger.get_next_fire_time(None, at(UTC, 2025, 6, 1, 1)) == first
    second = trigger.get_next_fire_time(first, first)
    assert second - first != timedelta(days=1) and second.date() == date(2025, 6, 2)


@pytest.mark.parametrize(
    ("now", "earliest", "latest"),
    [
        (at(UTC, 2025, 6, 1, 0, 30), at(UTC, 2025, 6, 1, 0, 30), at(UTC, 2025, 6, 1, 1)),  # yesterday's, still open
        (at(UTC, 2025, 6, 1, 12), at(UTC, 2025, 6, 1, 23), at(UTC, 2025, 6, 2, 1)),
    ],
)
def test_a_window_crossing_midnight(now, earliest, latest):
    for seed in SEEDS:
        assert earliest <= next_run(parse_window("23:00-01:00"), UTC, now, seed=seed) < latest


def test_oslo_spring_forward_night_without_the_window_runs_when_the_clocks_jump():
    window = parse_window("02:00-03:00")  # 02:00-02:59 does not exist that night
    now = at(OSLO, 2025, 3, 29, 12)
    for seed in SEEDS:
        run = next_run(window, OSLO, now, seed=seed)
        assert run == at(OSLO, 2025, 3, 30, 3) == at(UTC, 2025, 3, 30, 1)
        following = next_run(window, OSLO, run, previous=run, seed=seed)
        assert at(OSLO, 2025, 3, 31, 2) <= following < at(OSLO, 2025, 3, 31, 3)


def test_oslo_spring_forward_night_keeps_the_part_of_the_window_that_exists():
    window = parse_window("02:30-04:00")
    runs = [next_run(window, OSLO, at(OSLO, 2025, 3, 29, 12), seed=seed) for seed in SEEDS]
    assert all(at(OSLO, 2025, 3, 30, 3) <= run < at(OSLO, 2025, 3, 30, 4) for run in runs)
    assert min(runs) - at(OSLO, 2025, 3, 30, 3) < timedelta(minutes=5)  # from the jump on, evenly


def test_oslo_fall_back_night_runs_once_in_either_pass_of_the_repeated_hour():
    window = parse_window("02:00-03:00")  # 02:00-02:59 happens twice
    runs = [next_run(window, OSLO, at(OSLO, 2025, 10, 25, 12), seed=seed) for seed in SEEDS]
    assert all(at(UTC, 2025, 10, 26, 0) <= run < at(UTC, 2025, 10, 26, 2) for run in runs)
    assert {run.tzname() for run in runs} == {"CEST", "CET"}
    for run in runs:
        following = next_run(window, OSLO, run, previous=run)
        assert at(OSLO, 2025, 10, 27, 2) <= following < at(OSLO, 2025, 10, 27, 3)


def test_oslo_fall_back_night_never_runs_in_the_repeated_hour_before_the_window():
    window = parse_window("02:30-03:30")
    for seed in SEEDS:
        run = next_run(window, OSLO, at(OSLO, 2025, 10, 25, 12), seed=seed)
        assert time(2, 30) <= run.time() < time(3, 30) and run.date() == FALL_BACK


def test_a_year_of_oslo_nights_has_one_run_each_inside_the_window():
    trigger = WindowTrigger(parse_window("02:00-03:00"), OSLO, seed=1)
    run = trigger.get_next_fire_time(None, at(OSLO, 2025, 1, 1, 12))
    for day in (date(2025, 1, 2) + timedelta(days=n) for n in range(365)):
        assert run.date() == day
        assert inside(trigger.window, OSLO, day, run) or day == SPRING_FORWARD and run == at(OSLO, 2025, 3, 30, 3)
        run = trigger.get_next_fire_time(run, run + timedelta(seconds=1))


windows = st.builds(
    lambda start, length: SyncWindow(start, (datetime.combine(date.min, start) + length).time()),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.integers(1, 24 * 60 - 1).map(lambda minutes: timedelta(minutes=minutes)),
)


@functools.cache
def clock_change_days(zone) -> list[date]:
    """The days of 2020-2030 on which the zone's clocks change, with the day before and after."""
    found = []
    instant = datetime(2020, 1, 1, tzinfo=UTC)
    while instant.year <= 2030:
        if instant.astimezone(zone).utcoffset() != (instant + timedelta(days=1)).astimezone(zone).utcoffset():
            changed = (instant + timedelta(days=1)).astimezone(zone).date()
            found += [changed - timedelta(days=1), changed, changed + timedelta(days=1)]
        instant += timedelta(days=1)
    return found


@st.composite
def zones_and_days(draw) -> tuple[ZoneInfo, date]:
    """A zone and a day, most often one around a change of its clocks."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    changes = clock_change_days(zone)
    if changes and draw(st.integers(0, 3)):
        return zone, draw(st.sampled_from(changes))
    return zone, draw(st.dates(date(2000, 1, 1), date(2037, 12, 31)))


@settings(max_examples=60, deadline=None)
@given(window=windows, zone_and_day=zones_and_days())
def test_spans_are_exactly_the_instants_the_clock_shows_the_window(window, zone_and_day):
    zone, day = zone_and_day
    spans = window_spans(window, zone, day)
    start = datetime.combine(day - timedelta(days=1), time(), UTC)
    for minute in range(4 * 24 * 60):  # every minute of the days around it
        instant = start + timedelta(minutes=minute)
        in_spans = any(begin <= instant < end for begin, end in spans)
        assert in_spans == inside(window, zone, day, instant), instant
    if spans[0][0] == spans[-1][1]:  # no instant at all: the clocks jumped over the window
        jump = spans[0][0]
        assert jump.astimezone(zone).utcoffset() != (jump - timedelta(seconds=1)).astimezone(zone).utcoffset()


@settings(max_examples=300, deadline=None)
@given(window=windows, zone_and_day=zones_and_days(), seed=st.integers(0, 2**32 - 1), seconds=st.integers(0, 86_399))
def test_every_window_gets_exactly_one_run_on_its_clock(window, zone_and_day, seed, seconds):
    zone, day = zone_and_day
    now = datetime.combine(day, time(), UTC) + timedelta(seconds=seconds)
    run = next_run(window, zone, now, seed=seed)
    following = next_run(window, zone, run, previous=run, seed=seed)
    assert now <= run < now + timedelta(days=2) and run < following
    for instant in (run, following):
        window_of = window_day(window, zone, instant)
        jumped = window_spans(window, zone, window_of) == [(instant, instant)]
        assert inside(window, zone, window_of, instant) or jumped
    assert window_day(window, zone, following) == window_day(window, zone, run) + timedelta(days=1)


def test_window_length_counts_across_midnight():
    assert parse_window("02:00-05:00").length == timedelta(hours=3)
    assert parse_window("23:30:15-01:00:00").length == timedelta(hours=1, minutes=29, seconds=45)


def test_the_trigger_plans_with_its_own_seed():
    window = parse_window("02:00-05:00")
    now = at(UTC, 2025, 6, 1, 0)
    assert WindowTrigger(window, UTC, seed=7).get_next_fire_time(None, now) == next_run(window, UTC, now, seed=7)
    assert WindowTrigger(window, UTC, seed=7).seed == 7
    unseeded = {WindowTrigger(window, UTC).get_next_fire_time(None, now) for _ in range(5)}
    assert len(unseeded) == 5  # each worker draws its own seed


def test_the_trigger_names_its_window_and_zone():
    assert str(WindowTrigger(parse_window("02:00-05:00"), OSLO, seed=1)) == "window[02:00-05:00 Europe/Oslo]"
    assert str(WindowTrigger(parse_window("02:00-05:00"), UTC, seed=1)) == "window[02:00-05:00 UTC]"


def test_asking_again_inside_the_window_keeps_the_planned_instant():
    window = parse_window("02:00-05:00")
    for seed in SEEDS:
        planned = next_run(window, UTC, at(UTC, 2025, 6, 1, 1), seed=seed)
        if planned > at(UTC, 2025, 6, 1, 2, 1):
            assert next_run(window, UTC, at(UTC, 2025, 6, 1, 2, 1), seed=seed) == planned
            assert next_run(window, UTC, planned, seed=seed) == planned


def test_a_start_after_the_planned_instant_runs_in_what_is_left_with_the_same_seed_each_time():
    window = parse_window("02:00-05:00")
    now = at(UTC, 2025, 6, 1, 4, 59)
    runs = {next_run(window, UTC, now, seed=3) for _ in range(3)}
    assert len(runs) == 1 and now <= runs.pop() < at(UTC, 2025, 6, 1, 5)


def test_the_run_is_shown_on_the_window_zones_clock():
    run = next_run(parse_window("02:00-05:00"), OSLO, at(UTC, 2025, 6, 1, 12), seed=1)
    assert run.tzinfo is OSLO and time(2) <= run.time() < time(5)


def test_oslo_spring_forward_night_a_window_inside_the_skipped_hour_runs_at_the_jump():
    window = parse_window("02:15-02:45")
    assert window_spans(window, OSLO, SPRING_FORWARD) == [(at(UTC, 2025, 3, 30, 1), at(UTC, 2025, 3, 30, 1))]
    for seed in range(20):
        assert next_run(window, OSLO, at(OSLO, 2025, 3, 29, 12), seed=seed) == at(OSLO, 2025, 3, 30, 3)


def test_oslo_spring_forward_night_a_window_ending_in_the_skipped_hour_ends_at_the_jump():
    window = parse_window("01:30-02:30")
    assert window_spans(window, OSLO, SPRING_FORWARD) == [(at(UTC, 2025, 3, 30, 0, 30), at(UTC, 2025, 3, 30, 1))]
    runs = [next_run(window, OSLO, at(OSLO, 2025, 3, 29, 12), seed=seed) for seed in SEEDS]
    assert all(at(UTC, 2025, 3, 30, 0, 30) <= run < at(UTC, 2025, 3, 30, 1) for run in runs)


def test_oslo_fall_back_night_the_window_holding_the_repeated_hour_is_two_spans_an_hour_longer():
    window = parse_window("01:30-03:30")
    assert window_spans(window, OSLO, FALL_BACK) == [
        (at(UTC, 2025, 10, 25, 23, 30), at(UTC, 2025, 10, 26, 1)),
        (at(UTC, 2025, 10, 26, 1), at(UTC, 2025, 10, 26, 2, 30)),
    ]
    runs = [next_run(window, OSLO, at(OSLO, 2025, 10, 25, 12), seed=seed) for seed in SEEDS]
    assert min(runs) < at(UTC, 2025, 10, 26, 0) and max(runs) > at(UTC, 2025, 10, 26, 2)  # spread over all three hours


def test_unseeded_triggers_draw_their_seeds_from_a_wide_range():
    window = parse_window("02:00-05:00")
    assert len({WindowTrigger(window, UTC).seed for _ in range(50)}) == 50


def test_a_run_at_the_very_opening_of_the_window_is_that_days_run():
    window = parse_window("02:00-05:00")
    opening = at(UTC, 2025, 6, 1, 2)
    for seed in range(20):
        assert at(UTC, 2025, 6, 2, 2) <= next_run(window, UTC, opening, previous=opening, seed=seed) < at(UTC, 2025, 6, 2, 5)


def test_at_the_closing_instant_the_window_is_over():
    window = parse_window("02:00-05:00")
    for seed in range(20):
        assert at(UTC, 2025, 6, 2, 2) <= next_run(window, UTC, at(UTC, 2025, 6, 1, 5), seed=seed) < at(UTC, 2025, 6, 2, 5)


def test_yesterdays_window_still_open_is_found_whatever_the_machines_zone():
    pago_pago = ZoneInfo("Pacific/Pago_Pago")  # UTC-11: the UTC date is already tomorrow
    window = parse_window("14:00-13:30")
    now = at(pago_pago, 2025, 6, 1, 13, 15)
    for seed in range(20):
        assert now <= next_run(window, pago_pago, now, seed=seed) < at(pago_pago, 2025, 6, 1, 13, 30)


def test_oslo_spring_forward_night_a_window_closing_at_the_jump_is_the_hour_before_it():
    window = parse_window("01:30-03:00")  # 03:00 CEST is the instant the clocks jump to
    assert window_spans(window, OSLO, SPRING_FORWARD) == [(at(UTC, 2025, 3, 30, 0, 30), at(UTC, 2025, 3, 30, 1))]


def test_a_window_around_a_clock_change_splits_at_the_exact_second_of_the_change():
    window = SyncWindow(time(0, 30), time(23, 30))
    for name in ("Europe/Oslo", "America/New_York", "Australia/Lord_Howe"):
        zone = ZoneInfo(name)
        split = [spans for spans in (window_spans(window, zone, day) for day in clock_change_days(zone)) if len(spans) == 2]
        assert len(split) >= 20  # two changes a year, 2020-2030
        for (_, change), (after, _) in split:
            assert change == after and change.microsecond == 0, (name, change)
            assert (change - timedelta(seconds=1)).astimezone(zone).utcoffset() != change.astimezone(zone).utcoffset()

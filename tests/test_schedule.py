"""``app.schedule``: when leefgeld and other recurring payments are due — at month and year
boundaries, short months, leap years, start and end of validity."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from app.models import AllowanceFrequency, Frequency
from app.schedule import Schedule, due_dates

D = date


def test_monthly_on_the_31st_falls_on_the_last_day_of_short_months():
    schedule = Schedule("maand", 31, D(2026, 1, 1))
    assert due_dates(schedule, D(2026, 1, 1), D(2026, 5, 31)) == [
        D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 5, 31)]
    assert due_dates(schedule, D(2028, 2, 1), D(2028, 2, 29)) == [D(2028, 2, 29)]  # leap year


def test_monthly_across_the_year_boundary():
    schedule = Schedule(AllowanceFrequency.MONTH, 1, D(2025, 3, 1))
    assert due_dates(schedule, D(2026, 12, 1), D(2027, 1, 31)) == [D(2026, 12, 1), D(2027, 1, 1)]
    # The window's own edges count: due on the first and on the last day of the window.
    assert due_dates(schedule, D(2027, 1, 1), D(2027, 1, 1)) == [D(2027, 1, 1)]
    assert due_dates(schedule, D(2026, 12, 2), D(2026, 12, 31)) == []


def test_weekly_on_a_weekday_across_the_year_boundary():
    friday = 5
    schedule = Schedule(Frequency.WEEK, friday, D(2026, 1, 1))
    got = due_dates(schedule, D(2026, 12, 20), D(2027, 1, 10))
    assert got == [D(2026, 12, 25), D(2027, 1, 1), D(2027, 1, 8)]
    assert all(d.isoweekday() == friday for d in got)


def test_weekly_without_a_day_takes_the_weekday_of_the_start():
    start = D(2026, 10, 28)  # a Wednesday
    got = due_dates(Schedule("week", None, start), D(2026, 10, 1), D(2026, 11, 12))
    assert got == [D(2026, 10, 28), D(2026, 11, 4), D(2026, 11, 11)]


def test_four_weekly_counts_from_its_first_weekday_and_crosses_months():
    schedule = Schedule("4-weken", 1, D(2026, 1, 5))  # Monday 5 January
    got = due_dates(schedule, D(2026, 11, 1), D(2027, 1, 31))
    assert got == [D(2026, 11, 9), D(2026, 12, 7), D(2027, 1, 4)]
    assert all((d - D(2026, 1, 5)).days % 28 == 0 for d in got)


def test_quarterly_and_yearly_count_from_the_start_month():
    quarterly = Schedule("kwartaal", 15, D(2026, 2, 15))
    assert due_dates(quarterly, D(2026, 1, 1), D(2027, 3, 31)) == [
        D(2026, 2, 15), D(2026, 5, 15), D(2026, 8, 15), D(2026, 11, 15), D(2027, 2, 15)]
    yearly = Schedule("jaar", 29, D(2024, 2, 29))
    assert due_dates(yearly, D(2024, 1, 1), D(2028, 12, 31)) == [
        D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]


def test_only_while_valid():
    schedule = Schedule("maand", 1, D(2026, 11, 15), D(2027, 1, 31))
    assert due_dates(schedule, D(2026, 10, 1), D(2027, 3, 31)) == [D(2026, 12, 1), D(2027, 1, 1)]
    # Starting or ending on a due day includes it.
    assert due_dates(Schedule("maand", 1, D(2026, 12, 1), D(2027, 1, 1)),
                     D(2026, 1, 1), D(2027, 12, 31)) == [D(2026, 12, 1), D(2027, 1, 1)]
    assert due_dates(schedule, D(2027, 2, 1), D(2027, 3, 1)) == []  # ended
    assert due_dates(schedule, D(2026, 1, 1), D(2026, 11, 14)) == []  # not yet begun
    assert due_dates(schedule, D(2027, 1, 1), D(2026, 12, 1)) == []  # empty window


def test_daily_reading_agrees_with_the_schedule_over_a_leap_year():
    """An independent day-by-day reading of every frequency over 2027–2028."""
    first, last = D(2027, 1, 1), D(2028, 12, 31)
    for frequency, day, start in [("week", 3, D(2026, 6, 9)), ("4-weken", 7, D(2027, 3, 2)),
                                  ("maand", 30, D(2027, 1, 30)), ("kwartaal", 31, D(2026, 12, 3)),
                                  ("jaar", 31, D(2027, 1, 31))]:
        expected = []
        d = first
        while d <= last:
            if d >= start:
                if frequency in ("week", "4-weken"):
                    anchor = start + timedelta(days=(day - start.isoweekday()) % 7)
                    step = 7 if frequency == "week" else 28
                    ok = d.isoweekday() == day and (d - anchor).days % step == 0
                else:
                    every = {"maand": 1, "kwartaal": 3, "jaar": 12}[frequency]
                    month_end = (d.replace(day=28) + timedelta(days=4)).replace(day=1) \
                        - timedelta(days=1)
                    ok = d.day == min(day, month_end.day) and (d.month - start.month) % every == 0
                if ok:
                    expected.append(d)
            d += timedelta(days=1)
        assert due_dates(Schedule(frequency, day, start), first, last) == expected, frequency


def test_an_unknown_frequency_is_refused():
    with pytest.raises(ValueError, match="dagelijks"):
        due_dates(Schedule("dagelijks", 1, D(2026, 1, 1)), D(2026, 1, 1), D(2026, 2, 1))


def test_the_overview_and_the_demo_share_the_schedule():
    """Production code does not reach into the demo module for its schedule."""
    import app.services.overview as overview
    from app import demo_statements

    source = Path(overview.__file__).read_text(encoding="utf-8")
    assert "demo_statements" not in source
    assert overview.due_dates is due_dates
    assert demo_statements.schedule_due_dates is due_dates

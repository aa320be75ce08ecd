"""When a recurring payment is due: the schedule arithmetic of agreements and leefgeld.

Pure (no Session, no Qt, no clock). ``due_dates(schedule, first, last)`` gives the days in
[first, last] a payment is due. The monthly overview uses it for "the next leefgeld", the demo
statements for when each agreement's money moves; both go through this one module.

A schedule runs from ``start`` (its first valid day) through ``end`` (None: open-ended):

- ``week``: every week on ISO weekday ``day`` (1 = Monday … 7 = Sunday; default: the weekday
  of ``start``);
- ``4-weken``: every 28 days, on the first such weekday on or after ``start``;
- ``maand``, ``kwartaal``, ``jaar``: on day ``day`` of the month (default: the day of
  ``start``; the last day of a shorter month), every month, every three months, every year,
  counted from the month of ``start``.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta

WEEK, FOUR_WEEKS, MONTH, QUARTER, YEAR = "week", "4-weken", "maand", "kwartaal", "jaar"
FREQUENCIES = (WEEK, FOUR_WEEKS, MONTH, QUARTER, YEAR)
_MONTHS_APART = {MONTH: 1, QUARTER: 3, YEAR: 12}


@dataclass(frozen=True)
class Schedule:
    """A recurring payment: how often (``frequency``, one of FREQUENCIES; an enum whose value
    is one of them will do), on which day, from ``start`` through ``end``."""

    frequency: str
    day: int | None
    start: date
    end: date | None = None


def due_dates(schedule: Schedule, first: date, last: date) -> list[date]:
    """The days in [first, last] on which ``schedule`` is due and valid, in order."""
    start, end = schedule.start, schedule.end
    if start > last or (end is not None and end < first) or first > last:
        return []
    frequency = str(getattr(schedule.frequency, "value", schedule.frequency))
    day = schedule.day if isinstance(schedule.day, int) else None
    if frequency in (WEEK, FOUR_WEEKS):
        weekday = day if day and 1 <= day <= 7 else start.isoweekday()
        anchor = start + timedelta(days=(weekday - start.isoweekday()) % 7)
        phase = anchor.toordinal() % (7 if frequency == WEEK else 28)
    elif frequency in _MONTHS_APART:
        day = day if day and 1 <= day <= 31 else start.day
        phase = (start.month - 1) % _MONTHS_APART[frequency]
    else:
        raise ValueError(f"unknown frequency {frequency!r}")
    days = _days(frequency, day or 0, phase, first, last)
    if start > first or (end is not None and end < last):
        return [d for d in days if start <= d and (end is None or d <= end)]
    return list(days)


@functools.cache
def _days(frequency: str, day: int, phase: int, first: date, last: date) -> tuple[date, ...]:
    """The due days in [first, last] of a schedule (cached: thousands share one)."""
    if frequency in (WEEK, FOUR_WEEKS):
        step = 7 if frequency == WEEK else 28
        ordinal = first.toordinal()
        ordinal += (phase - ordinal) % step
        return tuple(date.fromordinal(o) for o in range(ordinal, last.toordinal() + 1, step))
    every = _MONTHS_APART[frequency]
    days = []
    for index in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
        year, month = divmod(index, 12)
        if month % every != phase:
            continue
        due = date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))
        if first <= due <= last:
            days.append(due)
    return tuple(days)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative); the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def previous_due_date(schedule: Schedule, due: date) -> date:
    """The due day before ``due`` of this schedule, ignoring its start (the period of the first
    payment begins where the one before it would have ended)."""
    frequency = str(getattr(schedule.frequency, "value", schedule.frequency))
    if frequency in (WEEK, FOUR_WEEKS):
        return due - timedelta(days=7 if frequency == WEEK else 28)
    step = _MONTHS_APART[frequency]
    day = schedule.day if isinstance(schedule.day, int) else schedule.start.day
    # Years apart keep the phase of the start month (12 is a multiple of every step).
    earlier_start = schedule.start.replace(year=due.year - 2, day=1)
    open_schedule = Schedule(frequency, day, earlier_start)
    earlier = due_dates(open_schedule, add_months(due, -step).replace(day=1), due - timedelta(1))
    return earlier[-1] if earlier else add_months(due, -step)


__all__ = ["FREQUENCIES", "Schedule", "add_months", "due_dates", "previous_due_date"]

"""TARGET2 working days: the days a SEPA credit transfer is executed.

Closed on Saturdays and Sundays, New Year's Day, Good Friday, Easter Monday, 1 May, and 25 and
26 December (the ECB's TARGET2 calendar). A payment due on a closed day goes out on the working
day before it, so that rent due on a Saturday is on time.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


@cache
def easter_sunday(year: int) -> date:
    """The anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def closing_days(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    return frozenset({date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1),
                      date(year, 5, 1), date(year, 12, 25), date(year, 12, 26)})


def is_target2_day(day: date) -> bool:
    return day.weekday() < 5 and day not in closing_days(day.year)


def previous_target2_day(day: date) -> date:
    """``day`` itself when TARGET2 is open, else the last open day before it."""
    while not is_target2_day(day):
        day -= timedelta(days=1)
    return day

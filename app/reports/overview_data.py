"""The monthly paper overview as plain data: what the service gathers from the database and
what the table, the letter and the Excel file are made from. Pure: no Session, no Qt.

Amounts are integer cents, signed as on the participant's saldo (+ in, - out). ``month`` is
the first day of the overview's month M; the table shows M-2, M-1 and M.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

# Category kinds (CategoryKind values), in the order the table shows their rows.
KIND_ORDER = ("inkomen", "vaste_last", "leefgeld", "overig")
MAX_ADDRESS_LINES = 6  # PostNL / NEN 5825


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def last_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_months(month: date) -> tuple[date, date, date]:
    """The three months of an overview of ``month``: M-2, M-1, M (their first days)."""
    return add_months(month, -2), add_months(month, -1), first_of_month(month)


@dataclass(frozen=True)
class Address:
    """Who the letter goes to. ``lines()`` gives the address block of a window envelope."""

    name: str
    street: str | None = None
    house_number: int | None = None
    house_number_suffix: str | None = None
    postcode: str | None = None
    city: str | None = None

    @property
    def complete(self) -> bool:
        return bool(self.name and self.street and self.house_number and self.postcode
                    and self.city)

    def lines(self) -> list[str]:
        """PostNL / NEN 5825: name; street and house number (with its suffix);
        ``1234 AB  CITY`` (one space in the postcode, two before the city, city in capitals).
        At most six lines."""
        lines = [self.name]
        if self.street or self.house_number:
            lines.append(" ".join(p for p in (self.street, self.house_number_text()) if p))
        if self.postcode or self.city:
            postcode = _postcode_text(self.postcode or "")
            lines.append(f"{postcode}  {(self.city or '').upper()}".strip())
        return [line for line in lines if line][:MAX_ADDRESS_LINES]

    def house_number_text(self) -> str:
        """12, 12A (a letter is written against the number), 12-2 (anything else after a
        hyphen), as PostNL asks."""
        if self.house_number is None:
            return ""
        suffix = (self.house_number_suffix or "").strip().lstrip("-").strip()
        if not suffix:
            return str(self.house_number)
        if re.fullmatch(r"[A-Za-z]", suffix):
            return f"{self.house_number}{suffix.upper()}"
        return f"{self.house_number}-{suffix}"


def _postcode_text(postcode: str) -> str:
    compact = _compact_postcode(postcode)
    if _POSTCODE.fullmatch(compact):
        return f"{compact[:4]} {compact[4:]}"
    return postcode.strip()


_POSTCODE = re.compile(r"\d{4}[A-Z]{2}")
_NUMBER_PARTS = re.compile(r"\d+|\D+")


def _compact_postcode(postcode: str) -> str:
    """'3511 ab' → '3511AB': spaces and case ignored."""
    return re.sub(r"\s+", "", postcode).upper()


def mail_order_key(postcode: str | None, house_number: int | None, suffix: str | None,
                   number: str) -> tuple:
    """The mail room's order of letters: by postcode (4 digits and 2 letters, spaces and
    case ignored), then house number, then its addition (12, 12-2, 12-10, 12A, 12b: digits in
    an addition by value, letters without case), then dossier number. A malformed postcode
    comes after the others, a missing one last; a missing house number last in its postcode."""
    compact = _compact_postcode(postcode or "")
    rank = 0 if _POSTCODE.fullmatch(compact) else 1 if compact else 2
    addition = (suffix or "").strip().lstrip("-").strip().upper()
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                  for part in _NUMBER_PARTS.findall(addition))
    return (rank, compact, house_number is None, house_number or 0, parts, number)


@dataclass(frozen=True)
class BookedAmount:
    """One booking of the participant in the period, as the letter names it."""

    booking_date: date
    amount_cents: int
    group: str  # the organisation (ketenpartner), or the category when there is none
    label: str  # the agreement: its description, else its category
    kind: str  # the category kind: inkomen, vaste_last, leefgeld, overig
    agreement_id: int | None = None

    @property
    def order(self) -> int:
        return KIND_ORDER.index(self.kind) if self.kind in KIND_ORDER else len(KIND_ORDER)


@dataclass(frozen=True)
class MonthSaldo:
    """One column's footer: the saldo before the month, the month's balance, the saldo after."""

    month: date  # first day
    begin_cents: int  # saldo at the end of the previous month
    end_cents: int  # saldo at the end of this month (or on the as-of day, for this month)

    @property
    def balance_cents(self) -> int:
        return self.end_cents - self.begin_cents


@dataclass(frozen=True)
class AllowanceDate:
    """A coming leefgeld payment (amount positive: what the participant receives)."""

    day: date
    amount_cents: int


@dataclass(frozen=True)
class Notice:
    """An open signal worth telling the participant, in plain words (see letter_texts)."""

    kind: str  # SignalKind value
    organisation: str | None = None
    expected_date: date | None = None
    expected_cents: int | None = None


@dataclass(frozen=True)
class Settlement:
    """The final settlement of a participant who left (eindafrekening)."""

    end_date: date
    final_cents: int  # positive: paid to them; negative: they owe it
    instalment_cents: int | None = None  # owed: per month
    first_instalment: date | None = None


@dataclass(frozen=True)
class Contact:
    name: str | None
    phone: str | None


@dataclass(frozen=True)
class OverviewData:
    """Everything one participant's overview of one month shows. No BSN: it is never here."""

    number: str  # dossiernummer
    address: Address
    month: date  # first day of month M
    as_of: date  # the saldo's date: the month's last day, or today for the running month
    saldos: tuple[MonthSaldo, MonthSaldo, MonthSaldo]  # M-2, M-1, M
    bookings: tuple[BookedAmount, ...]  # of the three months, in date order
    language: str = "nl"
    large_print: bool = False
    buffer_cents: int = 150_000
    variant: str = "volledig"
    next_allowances: tuple[AllowanceDate, ...] = ()
    notices: tuple[Notice, ...] = ()
    withheld_cents: int = 0  # buffer instalments kept back from the leefgeld of month M
    instalment_cents: int = 0  # the buffer plan in force: kept back per leefgeld payment
    settlement: Settlement | None = None  # the participant left: the letter is the final one
    contact: Contact = field(default_factory=lambda: Contact(None, None))

    @property
    def saldo_cents(self) -> int:
        return self.saldos[-1].end_cents

    @property
    def months(self) -> tuple[date, date, date]:
        return period_months(self.month)

    @property
    def this_month(self) -> list[BookedAmount]:
        return [b for b in self.bookings if first_of_month(b.booking_date) == self.month]

    @property
    def allowance_paid_cents(self) -> int:
        """Leefgeld paid out in month M, as a positive amount."""
        return -sum(b.amount_cents for b in self.this_month if b.kind == "leefgeld")


def day_before(day: date) -> date:
    return day - timedelta(days=1)

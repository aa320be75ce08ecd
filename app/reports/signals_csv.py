"""The signals export of ``huishoudboekje signals`` (DESIGN §7): CSV, ';'-separated, UTF-8."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from app.formatting import decimal_text


@dataclass(frozen=True)
class SignalExportRow:
    """One open signal as the export shows it."""

    dossier_number: str
    kind: str  # as in the UI: "betaling ontbreekt", …
    category: str | None
    expected_date: date | None
    expected_cents: int | None
    found_cents: int | None  # the amount booked (or waiting in the queue), when there is one
    status: str  # open | in behandeling
    contact_person: str | None
    message: str


COLUMNS = ("dossiernummer", "soort", "rubriek", "verwacht_op", "verwacht_bedrag", "gevonden",
           "status", "contactpersoon", "toelichting")


def _amount(cents: int | None) -> str:
    return "" if cents is None else decimal_text(cents)


def write_signals_csv(rows: Iterable[SignalExportRow], out: TextIO) -> int:
    """Write the rows; returns how many. Dates ISO, amounts with a decimal point (-1302.98),
    empty where a signal has none; the explanation on one line."""
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow((
            row.dossier_number, row.kind, row.category or "",
            row.expected_date.isoformat() if row.expected_date else "",
            _amount(row.expected_cents), _amount(row.found_cents), row.status,
            row.contact_person or "", " ".join(row.message.split())))
        count += 1
    return count

"""The bookings export of DESIGN §7: CSV, ';'-separated, UTF-8, header row."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from app.formatting import decimal_text


@dataclass(frozen=True)
class BookingExportRow:
    """One row of ``export bookings`` (DESIGN §7): a transaction, or one part of a split one."""

    bank_reference: str
    booking_date: date
    amount_cents: int
    counter_account: str
    dossier_number: str
    category: str
    method: str  # automatisch | handmatig | open


COLUMNS = ("bank_referentie", "datum", "bedrag", "tegenrekening", "dossiernummer", "rubriek",
           "wijze")


def write_bookings_csv(rows: Iterable[BookingExportRow], out: TextIO) -> int:
    """Write the rows; returns how many. Amounts are signed with a decimal point (-42.41),
    dates ISO (2026-11-23): the file is for scripts and spreadsheets alike."""
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow((row.bank_reference, row.booking_date.isoformat(),
                         decimal_text(row.amount_cents), row.counter_account, row.dossier_number,
                         row.category, row.method))
        count += 1
    return count

"""The three-month table of the paper overview (pandas), as the Utrecht team shows it:
rows grouped by organisation (ketenpartner) and agreement, columns M-2, M-1, M, each cell the
amounts booked that month (a tuple: several when there were several), and the footer rows
Saldo begin van periode, Balans periode, Saldo eind van periode. Pure: no Session, no Qt.

The footer comes from the saldo function (the ``MonthSaldo`` rows the service read with it);
``month_table`` checks that each column's bookings add up to its balance, so a table that
disagrees with the printed saldo cannot be made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from app.reports.overview_data import OverviewData, first_of_month

SALDO_BEGIN = "Saldo begin van periode"
BALANCE = "Balans periode"
SALDO_END = "Saldo eind van periode"
FOOTER_ROWS = (SALDO_BEGIN, BALANCE, SALDO_END)


class TableMismatch(AssertionError):
    """The bookings of a month do not add up to the saldo difference (data changed while the
    overview was read): never print such a table."""


@dataclass(frozen=True)
class MonthTable:
    body: pd.DataFrame  # index (group, label); columns the months; cells tuples of cents
    footer: pd.DataFrame  # index FOOTER_ROWS; columns the months; int cents

    @property
    def months(self) -> list[date]:
        return list(self.body.columns)

    def rows(self) -> list[tuple[str, str, list[tuple[int, ...]]]]:
        """(group, label, [amounts per month]) in print order."""
        return [(group, label, list(cells)) for (group, label), cells
                in zip(self.body.index, self.body.itertuples(index=False, name=None),
                       strict=True)]


def month_table(data: OverviewData) -> MonthTable:
    months = list(data.months)
    column = {m: i for i, m in enumerate(months)}
    # Grouped in plain Python (bookings arrive in date order), then one DataFrame: a pandas
    # groupby per letter costs more than laying the whole letter out.
    cells: dict[tuple[int, str, str], list[list[int]]] = {}
    for b in data.bookings:
        index = column.get(first_of_month(b.booking_date))
        if index is None:
            continue
        row = cells.setdefault((b.order, b.group, b.label), [[], [], []])
        row[index].append(b.amount_cents)
    keys = sorted(cells)
    body = pd.DataFrame(
        [[tuple(amounts) for amounts in cells[key]] for key in keys],
        index=pd.MultiIndex.from_tuples([(g, lab) for _, g, lab in keys], names=["group", "label"])
        if keys else pd.MultiIndex.from_arrays([[], []], names=["group", "label"]),
        columns=months, dtype=object)
    footer = pd.DataFrame(
        [[s.begin_cents for s in data.saldos], [s.balance_cents for s in data.saldos],
         [s.end_cents for s in data.saldos]],
        index=list(FOOTER_ROWS), columns=months, dtype="int64")
    for index, month in enumerate(months):
        booked = sum(sum(cells[key][index]) for key in keys)
        balance = data.saldos[index].balance_cents
        if booked != balance:
            raise TableMismatch(
                f"{data.number} {month:%Y-%m}: boekingen {booked} ≠ balans {balance}")
    return MonthTable(body, footer)

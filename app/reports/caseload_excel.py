"""The caseload review as an Excel workbook for the teamleader (``huishoudboekje caseload``).

A summary sheet with one row per employee (the caseload table, a totals row), then one sheet
per employee with their participants: dossier number, name, status, saldo, buffer, open
signals, next progress talk. Frozen header, amounts in euros as exact decimals with a euro
format, dates as dates, column widths set. Never a BSN. Pure: no Session, no Qt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from app.reports.overview_excel import DATE_FORMAT, EURO_FORMAT, _header_row, euros


@dataclass(frozen=True)
class CaseloadSummaryRow:
    employee: str
    counts: Sequence[int]  # per measure, in the order of the header


@dataclass(frozen=True)
class CaseloadParticipantRow:
    number: str
    name: str
    status: str
    saldo_cents: int
    buffer_cents: int
    open_signals: int
    next_talk: date | None


@dataclass(frozen=True)
class CaseloadSheet:
    employee: str
    participants: Sequence[CaseloadParticipantRow]


PARTICIPANT_COLUMNS = ("Dossiernummer", "Naam", "Status", "Saldo", "Buffer", "Open signalen",
                       "Volgend voortgangsgesprek")


def sheet_name(name: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("' ")[:31] or "Medewerker"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_caseload_workbook(on: date, measures: Sequence[str],
                            summary: Sequence[CaseloadSummaryRow], total: CaseloadSummaryRow,
                            sheets: Sequence[CaseloadSheet], path: str | Path) -> int:
    """Write the workbook; returns the number of employee sheets."""
    book = Workbook()
    first = book.active
    first.title = "Caseload"
    taken = {"caseload"}
    header = ["Medewerker", *measures]
    first.append(header)
    _header_row(first, 1, len(header))
    first.freeze_panes = "B2"
    for row in summary:
        first.append([row.employee, *row.counts])
    first.append([total.employee, *total.counts])
    _header_row(first, first.max_row, len(header))  # the totals row in bold
    first.append([])
    first.append([f"Stand op {on.strftime('%d-%m-%Y')}"])
    first.column_dimensions["A"].width = 28
    for index in range(2, len(header) + 1):
        first.column_dimensions[first.cell(1, index).column_letter].width = max(
            12, len(header[index - 1]) + 2)

    for employee in sheets:
        sheet = book.create_sheet(sheet_name(employee.employee, taken))
        sheet.append(list(PARTICIPANT_COLUMNS))
        _header_row(sheet, 1, len(PARTICIPANT_COLUMNS))
        sheet.freeze_panes = "A2"
        for p in employee.participants:
            sheet.append([p.number, p.name, p.status, euros(p.saldo_cents),
                          euros(p.buffer_cents), p.open_signals, p.next_talk])
            row = sheet.max_row
            sheet.cell(row, 4).number_format = EURO_FORMAT
            sheet.cell(row, 5).number_format = EURO_FORMAT
            sheet.cell(row, 7).number_format = DATE_FORMAT
        for column, width in zip("ABCDEFG", (16, 32, 14, 14, 14, 14, 24), strict=True):
            sheet.column_dimensions[column].width = width
    book.save(str(path))
    return len(sheets)

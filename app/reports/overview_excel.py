"""The paper overview as an Excel workbook for the frontoffice's own use (openpyxl).

A first sheet lists every participant with their saldo; then one sheet per participant (named
after the dossier number) with the three-month table — one amount per cell, so a cell of the
letter with two amounts becomes two rows here — its footer, this month's list and the coming
leefgeld. Amounts are numbers in euros (exact decimals, formatted € 1.234,56 by Excel's
locale), the header rows are frozen. Dutch: the workbook is for staff. Pure: no Session, no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.reports.letter import LetterSettings
from app.reports.letter_texts import DUTCH
from app.reports.overview_data import OverviewData
from app.reports.overview_table import FOOTER_ROWS, SALDO_END, month_table

EURO_FORMAT = '"€" #,##0.00;"€" -#,##0.00'
DATE_FORMAT = "DD-MM-YYYY"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
TOP_LINE = Border(top=Side(style="thin"))


def euros(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def write_overview_workbook(letters: Iterable[OverviewData], path: str | Path,
                            settings: LetterSettings | None = None) -> int:
    """Write the workbook; returns the number of participants in it."""
    book = Workbook()
    summary = book.active
    summary.title = "Overzicht"
    summary.append(["Dossiernummer", "Naam", "Maand", "Saldo op", "Saldo", "Grote letters",
                    "Taal"])
    _header_row(summary, 1, 7)
    summary.freeze_panes = "A2"
    count = 0
    for data in letters:
        count += 1
        summary.append([data.number, data.address.name, DUTCH.month(data.month), data.as_of,
                        euros(data.saldo_cents), "ja" if data.large_print else "nee",
                        data.language])
        row = summary.max_row
        summary.cell(row, 4).number_format = DATE_FORMAT
        summary.cell(row, 5).number_format = EURO_FORMAT
        _participant_sheet(book, data, settings)
    for column, width in zip("ABCDEFG", (16, 32, 16, 12, 14, 14, 8), strict=True):
        summary.column_dimensions[column].width = width
    book.save(str(path))
    return count


def _header_row(sheet, row: int, columns: int) -> None:
    for column in range(1, columns + 1):
        cell = sheet.cell(row, column)
        cell.font = BOLD
        cell.fill = HEADER_FILL


def _participant_sheet(book: Workbook, data: OverviewData,
                       settings: LetterSettings | None) -> None:
    t = DUTCH
    sheet = book.create_sheet(data.number[:31])
    table = month_table(data)
    months = table.months
    sheet.append([f"{t.title.format(month=t.month(data.month))}: {data.address.name} "
                  f"({data.number})"])
    sheet.cell(1, 1).font = TITLE
    sheet.append([f"Saldo op {t.day(data.as_of)}", None, euros(data.saldo_cents)])
    sheet.cell(2, 1).font = BOLD
    sheet.cell(2, 3).font = BOLD
    sheet.cell(2, 3).number_format = EURO_FORMAT
    sheet.append([])
    sheet.append(["Organisatie", "Afspraak", *[t.month(m) for m in months]])
    _header_row(sheet, 4, 5)
    sheet.freeze_panes = "C5"
    previous = None
    for group, label, cells in table.rows():
        depth = max(1, *(len(c) for c in cells))
        for line in range(depth):
            first = line == 0
            sheet.append([
                t.category(group) if first and group != previous else None,
                t.category(label) if first else None,
                *[euros(cell[line]) if line < len(cell) else None for cell in cells],
            ])
            _euro_cells(sheet, sheet.max_row, 3, 5)
        previous = group
    for index, name in enumerate(FOOTER_ROWS):
        sheet.append([name, None, *[euros(int(table.footer.at[name, m])) for m in months]])
        row = sheet.max_row
        _euro_cells(sheet, row, 3, 5)
        if index == 0:
            for column in range(1, 6):
                sheet.cell(row, column).border = TOP_LINE
        if name == SALDO_END:
            for column in range(1, 6):
                sheet.cell(row, column).font = BOLD
    sheet.append([])
    sheet.append([t.heading_list.format(month=t.month(data.month))])
    sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append(["Datum", "Omschrijving", "Bedrag"])
    _header_row(sheet, sheet.max_row, 3)
    for booking in data.this_month:
        what = t.category(booking.group)
        if booking.label != booking.group:
            what += f": {t.category(booking.label)}"
        sheet.append([booking.booking_date, what, euros(booking.amount_cents)])
        sheet.cell(sheet.max_row, 1).number_format = DATE_FORMAT
        _euro_cells(sheet, sheet.max_row, 3, 3)
    if data.next_allowances:
        sheet.append([])
        sheet.append(["Volgend leefgeld"])
        sheet.cell(sheet.max_row, 1).font = BOLD
        for allowance in data.next_allowances:
            sheet.append([allowance.day, "leefgeld", euros(allowance.amount_cents)])
            sheet.cell(sheet.max_row, 1).number_format = DATE_FORMAT
            _euro_cells(sheet, sheet.max_row, 3, 3)
    for column, width in zip(range(1, 6), (28, 30, 18, 18, 18), strict=True):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=5, max_col=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)


def _euro_cells(sheet, row: int, first: int, last: int) -> None:
    for column in range(first, last + 1):
        sheet.cell(row, column).number_format = EURO_FORMAT

"""The audit trail (Logboek) as an Excel workbook: one row per audit row, as filtered.

A sheet "Logboek" with a frozen, bold header, set column widths, the time as an Excel date
(local time, dd-mm-jjjj uu:mm:ss; Excel has no time zones) and before/after as compact JSON
text; a sheet "Toelichting" with the filter and the moment of the export. Written in
openpyxl's write-only mode, so a million rows do not have to fit in memory as cells. Text
that Excel would take for a formula (``=…``) stays text; characters a workbook cannot hold are
left out; a cell longer than Excel allows is cut off with "…". Pure: no Session, no Qt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

TIME_FORMAT = "DD-MM-YYYY HH:MM:SS"
MAX_CELL = 32_767  # Excel's limit on the characters in one cell
MAX_ROWS = 1_048_575  # Excel's rows, less the header
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
REFUSED_FONT = Font(color="B3261E", bold=True)


@dataclass(frozen=True)
class AuditExportRow:
    number: int  # the audit row's id
    at: datetime  # local time, without a zone
    actor: str  # the employee's login name as the program knows it
    name: str  # the employee's name, when the actor is a known employee
    db_user: str
    role: str
    host: str
    action: str
    subject: str  # readable: "deelnemer HHB-00042"
    entity: str  # the table
    entity_id: str
    result: str  # gedaan / geweigerd
    before: str | None  # the JSON text as stored
    after: str | None


# (header, width) in the order of the columns
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Nr", 9), ("Tijd", 20), ("Medewerker", 16), ("Naam", 24), ("Databasegebruiker", 18),
    ("Rol", 13), ("Werkplek", 18), ("Actie", 30), ("Object", 26), ("Tabel", 18), ("Id", 9),
    ("Resultaat", 11), ("Voor", 60), ("Na", 60),
)


def compact_json(text: str | None) -> str:
    """Stored JSON as short as it gets: {"a":1,"b":"x"}; text that is not JSON as it is."""
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_audit_workbook(rows: Iterable[AuditExportRow], path: str | Path, *,
                         notes: Sequence[tuple[str, str]] = (),
                         progress: Callable[[int], None] | None = None) -> int:
    """Write the rows (in the order given) to ``path``; returns how many were written.
    ``notes`` are (label, text) lines for the Toelichting sheet; ``progress(n)`` is called
    every 1,000 rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Logboek")
    sheet.freeze_panes = "A2"
    for index, (_header, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_styled(sheet, header, font=BOLD, fill=HEADER_FILL)
                  for header, _width in COLUMNS])
    count = 0
    for row in rows:
        if count >= MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} rows do not fit in one sheet")
        moment = WriteOnlyCell(sheet, row.at)
        moment.number_format = TIME_FORMAT
        result = _text(sheet, row.result)
        if row.result == "geweigerd":
            result = _styled(sheet, row.result, font=REFUSED_FONT)
        sheet.append([
            row.number, moment, _text(sheet, row.actor), _text(sheet, row.name),
            _text(sheet, row.db_user), _text(sheet, row.role), _text(sheet, row.host),
            _text(sheet, row.action), _text(sheet, row.subject), _text(sheet, row.entity),
            _text(sheet, row.entity_id), result, _text(sheet, compact_json(row.before)),
            _text(sheet, compact_json(row.after)),
        ])
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
    notes_sheet = book.create_sheet("Toelichting")
    notes_sheet.column_dimensions["A"].width = 22
    notes_sheet.column_dimensions["B"].width = 60
    for label, text in notes:
        notes_sheet.append([_styled(notes_sheet, label, font=BOLD), _text(notes_sheet, text)])
    book.save(str(path))
    return count


def _clean(value: str | None) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", value or "")
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _text(sheet, value: str | None):
    """Text as text: a value starting with '=' would otherwise become a formula."""
    text = _clean(value)
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def _styled(sheet, value: str, *, font: Font | None = None, fill: PatternFill | None = None):
    text = _clean(value)
    cell = WriteOnlyCell(sheet, text)
    if text.startswith("="):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell

"""The dossier workbook of DESIGN §7: three sheets with Dutch headers, one row per record.

Reading gives plain records holding the cells as found (text, numbers, dates) with their row
number; checking the values against the rules is the import service's work, so that the
workbook, the dossier screen and the demo generator share one set of rules.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import python_calamine

from app.errors import UserError

# Sheet name → {Dutch column header: record attribute}. Headers are matched case-insensitively;
# extra columns are ignored.
ORGANISATION_SHEET = "Organisaties"
ORGANISATION_COLUMNS = {"naam": "name", "kvk": "kvk", "iban": "iban", "soort": "kind"}

PARTICIPANT_SHEET = "Deelnemers"
PARTICIPANT_COLUMNS = {
    "dossiernummer": "number",
    "bsn": "bsn",
    "voornaam": "first_name",
    "tussenvoegsel": "infix",
    "achternaam": "last_name",
    "geboortedatum": "birth_date",
    "straat": "street",
    "huisnummer": "house_number",
    "postcode": "postcode",
    "woonplaats": "city",
    "telefoon": "phone",
    "email": "email",
    "iban": "iban",
    "startdatum": "start_date",
    "variant": "variant",
    "buffer": "buffer",
    "papieren_overzicht": "paper_overview",
    "contactpersoon": "contact_person",
    "taal": "language",  # of the paper overview: nl, en, ar, tr, pl, ti, uk; blank: nl
}

AGREEMENT_SHEET = "Afspraken"
AGREEMENT_COLUMNS = {
    "dossiernummer": "participant_number",
    "organisatie": "organisation",
    "tegenrekening": "counter_iban",
    "richting": "direction",
    "bedrag": "amount",
    "omschrijving": "description",
    "rubriek": "category",
    "zoektermen": "search_terms",
    "dag_van_maand": "day",
    "frequentie": "frequency",
    "startdatum": "valid_from",
    "einddatum": "valid_through",
    "betaalwijze": "payment_method",  # overschrijving | incasso (uitgaven; leeg: onbekend)
}


@dataclass
class OrganisationRow:
    row: int
    name: object = None
    kvk: object = None
    iban: object = None
    kind: object = None


@dataclass
class ParticipantRow:
    row: int
    number: object = None
    bsn: object = None
    first_name: object = None
    infix: object = None
    last_name: object = None
    birth_date: object = None
    street: object = None
    house_number: object = None
    postcode: object = None
    city: object = None
    phone: object = None
    email: object = None
    iban: object = None
    start_date: object = None
    variant: object = None
    buffer: object = None
    paper_overview: object = None
    contact_person: object = None
    language: object = None


@dataclass
class AgreementRow:
    row: int
    participant_number: object = None
    organisation: object = None
    counter_iban: object = None
    direction: object = None
    amount: object = None
    description: object = None
    category: object = None
    search_terms: object = None
    day: object = None
    frequency: object = None
    valid_from: object = None
    valid_through: object = None
    payment_method: object = None


@dataclass
class DossierBook:
    """Everything one workbook holds."""

    organisations: list[OrganisationRow] = field(default_factory=list)
    participants: list[ParticipantRow] = field(default_factory=list)
    agreements: list[AgreementRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading and writing

REQUIRED_COLUMNS = {
    ORGANISATION_SHEET: ("naam",),
    PARTICIPANT_SHEET: ("dossiernummer", "bsn", "achternaam"),
    AGREEMENT_SHEET: ("dossiernummer", "richting", "bedrag", "rubriek", "frequentie", "startdatum"),
}

_SHEETS: tuple[tuple[str, dict[str, str], type], ...] = (
    (ORGANISATION_SHEET, ORGANISATION_COLUMNS, OrganisationRow),
    (PARTICIPANT_SHEET, PARTICIPANT_COLUMNS, ParticipantRow),
    (AGREEMENT_SHEET, AGREEMENT_COLUMNS, AgreementRow),
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # compound file: encrypted OOXML or old .xls


class WorkbookError(UserError):
    """The workbook cannot be read, or (``problems``) some of its rows break the rules.

    ``str()`` is one line for the status bar or stderr; ``problems`` lists every bad row as
    ``"Deelnemers rij 7: Ongeldig BSN ******123: voldoet niet aan de 11-proef"``.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


def _fold_header(value: object) -> str:
    return re.sub(r"[\s_]+", "_", str(value).strip().casefold())


def _fold_sheet(value: str) -> str:
    return " ".join(value.split()).casefold()


def read_workbook(path: str | os.PathLike[str]) -> DossierBook:
    """Read the three sheets into records; raise WorkbookError with a one-line Dutch reason when
    the file is not a readable .xlsx workbook or misses a sheet or a required column."""
    path = Path(path)
    _check_signature(path)
    try:
        # calamine (Rust) reads a 10,000-dossier workbook ten times faster than openpyxl.
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return _read_sheets(workbook, path.name)
        finally:
            workbook.close()
    except WorkbookError:
        raise
    except OSError as exc:
        raise WorkbookError(f"Kan {path.name} niet lezen: {exc.strerror or exc}") from None
    except Exception:  # zip, XML and calamine errors, also from a part damaged mid-file
        raise WorkbookError(
            f"{path.name} is beschadigd of geen Excel-werkmap (.xlsx) en kan niet gelezen worden"
        ) from None


def _check_signature(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if head == _OLE_MAGIC:
                handle.seek(0)
                content = handle.read()
    except FileNotFoundError:
        raise WorkbookError(f"Bestand niet gevonden: {path}") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path} is een map, geen Excel-werkmap") from None
    except PermissionError:
        raise WorkbookError(f"Geen toegang tot {path}") from None
    except OSError as exc:
        raise WorkbookError(f"Kan {path.name} niet lezen: {exc.strerror or exc}") from None
    if not head:
        raise WorkbookError(f"{path.name} is leeg: geen Excel-werkmap")
    if head == _OLE_MAGIC:
        if "EncryptedPackage".encode("utf-16-le") in content:
            raise WorkbookError(
                f"{path.name} is met een wachtwoord beveiligd: sla de werkmap op zonder "
                "wachtwoord en probeer het opnieuw"
            )
        raise WorkbookError(
            f"{path.name} is een oud Excel-bestand (.xls): sla het op als Excel-werkmap (.xlsx)"
        )
    if not head.startswith(_ZIP_MAGIC):
        if b"\x00" not in head:
            raise WorkbookError(
                f"{path.name} is geen Excel-werkmap (.xlsx) maar tekst (CSV?): open het in "
                "Excel en sla het op als Excel-werkmap (.xlsx)"
            )
        raise WorkbookError(f"{path.name} is geen Excel-werkmap (.xlsx)")


def _read_sheets(workbook: python_calamine.CalamineWorkbook, file_name: str) -> DossierBook:
    sheets = {_fold_sheet(name): name for name in workbook.sheet_names}
    missing = [name for name, _, _ in _SHEETS if _fold_sheet(name) not in sheets]
    if missing:
        listed = ", ".join(repr(m) for m in missing)
        word = "Werkblad" if len(missing) == 1 else "Werkbladen"
        raise WorkbookError(f"{word} {listed} ontbreekt in {file_name}")
    book = DossierBook()
    targets = {
        ORGANISATION_SHEET: book.organisations,
        PARTICIPANT_SHEET: book.participants,
        AGREEMENT_SHEET: book.agreements,
    }
    for name, columns, record in _SHEETS:
        sheet = workbook.get_sheet_by_name(sheets[_fold_sheet(name)])
        # From A1, so that a list index + 1 is the row number Excel shows.
        rows = sheet.to_python(skip_empty_area=False)
        targets[name].extend(_read_rows(rows, name, columns, record))
    return book


def _read_cell(value: object) -> object:
    """Blank text is no value; a whole number stored as 1500.0 is 1500 (a BSN, a house
    number, a day), so that text and number cells mean the same."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_rows(rows: list[list[object]], name: str, columns: dict[str, str], record: type
               ) -> Iterator[object]:
    header = rows[0] if rows else []
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        if _read_cell(cell) is not None:
            positions.setdefault(_fold_header(cell), index)
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in positions]
    if missing:
        word = "kolom" if len(missing) == 1 else "kolommen"
        raise WorkbookError(
            f"Werkblad {name!r} mist de {word} {', '.join(missing)} in de kopregel (rij 1)"
        )
    wanted = [(positions[h], attr) for h, attr in columns.items() if h in positions]
    for number, values in enumerate(rows[1:], start=2):
        fields = {}
        width = len(values)
        for index, attr in wanted:
            if index < width:
                value = _read_cell(values[index])
                if value is not None:
                    fields[attr] = value
        if fields:
            yield record(row=number, **fields)


def write_workbook(book: DossierBook, path: str | os.PathLike[str]) -> None:
    """Write the three sheets with their Dutch headers, in the order of the column maps."""
    workbook = openpyxl.Workbook(write_only=True)
    for name, columns, _ in _SHEETS:
        sheet = workbook.create_sheet(name)
        sheet.append(list(columns))
        records = {
            ORGANISATION_SHEET: book.organisations,
            PARTICIPANT_SHEET: book.participants,
            AGREEMENT_SHEET: book.agreements,
        }[name]
        attrs = list(columns.values())
        for item in records:
            sheet.append([_written_cell(getattr(item, attr)) for attr in attrs])
    workbook.save(Path(path))


def _written_cell(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    return value

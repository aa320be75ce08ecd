"""Bank CSV/TAB exports: ING (comma and semicolon), Rabobank, Knab, bunq, ASN/SNS/RegioBank (with
and without header row), Triodos and ABN AMRO (TXT/TAB).

Pure code: a file in, ``ReadResult`` out. Each bank has one declarative ``Layout`` (separator,
quoting, date and decimal style, how the sign is given, and the column map: which column holds
the date, the amount, the counter account …). The format is recognised from the content (header
names, the KNAB banner, ASN's 19-column shape, Triodos' Credit/Debet shape, ABN AMRO's TAB
layout), never the file name. A credit-card export is recognised only to be refused.

The exports carry no statement balances. ASN (balance before each entry), Rabobank, ING and
Triodos (balance after) and ABN AMRO (before and after) carry running balances: they become the
statement's opening and closing balance only when every entry links up exactly; otherwise they
are left out with a warning. Anything unreadable raises ``StatementFileError`` with one Dutch
line naming the file (and the line number where there is one); no other exception leaves
``read``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import first_line

if TYPE_CHECKING:
    import pandas as pd
from app.importers.statements import (
    Entry,
    ReadResult,
    StatementData,
    StatementFileError,
    amount_problem,
    file_error,
)

NO_BALANCES = "CSV-export bevat geen saldi: begin- en eindsaldo niet gecontroleerd"


@dataclass(frozen=True)
class Layout:
    """How one bank writes its export. ``columns`` maps an Entry fact to candidate columns
    (header names, compared case- and space-insensitively, or 0-based positions when the export
    has no header); the first candidate with a value wins, per row."""

    bank: str
    file_format: str
    columns: dict[str, tuple[str | int, ...]]
    separator: str | None  # None: found from the header row
    header: bool = True
    quotechar: str | None = '"'  # None: no quoting at all
    dates: str = "ymd"  # "ymd" = 20200213, "dmy" = 13-02-2020, "iso" = 2020-02-13
    decimal: str = ","  # ",", "." or "auto": the mark the file's amounts end in (bunq)
    sign: str = "signed"  # "signed", "afbij" (Af/Bij column) or "dc" (D/C column)
    text: str = "plain"  # how the text column is taken apart: "plain", "ing", "abnamro"
    width: int = 0  # exports without header: the number of fields a row must have
    comments: bool = False  # lines starting with '#' are no data (ABN AMRO sample)
    joined: tuple[str, ...] = ()  # facts whose columns are all joined, not first-wins
    refusal: str | None = None  # recognised only to be refused with this reason

    @property
    def required(self) -> tuple[str, ...]:
        base = ("account", "date", "amount")
        return base if self.sign == "signed" else (*base, "sign")


ING = Layout(
    bank="ING",
    file_format="csv-ing",
    separator=None,
    sign="afbij",
    text="ing",
    columns={
        "account": ("Rekening",),
        "date": ("Datum",),
        "amount": ("Bedrag (EUR)", "Bedrag"),
        "sign": ("Af Bij",),
        "counter_account": ("Tegenrekening",),
        "counter_name": ("Naam / Omschrijving",),
        "code": ("Code", "Mutatiesoort"),
        "text": ("Mededelingen",),
        "balance_after": ("Saldo na mutatie",),
    },
)

KNAB = Layout(
    bank="Knab",
    file_format="csv-knab",
    separator=";",
    dates="dmy",
    sign="dc",
    columns={
        "account": ("Rekeningnummer",),
        "date": ("Boekdatum", "Transactiedatum"),
        "value_date": ("Valutadatum",),
        "currency": ("Valutacode",),
        "sign": ("CreditDebet",),
        "amount": ("Bedrag",),
        "counter_account": ("Tegenrekeningnummer",),
        "counter_name": ("Tegenrekeninghouder",),
        "code": ("Betaalwijze", "Type betaling"),
        "text": ("Omschrijving",),
        "mandate": ("Machtigingsnummer",),
        "reference": ("Referentie",),
    },
)

# ASN/SNS "transactie-historie": booking date, own IBAN, counter IBAN, name, address, postcode,
# city, account currency, balance before, entry currency, amount, journal date, value date,
# internal code, type code, transaction number, betalingskenmerk, description, statement number.
ASN = Layout(
    bank="ASN Bank",
    file_format="csv-asn",
    separator=",",
    header=False,
    quotechar="'",
    dates="dmy",
    decimal=".",
    width=19,
    columns={
        "date": (0,),
        "account": (1,),
        "counter_account": (2,),
        "counter_name": (3,),
        "account_currency": (7,),
        "balance_before": (8,),
        "currency": (9, 7),
        "amount": (10,),
        "value_date": (12,),
        "code": (14,),
        "reference": (15,),
        "structured": (16,),
        "text": (17,),
    },
)

# ABN AMRO "TXT*.TAB": account, currency, transaction date, balance before, balance after,
# value (interest) date, amount, description.
ABN_AMRO = Layout(
    bank="ABN AMRO",
    file_format="tab-abnamro",
    separator="\t",
    header=False,
    quotechar=None,
    text="abnamro",
    width=8,
    comments=True,
    columns={
        "account": (0,),
        "account_currency": (1,),
        "currency": (1,),
        "date": (2,),
        "balance_before": (3,),
        "balance_after": (4,),
        "value_date": (5,),
        "amount": (6,),
        "text": (7,),
    },
)

# Rabobank "CSV_A_<IBAN>_EUR_…csv" (2018 onwards): 26 quoted columns, signed amounts and the
# balance after each entry, ISO dates. Volgnr is the bank's own running number per account.
RABOBANK = Layout(
    bank="Rabobank",
    file_format="csv-rabobank",
    separator=None,
    dates="iso",
    joined=("text",),
    columns={
        "account": ("IBAN/BBAN",),
        "currency": ("Munt",),
        "date": ("Datum",),
        "value_date": ("Rentedatum",),
        "amount": ("Bedrag",),
        "balance_after": ("Saldo na trn",),
        "counter_account": ("Tegenrekening IBAN/BBAN",),
        "counter_name": ("Naam tegenpartij", "Naam uiteindelijke partij"),
        "counter_bic": ("BIC tegenpartij",),
        "code": ("Code",),
        "batch": ("Batch ID",),
        "reference": ("Volgnr",),
        "end_to_end": ("Transactiereferentie",),
        "mandate": ("Machtigingskenmerk",),
        "structured": ("Betalingskenmerk",),
        "text": ("Omschrijving-1", "Omschrijving-2", "Omschrijving-3"),
        "return_reason": ("Reden retour",),
    },
)

# bunq: Dutch or English header, ';' or ',', and amounts as the user's language writes them
# ('-1.034,75' or '-1034.75'). Older exports lack the own account column: refused by name.
BUNQ = Layout(
    bank="bunq",
    file_format="csv-bunq",
    separator=None,
    dates="iso",
    decimal="auto",
    columns={
        "account": ("Rekening", "Account"),
        "date": ("Datum", "Date"),
        "value_date": ("Rentedatum", "Interest Date"),
        "amount": ("Bedrag", "Amount"),
        "counter_account": ("Tegenrekening", "Counterparty"),
        "counter_name": ("Naam", "Name"),
        "text": ("Omschrijving", "Description"),
    },
)

# ASN/SNS/RegioBank (de Volksbank) with a header row: ASN's documented field names for the
# same 19 columns as the export without header (see ASN above).
VOLKSBANK = Layout(
    bank="ASN/SNS/RegioBank",
    file_format="csv-volksbank",
    separator=None,
    dates="dmy",
    decimal="auto",
    columns={
        "date": ("Boekingsdatum",),
        "account": ("Opdrachtgeversrekening",),
        "counter_account": ("Tegenrekeningnummer", "Tegenrekeningsnummer"),
        "counter_name": ("Naam tegenrekening",),
        "account_currency": ("Valutasoort rekening", "Valuta rekening"),
        "balance_before": ("Saldo rekening voor mutatie", "Saldo voor mutatie"),
        "currency": ("Valutasoort mutatie", "Valuta mutatie", "Valutasoort rekening"),
        "amount": ("Transactiebedrag", "Bedrag"),
        "value_date": ("Valutadatum",),
        "code": ("Globale transactiecode",),
        "reference": ("Volgnummer transactie", "Volgnummer"),
        "structured": ("Betalingskenmerk",),
        "text": ("Omschrijving",),
    },
)

# Triodos: no header; date, own account, amount (always positive), Credit/Debet, counterparty
# name, counter account (older exports: 'BIC IBAN'), code, description and, in newer exports,
# the balance after the entry.
TRIODOS = Layout(
    bank="Triodos",
    file_format="csv-triodos",
    separator=",",
    header=False,
    dates="dmy",
    sign="dc",
    width=8,
    columns={
        "date": (0,),
        "account": (1,),
        "amount": (2,),
        "sign": (3,),
        "counter_name": (4,),
        "counter_account": (5,),
        "code": (6,),
        "text": (7,),
        "balance_after": (8,),
    },
)

# Credit-card exports (ICS / ABN AMRO, ING, Rabobank, American Express) look like bank exports
# but book on a card account, not on the municipality's bank account.
CREDIT_CARD = Layout(
    bank="creditcard",
    file_format="csv-creditcard",
    separator=None,
    columns={},
    refusal="is een creditcardoverzicht, geen rekeningafschrift van de gemeentelijke rekening",
)

LAYOUTS = (ING, KNAB, RABOBANK, BUNQ, VOLKSBANK, ASN, TRIODOS, ABN_AMRO, CREDIT_CARD)

_SIGNS = {
    "afbij": {"af": -1, "bij": 1},
    "dc": {"d": -1, "c": 1, "debet": -1, "credit": 1},
}
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_DATE = {
    "ymd": re.compile(r"(\d{4})(\d{2})(\d{2})"),
    "dmy": re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})"),
    "iso": re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
}
_AMOUNT = {
    ",": re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?"),
    ".": re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"),
}
_DECIMAL_END = {",": re.compile(r",\d{1,2}$"), ".": re.compile(r"\.\d{1,2}$")}
_BIC_AND_ACCOUNT = re.compile(r"([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\s+(\S+)")
_WHITESPACE = re.compile(r"\s+")
_BANNER = "KNAB EXPORT"
_ING_SIGNATURE = {"datum", "naam / omschrijving", "af bij"}
_KNAB_SIGNATURE = {"rekeningnummer", "transactiedatum", "creditdebet", "bedrag"}
_RABOBANK_SIGNATURE = {"iban/bban", "volgnr", "datum", "bedrag", "saldo na trn"}
_BUNQ_SIGNATURES = (
    {"datum", "bedrag", "tegenrekening", "naam", "omschrijving"},
    {"date", "amount", "counterparty", "name", "description"},
)
_VOLKSBANK_SIGNATURE = {"boekingsdatum", "opdrachtgeversrekening"}
# One of these header names makes a file a credit-card export (ICS and ABN AMRO, ING, Rabobank,
# American Express, the ICS web page's own download).
_CARD_COLUMNS = {
    "naam card-houder", "card nummer", "kaartnummer", "naam op kaart", "creditcardnummer",
    "credit card number", "credit card line1", "kaartlid", "cardholder",
}
_HEADER_LAYOUTS = (
    (RABOBANK, lambda names: names >= _RABOBANK_SIGNATURE),
    (BUNQ, lambda names: any(names >= s for s in _BUNQ_SIGNATURES)),
    (VOLKSBANK, lambda names: names >= _VOLKSBANK_SIGNATURE),
    (CREDIT_CARD, lambda names: bool(names & _CARD_COLUMNS)),
)


# -- Recognising an export ------------------------------------------------------------------------


def sniff(head: bytes) -> bool:
    """Is this one of the bank exports this module reads? Decided from the content only."""
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # the head ends inside a multi-byte character
            text = head[: exc.start].decode("utf-8-sig", errors="replace")
        else:
            text = head.decode("cp1252", errors="replace")
    return _detect(_lines(text)) is not None


def _detect(lines: list[str]) -> tuple[Layout, int, str] | None:
    """(layout, index of the first line handed to pandas, separator), or None."""
    index = _first_filled(lines, 0)
    if index is None:
        return None
    first = lines[index].strip()
    if first.upper().startswith(_BANNER):
        header = _first_filled(lines, index + 1)
        return (KNAB, header if header is not None else len(lines), ";")
    for separator in (";", ",", "\t"):
        names = {_name(n) for n in _split(first, separator, '"')}
        if names >= _ING_SIGNATURE and any(n.startswith("bedrag") for n in names):
            return (ING, index, separator)
        if names >= _KNAB_SIGNATURE and separator == ";":
            return (KNAB, index, separator)
        for layout, matches in _HEADER_LAYOUTS:
            if len(names) > 1 and matches(names):
                return (layout, index, separator)
    fields = _split(first, ",", "'")
    if (len(fields) == ASN.width and _DATE["dmy"].fullmatch(fields[0].strip())
            and _IBAN.fullmatch(fields[1].strip())):
        return (ASN, index, ",")
    if _is_triodos(_split(first, ",", '"')):
        return (TRIODOS, index, ",")
    data = _first_filled(lines, 0, skip_comments=True)
    if data is not None:
        fields = lines[data].split("\t")
        if (len(fields) >= ABN_AMRO.width
                and (re.fullmatch(r"\d{6,10}", fields[0]) or _IBAN.fullmatch(fields[0]))
                and re.fullmatch(r"[A-Z]{3}", fields[1])
                and _DATE["ymd"].fullmatch(fields[2])
                and _AMOUNT[","].fullmatch(fields[6])):
            return (ABN_AMRO, data, "\t")
    return None


def _is_triodos(fields: list[str]) -> bool:
    """Triodos' row shape: date, own account, amount, Credit/Debet, … (8 or 9 fields)."""
    return (len(fields) in (TRIODOS.width, TRIODOS.width + 1)
            and bool(_DATE["dmy"].fullmatch(fields[0].strip()))
            and bool(_IBAN.fullmatch(fields[1].strip())
                     or re.fullmatch(r"[\d.]{6,12}", fields[1].strip()))
            and bool(_AMOUNT[","].fullmatch(fields[2].strip()))
            and fields[3].strip().casefold() in ("credit", "debet"))


def _first_filled(lines: list[str], start: int, skip_comments: bool = False) -> int | None:
    for index in range(start, len(lines)):
        line = lines[index]
        if line.strip() and not (skip_comments and line.startswith("#")):
            return index
    return None


def _split(line: str, separator: str, quotechar: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator, quotechar=quotechar), [])
    except csv.Error:
        return line.split(separator)


def _name(header: str) -> str:
    return _WHITESPACE.sub(" ", header.replace("\ufeff", "")).strip().casefold()


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# -- Reading --------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    account: str
    account_currency: str
    entry: Entry
    before: int | None
    after: int | None


def read(path: str | Path) -> ReadResult:
    """Read a bank's CSV/TAB export: one StatementData per own account in the file."""
    path = Path(path)
    name = _clean(path.name)
    text = _decode(_read_bytes(path, name), name)
    lines = _lines(text)
    found = _detect(lines)
    if found is None:
        raise StatementFileError(
            f"{name} is geen CSV-export van ING, Knab, ASN, ABN AMRO, Rabobank, bunq, SNS, "
            "RegioBank of Triodos die dit programma kent"
        )
    layout, start, separator = found
    if layout.refusal:
        raise StatementFileError(f"{name} {layout.refusal}")
    if start >= len(lines):
        raise StatementFileError(f"{name}: de kopregel ontbreekt onder de KNAB EXPORT-regel")
    if layout.comments:
        lines = ["" if line.startswith("#") else line for line in lines]
    frame = _frame("\n".join(lines[start:]), layout, separator, name, start)
    first_data_line = start + (2 if layout.header else 1)  # 1-based line of the first row
    rows = list(_rows(frame, layout, name, first_data_line))
    if not rows:
        raise StatementFileError(f"{name} bevat geen transacties")
    return _result(layout, rows)


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise file_error(path, exc) from None
    if not data.strip():
        raise StatementFileError(f"{name} is leeg")
    return data


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise StatementFileError(f"{name} bevat binaire gegevens: geen CSV-export")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise StatementFileError(
                f"{name} is geen tekstbestand (tekens in UTF-8 noch Windows-1252)"
            ) from None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(text) // 100):
        raise StatementFileError(f"{name} bevat binaire gegevens: geen CSV-export")
    return text


def _frame(body: str, layout: Layout, separator: str, name: str, start: int) -> pd.DataFrame:
    """The export as a frame of strings; a missing field (short row) is NaN, an empty one ''."""
    try:
        return _read_csv(body, layout, separator, layout.quotechar)
    except Exception as exc:  # pandas raises many kinds; translate them all
        if layout is ASN:
            # An apostrophe at the start of a name opens a quote: read again without quoting.
            try:
                return _unquote(_read_csv(body, layout, separator, None))
            except Exception:  # the first error is the one to report
                pass
        raise StatementFileError(_pandas_reason(exc, name, start)) from None


def _read_csv(body: str, layout: Layout, separator: str, quotechar: str | None) -> pd.DataFrame:
    import pandas as pd  # here: a camt.053 import (and its reading process) never needs it

    options = {"quotechar": quotechar} if quotechar else {"quoting": csv.QUOTE_NONE}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_csv(
            io.StringIO(body),
            sep=separator,
            header=0 if layout.header else None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            index_col=False,
            engine="python",  # tells a missing field (NaN) from an empty one
            **options,
        )


def _unquote(frame: pd.DataFrame) -> pd.DataFrame:
    def strip(value: object) -> object:
        if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
            return value[1:-1]
        return value

    return frame.map(strip)


def _pandas_reason(exc: Exception, name: str, offset: int) -> str:
    """pandas' reason in Dutch; its line numbers count from the first line it was given."""
    message = first_line(exc)
    if match := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message):
        expected, line, saw = (int(g) for g in match.groups())
        return f"{name}: regel {line + offset} heeft {saw} kolommen, verwacht {expected}"
    if "unexpected end of data" in message or "EOF inside string" in message:
        return f"{name} houdt midden in een regel op (aanhalingsteken niet gesloten): afgebroken?"
    if "expected after" in message:
        return f"{name}: aanhalingstekens kloppen niet in een van de regels"
    import pandas as pd  # loaded already: the error came from it

    if isinstance(exc, pd.errors.EmptyDataError):
        return f"{name} bevat geen gegevens"
    return f"{name} is geen leesbare CSV-export ({_clean(message)[:80]})"


def _rows(frame: pd.DataFrame, layout: Layout, name: str, first_line_no: int):
    columns = _resolve(frame, layout, name)
    named = _named_positions(frame, layout)
    values = frame.to_numpy(dtype=object)
    if layout.decimal == "auto":
        layout = replace(layout, decimal=_decimal_mark(values, columns))
    line = first_line_no
    for record in values:
        row_line = line
        line += 1 + sum(v.count("\n") for v in record if isinstance(v, str))
        if all(not isinstance(v, str) or not v.strip() for v in record):
            continue  # blank line
        if any(not isinstance(record[p], str) for p in named):
            raise StatementFileError(
                f"{name}: regel {row_line} heeft te weinig kolommen (bestand afgebroken?)"
            )

        def get(fact: str, record=record) -> str:
            filled = [record[p].strip() for p in columns.get(fact, ())
                      if isinstance(record[p], str) and record[p].strip()]
            if fact in layout.joined:
                return " ".join(filled)
            return filled[0] if filled else ""

        yield _row(get, layout, name, row_line)


def _decimal_mark(values, columns: dict[str, list[int]]) -> str:
    """The decimal mark of an export that writes amounts as the user's language does: the one
    the amounts end in ('-12,50' or '-12.50'); a comma when none tells, or both do."""
    positions = [p for f in ("amount", "balance_before", "balance_after")
                 for p in columns.get(f, ())]
    amounts = [r[p].strip() for r in values for p in positions if isinstance(r[p], str)]
    point = any(_DECIMAL_END["."].search(a) for a in amounts)
    comma = any(_DECIMAL_END[","].search(a) for a in amounts)
    return "." if point and not comma else ","


def _resolve(frame: pd.DataFrame, layout: Layout, name: str) -> dict[str, list[int]]:
    """Fact -> candidate column positions in the frame; a required fact must have one."""
    if layout.header:
        positions: dict[str, int] = {}
        for position, header in enumerate(frame.columns):
            positions.setdefault(_name(str(header)), position)
    elif frame.shape[1] < layout.width:
        raise StatementFileError(
            f"{name}: {frame.shape[1]} kolommen per regel, een {layout.bank}-export heeft er "
            f"{layout.width}"
        )
    resolved: dict[str, list[int]] = {}
    for fact, candidates in layout.columns.items():
        if layout.header:
            found = [positions[_name(str(c))] for c in candidates if _name(str(c)) in positions]
        else:  # a position past the row's end is an optional column this export left out
            found = [c for c in candidates if isinstance(c, int) and c < frame.shape[1]]
        if found:
            resolved[fact] = found  # type: ignore[assignment]
        elif fact in layout.required:
            shown = " of ".join(f"'{c}'" for c in candidates)
            raise StatementFileError(f"{name}: kolom {shown} ontbreekt")
    return resolved


def _named_positions(frame: pd.DataFrame, layout: Layout) -> list[int]:
    """Columns every row must fill (a header cell with a name; no-header: the layout's width)."""
    if not layout.header:
        return list(range(layout.width))
    return [
        p for p, header in enumerate(frame.columns)
        if str(header).strip() and not str(header).startswith("Unnamed: ")
    ]


def _row(get, layout: Layout, name: str, line: int) -> _Row:
    where = f"{name}: regel {line}"
    account = get("account")
    if not account:
        raise StatementFileError(f"{where}: het eigen rekeningnummer ontbreekt")
    booking = _date(get("date"), layout.dates)
    if booking is None:
        raise StatementFileError(f"{where}: ongeldige datum '{_show(get('date'))}'")
    value_date = None
    if raw := get("value_date"):
        value_date = _date(raw, layout.dates)
        if value_date is None:
            raise StatementFileError(f"{where}: ongeldige valutadatum '{_show(raw)}'")
    amount = _cents(get("amount"), layout.decimal)
    if amount is None:
        raise StatementFileError(f"{where}: ongeldig bedrag '{_show(get('amount'))}'")
    if layout.sign != "signed":
        sign = _SIGNS[layout.sign].get(get("sign").casefold())
        if sign is None:
            expected = "Af of Bij" if layout.sign == "afbij" else "D of C"
            raise StatementFileError(
                f"{where}: onbekend teken '{_show(get('sign'))}' (verwacht {expected})"
            )
        if get("amount").startswith(("-", "+")):
            raise StatementFileError(
                f"{where}: bedrag '{_show(get('amount'))}' heeft een eigen teken naast "
                f"'{_show(get('sign'))}'"
            )
        amount *= sign
    _check_amount(amount, where)
    currency = get("currency").upper() or "EUR"
    account_currency = get("account_currency").upper() or currency
    for code in (currency, account_currency):
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise StatementFileError(f"{where}: ongeldige valuta '{_show(code)}'")
    before = _balance(get("balance_before"), layout, where)
    after = _balance(get("balance_after"), layout, where)

    facts = _text_facts(get("text"), layout.text)
    reference = get("reference")
    if reference and not reference.strip("0"):
        reference = ""  # an all-zero transaction number is no reference
    counter_account, counter_bic = _bic_and_account(get("counter_account"))
    entry = Entry(
        booking_date=booking,
        amount_cents=amount,
        currency=currency,
        value_date=value_date or facts.get("value_date"),
        bank_reference=reference or None,
        end_to_end_id=_end_to_end(get("end_to_end")) or facts.get("end_to_end_id"),
        mandate_id=_fold(get("mandate")) or facts.get("mandate_id"),
        transaction_code=_fold(get("code")) or facts.get("transaction_code"),
        counterparty_name=_fold(get("counter_name")) or facts.get("counterparty_name"),
        counterparty_iban=_account(counter_account) or facts.get("counterparty_iban"),
        counterparty_bic=get("counter_bic") or counter_bic or facts.get("counterparty_bic"),
        description=facts.get("description"),
        structured_reference=_fold(get("structured")) or facts.get("structured_reference"),
        batch_info=f"batch {get('batch')}" if get("batch") else None,
        return_reason=_fold(get("return_reason")) or facts.get("return_reason"),
    )
    return _Row(line, _account(account) or account, account_currency, entry, before, after)


def _balance(raw: str, layout: Layout, where: str) -> int | None:
    if not raw:
        return None
    cents = _cents(raw, layout.decimal)
    if cents is None:
        raise StatementFileError(f"{where}: ongeldig saldo '{_show(raw)}'")
    _check_amount(cents, where)
    return cents


def _check_amount(cents: int, where: str) -> None:
    """The one limit every reader applies: a larger amount is a broken file, not a statement."""
    if problem := amount_problem(cents):
        raise StatementFileError(f"{where}: {problem}")


# -- Grouping into statements ---------------------------------------------------------------------


def _result(layout: Layout, rows: list[_Row]) -> ReadResult:
    by_account: dict[str, list[_Row]] = {}
    for row in rows:
        by_account.setdefault(row.account, []).append(row)
    _drop_repeated_references(by_account)

    statements: list[StatementData] = []
    balances: dict[str, tuple[int, int] | None] = {}
    warnings_: list[str] = []
    for account, account_rows in by_account.items():
        entries = [r.entry for r in sorted(account_rows, key=lambda r: r.entry.booking_date)]
        statements.append(StatementData(
            account=account,
            currency=account_rows[0].account_currency,
            period_from=entries[0].booking_date,
            period_through=entries[-1].booking_date,
            entries=entries,
        ))
        balances[account] = _linked_balances(account_rows)
        foreign = sorted({e.currency for e in entries if e.currency != "EUR"})
        for currency in foreign:
            count = sum(1 for e in entries if e.currency == currency)
            warnings_.append(
                f"Rekening {account}: {count} post(en) in {currency}, niet omgerekend naar EUR"
            )

    has_columns = any(f in layout.columns for f in ("balance_before", "balance_after"))
    has_balances = all(b is not None for b in balances.values())
    if has_balances:
        for statement in statements:
            opening, closing = balances[statement.account]  # type: ignore[misc]
            statement.opening_balance_cents = opening
            statement.opening_date = statement.period_from
            statement.closing_balance_cents = closing
            statement.closing_date = statement.period_through
    elif has_columns and any(r.before is not None or r.after is not None for r in rows):
        broken = ", ".join(a for a, b in balances.items() if b is None)
        warnings_.insert(0, f"Saldi in de export sluiten niet op elkaar aan (rekening "
                            f"{broken}): begin- en eindsaldo niet gecontroleerd")
    else:
        warnings_.insert(0, NO_BALANCES)
    return ReadResult(
        file_format=layout.file_format,
        statements=statements,
        bank=layout.bank,
        has_balances=has_balances,
        warnings=warnings_,
    )


def _linked_balances(rows: list[_Row]) -> tuple[int, int] | None:
    """(opening, closing) when the running balances link up exactly, in file order or its
    reverse (exports list newest first or oldest first); otherwise None."""
    steps: list[tuple[int, int]] = []
    for row in rows:
        amount, before, after = row.entry.amount_cents, row.before, row.after
        if before is None and after is None:
            return None
        if before is None:
            before = after - amount  # type: ignore[operator]
        elif after is None:
            after = before + amount
        elif before + amount != after:
            return None
        steps.append((before, after))
    for chain in (steps, steps[::-1]):
        if all(chain[i][0] == chain[i - 1][1] for i in range(1, len(chain))):
            return chain[0][0], chain[-1][1]
    return None


def _drop_repeated_references(by_account: dict[str, list[_Row]]) -> None:
    """A bank reference that occurs twice for one account is no reference: leave it out, so
    that the import does not take two entries for one."""
    for rows in by_account.values():
        seen: dict[str, int] = {}
        for row in rows:
            if row.entry.bank_reference:
                seen[row.entry.bank_reference] = seen.get(row.entry.bank_reference, 0) + 1
        for row in rows:
            if row.entry.bank_reference and seen[row.entry.bank_reference] > 1:
                row.entry = replace(row.entry, bank_reference=None)


# -- Values ---------------------------------------------------------------------------------------


def _date(raw: str, style: str) -> date | None:
    match = _DATE[style].fullmatch(raw.strip())
    if not match:
        return None
    a, b, c = (int(g) for g in match.groups())
    year, month, day = (c, b, a) if style == "dmy" else (a, b, c)
    if year < 1900:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _cents(raw: str, decimal_mark: str) -> int | None:
    """Signed cents from '1.234,56', '2500', '-25,00', '130.44'; None if it is no amount or
    has cents beyond two decimals."""
    match = _AMOUNT[decimal_mark].fullmatch(raw.strip())
    if not match:
        return None
    sign, whole, fraction = match.groups()
    value = Decimal(whole.replace(".", "") if decimal_mark == "," else whole.replace(",", ""))
    if fraction:
        value += Decimal(f"0.{fraction}")
    cents = value * 100
    if cents != cents.to_integral_value():
        return None
    return -int(cents) if sign == "-" else int(cents)


def _account(raw: str) -> str | None:
    """An IBAN compacted and upper-cased; a domestic account number as given."""
    raw = raw.strip()
    if not raw:
        return None
    compact = raw.replace(" ", "").upper()
    return compact if _IBAN.fullmatch(compact) else raw


def _bic_and_account(raw: str) -> tuple[str, str | None]:
    """Older Triodos exports write the counter account as 'BIC IBAN': (account, BIC)."""
    match = _BIC_AND_ACCOUNT.fullmatch(raw.strip())
    if match and _IBAN.fullmatch(match.group(2).upper()):
        return match.group(2), match.group(1)
    return raw, None


def _end_to_end(raw: str) -> str | None:
    """An end-to-end id as given; SEPA's placeholder for 'none given' is no id."""
    folded = _fold(raw)
    return None if folded is None or folded.upper() == "NOTPROVIDED" else folded


def _fold(text: str | None) -> str | None:
    if not text:
        return None
    folded = _WHITESPACE.sub(" ", text).strip()
    return folded or None


def _show(raw: str) -> str:
    return (_fold(raw) or "")[:40]


def _clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


# -- Taking the text apart ------------------------------------------------------------------------

_KENMERK_WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3, 6, 1, 2, 4, 8, 5, 10)


def is_betalingskenmerk(text: str) -> bool:
    """A Dutch 16-digit betalingskenmerk (acceptgiro) with a valid check digit (first digit)."""
    digits = text.replace(" ", "")
    if len(digits) != 16 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(reversed(digits[1:]), _KENMERK_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 1, 11: 0}.get(check, check) == int(digits[0])


def _kenmerk(value: str | None, facts: dict[str, object]) -> None:
    """A 'Kenmerk': a valid betalingskenmerk is the structured reference, else end-to-end id."""
    if not value or value.upper() == "NOTPROVIDED":
        return
    if is_betalingskenmerk(value):
        facts.setdefault("structured_reference", value.replace(" ", ""))
    else:
        facts.setdefault("end_to_end_id", value)


def _labelled(text: str, labels: re.Pattern[str]) -> tuple[str, dict[str, str]]:
    """'prefix Naam: x Omschrijving: y' -> ('prefix', {'naam': 'x', 'omschrijving': 'y'})."""
    parts = labels.split(text)
    fields: dict[str, str] = {}
    for label, value in zip(parts[1::2], parts[2::2], strict=True):
        fields.setdefault(label.casefold(), _fold(value) or "")
    return _fold(parts[0]) or "", fields


def _text_facts(text: str, style: str) -> dict[str, object]:
    if style == "ing":
        return _ing_facts(text)
    if style == "abnamro":
        return _abnamro_facts(text)
    description = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text
    return {"description": _fold(description)}


_ING_LABELS = re.compile(
    r"(?<![A-Za-z])(Naam|Omschrijving|IBAN|Kenmerk|Machtiging ID|Incassant ID|Valutadatum|"
    r"Betalingskenm\.|Betalingskenmerk|Datum/Tijd):\s?"
)
_VALUTADATUM = re.compile(r"Valutadatum:\s*(\S+)")


def _ing_facts(text: str) -> dict[str, object]:
    """ING 'Mededelingen': 'Naam: … Omschrijving: … IBAN: … Kenmerk: … Valutadatum: dd-mm-jjjj'."""
    facts: dict[str, object] = {}
    if not text:
        return facts
    _, fields = _labelled(text, _ING_LABELS)
    if value_date := fields.get("valutadatum"):
        facts["value_date"] = _date(value_date.split(" ")[0], "dmy")
    if "omschrijving" in fields:
        facts["description"] = fields["omschrijving"] or None
    else:
        facts["description"] = _fold(_VALUTADATUM.sub(" ", text))
    facts["counterparty_name"] = fields.get("naam") or None
    facts["counterparty_iban"] = _account(fields.get("iban", "")) if fields.get("iban") else None
    facts["mandate_id"] = fields.get("machtiging id") or None
    for label in ("betalingskenm.", "betalingskenmerk"):
        if fields.get(label):
            facts.setdefault("structured_reference", fields[label].replace(" ", ""))
    _kenmerk(fields.get("kenmerk"), facts)
    return facts


_SLASH_TAGS = re.compile(
    r"/(TRTP|CSID|NAME|MARF|REMI|IBAN|BIC|EREF|RTRN|ISDT|PREF|ORDP|BENM|ADDR|CNTP|ULTC|ULTD|"
    r"PURP|SVCL)/"
)
_ABN_LABELS = re.compile(
    r"(?<![A-Za-z])(IBAN|BIC|Naam|Omschrijving|Kenmerk|Machtiging|Incassant|Voor|"
    r"Betalingskenm\.|Betalingskenmerk):\s?"
)
_CARD = re.compile(r"(BEA|GEA)\b")


def _abnamro_facts(text: str) -> dict[str, object]:
    """ABN AMRO's description: '/TRTP/…/IBAN/…/NAME/…/REMI/…/EREF/…', the older 32-column
    texts with labels ('SEPA Overboeking  IBAN: …  Naam: …  Omschrijving: …'), or card
    payments ('BEA, Betaalpas  IKEA Amsterdam,PAS123  NR:…')."""
    facts: dict[str, object] = {}
    stripped = text.strip()
    if not stripped:
        return facts
    parts = _SLASH_TAGS.split(stripped) if stripped.startswith("/") else [stripped]
    if len(parts) >= 3 and parts[0] == "":
        tags: dict[str, str] = {}
        for tag, value in zip(parts[1::2], parts[2::2], strict=True):
            tags.setdefault(tag, _fold(value) or "")
        remi = tags.get("REMI", "")
        if match := re.match(r"STRD/CUR/(.*)", remi):
            facts["structured_reference"] = match.group(1).strip("/ ") or None
            remi = ""
        elif remi.startswith("USTD//"):
            remi = remi[6:]
        facts.update(
            transaction_code=tags.get("TRTP") or None,
            counterparty_name=tags.get("NAME") or None,
            counterparty_iban=_account(tags.get("IBAN", "")),
            counterparty_bic=tags.get("BIC") or None,
            description=_fold(remi.rstrip("/")),
            mandate_id=tags.get("MARF") or None,
            return_reason=tags.get("RTRN") or None,
        )
        _kenmerk(tags.get("EREF"), facts)
        return facts
    prefix, fields = _labelled(text, _ABN_LABELS)
    if fields:
        facts.update(
            transaction_code=prefix or None,
            counterparty_name=fields.get("naam") or None,
            counterparty_iban=_account(fields.get("iban", "")),
            counterparty_bic=fields.get("bic") or None,
            description=fields.get("omschrijving") or None,
            mandate_id=fields.get("machtiging") or None,
        )
        for label in ("betalingskenm.", "betalingskenmerk"):
            if fields.get(label):
                facts.setdefault("structured_reference", fields[label].replace(" ", ""))
        _kenmerk(fields.get("kenmerk"), facts)
        return facts
    facts["description"] = _fold(text)
    if card := _CARD.match(stripped):
        facts["transaction_code"] = card.group(1)
        # The card holder's counterparty sits in the second 32-column field: 'NAME,PAS123'.
        if match := re.match(r"\s*(.+?),PAS\d+", text[32:65]):
            facts["counterparty_name"] = _fold(match.group(1))
    return facts

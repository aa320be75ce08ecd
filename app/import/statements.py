"""Bank statements as plain data, what every reader returns, and how a file's format is found.

A reader module (camt, mt940, bank_csv) offers ``sniff(head: bytes) -> bool`` (does this file
look like mine? decided from the content, never the file name) and ``read(path) -> ReadResult``.
``read_statement_file`` asks every reader; a file no reader claims, or two claim, is refused
with a reason. Readers raise StatementFileError with one Dutch line for anything they cannot
read; they never let another exception out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.errors import UserError
from app.formatting import decimal_text, euro

HEAD_BYTES = 4096
CHUNK_ENTRIES = 5_000  # a streaming reader hands over this many entries at a time

# The largest amount one entry or balance may carry: 12 digits before the comma (just under a
# trillion euro). Far above any real statement, and low enough that the database can add up
# tens of thousands of them in a bigint (PostgreSQL) or a 64-bit integer (SQLite) without
# overflowing: a larger amount is a broken file, refused by its reader with one line.
MAX_AMOUNT_CENTS = 10**14 - 1


class StatementFileError(UserError):
    """The file cannot be read as a bank statement; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry on a statement (or one detail of a batch entry that carries its own amount).

    ``amount_cents`` is signed as the bank booked it: positive = credit (money in), negative =
    debit (money out). A reversal keeps the sign of its own booking; ``reversal`` says that it
    undoes an earlier booking in the opposite direction.
    """

    booking_date: date
    amount_cents: int
    currency: str = "EUR"
    value_date: date | None = None
    reversal: bool = False
    status: str = "BOOK"  # BOOK, PDNG, INFO (camt); readers of other formats give BOOK
    bank_reference: str | None = None  # AcctSvcrRef; MT940: the bank's reference after '//'
    entry_reference: str | None = None  # NtryRef
    end_to_end_id: str | None = None
    mandate_id: str | None = None
    transaction_code: str | None = None  # BkTxCd as PMNT-RCDT-ESCT (or Prtry), TRTP, code
    counterparty_name: str | None = None
    counterparty_iban: str | None = None  # IBAN, or the bank's account number when not IBAN
    counterparty_bic: str | None = None
    description: str | None = None  # unstructured remittance text, whitespace folded
    structured_reference: str | None = None  # betalingskenmerk (CdtrRefInf/Ref, /REMI/STRD/)
    batch_info: str | None = None  # e.g. "batch PmtInfId …, 12 posten"
    return_reason: str | None = None  # RtrInf/Rsn, /RTRN/
    detail_index: int | None = None  # 1, 2 … when a batch entry was split into its details


@dataclass(slots=True)
class StatementData:
    account: str  # IBAN of the statement's account (or the bank's account number)
    currency: str = "EUR"
    statement_id: str | None = None  # Stmt/Id, :20: / :28C:
    sequence: str | None = None  # ElctrncSeqNb, :28C:
    period_from: date | None = None
    period_through: date | None = None
    opening_balance_cents: int | None = None  # OPBD or PRCD; :60F:/:60M:
    opening_date: date | None = None
    closing_balance_cents: int | None = None  # CLBD; :62F:/:62M:
    closing_date: date | None = None
    entries: list[Entry] = field(default_factory=list)


@dataclass(slots=True)
class ReadResult:
    file_format: str  # "camt.053.001.02", "mt940", "csv-ing", …
    statements: list[StatementData]
    bank: str | None = None  # bank name or BIC, when the file says
    has_balances: bool = True  # CSV exports carry none: then the balance check is skipped
    warnings: list[str] = field(default_factory=list)  # e.g. foreign currency, no balances


@dataclass(slots=True)
class StatementChunk:
    """Some entries of one statement, in file order. The statement's header (account, period,
    balances) is read before its first entry; ``last`` marks its final chunk, after which the
    header is complete (a camt.053 without Acct/Ccy learns its currency from the entries)."""

    number: int  # the statement's place in the file, from 1
    statement: StatementData  # its entries are in the chunks, not in .entries
    entries: list[Entry]
    last: bool


class StatementStream:
    """What a reader reads from one file, a chunk at a time, so that an import holds one
    chunk in memory rather than the whole file. ``bank`` and ``warnings`` are complete once
    the chunks are exhausted. ``whole``: every statement comes in one chunk (a reader that
    reads the whole file first), so the import may look at a statement's entries together."""

    def __init__(self, file_format: str, chunks: Iterable[StatementChunk], *,
                 bank: str | None = None, has_balances: bool = True,
                 warnings: list[str] | None = None, whole: bool = False):
        self.file_format = file_format
        self.chunks: Iterator[StatementChunk] = iter(chunks)
        self.bank = bank
        self.has_balances = has_balances
        self.warnings = warnings if warnings is not None else []
        self.whole = whole

    @classmethod
    def of(cls, result: ReadResult) -> StatementStream:
        """A file read whole, handed over one statement per chunk."""
        chunks = [StatementChunk(number, statement, statement.entries, True)
                  for number, statement in enumerate(result.statements, start=1)]
        return cls(result.file_format, chunks, bank=result.bank,
                   has_balances=result.has_balances, warnings=result.warnings, whole=True)

    def close(self) -> None:
        """Stop reading (a reading process stops too); safe to call at any time."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()

    def collect(self) -> ReadResult:
        """The whole file as one ReadResult (for the golden files and ``check``)."""
        statements: list[StatementData] = []
        for chunk in self.chunks:
            if not statements or statements[-1] is not chunk.statement:
                statements.append(chunk.statement)
            if chunk.entries is not chunk.statement.entries:
                chunk.statement.entries.extend(chunk.entries)
        return ReadResult(self.file_format, statements, bank=self.bank,
                          has_balances=self.has_balances, warnings=self.warnings)


def amount_problem(cents: int) -> str | None:
    """Why this amount (in cents, either sign) cannot be stored, or None when it can."""
    if abs(cents) > MAX_AMOUNT_CENTS:
        return (f"bedrag {euro(cents)} is groter dan een bankafschrift kan bevatten "
                "(meer dan 12 cijfers voor de komma)")
    return None


def _readers() -> dict[str, object]:
    # Imported here: each reader module imports this one for the dataclasses.
    from app.importers import bank_csv, camt, mt940

    return {"camt.053": camt, "MT940": mt940, "CSV": bank_csv}


def detect_format(path: Path) -> str:
    """The name of the one reader that claims this file."""
    head = _head(path)
    if not head.strip():
        raise StatementFileError(f"{path.name} is leeg")
    claimed = [name for name, reader in _readers().items() if reader.sniff(head)]
    if not claimed:
        raise StatementFileError(
            f"{path.name} is geen bankafschrift dat dit programma kent "
            "(camt.053, MT940 of een CSV-export van ING, ABN AMRO, Rabobank, Knab, bunq, ASN, "
            "SNS, RegioBank of Triodos)"
        )
    if len(claimed) > 1:
        raise StatementFileError(
            f"{path.name} lijkt zowel op {' als op '.join(claimed)}: kies het juiste bestand"
        )
    return claimed[0]


def read_statement_file(path: str | Path) -> ReadResult:
    path = Path(path)
    reader = _readers()[detect_format(path)]
    try:
        return reader.read(path)
    except StatementFileError:
        raise
    except Exception as exc:  # a reader's bug must not become a traceback for the clerk
        raise unreadable(path, exc) from exc


def stream_statement_file(path: str | Path) -> StatementStream:
    """The file a chunk at a time where its reader streams (camt.053), else read whole.
    Reading errors surface while the chunks are taken, as StatementFileError only."""
    path = Path(path)
    reader = _readers()[detect_format(path)]
    try:
        if hasattr(reader, "stream"):
            stream = reader.stream(path)
            stream.chunks = _guarded(path, stream.chunks)
            return stream
        return StatementStream.of(reader.read(path))
    except StatementFileError:
        raise
    except Exception as exc:  # as in read_statement_file
        raise unreadable(path, exc) from exc


def _guarded(path: Path, chunks: Iterator[StatementChunk]) -> Iterator[StatementChunk]:
    try:
        yield from chunks
    except StatementFileError:
        raise
    except Exception as exc:
        raise unreadable(path, exc) from exc


def unreadable(path: Path, exc: Exception) -> StatementFileError:
    """A reader's unexpected failure as the clerk sees it: one line, never a traceback."""
    return StatementFileError(
        f"{path.name} kan niet gelezen worden ({type(exc).__name__}); er is niets opgeslagen")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError as exc:
        raise file_error(path, exc) from None


def file_error(path: Path, exc: OSError) -> StatementFileError:
    """The one-line reason for a file that cannot be opened or read (shared by all readers)."""
    shown = " ".join(str(path).split())  # a name with a line break stays one line
    if isinstance(exc, FileNotFoundError):
        return StatementFileError(f"Bestand niet gevonden: {shown}")
    if isinstance(exc, IsADirectoryError):
        return StatementFileError(f"{shown} is een map, geen bestand")
    return StatementFileError(f"Kan {' '.join(path.name.split())} niet lezen: "
                              f"{exc.strerror or exc}")


# -- Golden files: a readable rendering of what a reader made of a file -----------------------


def money(cents: int) -> str:
    return decimal_text(cents, plus=True)


def render(result: ReadResult) -> str:
    """The text stored next to each sample file in tests/: one line per fact, stable order."""
    lines = [f"format: {result.file_format}"]
    if result.bank:
        lines.append(f"bank: {result.bank}")
    lines.append(f"balances: {'yes' if result.has_balances else 'no'}")
    lines += [f"warning: {w}" for w in result.warnings]
    for number, statement in enumerate(result.statements, start=1):
        lines.append("")
        lines.append(f"statement {number}: account {statement.account} {statement.currency}")
        for label, value in (("id", statement.statement_id), ("sequence", statement.sequence),
                             ("period", _period(statement))):
            if value:
                lines.append(f"  {label}: {value}")
        if statement.opening_balance_cents is not None:
            lines.append(f"  opening: {statement.opening_date} "
                         f"{money(statement.opening_balance_cents)}")
        if statement.closing_balance_cents is not None:
            lines.append(f"  closing: {statement.closing_date} "
                         f"{money(statement.closing_balance_cents)}")
        lines.append(f"  entries: {len(statement.entries)}")
        for index, entry in enumerate(statement.entries, start=1):
            lines += _render_entry(index, entry)
    return "\n".join(lines) + "\n"


def _period(statement: StatementData) -> str | None:
    if statement.period_from is None and statement.period_through is None:
        return None
    return f"{statement.period_from} .. {statement.period_through}"


def _render_entry(index: int, entry: Entry) -> list[str]:
    head = f"  {index}. {entry.booking_date} {money(entry.amount_cents)} {entry.currency}"
    if entry.value_date and entry.value_date != entry.booking_date:
        head += f" value {entry.value_date}"
    if entry.status != "BOOK":
        head += f" [{entry.status}]"
    if entry.reversal:
        head += " REVERSAL"
    lines = [head]
    counterparty = " / ".join(
        v for v in (entry.counterparty_name, entry.counterparty_iban, entry.counterparty_bic) if v
    )
    for label, value in (
        ("counterparty", counterparty),
        ("text", entry.description),
        ("structured", entry.structured_reference),
        ("acctsvcrref", entry.bank_reference),
        ("ntryref", entry.entry_reference),
        ("e2e", entry.end_to_end_id),
        ("mandate", entry.mandate_id),
        ("code", entry.transaction_code),
        ("batch", entry.batch_info),
        ("return", entry.return_reason),
        ("detail", entry.detail_index),
    ):
        if value:
            lines.append(f"     {label}: {value}")
    return lines

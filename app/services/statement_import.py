"""Importing bank statement files of the municipal account: one file, one transaction.

Reading is pure (app.importers); this module checks what was read against the database and
stores it whole or not at all: the account must be a registered municipal account, only EUR,
opening + entries = closing (and opening = the previous statement's closing), and each entry is
stored once however often or in however many overlapping files it arrives.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.formatting import euro, sha256_of, short_date
from app.importers import read_ahead
from app.importers.statements import (
    Entry,
    ReadResult,
    StatementChunk,
    StatementData,
    StatementFileError,
    StatementStream,
    file_error,
    read_statement_file,
)
from app.models import BankAccount, BankTransaction, ImportedFile, Statement
from app.models.employee import Role
from app.services.bulk import among, new_ids
from app.services.matching import Matcher
from app.services.permissions import requires
from app.services.signals import (
    participants_newly_judged,
    statement_coverage,
    touch,
    touch_everyone,
)
from app.services.unit_of_work import UnitOfWork
from app.services.validation import format_iban
from app.signal_rules import Coverage

BOOKED = "BOOK"
REFUSED_ACTION = "bankafschrift geweigerd"  # the audit row of a refused file (import history)
KEYS_PER_QUERY = 5_000  # bound parameters per IN (...), well within SQLite's limit


class StatementRefused(UserError):
    """The file was read but may not be stored (wrong account, currency, balance)."""


@dataclass
class StatementOutcome:
    account: str
    period_from: date | None
    period_through: date | None
    new_entries: int = 0
    duplicates: int = 0
    balance: str = ""  # what the balance check found, in words
    linked: int = 0  # linked automatically (the matcher)
    queued: int = 0  # left in the manual queue
    already_imported: bool = False
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportOutcome:
    file_name: str
    file_format: str
    bank: str | None
    statements: list[StatementOutcome]
    warnings: list[str] = field(default_factory=list)

    @property
    def new_entries(self) -> int:
        return sum(s.new_entries for s in self.statements)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.statements)

    def as_dict(self) -> dict:
        data = asdict(self)
        for statement in data["statements"]:
            for key in ("period_from", "period_through"):
                statement[key] = statement[key] and statement[key].isoformat()
        return data

    def summary(self) -> str:
        """One line for the command line and the history of imports."""
        balance = "; ".join(dict.fromkeys(s.balance for s in self.statements)) or "geen afschrift"
        linked = sum(s.linked for s in self.statements)
        queued = sum(s.queued for s in self.statements)
        return (
            f"{self.file_name}: {self.file_format}, {len(self.statements)} afschrift(en), "
            f"{self.new_entries} nieuw, {self.duplicates} al bekend, {balance}, "
            f"{linked} automatisch gekoppeld, {queued} naar de wachtrij"
        )


@requires(Role.BACKOFFICE, action="bankafschrift importeren")
def import_statement_file(
    uow: UnitOfWork,
    path: str | Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportOutcome:
    """``huishoudboekje import FILE``: read, check and store one file in one transaction.

    ``force`` stores a statement whose balances do not add up, with the warning kept on it.
    A camt.053 is read, stored and linked a chunk of entries at a time, so memory stays flat
    however big the file (a big file is read in a second process meanwhile: read_ahead);
    only a statement that gives one bank reference to two entries is read again whole (its
    entries' identities depend on all of them, see dedup_keys).
    """
    path = Path(path)
    report = progress or (lambda _message: None)
    report(f"{path.name}: lezen")
    try:
        stream = read_ahead.stream(path)
        try:
            sha256 = sha256_of(path)
        except OSError as exc:
            stream.close()
            raise file_error(path, exc) from None
        report(f"{path.name}: controleren en opslaan")
        try:
            return store_statements(uow, stream, file_name=path.name, sha256=sha256,
                                    force=force, progress=progress)
        except _WholeStatementNeeded:
            report(f"{path.name}: opnieuw lezen, in zijn geheel")
            return store_statements(uow, read_statement_file(path), file_name=path.name,
                                    sha256=sha256, force=force, progress=progress)
    except (StatementFileError, StatementRefused) as exc:
        _record_refusal(uow, path, exc)
        raise


def _record_refusal(uow: UnitOfWork, path: Path, exc: Exception) -> None:
    """The import history shows refused files too: who tried which file and why it was refused.

    Written in its own transaction, after the import's own rolled back: one audit row with the
    file's name, fingerprint and the one-line reason, never anything read from the file."""
    try:
        sha256 = sha256_of(path)
    except OSError:
        sha256 = None
    reason = (str(exc).splitlines() or [type(exc).__name__])[0]
    uow.refuse(REFUSED_ACTION, ImportedFile.__tablename__, reason=reason,
               after={"bestand": path.name[:260], "sha256": sha256})


@requires(Role.BACKOFFICE, action="bankafschrift importeren")
def store_statements(uow: UnitOfWork, result: ReadResult | StatementStream, *, file_name: str,
                     sha256: str, force: bool = False,
                     progress: Callable[[str], None] | None = None) -> ImportOutcome:
    """Store what a reader read from one file: all of it, or (on any refusal) nothing.

    ``progress`` is told each step; if it raises (the clerk cancelled), nothing is stored."""
    report = progress or (lambda _message: None)
    stream = result if isinstance(result, StatementStream) else StatementStream.of(result)
    with uow:
        session = uow.session
        covered = statement_coverage(session)
        imported = ImportedFile(file_name=file_name[:260], sha256=sha256,
                                file_format=stream.file_format[:20], imported_by=uow.actor)
        session.add(imported)
        session.flush()
        store = _Store(session, imported.id, Matcher(session, uow.actor), file_name, force,
                       stream)
        statements: list[StatementOutcome] = []
        stored_entries = 0
        try:
            for chunk in stream.chunks:
                done = store.add(chunk)
                stored_entries += len(chunk.entries)
                if done is not None:
                    statements.append(done)
                    report(f"{file_name}: afschrift {chunk.number} verwerkt")
                elif not stream.whole:
                    report(f"{file_name}: {stored_entries:,} posten verwerkt".replace(",", "."))
        finally:  # refused or cancelled half-way: the reading stops now, not when collected
            stream.close()
        outcome = ImportOutcome(file_name, stream.file_format, stream.bank, statements,
                                list(stream.warnings))
        session.flush()
        coverage = statement_coverage(session)
        if coverage != covered:  # payments due in the new days
            since = _changed_since(covered, coverage, store.first_day)
            if covered is not None and coverage.first == covered.first:  # later days only
                touch(session, participants_newly_judged(session, covered, coverage,
                                                         date.today()), since=since)
            else:  # the first statements, or an older one: every period from its start
                touch_everyone(session, since=since)
        imported.result = json.dumps(outcome.as_dict(), ensure_ascii=False)
        uow.record("bankafschrift geïmporteerd", imported, after={
            "bestand": file_name, "sha256": sha256, "formaat": stream.file_format,
            "nieuw": outcome.new_entries, "al bekend": outcome.duplicates,
            "automatisch gekoppeld": sum(s.linked for s in outcome.statements),
        })
        report(f"{file_name}: vastleggen")  # the last moment a cancel still stores nothing
        uow.commit()
    return outcome


class _WholeStatementNeeded(Exception):
    """A streamed statement gave one bank reference to two entries: read it again whole."""


@dataclass
class _Current:
    """The statement being stored, while its chunks arrive."""

    number: int
    account: BankAccount
    outcome: StatementOutcome
    keys: DedupKeys
    total: int = 0  # the booked entries' amounts, for the balance check
    not_booked: int = 0
    zero: int = 0  # new entries of € 0,00: stored, nothing to book
    stored: Statement | None = None


class _Store:
    """Stores a file's statements chunk by chunk, inside the import's one transaction."""

    def __init__(self, session: Session, file_id: int, matcher: Matcher, file_name: str,
                 force: bool, stream: StatementStream):
        self.session = session
        self.file_id = file_id
        self.matcher = matcher
        self.file_name = file_name
        self.force = force
        self.stream = stream
        self.accounts = _municipal_accounts(session)
        self.current: _Current | None = None
        self.first_day: date | None = None  # of the new entries

    def add(self, chunk: StatementChunk) -> StatementOutcome | None:
        """Store one chunk; at a statement's last chunk, check it and return its outcome."""
        current = self.current
        if current is None or current.number != chunk.number:
            current = self.current = self._begin(chunk)
        self._refuse_other_currencies(chunk)
        booked = [e for e in chunk.entries if e.status == BOOKED]
        current.not_booked += len(chunk.entries) - len(booked)
        current.total += sum(e.amount_cents for e in booked)
        account_id = current.account.id
        keys = current.keys.next(booked)
        known = _known_keys(self.session, account_id, keys)
        fresh = [(key, entry) for key, entry in zip(keys, booked, strict=True)
                 if key not in known]
        current.outcome.duplicates += len(booked) - len(fresh)
        current.outcome.new_entries += len(fresh)
        current.zero += sum(1 for _key, entry in fresh if entry.amount_cents == 0)
        if fresh:
            first = min(entry.booking_date for _key, entry in fresh)
            self.first_day = first if self.first_day is None else min(self.first_day, first)
            if current.stored is None:
                current.stored = self._statement_row(chunk.statement, account_id)
            ids = new_ids(self.session, BankTransaction.__table__, len(fresh))
            matched = self.matcher.store_new([
                _transaction_row(current.stored.id, account_id, key, entry, id_)
                for id_, (key, entry) in zip(ids, fresh, strict=True)])
            current.outcome.linked += matched.linked
            current.outcome.queued += matched.queued
        return self._finish(current, chunk.statement) if chunk.last else None

    def _begin(self, chunk: StatementChunk) -> _Current:
        account = _account_of(self.accounts, chunk.statement.account, chunk.number)
        outcome = StatementOutcome(format_iban(account.iban), chunk.statement.period_from,
                                   chunk.statement.period_through)
        return _Current(chunk.number, account, outcome, DedupKeys(whole=self.stream.whole))

    def _refuse_other_currencies(self, chunk: StatementChunk) -> None:
        currencies = {e.currency for e in chunk.entries}
        if chunk.last:
            currencies.add(chunk.statement.currency)
        if currencies - {"EUR"}:
            other = ", ".join(sorted(currencies - {"EUR"}))
            raise StatementRefused(
                f"{self.file_name}: afschrift {chunk.number} bevat bedragen in {other}; alleen "
                "euro's kunnen worden ingelezen (er is niets opgeslagen)"
            )

    def _statement_row(self, statement: StatementData, account_id: int) -> Statement:
        stored = Statement(
            file_id=self.file_id,
            account_id=account_id,
            bank_statement_id=(statement.statement_id or "")[:100] or None,
            period_from=statement.period_from,
            period_through=statement.period_through,
            currency=statement.currency or "EUR",
            opening_balance_cents=statement.opening_balance_cents,
            opening_date=statement.opening_date,
            closing_balance_cents=statement.closing_balance_cents,
            closing_date=statement.closing_date,
        )
        self.session.add(stored)
        self.session.flush()
        return stored

    def _finish(self, current: _Current, statement: StatementData) -> StatementOutcome:
        outcome = current.outcome
        account_id = current.account.id
        if current.not_booked:
            outcome.warnings.append(f"{current.not_booked} posten nog niet geboekt door de bank "
                                    "(niet opgeslagen)")
        if current.zero:
            outcome.warnings.append(f"{current.zero} posten van € 0,00 opgeslagen zonder "
                                    "boeking (er is niets te boeken)")
        if current.stored is None and outcome.new_entries == 0 \
                and _same_statement_stored(self.session, account_id, statement):
            outcome.already_imported = True
            outcome.balance = "al eerder ingelezen"
            return outcome
        warning = None
        if not self.stream.has_balances:
            outcome.balance = "saldo niet gecontroleerd (geen saldi in het bestand)"
        else:
            problem = _balance_problem(self.session, account_id, statement, current.total,
                                       current.stored.id if current.stored else None)
            if problem and not self.force:
                raise StatementRefused(f"{problem}; er is niets opgeslagen ('--force' slaat "
                                       "het afschrift toch op, met deze waarschuwing)")
            if problem:
                warning = outcome.balance = f"opgeslagen ondanks: {problem}"
            else:
                outcome.balance = "saldo klopt"
        stored = current.stored or self._statement_row(statement, account_id)
        stored.warning = warning
        stored.currency = statement.currency or "EUR"
        return outcome


def _municipal_accounts(session: Session) -> dict[str, BankAccount]:
    return {a.iban: a for a in session.scalars(select(BankAccount).where(BankAccount.is_municipal))}


def _account_of(accounts: dict[str, BankAccount], number: str, statement: int) -> BankAccount:
    """The registered municipal account this statement is for. MT940 and some CSV exports
    give the domestic account number instead of the IBAN: that is the IBAN's last 10 digits."""
    compact = re.sub(r"\s", "", number).upper()
    for suffix in ("EUR",):
        if compact.endswith(suffix) and len(compact) > 18:
            compact = compact[: -len(suffix)]
    if compact in accounts:
        return accounts[compact]
    if compact.isdigit():
        matches = [a for iban, a in accounts.items() if iban[-10:] == compact.zfill(10)]
        if len(matches) == 1:
            return matches[0]
    shown = format_iban(compact) if compact[:2].isalpha() else compact
    raise StatementRefused(
        f"Afschrift {statement} is van rekening {shown}, die geen geregistreerde gemeentelijke "
        "rekening is (registreer hem met 'huishoudboekje accounts add'); er is niets opgeslagen"
    )


def _changed_since(before: Coverage | None, after: Coverage | None,
                   first_new_day: date | None) -> date | None:
    """The first day an import changed for the signals: its first new entry, the old end of
    the statements' days, or their new beginning (an older statement). None: everything
    (the first statements)."""
    if before is None or after is None:
        return None
    days = [before.last]
    if after.first < before.first:
        days.append(after.first)
    if first_new_day is not None:
        days.append(first_new_day)
    return min(days)


def _transaction_row(statement_id: int, account_id: int, key: str, entry: Entry,
                     id_: int) -> dict:
    return {
        "id": id_,
        "statement_id": statement_id,
        "account_id": account_id,
        "dedup_key": key,
        "booking_date": entry.booking_date,
        "value_date": entry.value_date,
        "amount_cents": entry.amount_cents,
        "currency": entry.currency,
        "reversal": entry.reversal,
        "bank_reference": _cut(entry.bank_reference, 100),
        "entry_reference": _cut(entry.entry_reference, 100),
        "end_to_end_id": _cut(entry.end_to_end_id, 100),
        "mandate_id": _cut(entry.mandate_id, 100),
        "transaction_code": _cut(entry.transaction_code, 40),
        "counterparty_name": _cut(entry.counterparty_name, 200),
        "counterparty_iban": _cut(entry.counterparty_iban, 34),
        "counterparty_bic": _cut(entry.counterparty_bic, 11),
        "description": entry.description,
        "structured_reference": _cut(entry.structured_reference, 40),
        "batch_info": entry.batch_info,
        "return_reason": _cut(entry.return_reason, 40),
        "occurrence": int(key.rsplit("#", 1)[1]) if key.startswith("fp:") else 1,
        "booked_cents": 0,
        # In the queue exactly while not fully booked: € 0,00 has nothing to book.
        "is_open": entry.amount_cents != 0,
        "version": 1,
    }


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


# -- Each entry once ---------------------------------------------------------------------------


def dedup_keys(entries: list[Entry]) -> list[str]:
    """The identity of each entry across files.

    The bank's own reference (AcctSvcrRef, or MT940's bank reference) where it is unique in
    the statement; a split batch detail adds its number. Otherwise a fingerprint of date,
    amount, counter account and text (case and all whitespace ignored, so a bank changing a
    space does not make a new entry) plus its occurrence number within the statement, so two
    identical weekly leefgeld transfers on one statement are both kept.
    """
    return DedupKeys(whole=True).next(entries)


class DedupKeys:
    """dedup_keys over a statement that arrives in chunks. Whether a bank reference is unique
    in the statement is known only at its end: a streamed statement (``whole`` False) whose
    reference repeats is read again whole rather than given other keys than it would get
    whole (raises _WholeStatementNeeded). Banks give every entry its own reference, so that
    is rare; fingerprint occurrences simply count on across chunks."""

    def __init__(self, whole: bool):
        self.whole = whole
        self.references: set[tuple[str, int | None]] = set()
        self.occurrences: Counter[str] = Counter()

    def next(self, entries: list[Entry]) -> list[str]:
        references = Counter(
            (e.bank_reference, e.detail_index) for e in entries if e.bank_reference)
        if not self.whole:
            if any(count > 1 for count in references.values()) \
                    or not self.references.isdisjoint(references):
                raise _WholeStatementNeeded
            self.references.update(references)
        keys = []
        for entry in entries:
            if entry.bank_reference and references[(entry.bank_reference,
                                                    entry.detail_index)] == 1:
                key = f"ref:{entry.bank_reference}"
                if entry.detail_index is not None:
                    key += f"/{entry.detail_index}"
                keys.append(key[:200])
                continue
            fingerprint = _fingerprint(entry)
            self.occurrences[fingerprint] += 1
            keys.append(f"{fingerprint}#{self.occurrences[fingerprint]}")
        return keys


def _fingerprint(entry: Entry) -> str:
    text = "|".join(
        re.sub(r"\s+", "", value).casefold()
        for value in (entry.counterparty_name or "", entry.description or "",
                      entry.structured_reference or "", entry.end_to_end_id or "")
    )
    digest = hashlib.sha1(text.encode()).hexdigest()[:20]  # noqa: S324 - identity, not security
    iban = re.sub(r"\s", "", entry.counterparty_iban or "").upper()
    return f"fp:{entry.booking_date.isoformat()}|{entry.amount_cents}|{iban}|{digest}"


def _known_keys(session: Session, account_id: int, keys: list[str]) -> set[str]:
    """Which of these keys the account already has: looked up by key (the unique index), so
    a chunk costs the same however many entries the statement stored before it."""
    known: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        known.update(session.scalars(select(BankTransaction.dedup_key).where(
            BankTransaction.account_id == account_id,
            among(BankTransaction.dedup_key, keys[start:start + KEYS_PER_QUERY], session))))
    return known


# -- Balances ----------------------------------------------------------------------------------


def _same_statement_stored(session: Session, account_id: int, statement: StatementData) -> bool:
    return session.scalar(
        select(Statement.id).where(
            Statement.account_id == account_id,
            Statement.period_from == statement.period_from,
            Statement.period_through == statement.period_through,
            Statement.opening_balance_cents == statement.opening_balance_cents,
            Statement.closing_balance_cents == statement.closing_balance_cents,
        ).limit(1)
    ) is not None


def _balance_problem(session: Session, account_id: int, statement: StatementData, total: int,
                     own_id: int | None) -> str | None:
    """Why the balances do not add up (``total``: the booked entries), or None. ``own_id``:
    this statement's row, already written, which is not its own predecessor."""
    opening, closing = statement.opening_balance_cents, statement.closing_balance_cents
    if opening is None or closing is None:
        return None  # e.g. SNS's last statement without :62F:
    if opening + total != closing:
        return (
            f"saldo klopt niet: beginsaldo {euro(opening)} + mutaties {euro(total)} = "
            f"{euro(opening + total)}, maar het eindsaldo is {euro(closing)}"
        )
    if statement.opening_date is None:
        return None
    previous = session.execute(
        select(Statement.closing_balance_cents, Statement.closing_date)
        .where(Statement.account_id == account_id, Statement.closing_date.is_not(None),
               Statement.closing_date <= statement.opening_date, Statement.id != (own_id or 0))
        .order_by(Statement.closing_date.desc(), Statement.id.desc())
        .limit(1)
    ).first()
    if previous and previous.closing_balance_cents is not None \
            and previous.closing_balance_cents != opening:
        return (
            f"beginsaldo {euro(opening)} sluit niet aan op het eindsaldo "
            f"{euro(previous.closing_balance_cents)} van het vorige afschrift "
            f"({short_date(previous.closing_date)})"
        )
    return None

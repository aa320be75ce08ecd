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
from app.importers.statements import (
    Entry,
    ReadResult,
    StatementData,
    StatementFileError,
    read_statement_file,
)
from app.models import BankAccount, BankTransaction, ImportedFile, Statement
from app.models.employee import Role
from app.services.bulk import insert_rows
from app.services.matching import Matcher
from app.services.permissions import requires
from app.services.signals import statement_coverage, touch_everyone
from app.services.unit_of_work import UnitOfWork
from app.services.validation import format_iban

BOOKED = "BOOK"
REFUSED_ACTION = "bankafschrift geweigerd"  # the audit row of a refused file (import history)


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
    """
    path = Path(path)
    report = progress or (lambda _message: None)
    report(f"{path.name}: lezen")
    try:
        result = read_statement_file(path)
        report(f"{path.name}: controleren en opslaan")
        return store_statements(uow, result, file_name=path.name, sha256=sha256_of(path),
                                force=force, progress=progress)
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
def store_statements(uow: UnitOfWork, result: ReadResult, *, file_name: str, sha256: str,
                     force: bool = False, progress: Callable[[str], None] | None = None
                     ) -> ImportOutcome:
    """Store what a reader read from one file: all of it, or (on any refusal) nothing.

    ``progress`` is told each step; if it raises (the clerk cancelled), nothing is stored."""
    report = progress or (lambda _message: None)
    _refuse_other_currencies(file_name, result)
    outcome = ImportOutcome(file_name, result.file_format, result.bank, [],
                            list(result.warnings))
    with uow:
        session = uow.session
        accounts = _municipal_accounts(session)
        covered = statement_coverage(session)
        matcher = Matcher(session, uow.actor)
        imported = ImportedFile(file_name=file_name[:260], sha256=sha256,
                                file_format=result.file_format[:20], imported_by=uow.actor)
        session.add(imported)
        session.flush()
        for number, statement in enumerate(result.statements, start=1):
            account = _account_of(accounts, statement.account, number)
            outcome.statements.append(
                _store_statement(session, imported.id, account, statement, result, force,
                                 matcher)
            )
            report(f"{file_name}: afschrift {number} van {len(result.statements)} verwerkt")
        session.flush()
        if statement_coverage(session) != covered:  # payments due in the new days
            touch_everyone(session)
        imported.result = json.dumps(outcome.as_dict(), ensure_ascii=False)
        uow.record("bankafschrift geïmporteerd", imported, after={
            "bestand": file_name, "sha256": sha256, "formaat": result.file_format,
            "nieuw": outcome.new_entries, "al bekend": outcome.duplicates,
            "automatisch gekoppeld": sum(s.linked for s in outcome.statements),
        })
        report(f"{file_name}: vastleggen")  # the last moment a cancel still stores nothing
        uow.commit()
    return outcome


def _refuse_other_currencies(file_name: str, result: ReadResult) -> None:
    for number, statement in enumerate(result.statements, start=1):
        currencies = {statement.currency} | {e.currency for e in statement.entries}
        if currencies != {"EUR"}:
            other = ", ".join(sorted(currencies - {"EUR"}))
            raise StatementRefused(
                f"{file_name}: afschrift {number} bevat bedragen in {other}; alleen euro's "
                "kunnen worden ingelezen (er is niets opgeslagen)"
            )


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


def _store_statement(session: Session, file_id: int, account: BankAccount,
                     statement: StatementData, result: ReadResult, force: bool,
                     matcher: Matcher) -> StatementOutcome:
    booked = [e for e in statement.entries if e.status == BOOKED]
    outcome = StatementOutcome(format_iban(account.iban), statement.period_from,
                               statement.period_through)
    if len(booked) < len(statement.entries):
        outcome.warnings.append(
            f"{len(statement.entries) - len(booked)} posten nog niet geboekt door de bank "
            "(niet opgeslagen)"
        )
    keys = dedup_keys(booked)
    known = _known_keys(session, account.id, booked)
    fresh = [(key, entry) for key, entry in zip(keys, booked, strict=True) if key not in known]
    outcome.duplicates = len(booked) - len(fresh)
    outcome.new_entries = len(fresh)

    if _same_statement_stored(session, account.id, statement) and not fresh:
        outcome.already_imported = True
        outcome.balance = "al eerder ingelezen"
        return outcome

    warning = None
    if not result.has_balances:
        outcome.balance = "saldo niet gecontroleerd (geen saldi in het bestand)"
    else:
        problem = _balance_problem(session, account.id, statement, booked)
        if problem and not force:
            raise StatementRefused(f"{problem}; er is niets opgeslagen ('--force' slaat het "
                                   "afschrift toch op, met deze waarschuwing)")
        if problem:
            warning = outcome.balance = f"opgeslagen ondanks: {problem}"
        else:
            outcome.balance = "saldo klopt"

    stored = Statement(
        file_id=file_id,
        account_id=account.id,
        bank_statement_id=(statement.statement_id or "")[:100] or None,
        period_from=statement.period_from,
        period_through=statement.period_through,
        currency=statement.currency,
        opening_balance_cents=statement.opening_balance_cents,
        opening_date=statement.opening_date,
        closing_balance_cents=statement.closing_balance_cents,
        closing_date=statement.closing_date,
        warning=warning,
    )
    session.add(stored)
    session.flush()
    insert_rows(session, BankTransaction.__table__,
                [_transaction_row(stored.id, account.id, key, entry) for key, entry in fresh])
    if fresh:  # link what can safely be linked; the rest waits in the queue
        matched = matcher.run(statement_ids=[stored.id])
        outcome.linked, outcome.queued = matched.linked, matched.queued
    return outcome


def _transaction_row(statement_id: int, account_id: int, key: str, entry: Entry) -> dict:
    return {
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
        "is_open": True,
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
    references = Counter(
        (e.bank_reference, e.detail_index) for e in entries if e.bank_reference
    )
    occurrences: Counter[str] = Counter()
    keys = []
    for entry in entries:
        if entry.bank_reference and references[(entry.bank_reference, entry.detail_index)] == 1:
            key = f"ref:{entry.bank_reference}"
            if entry.detail_index is not None:
                key += f"/{entry.detail_index}"
            keys.append(key[:200])
            continue
        fingerprint = _fingerprint(entry)
        occurrences[fingerprint] += 1
        keys.append(f"{fingerprint}#{occurrences[fingerprint]}")
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


def _known_keys(session: Session, account_id: int, entries: list[Entry]) -> set[str]:
    if not entries:
        return set()
    first = min(e.booking_date for e in entries)
    last = max(e.booking_date for e in entries)
    return set(session.scalars(
        select(BankTransaction.dedup_key).where(
            BankTransaction.account_id == account_id,
            BankTransaction.booking_date.between(first, last),
        )
    ))


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


def _balance_problem(session: Session, account_id: int, statement: StatementData,
                     booked: list[Entry]) -> str | None:
    opening, closing = statement.opening_balance_cents, statement.closing_balance_cents
    if opening is None or closing is None:
        return None  # e.g. SNS's last statement without :62F:
    total = sum(e.amount_cents for e in booked)
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
               Statement.closing_date <= statement.opening_date)
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

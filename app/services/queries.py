"""Read-only queries for screens and exports. No changes, so no audit rows.

The participant list is built for 50,000 dossiers: ``participant_ids`` filters, searches and
sorts in SQL and returns only the ordered ids; ``participant_rows`` fetches one page of rows
for those ids (with the saldo from ``app.services.saldo``, the one saldo function).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFoundError
from app.models import (
    Agreement,
    AuditEntry,
    BankAccount,
    BankTransaction,
    Booking,
    Category,
    Employee,
    ImportedFile,
    Organisation,
    Participant,
    ParticipantStatus,
    Role,
    Signal,
    SignalStatus,
)
from app.models.participant import search_fold
from app.reports.bookings_csv import BookingExportRow
from app.services.bsn import masked as masked_bsn
from app.services.participants import EDITABLE_FIELDS, TRANSITIONS
from app.services.saldo import saldo_cents, saldos_cents
from app.services.validation import format_iban

if TYPE_CHECKING:
    from app.db import Database

OPEN_SIGNAL_STATES = (SignalStatus.OPEN, SignalStatus.IN_PROGRESS)


# -- The participant list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantListRow:
    id: int
    number: str
    name: str
    status: str
    city: str | None
    contact_person: str | None
    agreements: int = 0
    saldo_cents: int = 0
    open_signals: int = 0


@dataclass(frozen=True)
class ParticipantFilter:
    """What the clerk typed and ticked above the participant list."""

    search: str = ""
    status: ParticipantStatus | None = None
    contact_employee_id: int | None = None  # "mijn deelnemers"
    negative_saldo: bool = False
    on: date | None = None  # the day of the saldo (default: today)
    # The dossiers the logged BSN search found per word of 4-9 digits (bsn.with_bsn_search).
    bsn_hits: tuple[tuple[str, tuple[int, ...]], ...] = ()


SORT_COLUMNS = ("number", "name", "status", "contact")


def participant_ids(session: Session, where: ParticipantFilter | None = None, *,
                    sort: str = "number", descending: bool = False) -> list[int]:
    """The ids of every participant matching the filter, in display order (no rows)."""
    where = where or ParticipantFilter()
    query = select(Participant.id)
    for condition in _filter_conditions(where, _dialect(session)):
        query = query.where(condition)
    if sort == "contact":
        query = query.outerjoin(Employee, Participant.contact_employee_id == Employee.id)
    order = {
        "number": [Participant.number],
        "name": [func.lower(Participant.last_name), func.lower(Participant.first_name),
                 Participant.number],
        "status": [Participant.status, Participant.number],
        "contact": [func.lower(Employee.name), Participant.number],
    }.get(sort)
    if order is None:
        raise ValueError(f"cannot sort participants by {sort!r}")
    if descending:
        order = [column.desc() for column in order]
    # A search is one scan of the participants; PostgreSQL would JIT-compile the plan with the
    # saldo filter (its default for "expensive" plans), which costs more than running it.
    return first_column(session, query.order_by(*order), no_jit=where.negative_saldo)


def count_participants(session: Session, where: ParticipantFilter | None = None) -> int:
    query = select(func.count()).select_from(Participant)
    for condition in _filter_conditions(where or ParticipantFilter(), _dialect(session)):
        query = query.where(condition)
    return session.scalar(query) or 0


def participant_rows(session: Session, ids: Sequence[int], on: date | None = None, *,
                     count_agreements: bool = False) -> list[ParticipantListRow]:
    """The list rows of these participants, in the order of ``ids`` (one page at a time)."""
    if not ids:
        return []
    on = on or date.today()
    ids = list(ids)
    agreement_count = dict(session.execute(
        select(Agreement.participant_id, func.count())
        .where(Agreement.participant_id.in_(ids)).group_by(Agreement.participant_id)
    ).all()) if count_agreements else {}
    saldos = saldos_cents(session, on, ids)
    open_signals = (
        select(Signal.participant_id, func.count().label("n"))
        .where(Signal.participant_id.in_(ids), Signal.status.in_(OPEN_SIGNAL_STATES))
        .group_by(Signal.participant_id)
        .subquery()
    )
    found = {}
    query = (
        select(Participant.id, Participant.number, Participant.initials, Participant.first_name,
               Participant.infix, Participant.last_name, Participant.status, Participant.city,
               Employee.name, open_signals.c.n)
        .outerjoin(Employee, Participant.contact_employee_id == Employee.id)
        .outerjoin(open_signals, open_signals.c.participant_id == Participant.id)
        .where(Participant.id.in_(ids))
    )
    for pid, number, initials, first, infix, last, status, city, contact, signals \
            in session.execute(query):
        name = " ".join(part for part in (first or initials, infix, last) if part)
        found[pid] = ParticipantListRow(
            pid, number, name, status.value, city, contact, agreement_count.get(pid, 0),
            saldos.get(pid, 0), signals or 0,
        )
    return [found[pid] for pid in ids if pid in found]


def list_participants(session: Session, limit: int = 1000, where: ParticipantFilter | None = None,
                      *, offset: int = 0, sort: str = "number") -> list[ParticipantListRow]:
    """One page of the list: the first ``limit`` matching participants after ``offset``."""
    ids = participant_ids(session, where, sort=sort)
    return participant_rows(session, ids[offset:offset + limit],
                            (where or ParticipantFilter()).on, count_agreements=True)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def first_column(session: Session, query, *, no_jit: bool = False) -> list:
    """The first column of every row, straight from the database driver.

    The participant list asks for up to 50,000 ids per keystroke; SQLAlchemy's result
    machinery costs some 80 ms for those on SQLite, the driver's own cursor 20 ms. Only
    plain values (text, numbers, dates) are bound here, which need no SQLAlchemy type
    processing; SQLite gets dates as ISO text, the way SQLAlchemy stores them there."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    params = compiled.construct_params()
    if dialect.name == "sqlite":
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    if dialect.positional:
        params = [params[name] for name in compiled.positiontup]
    driver = connection.connection.driver_connection
    # The values themselves, not a tuple per row: 50,000 tuples per keystroke would also
    # wake Python's garbage collector, whose full pass can pause the window for 0.2 s.
    if dialect.name == "postgresql":
        from psycopg.rows import scalar_row

        cursor = driver.cursor(row_factory=scalar_row)
    else:
        cursor = driver.cursor()
        cursor.row_factory = _first
    try:
        if no_jit and dialect.name == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _first(_cursor, row: tuple):
    return row[0]


def _filter_conditions(where: ParticipantFilter, dialect: str = "sqlite"
                       ) -> list[ColumnElement[bool]]:
    hits = dict(where.bsn_hits)
    conditions = [_search_condition(token, dialect, hits)
                  for token in search_tokens(where.search)]
    if where.status is not None:
        conditions.append(Participant.status == ParticipantStatus(where.status).value)
    if where.contact_employee_id is not None:
        conditions.append(Participant.contact_employee_id == where.contact_employee_id)
    if where.negative_saldo:
        # The saldo of saldo.saldo_cents, as a correlated sum on the (participant, date) index:
        # evaluated only for the rows the other conditions let through.
        on = where.on or date.today()
        saldo = (
            select(func.sum(Booking.amount_cents))
            .where(Booking.participant_id == Participant.id, Booking.booking_date <= on)
            .correlate(Participant)
            .scalar_subquery()
        )
        conditions.append(saldo < 0)
    return conditions


def search_tokens(text: str) -> list[str]:
    """Words of a search; an IBAN typed in groups ('NL91 ABNA 0417') stays one word."""
    text = " ".join(text.split())
    text = re.sub(r"\b([A-Za-z]{2}\d{2})((?: [A-Za-z0-9]{4})+(?: [A-Za-z0-9]{1,3})?)\b",
                  lambda m: (m.group(1) + m.group(2)).replace(" ", ""), text)
    return [t for t in text.split(" ") if t]


_DOSSIER_NUMBER = re.compile(r"[A-Za-z]{1,6}-\d*")  # HHB-, hhb-0042
_IBAN_PART = re.compile(r"[A-Za-z]{2}\d{2}[A-Za-z0-9]*|[A-Za-z0-9]*\d[A-Za-z]+[A-Za-z0-9]*")


def _search_condition(token: str, dialect: str = "sqlite",
                      bsn_hits: dict[str, tuple[int, ...]] | None = None
                      ) -> ColumnElement[bool]:
    """One word matches a name part, the dossier number, the end of the BSN or an IBAN.
    The last three digits of a BSN are compared with the stored tail; more digits only through
    ``bsn_hits``, what the logged search found (app.services.bsn).

    Only the columns the word can be in are compared (a word of letters is a name, digits are
    a number, a BSN or an IBAN): every comparison is a pass over 50,000 rows. Names ignore case
    and accents: the folded word is compared with ``search_name``, the stored folded name
    ('celik' finds 'Çelik'); one LIKE on one column on both databases."""
    pattern = f"%{escape_like(token)}%"
    digits = re.sub(r"[\s.\-]", "", token)
    compact = re.sub(r"\s", "", token).upper()
    number = Participant.number.like(pattern.upper(), escape="\\")  # stored in capitals
    if _DOSSIER_NUMBER.fullmatch(token):
        return number
    options: list[ColumnElement[bool]] = []
    if digits.isdigit():
        options.append(number)
        # The last digits of the BSN: a clerk on the phone asks for them.
        if len(digits) == 3:
            options.append(Participant.bsn_tail == digits)
        elif bsn_hits and digits in bsn_hits:  # a few ids, written out (no expanding IN)
            options.append(or_(false(), *(Participant.id == i for i in bsn_hits[digits])))
    elif any(ch.isalpha() for ch in token) and not any(ch.isdigit() for ch in token):
        options.append(Participant.search_name.like(f"%{escape_like(search_fold(token))}%",
                                                    escape="\\"))
    if len(compact) >= 4 and compact.isalnum() and _IBAN_PART.fullmatch(compact) \
            or digits.isdigit() and len(digits) >= 4:
        with_iban = select(BankAccount.participant_id).where(
            BankAccount.participant_id.is_not(None),
            BankAccount.iban.like(f"%{compact if compact.isalnum() else digits}%"),
        )
        options.append(Participant.id.in_(with_iban))
    return or_(*options) if options else number


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- The dossier ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusStep:
    status: str
    date: date
    reason: str | None
    changed_by: str


@dataclass(frozen=True)
class AccountLine:
    id: int
    iban: str  # grouped for reading: NL91 ABNA 0417 1643 00
    holder_name: str


@dataclass(frozen=True)
class TermLine:
    id: int
    term: str
    learned: bool


@dataclass(frozen=True)
class AgreementLine:
    id: int
    organisation_id: int | None
    organisation: str
    counter_account_id: int | None
    counter_iban: str
    category: str
    direction: str
    amount_cents: int
    tolerance_percent: str
    frequency: str
    day: int | None
    description: str | None
    valid_from: date
    valid_through: date | None
    terms: tuple[TermLine, ...]
    payment_method: str | None = None  # overschrijving | incasso; None: unknown

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_through is None or day <= self.valid_through)

    @property
    def signed_cents(self) -> int:
        return self.amount_cents if self.direction == "inkomst" else -self.amount_cents


@dataclass(frozen=True)
class BookingLine:
    date: date
    amount_cents: int
    category: str
    counterparty: str
    description: str
    method: str


@dataclass(frozen=True)
class NoteLine:
    created_at: datetime
    kind: str
    author: str
    text: str


@dataclass(frozen=True)
class SignalLine:
    id: int
    kind: str
    status: str
    message: str
    created_at: datetime


@dataclass(frozen=True)
class MonthSaldo:
    month: date  # the first of the month
    saldo_cents: int  # at the end of the month (this month: today)


@dataclass
class DossierView:
    """Everything the dossier screen shows, read in one short session. No plain BSN."""

    id: int
    version: int
    number: str
    name: str
    bsn_masked: str
    status: str
    values: dict  # the editable fields, as stored
    contact_person: str | None
    next_statuses: tuple[str, ...]
    status_history: list[StatusStep]
    accounts: list[AccountLine]
    agreements: list[AgreementLine]
    saldo_cents: int
    saldo_on: date
    months: list[MonthSaldo]
    bookings: list[BookingLine]
    notes: list[NoteLine]
    signals: list[SignalLine]
    employees: list[tuple[int, str]] = field(default_factory=list)


def dossier_view(session: Session, participant_id: int, today: date | None = None
                 ) -> DossierView:
    today = today or date.today()
    participant = session.get(Participant, participant_id, options=[
        selectinload(Participant.status_changes), selectinload(Participant.accounts),
        selectinload(Participant.notes), selectinload(Participant.contact_employee),
    ])
    if participant is None:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
    values = {key: getattr(participant, key) for key in EDITABLE_FIELDS if key != "bsn"}
    agreements = session.scalars(
        select(Agreement).where(Agreement.participant_id == participant_id)
        .options(selectinload(Agreement.search_terms), selectinload(Agreement.organisation),
                 selectinload(Agreement.counter_account), selectinload(Agreement.category))
        .order_by(Agreement.direction, Agreement.valid_from, Agreement.id)
    ).all()
    first_month = _add_months(today.replace(day=1), -11)
    months = [
        MonthSaldo(month, saldo_cents(session, participant_id,
                                      min(today, _add_months(month, 1).replace(day=1)
                                          - timedelta(days=1))))
        for month in (_add_months(first_month, n) for n in range(12))
    ]
    bookings = [
        BookingLine(day, amount, category, counterparty or "", description or "", method.value)
        for day, amount, category, counterparty, description, method in session.execute(
            select(Booking.booking_date, Booking.amount_cents, Category.name,
                   BankTransaction.counterparty_name, BankTransaction.description,
                   Booking.method)
            .join(Category, Category.id == Booking.category_id)
            .join(BankTransaction, BankTransaction.id == Booking.transaction_id)
            .where(Booking.participant_id == participant_id,
                   Booking.booking_date >= first_month)
            .order_by(Booking.booking_date.desc(), Booking.id.desc())
        )
    ]
    signals = [
        SignalLine(s.id, s.kind.value, s.status.value, s.message, s.created_at)
        for s in session.scalars(
            select(Signal).where(Signal.participant_id == participant_id)
            .order_by(Signal.status, Signal.created_at.desc())
        )
    ]
    return DossierView(
        id=participant.id,
        version=participant.version,
        number=participant.number,
        name=participant.full_name,
        bsn_masked=masked_bsn(participant),
        status=participant.status.value,
        values=values,
        contact_person=participant.contact_employee.name if participant.contact_employee else None,
        next_statuses=tuple(sorted(s.value for s in TRANSITIONS[participant.status])),
        status_history=[StatusStep(c.status.value, c.date, c.reason, c.changed_by)
                        for c in participant.status_changes],
        accounts=[AccountLine(a.id, format_iban(a.iban), a.holder_name)
                  for a in participant.accounts],
        agreements=[_agreement_line(a) for a in agreements],
        saldo_cents=saldo_cents(session, participant_id, today),
        saldo_on=today,
        months=months,
        bookings=bookings,
        notes=[NoteLine(n.created_at, n.kind.value, n.author, n.text)
               for n in sorted(participant.notes, key=lambda n: n.id, reverse=True)],
        signals=signals,
        employees=employee_choices(session, keep=participant.contact_employee_id),
    )


def _agreement_line(agreement: Agreement) -> AgreementLine:
    return AgreementLine(
        id=agreement.id,
        organisation_id=agreement.organisation_id,
        organisation=agreement.organisation.name if agreement.organisation else "",
        counter_account_id=agreement.counter_account_id,
        counter_iban=format_iban(agreement.counter_account.iban)
        if agreement.counter_account else "",
        category=agreement.category.name,
        direction=agreement.direction.value,
        amount_cents=agreement.amount_cents,
        tolerance_percent=str(agreement.tolerance_percent),
        frequency=agreement.frequency.value,
        day=agreement.day,
        payment_method=agreement.payment_method.value if agreement.payment_method else None,
        description=agreement.description,
        valid_from=agreement.valid_from,
        valid_through=agreement.valid_through,
        terms=tuple(TermLine(t.id, t.term, t.learned) for t in agreement.search_terms),
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# -- Choices for forms ----------------------------------------------------------------------------


def employee_choices(session: Session, *, active_only: bool = True,
                     keep: int | None = None) -> list[tuple[int, str]]:
    """Employees to choose from; ``keep`` (a dossier's contact person) stays in the list when
    inactive, so saving the dossier does not silently drop them."""
    query = select(Employee.id, Employee.name).order_by(func.lower(Employee.name))
    if active_only:
        query = query.where(or_(Employee.active, Employee.id == keep))
    return [(eid, name) for eid, name in session.execute(query)]


@dataclass(frozen=True)
class OrganisationLine:
    id: int
    name: str
    kind: str
    kvk: str | None
    city: str | None
    accounts: tuple[tuple[int, str], ...]  # (account id, grouped IBAN)


def organisation_lines(session: Session) -> list[OrganisationLine]:
    organisations = session.scalars(
        select(Organisation).options(selectinload(Organisation.accounts))
        .order_by(func.lower(Organisation.name))
    )
    return [
        OrganisationLine(o.id, o.name, o.kind.value, o.kvk, o.city,
                         tuple((a.id, format_iban(a.iban)) for a in o.accounts))
        for o in organisations
    ]


@dataclass(frozen=True)
class CategoryLine:
    id: int
    name: str
    kind: str
    mandatory: bool
    active: bool = True


def category_lines(session: Session) -> list[CategoryLine]:
    return [CategoryLine(c.id, c.name, c.kind.value, c.mandatory, c.active)
            for c in session.scalars(select(Category).order_by(Category.kind,
                                                               func.lower(Category.name)))]


def municipal_accounts(session: Session) -> list[AccountLine]:
    return [AccountLine(a.id, format_iban(a.iban), a.holder_name)
            for a in session.scalars(select(BankAccount).where(BankAccount.is_municipal)
                                     .order_by(BankAccount.iban))]


@dataclass(frozen=True)
class EmployeeLine:
    id: int
    username: str
    name: str
    role: str
    phone: str | None
    email: str | None
    active: bool
    participants: int


def employee_lines(session: Session) -> list[EmployeeLine]:
    caseload = dict(session.execute(
        select(Participant.contact_employee_id, func.count())
        .where(Participant.contact_employee_id.is_not(None))
        .group_by(Participant.contact_employee_id)
    ).all())
    return [
        EmployeeLine(e.id, e.username, e.name, e.role.value, e.phone, e.email, e.active,
                     caseload.get(e.id, 0))
        for e in session.scalars(select(Employee).order_by(func.lower(Employee.name)))
    ]


@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    role: Role | None  # None: not a known employee
    employee_id: int | None


def signed_in_user(db: Database) -> CurrentUser:
    """Who runs the program, with the role the database gives them (app.services.permissions)."""
    from app.services.permissions import standing_of

    standing = standing_of(db, db.default_actor())
    return CurrentUser(standing.actor, standing.name or standing.actor, standing.role,
                       standing.employee_id)


def current_user(session: Session, username: str) -> CurrentUser:
    employee = session.scalar(
        select(Employee).where(func.lower(Employee.username) == username.lower())
    )
    if employee is None:
        return CurrentUser(username, username, None, None)
    return CurrentUser(employee.username, employee.name, employee.role, employee.id)


# -- Queue and imports ----------------------------------------------------------------------------


def open_queue_count(session: Session) -> int:
    """Transactions not (fully) booked: the manual matching queue."""
    return session.scalar(
        select(func.count()).select_from(BankTransaction).where(BankTransaction.is_open)
    ) or 0


@dataclass(frozen=True)
class ImportHistoryLine:
    id: int
    imported_at: datetime
    imported_by: str
    file_name: str
    file_format: str
    result: str | None  # JSON of ImportOutcome.as_dict()
    refused: str | None = None  # a refused file: the one-line reason (nothing was stored)


def import_history(session: Session, limit: int = 200) -> list[ImportHistoryLine]:
    """Imported files and refused ones (their audit rows), newest first."""
    from app.services.statement_import import REFUSED_ACTION

    lines = [
        ImportHistoryLine(f.id, f.imported_at, f.imported_by, f.file_name, f.file_format,
                          f.result)
        for f in session.scalars(
            select(ImportedFile).order_by(ImportedFile.imported_at.desc(), ImportedFile.id.desc())
            .limit(limit)
        )
    ]
    for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.action == REFUSED_ACTION)
        .order_by(AuditEntry.id.desc()).limit(limit)
    ):
        after = json.loads(entry.after or "{}")
        lines.append(ImportHistoryLine(-entry.id, entry.at, entry.actor, after.get("bestand", ""),
                                       "", None, after.get("reden") or "geweigerd"))
    lines.sort(key=lambda line: line.imported_at, reverse=True)
    return lines[:limit]


# -- The bookings export --------------------------------------------------------------------------


def booking_export_rows(session: Session) -> Iterator[BookingExportRow]:
    """Every transaction on the municipal accounts with its bookings, in date order; the part
    of a transaction that is not (fully) booked is a row with method 'open'."""
    query = (
        select(BankTransaction, Booking.amount_cents, Booking.method, Participant.number,
               Category.name)
        .outerjoin(Booking, Booking.transaction_id == BankTransaction.id)
        .outerjoin(Participant, Participant.id == Booking.participant_id)
        .outerjoin(Category, Category.id == Booking.category_id)
        .order_by(BankTransaction.booking_date, BankTransaction.id, Booking.id)
        .execution_options(yield_per=2000)
    )
    current, booked = None, 0
    for transaction, amount, method, number, category in session.execute(query):
        if current is not None and transaction.id != current.id:
            yield from _open_remainder(current, booked)
            booked = 0
        current = transaction
        if amount is not None:
            booked += amount
            yield _export_row(transaction, amount, number or "", category or "", method.value)
    if current is not None:
        yield from _open_remainder(current, booked)


def _open_remainder(transaction: BankTransaction, booked: int) -> Iterator[BookingExportRow]:
    if transaction.amount_cents != booked:
        yield _export_row(transaction, transaction.amount_cents - booked, "", "", "open")


def _export_row(transaction: BankTransaction, amount: int, number: str, category: str,
                method: str) -> BookingExportRow:
    reference = (transaction.bank_reference or transaction.entry_reference
                 or transaction.end_to_end_id or "")
    return BookingExportRow(reference, transaction.booking_date, amount,
                            transaction.counterparty_iban or "", number, category, method)

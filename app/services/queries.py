"""Read-only queries for screens and exports. No changes, so no audit rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Agreement,
    BankTransaction,
    Booking,
    Category,
    Employee,
    Participant,
)
from app.reports.bookings_csv import BookingExportRow


@dataclass(frozen=True)
class ParticipantListRow:
    id: int
    number: str
    name: str
    status: str
    city: str | None
    contact_person: str | None
    agreements: int


def list_participants(session: Session, limit: int = 1000) -> list[ParticipantListRow]:
    agreement_count = (
        select(Agreement.participant_id, func.count().label("n"))
        .group_by(Agreement.participant_id)
        .subquery()
    )
    query = (
        select(Participant, Employee.name, func.coalesce(agreement_count.c.n, 0))
        .outerjoin(Employee, Participant.contact_employee_id == Employee.id)
        .outerjoin(agreement_count, agreement_count.c.participant_id == Participant.id)
        .order_by(Participant.number)
        .limit(limit)
    )
    return [
        ParticipantListRow(p.id, p.number, p.full_name, p.status.value, p.city, contact, count)
        for p, contact, count in session.execute(query)
    ]


def count_participants(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Participant)) or 0


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

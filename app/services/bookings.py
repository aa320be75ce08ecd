"""Bookings: linking a transaction (or parts of it) to agreements, participants or categories.

``add_bookings`` is the one place that writes bookings and keeps the queue invariant
(a transaction is open exactly while it is not fully booked; its bookings never add up to more
than its amount). The matcher and the clerk's actions both go through it. The transaction row
is locked first (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite) and its
version column makes a second clerk's booking of the same transaction fail visibly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import ConflictError, NotFoundError, ValidationError
from app.formatting import euro
from app.models import Agreement, BankTransaction, Booking, BookingMethod, Suggestion
from app.services.unit_of_work import UnitOfWork, snapshot


@dataclass(frozen=True)
class BookingPart:
    """One part of a booking. Give an agreement, or a participant and a category, or only a
    category (non-participant: bank costs, unknown — refund). Amounts are signed like the
    transaction; ``None`` means "the rest of the transaction"."""

    agreement_id: int | None = None
    participant_id: int | None = None
    category_id: int | None = None
    amount_cents: int | None = None


ALREADY_BOOKED = ConflictError(
    "Deze transactie is intussen al geboekt (misschien door een collega). "
    "De wachtrij is bijgewerkt."
)


def lock_transaction(session: Session, transaction_id: int,
                     expected_version: int | None = None) -> BankTransaction:
    """The transaction row, locked for this database transaction."""
    transaction = session.execute(
        select(BankTransaction).where(BankTransaction.id == transaction_id).with_for_update()
    ).scalar_one_or_none()
    if transaction is None:
        raise NotFoundError(f"Transactie {transaction_id} bestaat niet (meer).")
    if expected_version is not None and transaction.version != expected_version:
        raise ALREADY_BOOKED if not transaction.is_open else ConflictError(
            "Iemand anders heeft deze transactie intussen gewijzigd. De wachtrij is bijgewerkt."
        )
    return transaction


def add_bookings(session: Session, transaction: BankTransaction, parts: list[BookingPart], *,
                 method: BookingMethod, reason: str | None, actor: str,
                 payout_id: int | None = None) -> list[Booking]:
    """Book ``parts`` of a locked transaction; refuses parts that do not fit what is left."""
    if not parts:
        raise ValidationError("Kies ten minste één afspraak, deelnemer of rubriek.")
    left = transaction.amount_cents - transaction.booked_cents
    bookings: list[Booking] = []
    for index, part in enumerate(parts):
        amount = left - sum(b.amount_cents for b in bookings) if part.amount_cents is None \
            else part.amount_cents
        if part.amount_cents is None and index != len(parts) - 1:
            raise ValidationError("Alleen het laatste deel mag 'de rest' zijn.", "bedrag")
        bookings.append(_booking(session, transaction, part, amount, method, reason, actor,
                                 payout_id))
    total = sum(b.amount_cents for b in bookings)
    if not transaction.is_open and transaction.booked_cents != 0:
        raise ALREADY_BOOKED
    if any(b.amount_cents == 0 for b in bookings):
        raise ValidationError("Een deel van € 0,00 kan niet geboekt worden.", "bedrag")
    if any(_sign(b.amount_cents) != _sign(transaction.amount_cents) for b in bookings):
        raise ValidationError("Elk deel heeft hetzelfde teken als de transactie.", "bedrag")
    if abs(total) > abs(left):
        raise ValidationError(
            f"De delen ({euro(total)}) zijn samen meer dan er nog te boeken is ({euro(left)}).",
            "bedrag",
        )
    session.add_all(bookings)
    transaction.booked_cents += total
    transaction.is_open = transaction.booked_cents != transaction.amount_cents
    if not transaction.is_open:
        session.execute(delete(Suggestion).where(Suggestion.transaction_id == transaction.id))
    session.flush()
    return bookings


def remove_bookings(session: Session, transaction: BankTransaction) -> list[Booking]:
    """Undo every booking of a locked transaction; it returns to the queue."""
    bookings = list(session.scalars(
        select(Booking).where(Booking.transaction_id == transaction.id).order_by(Booking.id)
    ))
    for booking in bookings:
        session.delete(booking)
    transaction.booked_cents = 0
    transaction.is_open = True
    session.flush()
    return bookings


def book_transaction(uow: UnitOfWork, transaction_id: int, parts: list[BookingPart], *,
                     expected_version: int | None = None, reason: str | None = None
                     ) -> list[int]:
    """A clerk books a transaction by hand (whole, or split in parts). One audit row."""
    with uow:
        transaction = lock_transaction(uow.session, transaction_id, expected_version)
        if not transaction.is_open:
            raise ALREADY_BOOKED
        bookings = add_bookings(uow.session, transaction, parts, method=BookingMethod.MANUAL,
                                reason=reason, actor=uow.actor)
        uow.record("transactie geboekt", transaction, before=None,
                   after={"bookings": [snapshot(b, exclude=("created_at",)) for b in bookings]})
        uow.commit()
        return [b.id for b in bookings]


def undo_bookings(uow: UnitOfWork, transaction_id: int, *,
                  expected_version: int | None = None) -> int:
    """Undo all bookings of a transaction (automatic or manual); returns how many."""
    with uow:
        transaction = lock_transaction(uow.session, transaction_id, expected_version)
        removed = remove_bookings(uow.session, transaction)
        if not removed:
            raise ValidationError("Deze transactie heeft geen boekingen om ongedaan te maken.")
        uow.record("boeking ongedaan gemaakt", transaction,
                   before={"bookings": [snapshot(b, exclude=("created_at",)) for b in removed]},
                   after=None)
        uow.commit()
        return len(removed)


def _booking(session: Session, transaction: BankTransaction, part: BookingPart, amount: int,
             method: BookingMethod, reason: str | None, actor: str,
             payout_id: int | None) -> Booking:
    participant_id, category_id = part.participant_id, part.category_id
    if part.agreement_id is not None:
        agreement = session.get(Agreement, part.agreement_id)
        if agreement is None:
            raise NotFoundError(f"Afspraak {part.agreement_id} bestaat niet (meer).")
        if participant_id not in (None, agreement.participant_id):
            raise ValidationError("De afspraak hoort bij een andere deelnemer.")
        participant_id = agreement.participant_id
        category_id = category_id or agreement.category_id
    if category_id is None:
        raise ValidationError("Kies een rubriek voor dit deel.", "rubriek")
    return Booking(
        transaction_id=transaction.id, participant_id=participant_id,
        agreement_id=part.agreement_id, category_id=category_id, payout_id=payout_id,
        amount_cents=amount, booking_date=transaction.booking_date, method=method,
        reason=reason, created_by=actor,
    )


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)

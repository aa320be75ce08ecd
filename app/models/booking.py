"""Bookings (koppelingen) of transactions to agreements, and the matcher's suggestions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class BookingMethod(enum.StrEnum):
    AUTOMATIC = "automatisch"
    MANUAL = "handmatig"


class Booking(Base):
    """The link of a transaction, or part of it, to an agreement or a category.

    ``participant_id`` is null for non-participant categories (bank costs, unknown — refund).
    ``booking_date`` repeats the transaction's date so a saldo is one indexed sum.
    """

    __tablename__ = "bookings"
    # The saldo is one sum over a participant's bookings up to a date, read from the index
    # alone (the amount is in it).
    __table_args__ = (Index("ix_bookings_saldo", "participant_id", "booking_date",
                            "amount_cents"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="RESTRICT")
    )
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="RESTRICT"), index=True
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(Cents)  # signed like the transaction
    booking_date: Mapped[date]
    method: Mapped[BookingMethod] = mapped_column(enum_type(BookingMethod, "booking_method"))
    reason: Mapped[str | None] = mapped_column(Text)  # the matcher's or clerk's explanation
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class Suggestion(Base):
    """A ranked candidate agreement for an open transaction, with the matcher's reasons."""

    __tablename__ = "match_suggestions"
    # The queue's best suggestion (rank 1) and its score, read from the index alone.
    __table_args__ = (Index("ix_match_suggestions_best", "transaction_id", "rank", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="CASCADE"), index=True
    )
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[int] = mapped_column(Integer)  # 0-100
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

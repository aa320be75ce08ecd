"""Signals (signalen): something a person must look at.

One row per problem: ``key`` names the problem (kind, agreement and period, or the saldo
episode), and the evaluation in ``app.services.signals`` updates the row it finds by that key
instead of adding a second one. ``active`` says whether the problem is still there now; a row
whose problem went away is closed by the program (status afgehandeld, ``status_by`` 'systeem'),
and reopened when the same problem comes back. A person's status change (in behandeling,
afgehandeld, with a note) stays while the problem lasts.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class SignalKind(enum.StrEnum):
    PAYMENT_MISSING = "betaling ontbreekt"
    AMOUNT_OFF = "afwijkend bedrag"
    DUPLICATE = "dubbele betaling"
    SALDO_NEGATIVE = "saldo negatief"
    SHORTFALL = "tekort"
    BUFFER_EXCEEDED = "buffer overschreden"
    SALDO_FORECAST = "saldo-verwachting"
    PROGRESS_TALK_DUE = "voortgangsgesprek"
    EMPLOYER_NOT_PAYING = "werkgever betaalt niet via ons"
    PAYOUT_RETURNED = "betaling teruggekomen"
    SALDO_FALLING = "saldo daalt"  # kept for rows of earlier versions; no rule raises it now
    OTHER = "overig"


class SignalStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in behandeling"
    RESOLVED = "afgehandeld"


# Who closes a signal whose problem went away.
SYSTEM_ACTOR = "systeem"


class Signal(Base):
    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("participant_id", "key", name="uq_signals_participant_problem"),
        Index("ix_signals_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL")
    )
    # For a payment that waits in the queue: the transaction it waits as.
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL")
    )
    kind: Mapped[SignalKind] = mapped_column(enum_type(SignalKind, "signal_kind"))
    # The problem's identity within the participant, e.g. 'betaling ontbreekt:12:2026-10-01'.
    key: Mapped[str] = mapped_column(String(120))
    status: Mapped[SignalStatus] = mapped_column(
        enum_type(SignalStatus, "signal_status"), default=SignalStatus.OPEN
    )
    active: Mapped[bool] = mapped_column(default=True)  # the problem is still there
    message: Mapped[str] = mapped_column(Text)  # toelichting: what was found, in plain Dutch
    expected_date: Mapped[date | None]
    expected_cents: Mapped[int | None] = mapped_column(Cents)
    found_cents: Mapped[int | None] = mapped_column(Cents)  # booked amount, saldo …
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    # The last change of status: by a person (with their note) or by the program.
    status_at: Mapped[datetime | None] = mapped_column(Timestamp())
    status_by: Mapped[str | None] = mapped_column(String(63))
    status_note: Mapped[str | None] = mapped_column(Text)

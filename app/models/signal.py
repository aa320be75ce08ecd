"""Signals (signalen): something a person must look at."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class SignalKind(enum.StrEnum):
    PAYMENT_MISSING = "betaling ontbreekt"
    AMOUNT_OFF = "afwijkend bedrag"
    DUPLICATE = "dubbele betaling"
    SALDO_FALLING = "saldo daalt"
    BUFFER_EXCEEDED = "buffer overschreden"
    PROGRESS_TALK_DUE = "voortgangsgesprek"
    OTHER = "overig"


class SignalStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in behandeling"
    RESOLVED = "afgehandeld"


class Signal(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL")
    )
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL")
    )
    kind: Mapped[SignalKind] = mapped_column(enum_type(SignalKind, "signal_kind"))
    status: Mapped[SignalStatus] = mapped_column(
        enum_type(SignalStatus, "signal_status"), default=SignalStatus.OPEN
    )
    message: Mapped[str] = mapped_column(Text)
    expected_date: Mapped[date | None]
    expected_cents: Mapped[int | None] = mapped_column(Cents)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp())
    resolved_by: Mapped[str | None] = mapped_column(String(63))
    resolution: Mapped[str | None] = mapped_column(Text)

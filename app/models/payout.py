"""Payout batches (betaalopdrachten, pain.001) of leefgeld and fixed costs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class PayoutBatchStatus(enum.StrEnum):
    DRAFT = "concept"
    EXPORTED = "aangemaakt"
    CANCELLED = "geannuleerd"


class PayoutBatch(Base):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)  # pain.001 MsgId
    debtor_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    period_from: Mapped[date]
    period_through: Mapped[date]
    execution_date: Mapped[date]
    total_cents: Mapped[int] = mapped_column(Cents, default=0)
    count: Mapped[int] = mapped_column(default=0)
    status: Mapped[PayoutBatchStatus] = mapped_column(
        enum_type(PayoutBatchStatus, "payout_batch_status"), default=PayoutBatchStatus.DRAFT
    )
    file_name: Mapped[str | None] = mapped_column(String(260))
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class Payout(Base):
    """One credit transfer in a batch. Its end-to-end id comes back on the statement."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("payout_batches.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    creditor_iban: Mapped[str] = mapped_column(String(34))
    creditor_name: Mapped[str] = mapped_column(String(140))
    amount_cents: Mapped[int] = mapped_column(Cents)
    remittance: Mapped[str | None] = mapped_column(Text)  # never contains the BSN
    execution_date: Mapped[date]

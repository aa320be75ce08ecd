"""Payouts (betalingen) of leefgeld and fixed costs, and the batches (betaalopdrachten,
pain.001) that hand them to the bank.

A payout is planned once per agreement and period (``period_key`` is unique over every status:
a cancelled batch gives its payouts back, a struck one keeps its period), held or approved by a
person, written into a batch file, and recognised when it comes back on a statement.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class PayoutBatchStatus(enum.StrEnum):
    EXPORTED = "aangemaakt"  # the file was written; its payments are on their way
    DONE = "verwerkt"  # every payment of it was seen on a statement
    CANCELLED = "geannuleerd"  # given back before the bank executed it


class PayoutBatch(Base):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)  # pain.001 MsgId
    debtor_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    period_from: Mapped[date]
    period_through: Mapped[date]
    total_cents: Mapped[int] = mapped_column(Cents, default=0)
    count: Mapped[int] = mapped_column(default=0)
    status: Mapped[PayoutBatchStatus] = mapped_column(
        enum_type(PayoutBatchStatus, "payout_batch_status"), default=PayoutBatchStatus.EXPORTED
    )
    file_name: Mapped[str | None] = mapped_column(String(260))
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)  # the file as written, to save it again
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    cancelled_by: Mapped[str | None] = mapped_column(String(63))
    cancelled_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # When a payment of this file was first seen executed on a statement: from then on the
    # batch cannot be cancelled, even after that payment was returned and paid again elsewhere.
    seen_at: Mapped[datetime | None] = mapped_column(Timestamp())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class PayoutKind(enum.StrEnum):
    ALLOWANCE = "leefgeld"
    FIXED_COST = "vaste last"
    ONE_OFF = "eenmalig"  # added by a clerk
    SETTLEMENT = "eindafrekening"  # the positive saldo when a participant leaves


class PayoutStatus(enum.StrEnum):
    PLANNED = "gepland"  # waits for the next batch
    HELD = "aangehouden"  # by a clerk, or because it passes the buffer (until approved)
    IN_FILE = "in bestand"  # written into a batch that was not cancelled
    PAID = "uitgevoerd"  # seen on a statement and booked
    RETURNED = "teruggekomen"  # the bank returned it (R-transaction); plan it again after a check
    STRUCK = "geschrapt"  # a clerk decided not to pay this period; the period stays taken


class Payout(Base):
    """One credit transfer. Its end-to-end id comes back on the statement."""

    __tablename__ = "payouts"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("payout_batches.id", ondelete="SET NULL"), index=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    kind: Mapped[PayoutKind] = mapped_column(enum_type(PayoutKind, "payout_kind"))
    status: Mapped[PayoutStatus] = mapped_column(
        enum_type(PayoutStatus, "payout_status"), default=PayoutStatus.PLANNED, index=True
    )
    # "agreement:<id>:<due date>": at most one payout per agreement and period, ever.
    period_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    due_date: Mapped[date]  # the schedule's day
    execution_date: Mapped[date]  # moved to the previous TARGET2 day
    # Set when the payout first goes into a file; kept when a batch is cancelled and the
    # payout re-batched; a new one (attempt + 1) after the bank returned it.
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), unique=True)
    attempt: Mapped[int] = mapped_column(default=1)
    creditor_iban: Mapped[str | None] = mapped_column(String(34))  # None: missing (held)
    creditor_name: Mapped[str] = mapped_column(String(140))
    amount_cents: Mapped[int] = mapped_column(Cents)
    # Leefgeld: the instalment of a buffer repayment plan kept back from this payment (the
    # amount above is what is paid, after it).
    withheld_cents: Mapped[int] = mapped_column(Cents, default=0)
    repayment_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("repayment_plans.id", ondelete="SET NULL"), index=True
    )
    remittance: Mapped[str | None] = mapped_column(Text)  # never contains the BSN
    warnings: Mapped[str | None] = mapped_column(Text)  # the review's warnings, one per line
    hold_reason: Mapped[str | None] = mapped_column(Text)
    needs_approval: Mapped[bool] = mapped_column(default=False)  # passes the buffer
    approved_by: Mapped[str | None] = mapped_column(String(63))
    approved_at: Mapped[datetime | None] = mapped_column(Timestamp())
    return_reason: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

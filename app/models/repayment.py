"""Repayment plans (aflossingsregelingen): how a participant pays back what the municipality
advanced.

- *buffer*: while the saldo is below zero, an instalment is withheld from every leefgeld
  payment (the Rotterdam variant repays its buffer use this way; a clerk may agree it for any
  participant). The plan stops withholding by itself once the saldo is back at zero.
- *eindafrekening*: a participant who leaves with a negative saldo owes that amount; the plan
  records the agreed monthly instalment. What is still owed is always the negative saldo: a
  repayment booked to the former participant raises it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow


class RepaymentKind(enum.StrEnum):
    BUFFER = "buffer"  # withheld from the leefgeld while the saldo is negative
    FINAL = "eindafrekening"  # owed after leaving, paid by the former participant


class RepaymentPlan(Base):
    __tablename__ = "repayment_plans"
    __table_args__ = (CheckConstraint("instalment_cents > 0", name="instalment_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RepaymentKind] = mapped_column(enum_type(RepaymentKind, "repayment_kind"))
    instalment_cents: Mapped[int] = mapped_column(Cents)  # per leefgeld payment, or per month
    owed_cents: Mapped[int | None] = mapped_column(Cents)  # eindafrekening: owed at the end
    day: Mapped[int | None] = mapped_column(SmallInteger)  # eindafrekening: day of the month
    start_date: Mapped[date]
    end_date: Mapped[date | None]  # set when a clerk ends the plan
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

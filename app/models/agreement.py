"""Agreements (afspraken), their search terms (zoektermen) and categories (rubrieken)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Cents, Timestamp, enum_type, utcnow

if TYPE_CHECKING:
    from app.models.organisation import BankAccount, Organisation
    from app.models.participant import Participant


class Direction(enum.StrEnum):
    INCOME = "inkomst"
    EXPENSE = "uitgave"


class Frequency(enum.StrEnum):
    WEEK = "week"
    FOUR_WEEKS = "4-weken"
    MONTH = "maand"
    QUARTER = "kwartaal"
    YEAR = "jaar"


class PaymentMethod(enum.StrEnum):
    """How an expense agreement is paid: by us (a transfer in a pain.001 batch) or collected by
    the creditor (a direct debit, only expected). Unknown (None) is never paid by us."""

    TRANSFER = "overschrijving"
    DIRECT_DEBIT = "incasso"


class CategoryKind(enum.StrEnum):
    INCOME = "inkomen"
    FIXED_COST = "vaste_last"
    ALLOWANCE = "leefgeld"
    OTHER = "overig"


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # Dutch, shown in the UI
    kind: Mapped[CategoryKind] = mapped_column(enum_type(CategoryKind, "category_kind"))
    # The four fixed costs every 'volledig' participant must have: huur, energie, water,
    # zorgverzekering.
    mandatory: Mapped[bool] = mapped_column(default=False)
    # An inactive category is no longer offered for new bookings or agreements; it stays on
    # what was booked with it (a category is never deleted).
    active: Mapped[bool] = mapped_column(default=True)


class Agreement(Base):
    """One expected money flow of one participant with one organisation."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint(
            "valid_through IS NULL OR valid_through >= valid_from", name="valid_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    # Empty for leefgeld and private transfers: the counter account is the participant's own.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    counter_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_accounts.id", ondelete="SET NULL"), index=True
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"))
    amount_cents: Mapped[int] = mapped_column(Cents)  # expected amount, always positive
    tolerance_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("2.00"))
    frequency: Mapped[Frequency] = mapped_column(enum_type(Frequency, "frequency"))
    # Day of month (1-31) for monthly and longer schedules, ISO weekday (1-7) for weekly ones.
    day: Mapped[int | None] = mapped_column(SmallInteger)
    description: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date]
    valid_through: Mapped[date | None]
    mandatory: Mapped[bool] = mapped_column(default=False)
    # Signals: how many days late a payment may be, and how far (%) its amount may differ,
    # before a signal is raised; None = the municipality's default (Instellingen › Signalen).
    signal_margin_days: Mapped[int | None] = mapped_column(SmallInteger)
    signal_tolerance_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        enum_type(PaymentMethod, "payment_method"))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    participant: Mapped[Participant] = relationship(back_populates="agreements")
    organisation: Mapped[Organisation | None] = relationship()
    counter_account: Mapped[BankAccount | None] = relationship()
    category: Mapped[Category] = relationship()
    search_terms: Mapped[list[SearchTerm]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="SearchTerm.id"
    )

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_through is None or day <= self.valid_through)


class SearchTerm(Base):
    """A reference that identifies this participant in the payment text.

    ``normalised`` is what the matcher indexes (case, spaces, dots and dashes removed);
    ``learned`` marks terms added by "remember this" so a clerk can find and forget them.
    """

    __tablename__ = "agreement_search_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    term: Mapped[str] = mapped_column(String(140))
    normalised: Mapped[str] = mapped_column(String(140), index=True)
    learned: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str | None] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="search_terms")


class LearnedPattern(Base):
    """What a clerk's booking taught the matcher (issue 14): money from this payer IBAN with this
    text pattern (the words of the text without numbers, dates and month names: 'SALARIS J DE
    VRIES') belongs to this agreement. Learned only from a pattern that names the participant;
    shown beside the learned search terms, where a clerk forgets a wrong one (undoing the
    booking or an automatic link it made forgets it too)."""

    __tablename__ = "agreement_learned_patterns"
    # Once per agreement, payer and pattern; the constraint's index also serves the agreement.
    __table_args__ = (UniqueConstraint("agreement_id", "payer_iban", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    payer_iban: Mapped[str] = mapped_column(String(34))
    pattern: Mapped[str] = mapped_column(String(140))
    example: Mapped[str | None] = mapped_column(Text)  # the text it was learned from
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_transactions.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[str | None] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

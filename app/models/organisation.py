"""Organisations (ketenpartners) and bank accounts (rekeningen)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, enum_type

if TYPE_CHECKING:
    from app.models.participant import Participant


class OrganisationKind(enum.StrEnum):
    INCOME = "inkomen"
    FIXED_COST = "vaste_last"
    OTHER = "overig"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: the dossier workbook refers to organisations by name.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kvk: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_type(OrganisationKind, "organisation_kind"), default=OrganisationKind.OTHER
    )
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(7))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))

    accounts: Mapped[list[BankAccount]] = relationship(back_populates="organisation")


class BankAccount(Base):
    """An IBAN, owned by exactly one of: an organisation, a participant, the municipality."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN participant_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN is_municipal THEN 1 ELSE 0 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iban: Mapped[str] = mapped_column(String(34), unique=True)  # electronic form, no spaces
    holder_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    # The shared municipal account(s) whose statements are imported.
    is_municipal: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation | None] = relationship(back_populates="accounts")
    participant: Mapped[Participant | None] = relationship(back_populates="accounts")

"""Participants (deelnemers): the dossier, its status history and the contact log."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Computed, ForeignKey, SmallInteger, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.importers.matcher import fold_accents
from app.models.base import Base, Cents, Timestamp, enum_type, utcnow
from app.models.employee import Employee

if TYPE_CHECKING:
    from app.models.agreement import Agreement
    from app.models.organisation import BankAccount


class ParticipantStatus(enum.StrEnum):
    REGISTERED = "aangemeld"
    INTAKE = "intake"
    ACTIVE = "actief"
    CANCELLED = "opgezegd"
    ENDED = "beëindigd"


class Variant(enum.StrEnum):
    FULL = "volledig"  # Utrecht: income in, fixed costs paid, leefgeld out
    INCOME_ONLY = "alleen_inkomsten"  # Rotterdam: only income pooled, fixed leefgeld out


class AllowanceFrequency(enum.StrEnum):
    WEEK = "week"
    MONTH = "maand"


class OverviewDelivery(enum.StrEnum):
    POST = "post"
    PICKUP = "afhalen"


class SelfReliance(enum.StrEnum):
    SELF_RELIANT = "zelfredzaam"
    SOMEWHAT = "matig zelfredzaam"
    NOT = "niet zelfredzaam"


class DebtSituation(enum.StrEnum):
    NONE = "geen"
    ARREARS = "achterstanden"
    SMALL_DEBTS = "kleine schulden"
    PROBLEMATIC = "problematische schulden"


class ReferralKind(enum.StrEnum):
    """Warme overdracht: other help a participant is referred to."""

    DEBT_HELP = "schuldhulp"
    NEIGHBOURHOOD_TEAM = "wijkteam"
    ADMINISTRATION = "bewindvoering"
    CREDIT_BANK = "kredietbank"
    OTHER = "overig"


class ReferralOutcome(enum.StrEnum):
    PENDING = "loopt"
    STARTED = "hulp gestart"
    COMPLETED = "afgerond"
    DECLINED = "afgewezen"
    NO_SHOW = "niet gekomen"


class ContactKind(enum.StrEnum):
    PHONE = "telefoon"
    VISIT = "bezoek"
    EMAIL = "e-mail"
    LETTER = "brief"
    OTHER = "overig"


DEFAULT_BUFFER_CENTS = 150_000

# Letters that are not a base letter plus an accent, so Unicode does not decompose them.
_OWN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ß": "ss",
                              "æ": "ae", "œ": "oe", "þ": "th"})
NAME_PARTS = ("first_name", "initials", "infix", "last_name")


def search_fold(text: str) -> str:
    """Lower case without accents: 'Çelik' → 'celik', 'Öztürk' → 'ozturk', 'Bjørn' → 'bjorn'.
    The participant search compares the folded word with the folded name."""
    text = text.lower()
    return text if text.isascii() else fold_accents(text.translate(_OWN_LETTERS))


def search_name_of(values) -> str:
    """``participants.search_name``: the folded name parts (``values`` a row dict or a
    participant)."""
    get = values.get if isinstance(values, dict) else lambda key: getattr(values, key)
    return search_fold(" ".join(part for part in map(get, NAME_PARTS) if part))


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # dossiernummer, HHB-00042
    # Never printed, never in payments. Not loaded with the row: on PostgreSQL only the logged
    # functions of app.security read it (app.services.bsn); reading it by accident raises.
    bsn: Mapped[str] = mapped_column(String(9), unique=True, deferred=True,
                                     deferred_raiseload=True)
    # The last three digits (computed by the database): the masked BSN and the search by them.
    bsn_tail: Mapped[str | None] = mapped_column(String(3), Computed("substr(bsn, 7, 3)"),
                                                 index=True)
    initials: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = mapped_column(String(100))
    infix: Mapped[str | None] = mapped_column(String(20))  # tussenvoegsel
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    birth_date: Mapped[date | None]
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[int | None]
    house_number_suffix: Mapped[str | None] = mapped_column(String(10))
    postcode: Mapped[str | None] = mapped_column(String(7))  # "1234 AB"
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))

    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[ParticipantStatus] = mapped_column(
        enum_type(ParticipantStatus, "participant_status"), default=ParticipantStatus.REGISTERED
    )
    exit_reason: Mapped[str | None] = mapped_column(Text)
    variant: Mapped[Variant] = mapped_column(enum_type(Variant, "variant"), default=Variant.FULL)
    buffer_limit_cents: Mapped[int] = mapped_column(Cents, default=DEFAULT_BUFFER_CENTS)

    allowance_cents: Mapped[int | None] = mapped_column(Cents)  # leefgeld per period
    allowance_frequency: Mapped[AllowanceFrequency | None] = mapped_column(
        enum_type(AllowanceFrequency, "allowance_frequency")
    )
    # ISO weekday (1 = Monday) for weekly leefgeld, day of month for monthly.
    allowance_day: Mapped[int | None] = mapped_column(SmallInteger)

    paper_overview: Mapped[bool] = mapped_column(default=False)
    overview_delivery: Mapped[OverviewDelivery] = mapped_column(
        enum_type(OverviewDelivery, "overview_delivery"), default=OverviewDelivery.POST
    )
    overview_language: Mapped[str] = mapped_column(String(5), default="nl")
    large_print: Mapped[bool] = mapped_column(default=False)

    contact_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), index=True
    )
    supporter_name: Mapped[str | None] = mapped_column(String(200))  # begeleider
    supporter_organisation: Mapped[str | None] = mapped_column(String(200))
    supporter_phone: Mapped[str | None] = mapped_column(String(30))
    self_reliance: Mapped[SelfReliance | None] = mapped_column(
        enum_type(SelfReliance, "self_reliance")
    )
    debt_situation: Mapped[DebtSituation | None] = mapped_column(
        enum_type(DebtSituation, "debt_situation")
    )
    # Nulmeting: self-reliance and debt class at intake; the two above are "now".
    intake_self_reliance: Mapped[SelfReliance | None] = mapped_column(
        enum_type(SelfReliance, "intake_self_reliance")
    )
    intake_debt_situation: Mapped[DebtSituation | None] = mapped_column(
        enum_type(DebtSituation, "intake_debt_situation")
    )
    next_progress_talk: Mapped[date | None]
    # The name folded for the search (search_name_of), kept up to date on every insert and
    # update below; rows inserted in bulk get it from their inserter (dossier_import).
    search_name: Mapped[str] = mapped_column(String(500), default="")

    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)
    # Optimistic locking: two people editing one dossier cannot silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    contact_employee: Mapped[Employee | None] = relationship()
    accounts: Mapped[list[BankAccount]] = relationship(back_populates="participant")
    agreements: Mapped[list[Agreement]] = relationship(back_populates="participant")
    status_changes: Mapped[list[StatusChange]] = relationship(
        back_populates="participant", order_by="StatusChange.id"
    )
    notes: Mapped[list[ContactNote]] = relationship(
        back_populates="participant", order_by="ContactNote.id"
    )
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="participant", order_by="Referral.id"
    )

    @property
    def full_name(self) -> str:
        parts = [self.first_name or self.initials, self.infix, self.last_name]
        return " ".join(p for p in parts if p)


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _fold_name(_mapper, _connection, participant: Participant) -> None:
    participant.search_name = search_name_of(participant)


class StatusChange(Base):
    """One step of a participant's status, with its date and, on leaving, the reason."""

    __tablename__ = "participant_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ParticipantStatus] = mapped_column(
        enum_type(ParticipantStatus, "participant_status")
    )
    date: Mapped[date]
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(63))
    changed_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="status_changes")


class ContactNote(Base):
    """Logboek: a note of a call, visit or letter."""

    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ContactKind] = mapped_column(enum_type(ContactKind, "contact_kind"))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="notes")


class Referral(Base):
    """Warme overdracht: a referral to other help (schuldhulp, wijkteam …), its outcome."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReferralKind] = mapped_column(enum_type(ReferralKind, "referral_kind"))
    referred_on: Mapped[date]
    outcome: Mapped[ReferralOutcome] = mapped_column(
        enum_type(ReferralOutcome, "referral_outcome"), default=ReferralOutcome.PENDING
    )
    outcome_date: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(63))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    participant: Mapped[Participant] = relationship(back_populates="referrals")

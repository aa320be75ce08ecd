"""Repayment plans (aflossingsregelingen): agree one, end one, and read them for the dossier.

A *buffer* plan keeps an instalment back from every leefgeld payment while the saldo is below
zero (app.payments.planning.withheld decides how much); an *eindafrekening* plan is made by
app.services.leaving when a participant leaves owing money. Each action is one transaction with
one audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError
from app.formatting import euro, short_date
from app.models import (
    Agreement,
    Category,
    CategoryKind,
    Direction,
    Participant,
    ParticipantStatus,
    Payout,
    PayoutStatus,
    RepaymentKind,
    RepaymentPlan,
)
from app.models.employee import Role
from app.services import validation
from app.services.permissions import requires
from app.services.saldo import saldos_cents
from app.services.unit_of_work import UnitOfWork, changed, snapshot

IN_SERVICE = (ParticipantStatus.ACTIVE, ParticipantStatus.CANCELLED)


@dataclass(frozen=True)
class RepaymentRow:
    """A plan as the dossier shows it."""

    id: int
    kind: str
    instalment_cents: int
    start_date: date
    end_date: date | None
    active: bool
    withheld_cents: int  # buffer: kept back from leefgeld so far (not struck)
    owed_cents: int | None  # eindafrekening: owed at the end
    remaining_cents: int  # what is still to repay: the negative saldo, as a positive amount
    note: str | None
    version: int

    @property
    def description(self) -> str:
        if self.kind == RepaymentKind.BUFFER:
            return (f"{euro(self.instalment_cents)} per leefgeldbetaling ingehouden zolang het "
                    f"saldo onder nul is; tot nu toe {euro(self.withheld_cents)}")
        return (f"{euro(self.owed_cents or 0)} schuld bij de eindafrekening, "
                f"{euro(self.instalment_cents)} per maand; nog {euro(self.remaining_cents)}")


def active_buffer_plans(session: Session, on: date,
                        participant_ids: list[int] | None = None) -> dict[int, RepaymentPlan]:
    """Per participant the buffer plan in force on ``on`` (the latest, if ever two)."""
    query = (select(RepaymentPlan).where(
        RepaymentPlan.kind == RepaymentKind.BUFFER, RepaymentPlan.start_date <= on,
        (RepaymentPlan.end_date.is_(None)) | (RepaymentPlan.end_date >= on))
        .order_by(RepaymentPlan.id))
    if participant_ids is not None:
        query = query.where(RepaymentPlan.participant_id.in_(participant_ids))
    return {plan.participant_id: plan for plan in session.scalars(query)}


def smallest_leefgeld(session: Session, participant: Participant, on: date) -> int | None:
    """The smallest leefgeld payment in force on ``on`` (dossier fields, else agreements)."""
    if participant.allowance_cents:
        return participant.allowance_cents
    return session.scalar(
        select(func.min(Agreement.amount_cents))
        .join(Category, Agreement.category_id == Category.id)
        .where(Agreement.participant_id == participant.id,
               Category.kind == CategoryKind.ALLOWANCE, Agreement.direction == Direction.EXPENSE,
               Agreement.valid_from <= on,
               (Agreement.valid_through.is_(None)) | (Agreement.valid_through >= on)))


@requires(Role.BACKOFFICE, action="aflossingsregeling afspreken")
def agree_buffer_plan(uow: UnitOfWork, participant_id: int, instalment_cents: int, start: date,
                      note: str | None = None) -> int:
    """Agree that an instalment is kept back from every leefgeld payment from ``start`` on while
    the saldo is negative. A plan already in force ends the day before (one plan at a time)."""
    instalment_cents = validation.positive_cents(instalment_cents, "aflossing")
    note = validation.text(note, "toelichting", 2000)
    with uow:
        session = uow.session
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
        if participant.status not in IN_SERVICE:
            raise ValidationError(f"Een aflossing op het leefgeld kan alleen bij een actieve "
                                  f"deelname (nu: {participant.status.value})", "status")
        leefgeld = smallest_leefgeld(session, participant, start)
        if not leefgeld:
            raise ValidationError("Er is geen leefgeld om de aflossing op in te houden",
                                  "aflossing")
        if instalment_cents * 2 > leefgeld:
            raise ValidationError(
                f"De aflossing ({euro(instalment_cents)}) mag hoogstens de helft van het "
                f"leefgeld ({euro(leefgeld)}) zijn: het leefgeld is waar de deelnemer van leeft",
                "aflossing")
        for old in active_buffer_plans(session, start, [participant_id]).values():
            if old.start_date >= start:
                raise ValidationError(
                    f"Er loopt al een regeling vanaf {short_date(old.start_date)}: beëindig "
                    "die eerst", "begindatum")
            before = snapshot(old)
            old.end_date, old.ended_by = date.fromordinal(start.toordinal() - 1), uow.actor
            before, after = changed(before, snapshot(old, exclude=("version",)))
            uow.record("aflossingsregeling beëindigd", old, before=before, after=after)
        plan = RepaymentPlan(participant_id=participant_id, kind=RepaymentKind.BUFFER,
                             instalment_cents=instalment_cents, start_date=start, note=note,
                             created_by=uow.actor)
        session.add(plan)
        session.flush()
        uow.record("aflossingsregeling afgesproken", plan, after=snapshot(plan))
        uow.commit()
        return plan.id


@requires(Role.BACKOFFICE, action="aflossingsregeling beëindigen")
def end_plan(uow: UnitOfWork, plan_id: int, on: date, *,
             expected_version: int | None = None) -> None:
    """End a plan on ``on``: from the next day nothing is kept back any more."""
    with uow:
        plan = uow.session.get(RepaymentPlan, plan_id)
        if plan is None:
            raise NotFoundError(f"Regeling {plan_id} bestaat niet")
        uow.check_version(plan, expected_version)
        if plan.end_date is not None and plan.end_date <= on:
            raise ValidationError(f"Deze regeling is al beëindigd op {short_date(plan.end_date)}",
                                  "regeling")
        if on < plan.start_date:
            raise ValidationError(f"De einddatum ligt vóór het begin van de regeling "
                                  f"({short_date(plan.start_date)})", "einddatum")
        before = snapshot(plan)
        plan.end_date, plan.ended_by = on, uow.actor
        before, after = changed(before, snapshot(plan, exclude=("version",)))
        uow.record("aflossingsregeling beëindigd", plan, before=before, after=after)
        uow.commit()


def repayment_rows(session: Session, participant_id: int, today: date) -> list[RepaymentRow]:
    plans = session.scalars(select(RepaymentPlan).where(
        RepaymentPlan.participant_id == participant_id).order_by(RepaymentPlan.id)).all()
    if not plans:
        return []
    withheld = dict(session.execute(
        select(Payout.repayment_plan_id, func.sum(Payout.withheld_cents))
        .where(Payout.repayment_plan_id.in_([p.id for p in plans]),
               Payout.status != PayoutStatus.STRUCK)
        .group_by(Payout.repayment_plan_id)).all())
    saldo = saldos_cents(session, today, [participant_id])[participant_id]
    return [RepaymentRow(
        id=p.id, kind=p.kind.value, instalment_cents=p.instalment_cents,
        start_date=p.start_date, end_date=p.end_date, active=p.is_active_on(today),
        withheld_cents=int(withheld.get(p.id) or 0), owed_cents=p.owed_cents,
        remaining_cents=max(0, -saldo), note=p.note, version=p.version) for p in plans]

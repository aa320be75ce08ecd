"""Voortgang: nulmeting vs now (zelfredzaamheid, schuldsituatie), progress talks, referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.errors import NotFoundError, ValidationError
from app.models import (
    ContactKind,
    ContactNote,
    DebtSituation,
    Participant,
    Referral,
    ReferralKind,
    ReferralOutcome,
    SelfReliance,
)
from app.models.employee import Role
from app.services import validation
from app.services.permissions import requires
from app.services.signals import load_thresholds, touch
from app.services.unit_of_work import UnitOfWork, changed, snapshot

_UNSET = object()


@dataclass(frozen=True)
class ReferralRow:
    id: int
    kind: ReferralKind
    referred_on: date
    outcome: ReferralOutcome
    outcome_date: date | None
    note: str | None
    created_by: str
    version: int


@dataclass(frozen=True)
class ProgressView:
    participant_id: int
    version: int
    intake_self_reliance: SelfReliance | None
    intake_debt_situation: DebtSituation | None
    self_reliance: SelfReliance | None
    debt_situation: DebtSituation | None
    next_progress_talk: date | None
    referrals: list[ReferralRow]


def _participant(session, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
    return participant


def progress_view(session, participant_id: int) -> ProgressView:
    p = _participant(session, participant_id)
    referrals = session.scalars(
        select(Referral).where(Referral.participant_id == participant_id)
        .order_by(Referral.referred_on.desc(), Referral.id.desc())).all()
    return ProgressView(
        participant_id=p.id, version=p.version,
        intake_self_reliance=p.intake_self_reliance, intake_debt_situation=p.intake_debt_situation,
        self_reliance=p.self_reliance, debt_situation=p.debt_situation,
        next_progress_talk=p.next_progress_talk,
        referrals=[ReferralRow(r.id, r.kind, r.referred_on, r.outcome, r.outcome_date, r.note,
                               r.created_by, r.version) for r in referrals])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _not_future(value: date, label: str, today: date) -> None:
    if value > today:
        raise ValidationError(f"De {label} ligt in de toekomst ({value:%d-%m-%Y})", label)


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, action="voortgang vastleggen")
def set_assessment(
    uow: UnitOfWork, participant_id: int, *, self_reliance, debt_situation, intake: bool = False,
    correct_intake: bool = False, next_talk=_UNSET, expected_version: int | None = None,
) -> None:
    """Record the classes now, or (``intake=True``) the nulmeting.

    The nulmeting is recorded once; changing a recorded nulmeting needs ``correct_intake=True``
    (the screen asks "Nulmeting corrigeren?") and is audited as 'nulmeting gecorrigeerd'.
    """
    self_reliance = validation.choice(self_reliance, SelfReliance, "zelfredzaamheid")
    debt_situation = validation.choice(debt_situation, DebtSituation, "schuldsituatie")
    with uow:
        p = _participant(uow.session, participant_id)
        uow.check_version(p, expected_version)
        before = snapshot(p)
        if intake:
            recorded = p.intake_self_reliance is not None or p.intake_debt_situation is not None
            if recorded and not correct_intake:
                raise ValidationError("De nulmeting is al vastgelegd; kies 'Nulmeting corrigeren' "
                                      "om haar te wijzigen", "nulmeting")
            p.intake_self_reliance, p.intake_debt_situation = self_reliance, debt_situation
            action = "nulmeting gecorrigeerd" if recorded else "nulmeting vastgelegd"
        else:
            p.self_reliance, p.debt_situation = self_reliance, debt_situation
            action = "voortgang bijgewerkt"
        if next_talk is not _UNSET:
            p.next_progress_talk = next_talk
        before, after = changed(before, snapshot(p, exclude=("updated_at", "version")))
        touch(uow.session, [participant_id])
        uow.record(action, p, before=before, after=after)
        uow.commit()


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, action="voortgangsgesprek vastleggen")
def record_progress_talk(uow: UnitOfWork, participant_id: int, held_on: date, note: str,
                         *, today: date | None = None) -> date:
    """Voortgangsgesprek gehouden: a visit note; the next talk is due after the months set in
    Instellingen › Signalen (default 6)."""
    validation.required(note, "notitie")
    _not_future(held_on, "gespreksdatum", today or date.today())
    with uow:
        p = _participant(uow.session, participant_id)
        before = snapshot(p)
        p.next_progress_talk = add_months(
            held_on, load_thresholds(uow.session).progress_talk_months)
        text = f"Voortgangsgesprek {held_on:%d-%m-%Y}: {note.strip()}"
        uow.session.add(ContactNote(participant_id=p.id, kind=ContactKind.VISIT, text=text,
                                    author=uow.actor))
        before, after = changed(before, snapshot(p, exclude=("updated_at", "version")))
        touch(uow.session, [participant_id])
        uow.record("voortgangsgesprek gehouden", p, before=before, after=after)
        uow.commit()
        return p.next_progress_talk


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, action="doorverwijzen")
def add_referral(uow: UnitOfWork, participant_id: int, kind, referred_on: date,
                 note: str | None = None, *, today: date | None = None) -> int:
    kind = validation.choice(kind, ReferralKind, "soort doorverwijzing")
    _not_future(referred_on, "verwijsdatum", today or date.today())
    with uow:
        p = _participant(uow.session, participant_id)
        referral = Referral(participant_id=p.id, kind=kind, referred_on=referred_on,
                            outcome=ReferralOutcome.PENDING, note=(note or "").strip() or None,
                            created_by=uow.actor)
        uow.session.add(referral)
        uow.session.flush()
        uow.record("doorverwezen", referral, after=snapshot(referral))
        uow.commit()
        return referral.id


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, action="uitkomst doorverwijzing vastleggen")
def record_referral_outcome(uow: UnitOfWork, referral_id: int, outcome, outcome_date: date,
                            note: str | None = None, expected_version: int | None = None,
                            *, today: date | None = None) -> None:
    outcome = validation.choice(outcome, ReferralOutcome, "uitkomst")
    _not_future(outcome_date, "datum uitkomst", today or date.today())
    with uow:
        referral = uow.session.get(Referral, referral_id)
        if referral is None:
            raise NotFoundError(f"Doorverwijzing {referral_id} bestaat niet")
        uow.check_version(referral, expected_version)
        if outcome_date < referral.referred_on:
            raise ValidationError(
                f"De datum uitkomst ({outcome_date:%d-%m-%Y}) ligt vóór de verwijsdatum "
                f"({referral.referred_on:%d-%m-%Y})", "datum uitkomst")
        before = snapshot(referral)
        referral.outcome, referral.outcome_date = outcome, outcome_date
        if note is not None and note.strip():
            referral.note = note.strip()
        before, after = changed(before, snapshot(referral, exclude=("version",)))
        uow.record("uitkomst doorverwijzing vastgelegd", referral, before=before, after=after)
        uow.commit()

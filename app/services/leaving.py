"""Leaving the service (uitstroom): the final settlement (eindafrekening) on the end date.

One user action, one transaction, one audit row: check the minimum duration and the notice
period (a person may override them with a reason: moved away, deceased …), strike the payments
planned after the end date, end the agreements (direct debits included: the creditor must be
told, the outcome names them) and any buffer repayment plan, and settle the saldo — a positive
saldo becomes a payout to the participant's own account in the next batch, a negative saldo an
amount owed with an agreed monthly instalment. Then the dossier steps to *beëindigd*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError
from app.formatting import euro, short_date
from app.models import (
    Agreement,
    BankAccount,
    Category,
    Organisation,
    Participant,
    ParticipantStatus,
    PaymentMethod,
    Payout,
    PayoutKind,
    PayoutStatus,
    RepaymentKind,
    RepaymentPlan,
    StatusChange,
)
from app.models.employee import Role
from app.payments.planning import execution_day
from app.payments.sepa_text import NAME_LENGTH, REMITTANCE_LENGTH, sepa_text
from app.schedule import add_months
from app.services import validation
from app.services.participants import take_status_step
from app.services.permissions import requires
from app.services.repayments import IN_SERVICE, active_buffer_plans
from app.services.saldo import saldo_cents
from app.services.signals import touch
from app.services.unit_of_work import UnitOfWork

MINIMUM_MONTHS = 6  # the agreed minimum duration of a participation
NOTICE_MONTHS = 1  # opzegtermijn: from the opzegging to the end date
SETTLEMENT_CATEGORY = "eindafrekening"
# Money that has not left yet but will: the saldo at the end loses it too.
ON_ITS_WAY = (PayoutStatus.PLANNED, PayoutStatus.IN_FILE)
UNDECIDED = (PayoutStatus.HELD, PayoutStatus.RETURNED)


@dataclass(frozen=True)
class FinalSettlement:
    participant_id: int
    number: str
    end_date: date
    saldo_cents: int  # booked on the end date
    on_its_way_cents: int  # planned or in a file, due on or before the end date
    direct_debits: tuple[str, ...]  # creditors that collect: tell them to stop
    ended_agreements: int
    struck_payouts: int
    payout_id: int | None = None  # positive: paid to the participant
    repayment_plan_id: int | None = None  # negative: owed, with this plan
    overridden: str | None = None  # the reason a person gave to override the rules
    notes: list[str] = field(default_factory=list)

    @property
    def final_cents(self) -> int:
        return self.saldo_cents - self.on_its_way_cents

    def summary(self) -> str:
        final = self.final_cents
        if final > 0:
            money = f"{euro(final)} wordt uitbetaald aan de deelnemer"
        elif final < 0:
            money = f"{euro(-final)} is de deelnemer verschuldigd (aflossingsregeling)"
        else:
            money = "het saldo is nul"
        return (f"Eindafrekening {self.number} op {short_date(self.end_date)}: {money}; "
                f"{self.ended_agreements} afspraken beëindigd, {self.struck_payouts} "
                "betalingen na de einddatum geschrapt")


def exit_problems(session: Session, participant: Participant, end: date) -> list[str]:
    """What the rules say against ending on ``end`` (empty: nothing)."""
    problems = []
    if participant.start_date is not None:
        earliest = add_months(participant.start_date, MINIMUM_MONTHS)
        if end < earliest:
            problems.append(
                f"De deelname duurt minstens {MINIMUM_MONTHS} maanden: gestart op "
                f"{short_date(participant.start_date)}, dus einde op zijn vroegst op "
                f"{short_date(earliest)}")
    cancelled_on = session.scalar(
        select(func.max(StatusChange.date)).where(
            StatusChange.participant_id == participant.id,
            StatusChange.status == ParticipantStatus.CANCELLED))
    if participant.status != ParticipantStatus.CANCELLED or cancelled_on is None:
        problems.append(f"De deelname is niet opgezegd: zeg eerst op (opzegtermijn "
                        f"{NOTICE_MONTHS} maand)")
    elif end < add_months(cancelled_on, NOTICE_MONTHS):
        problems.append(
            f"De opzegtermijn is {NOTICE_MONTHS} maand: opgezegd op {short_date(cancelled_on)}, "
            f"dus einde op zijn vroegst op {short_date(add_months(cancelled_on, NOTICE_MONTHS))}")
    return problems


@dataclass(frozen=True)
class SettlementPreview:
    """What the final settlement on ``end`` would be, for the dialog, before anything changes."""

    end: date
    saldo_cents: int
    on_its_way_cents: int
    problems: tuple[str, ...]

    @property
    def final_cents(self) -> int:
        return self.saldo_cents - self.on_its_way_cents


def _money_at_end(session: Session, participant_id: int, end: date) -> tuple[int, int]:
    """(saldo on the end date, payouts on their way due by then)."""
    on_its_way = session.scalar(
        select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
            Payout.participant_id == participant_id, Payout.status.in_(ON_ITS_WAY),
            Payout.due_date <= end))
    return saldo_cents(session, participant_id, end), int(on_its_way or 0)


def settlement_preview(session: Session, participant_id: int, end: date) -> SettlementPreview:
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
    saldo, on_its_way = _money_at_end(session, participant_id, end)
    return SettlementPreview(end, saldo, on_its_way,
                             tuple(exit_problems(session, participant, end)))


@requires(Role.BACKOFFICE, action="eindafrekening maken")
def settle_exit(uow: UnitOfWork, participant_id: int, end: date, reason: str, *,
                instalment_cents: int | None = None, instalment_day: int = 1,
                override: str | None = None, today: date | None = None) -> FinalSettlement:
    """End the participation on ``end`` with its final settlement (see the module)."""
    today = today or date.today()
    reason = validation.text(reason, "reden", 2000)
    override = validation.text(override, "reden om af te wijken", 2000)
    if not reason:
        raise ValidationError("Geef een reden voor het einde van de deelname", "reden")
    if end > today:
        raise ValidationError(
            f"De eindafrekening wordt op of na de einddatum ({short_date(end)}) gemaakt: dan "
            "is alles van de deelname binnen", "einddatum")
    validation.whole_number(instalment_day, "dag van de aflossing", 1, 28)
    with uow:
        session = uow.session
        participant = session.get(Participant, participant_id, with_for_update=True)
        if participant is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
        if participant.status not in IN_SERVICE:
            raise ValidationError(f"Alleen een lopende deelname kan eindigen (nu: "
                                  f"{participant.status.value})", "status")
        problems = exit_problems(session, participant, end)
        if problems and not override:
            raise ValidationError("; ".join(problems) + ". Wijk alleen af met een reden",
                                  "einddatum")
        payouts = session.scalars(select(Payout).where(
            Payout.participant_id == participant_id,
            Payout.status.in_(ON_ITS_WAY + UNDECIDED)).with_for_update()).all()
        late_in_file = [p for p in payouts if p.due_date > end and
                        p.status == PayoutStatus.IN_FILE]
        if late_in_file:
            raise ValidationError(
                f"{len(late_in_file)} betaling(en) na de einddatum staan al in een "
                "betaalopdracht: annuleer die opdracht eerst", "betalingen")
        undecided = [p for p in payouts if p.due_date <= end and p.status in UNDECIDED]
        if undecided:
            raise ValidationError(
                f"Beslis eerst over {len(undecided)} aangehouden of teruggekomen betaling(en) "
                "tot de einddatum (vrijgeven of schrappen)", "betalingen")
        struck = 0
        for payout in payouts:
            if payout.due_date > end:
                payout.status, payout.hold_reason = PayoutStatus.STRUCK, "deelname beëindigd"
                struck += 1
        saldo, on_its_way = _money_at_end(session, participant_id, end)
        final = saldo - on_its_way

        agreements = session.execute(
            select(Agreement, Organisation.name).outerjoin(
                Organisation, Agreement.organisation_id == Organisation.id)
            .where(Agreement.participant_id == participant_id, Agreement.valid_from <= end,
                   (Agreement.valid_through.is_(None)) | (Agreement.valid_through > end))).all()
        debits = []
        for agreement, organisation in agreements:
            agreement.valid_through = end
            if agreement.payment_method == PaymentMethod.DIRECT_DEBIT:
                debits.append(organisation or agreement.description or "onbekend")
        for plan in active_buffer_plans(session, end, [participant_id]).values():
            plan.end_date, plan.ended_by = end, uow.actor

        payout_id = plan_id = None
        notes = []
        if final > 0:
            payout_id = _settlement_payout(uow, participant, final, end, today, notes)
        elif final < 0:
            if instalment_cents is None:
                raise ValidationError(
                    f"Het saldo na de laatste betalingen is {euro(final)}: spreek een aflossing "
                    "per maand af", "aflossing")
            instalment = min(validation.positive_cents(instalment_cents, "aflossing"), -final)
            plan = RepaymentPlan(
                participant_id=participant_id, kind=RepaymentKind.FINAL,
                instalment_cents=instalment, owed_cents=-final, day=instalment_day,
                start_date=add_months(end.replace(day=1), 1), created_by=uow.actor,
                note=f"eindafrekening op {short_date(end)}")
            session.add(plan)
            session.flush()
            plan_id = plan.id
        take_status_step(uow, participant, ParticipantStatus.ENDED, end, reason,
                         allowed_anyway=bool(override))
        outcome = FinalSettlement(
            participant_id=participant_id, number=participant.number, end_date=end,
            saldo_cents=saldo, on_its_way_cents=on_its_way, direct_debits=tuple(debits),
            ended_agreements=len(agreements), struck_payouts=struck, payout_id=payout_id,
            repayment_plan_id=plan_id, overridden=override if problems else None, notes=notes)
        uow.record("eindafrekening", participant, after={
            "einddatum": end.isoformat(), "saldo": saldo, "onderweg": on_its_way,
            "eindsaldo": final, "uitbetaling": payout_id, "aflossingsregeling": plan_id,
            "afspraken beëindigd": len(agreements), "betalingen geschrapt": struck,
            "incasso's": list(debits), "afgeweken": problems if override else [],
            "reden afwijking": override if problems else None})
        touch(session, [participant_id])
        uow.commit()
        return outcome


def _settlement_payout(uow: UnitOfWork, participant: Participant, amount: int, end: date,
                       today: date, notes: list[str]) -> int:
    session = uow.session
    own = session.scalars(select(BankAccount.iban).where(
        BankAccount.participant_id == participant.id).order_by(BankAccount.id)).all()
    iban = own[0] if len(own) == 1 else None
    hold = None
    if iban is None:
        hold = ("geen eigen rekening van de deelnemer bekend" if not own else
                "meer dan één eigen rekening: kies er één bij de betaling")
        notes.append(f"uitbetaling aangehouden: {hold}")
    category_id = session.scalar(select(Category.id).where(
        Category.name == SETTLEMENT_CATEGORY))
    name = sepa_text(participant.full_name, NAME_LENGTH) or participant.number
    payout = Payout(
        participant_id=participant.id, category_id=category_id, kind=PayoutKind.SETTLEMENT,
        status=PayoutStatus.HELD if hold else PayoutStatus.PLANNED,
        period_key=f"settlement:{participant.id}", due_date=today,
        execution_date=execution_day(today, today), creditor_iban=iban, creditor_name=name,
        amount_cents=amount, hold_reason=hold, created_by=uow.actor,
        remittance=sepa_text(f"Eindafrekening Huishoudboekje {participant.number} saldo per "
                             f"{short_date(end)}", REMITTANCE_LENGTH))
    session.add(payout)
    session.flush()
    return payout.id

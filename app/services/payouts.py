"""Paying out (betaalopdrachten): plan the payments of a date range from the agreements, review
them (hold, approve, change, strike, add a one-off), write a batch as a pain.001 file, cancel a
batch until its payments are seen on a statement.

Every function is one user action: one transaction, one audit row. The rules of what is due
are app.payments.planning (pure); the file is app.payments.pain001 (validated against the XSD
before anything is stored).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import ConflictError, NotFoundError, UserError, ValidationError
from app.formatting import euro, short_date
from app.models import (
    Agreement,
    BankAccount,
    BankTransaction,
    Category,
    CategoryKind,
    Direction,
    Organisation,
    Participant,
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutKind,
    PayoutStatus,
    SearchTerm,
)
from app.models.base import utcnow
from app.models.employee import Role
from app.payments import pain001
from app.payments.planning import (
    BUFFER_HOLD,
    PayableAgreement,
    PayeeFacts,
    buffer_warning,
    execution_day,
    leefgeld_day_key,
    plan_payments,
)
from app.payments.sepa_text import NAME_LENGTH, REMITTANCE_LENGTH, sepa_text
from app.services import validation
from app.services.bsn import bsns_among
from app.services.bulk import insert_rows
from app.services.letter_settings import load_letter_settings
from app.services.permissions import requires
from app.services.repayments import IN_SERVICE, active_buffer_plans
from app.services.saldo import saldos_cents
from app.services.signals import touch
from app.services.unit_of_work import UnitOfWork, changed, snapshot

# Payouts whose money has not left yet: the saldo will lose them.
OUTSTANDING = (PayoutStatus.PLANNED, PayoutStatus.HELD, PayoutStatus.IN_FILE)
# Payouts a batch takes: planned, not held.
BATCHABLE = (PayoutStatus.PLANNED,)


@dataclass
class PlanOutcome:
    planned: int = 0
    held: int = 0
    already: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.planned} betalingen gepland ({self.held} aangehouden), "
                f"{self.already} waren al gepland")


@dataclass(frozen=True)
class PayoutRow:
    """A line of the review (Betaalopdrachten)."""

    id: int
    participant_id: int
    number: str
    participant: str
    kind: str
    category: str
    due_date: date
    execution_date: date
    creditor_name: str
    creditor_iban: str | None
    amount_cents: int
    remittance: str | None
    status: str
    warnings: tuple[str, ...]
    hold_reason: str | None
    needs_approval: bool
    approved_by: str | None
    batch_id: int | None
    end_to_end_id: str | None
    version: int


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: int
    message_id: str
    xml: bytes
    sha256: str
    count: int
    total_cents: int
    warnings: list[str]


@dataclass(frozen=True)
class BatchRow:
    id: int
    message_id: str
    created_at: datetime
    created_by: str
    period_from: date
    period_through: date
    count: int
    total_cents: int
    status: str
    paid: int  # payouts of it seen on a statement
    sha256: str
    file_name: str | None


def _today(today: date | None) -> date:
    return today or date.today()


def _required(value: str | None, label: str) -> str:
    validation.required(value, label)
    return value.strip()


# -- planning -------------------------------------------------------------------------------------


def _payees(session: Session, on: date) -> dict[int, PayeeFacts]:
    people = session.execute(
        select(Participant.id, Participant.number, Participant.initials, Participant.first_name,
               Participant.infix, Participant.last_name, Participant.variant,
               Participant.status, Participant.end_date, Participant.buffer_limit_cents)
        .where(Participant.status.in_(IN_SERVICE))
    ).all()
    saldos = saldos_cents(session, on, [p.id for p in people])
    ibans: dict[int, list[str]] = defaultdict(list)
    for pid, iban in session.execute(
            select(BankAccount.participant_id, BankAccount.iban)
            .where(BankAccount.participant_id.is_not(None)).order_by(BankAccount.id)):
        ibans[pid].append(iban)
    plans = active_buffer_plans(session, on)
    return {p.id: PayeeFacts(
        id=p.id, number=p.number,
        name=" ".join(x for x in (p.initials or p.first_name, p.infix, p.last_name) if x),
        variant=p.variant.value, active=True, end_date=p.end_date,
        buffer_cents=p.buffer_limit_cents or 0, saldo_cents=saldos.get(p.id, 0),
        own_ibans=tuple(ibans.get(p.id, ())),
        instalment_cents=plans[p.id].instalment_cents if p.id in plans else 0,
        repayment_plan_id=plans[p.id].id if p.id in plans else None) for p in people}


def _payable_agreements(session: Session, first: date, last: date) -> list[PayableAgreement]:
    rows = session.execute(
        select(Agreement, Category.name, Category.kind, Organisation.name, BankAccount.iban,
               BankAccount.holder_name)
        .join(Category, Agreement.category_id == Category.id)
        .outerjoin(Organisation, Agreement.organisation_id == Organisation.id)
        .outerjoin(BankAccount, Agreement.counter_account_id == BankAccount.id)
        .where(Agreement.direction == Direction.EXPENSE, Agreement.valid_from <= last,
               or_(Agreement.valid_through.is_(None), Agreement.valid_through >= first))
        .order_by(Agreement.id)
    ).all()
    ids = [row[0].id for row in rows]
    references: dict[int, str] = {}
    for agreement_id, term in session.execute(
            select(SearchTerm.agreement_id, SearchTerm.term)
            .where(SearchTerm.agreement_id.in_(ids), SearchTerm.learned.is_(False))
            .order_by(SearchTerm.id)) if ids else ():
        references.setdefault(agreement_id, term)
    last_paid = _last_amounts(session, ids)
    # Without a chosen counter account an organisation with one account is paid there.
    organisation_ibans: dict[int, list[str]] = defaultdict(list)
    for organisation_id, account_iban in session.execute(
            select(BankAccount.organisation_id, BankAccount.iban)
            .where(BankAccount.organisation_id.is_not(None)).order_by(BankAccount.id)):
        organisation_ibans[organisation_id].append(account_iban)

    def creditor(agreement: Agreement, iban: str | None) -> str | None:
        if iban is not None or agreement.organisation_id is None:
            return iban
        found = organisation_ibans.get(agreement.organisation_id, [])
        return found[0] if len(found) == 1 else None

    by_fields = _dossier_leefgeld(session, first, last)
    # The dossier's own leefgeld fields replace its leefgeld agreements (as the overview
    # reads them): paying both would pay the leefgeld twice.
    by_fields_of = {f.participant_id for f in by_fields}
    return by_fields + [PayableAgreement(
        id=a.id, participant_id=a.participant_id, category_id=a.category_id, category=category,
        category_kind=kind.value, payment_method=a.payment_method.value
        if a.payment_method else None, organisation=organisation,
        counter_iban=creditor(a, iban),
        counter_name=holder, amount_cents=a.amount_cents, frequency=a.frequency.value,
        day=a.day, valid_from=a.valid_from, valid_through=a.valid_through,
        description=a.description, reference=references.get(a.id),
        last_paid_cents=last_paid.get(a.id))
        for a, category, kind, organisation, iban, holder in rows
        if not (kind == CategoryKind.ALLOWANCE and a.participant_id in by_fields_of)]


def _dossier_leefgeld(session: Session, first: date, last: date) -> list[PayableAgreement]:
    """The leefgeld set in the dossier (amount, week or month, day) as a payable agreement
    without an id; paid to the participant's own account."""
    category_id = session.scalar(select(Category.id).where(Category.name == "leefgeld"))
    people = session.execute(
        select(Participant.id, Participant.allowance_cents, Participant.allowance_frequency,
               Participant.allowance_day, Participant.start_date, Participant.end_date)
        .where(Participant.allowance_cents > 0, Participant.allowance_frequency.is_not(None),
               Participant.allowance_day.is_not(None),
               Participant.status.in_(IN_SERVICE))
        .order_by(Participant.id)).all()
    return [PayableAgreement(
        id=None, participant_id=pid, category_id=category_id, category="leefgeld",
        category_kind=CategoryKind.ALLOWANCE.value, payment_method=None, organisation=None,
        counter_iban=None, counter_name=None, amount_cents=amount, frequency=frequency.value,
        day=day, valid_from=start or first, valid_through=end, description=None,
        reference=None)
        for pid, amount, frequency, day, start, end in people
        if (start is None or start <= last) and (end is None or end >= first)]


def _last_amounts(session: Session, agreement_ids: list[int]) -> dict[int, int]:
    """Each agreement's most recent payout amount (not struck)."""
    if not agreement_ids:
        return {}
    latest = (select(Payout.agreement_id, func.max(Payout.due_date).label("due"))
              .where(Payout.agreement_id.in_(agreement_ids),
                     Payout.status != PayoutStatus.STRUCK)
              .group_by(Payout.agreement_id).subquery())
    return dict(session.execute(  # gross: before a buffer instalment was kept back
        select(Payout.agreement_id, Payout.amount_cents + Payout.withheld_cents)
        .join(latest, (Payout.agreement_id == latest.c.agreement_id)
              & (Payout.due_date == latest.c.due))).all())


def _outstanding(session: Session) -> dict[int, int]:
    return {pid: int(total) for pid, total in session.execute(
        select(Payout.participant_id, func.sum(Payout.amount_cents))
        .where(Payout.status.in_(OUTSTANDING)).group_by(Payout.participant_id))}


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise ValidationError(f"De einddatum ({short_date(last)}) ligt vóór de begindatum "
                              f"({short_date(first)})", "periode")
    if (last - first).days > 92:
        raise ValidationError("Plan hoogstens een kwartaal tegelijk", "periode")


@requires(Role.BACKOFFICE, action="betalingen plannen")
def plan(uow: UnitOfWork, first: date, last: date, *, today: date | None = None) -> PlanOutcome:
    """Plan every payment due in [first, last] that is not planned yet (never twice)."""
    _check_range(first, last)
    today = _today(today)
    with uow:
        session = uow.session
        payees = _payees(session, today)
        agreements = _payable_agreements(session, first, last)
        taken: set[str] = set()
        for key, kind, pid, due in session.execute(
                select(Payout.period_key, Payout.kind, Payout.participant_id, Payout.due_date)
                .where(Payout.period_key.is_not(None), Payout.due_date >= first,
                       Payout.due_date <= last)):
            taken.add(key)
            if kind == PayoutKind.ALLOWANCE:
                taken.add(leefgeld_day_key(pid, due))
        result = plan_payments(payees, agreements, first, last, taken=taken,
                               outstanding=_outstanding(session), today=today)
        outcome = PlanOutcome(already=result.already, notes=result.notes)
        rows, now = [], utcnow()
        for payment in result.payments:
            held = payment.hold_reason is not None
            rows.append({
                "participant_id": payment.participant_id, "agreement_id": payment.agreement_id,
                "category_id": payment.category_id, "kind": PayoutKind(payment.kind),
                "status": PayoutStatus.HELD if held else PayoutStatus.PLANNED,
                "period_key": payment.period_key, "due_date": payment.due_date,
                "execution_date": payment.execution_date,
                "creditor_iban": payment.creditor_iban,
                "creditor_name": payment.creditor_name, "amount_cents": payment.amount_cents,
                "remittance": payment.remittance,
                "warnings": "\n".join(payment.warnings) or None,
                "hold_reason": payment.hold_reason, "needs_approval": payment.needs_approval,
                "withheld_cents": payment.withheld_cents,
                "repayment_plan_id": payment.repayment_plan_id, "created_by": uow.actor,
                "created_at": now, "attempt": 1, "version": 1})
            outcome.planned += 1
            outcome.held += held
        try:  # a month of a large municipality is tens of thousands of rows: COPY, not ORM
            insert_rows(session, Payout.__table__, rows)
        except IntegrityError:
            # The unique period key: somebody planned the same just now (or a double click).
            raise ConflictError("Iemand anders plande dezelfde periode tegelijk; er is niets "
                                "dubbel gepland. Plan opnieuw om de rest te zien") from None
        uow.record("betalingen gepland", "payouts", None, after={
            "van": first.isoformat(), "tot en met": last.isoformat(),
            "gepland": outcome.planned, "aangehouden": outcome.held,
            "al gepland": outcome.already})
        uow.commit()
        return outcome


# -- review ---------------------------------------------------------------------------------------


def payout_rows(session: Session, first: date | None = None, last: date | None = None, *,
                statuses: tuple[PayoutStatus, ...] | None = None,
                batch_id: int | None = None) -> list[PayoutRow]:
    query = (select(Payout, Participant.number, Participant.initials, Participant.first_name,
                    Participant.infix, Participant.last_name, Category.name)
             .join(Participant, Payout.participant_id == Participant.id)
             .join(Category, Payout.category_id == Category.id)
             .order_by(Payout.execution_date, Participant.number, Payout.id))
    if first is not None:
        query = query.where(Payout.due_date >= first)
    if last is not None:
        query = query.where(Payout.due_date <= last)
    if statuses is not None:
        query = query.where(Payout.status.in_(statuses))
    if batch_id is not None:
        query = query.where(Payout.batch_id == batch_id)
    return [PayoutRow(
        id=p.id, participant_id=p.participant_id, number=number,
        participant=" ".join(x for x in (initials or first_name, infix, last_name) if x),
        kind=p.kind.value, category=category, due_date=p.due_date,
        execution_date=p.execution_date, creditor_name=p.creditor_name,
        creditor_iban=p.creditor_iban, amount_cents=p.amount_cents, remittance=p.remittance,
        status=p.status.value, warnings=tuple((p.warnings or "").splitlines()),
        hold_reason=p.hold_reason, needs_approval=p.needs_approval, approved_by=p.approved_by,
        batch_id=p.batch_id, end_to_end_id=p.end_to_end_id, version=p.version)
        for p, number, initials, first_name, infix, last_name, category in session.execute(query)]


def _payout(session: Session, payout_id: int, expected_version: int | None = None) -> Payout:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFoundError(f"Betaling {payout_id} bestaat niet")
    if expected_version is not None and payout.version != expected_version:
        raise ConflictError("Iemand anders heeft deze betaling intussen gewijzigd: lees opnieuw")
    return payout


def _editable(payout: Payout) -> None:
    if payout.status not in (PayoutStatus.PLANNED, PayoutStatus.HELD, PayoutStatus.RETURNED):
        raise ValidationError(f"Deze betaling is {payout.status.value}: eerst de betaalopdracht "
                              "annuleren", "betaling")


def _change(uow: UnitOfWork, payout_id: int, action: str, apply, *,
            expected_version: int | None = None) -> None:
    with uow:
        payout = _payout(uow.session, payout_id, expected_version)
        before = snapshot(payout)
        apply(payout)
        touch(uow.session, [payout.participant_id])  # a returned payout's signal may close
        before, after = changed(before, snapshot(payout, exclude=("version",)))
        uow.record(action, payout, before=before, after=after)
        uow.commit()


@requires(Role.BACKOFFICE, action="betaling aanhouden")
def hold(uow: UnitOfWork, payout_id: int, reason: str, *,
         expected_version: int | None = None) -> None:
    reason = _required(reason, "reden")

    def apply(payout: Payout) -> None:
        _editable(payout)
        payout.status, payout.hold_reason = PayoutStatus.HELD, reason

    _change(uow, payout_id, "betaling aangehouden", apply, expected_version=expected_version)


@requires(Role.BACKOFFICE, action="betaling vrijgeven")
def release(uow: UnitOfWork, payout_id: int, *, expected_version: int | None = None) -> None:
    """Vrijgeven: back into the next batch; one that passes the buffer needs approval."""

    def apply(payout: Payout) -> None:
        _editable(payout)
        if payout.needs_approval and payout.approved_by is None:
            raise ValidationError("Deze betaling komt voorbij de buffer: keur haar goed om "
                                  "haar vrij te geven", "betaling")
        if payout.creditor_iban is None:
            raise ValidationError("Deze betaling heeft geen rekening: vul eerst de rekening in "
                                  "bij de afspraak of de betaling", "rekening")
        payout.status, payout.hold_reason = PayoutStatus.PLANNED, None

    _change(uow, payout_id, "betaling vrijgegeven", apply, expected_version=expected_version)


@requires(Role.BACKOFFICE, action="betaling goedkeuren")
def approve(uow: UnitOfWork, payout_id: int, *, expected_version: int | None = None) -> None:
    """A person approves a payment that passes the buffer; it goes into the next batch."""

    def apply(payout: Payout) -> None:
        _editable(payout)
        payout.approved_by, payout.approved_at = uow.actor, utcnow()
        if payout.creditor_iban is not None:
            payout.status, payout.hold_reason = PayoutStatus.PLANNED, None

    _change(uow, payout_id, "betaling goedgekeurd", apply, expected_version=expected_version)


@requires(Role.BACKOFFICE, action="betaling wijzigen")
def change(uow: UnitOfWork, payout_id: int, *, amount_cents: int | None = None,
           creditor_iban: str | None = None, remittance: str | None = None,
           execution_date: date | None = None, today: date | None = None,
           expected_version: int | None = None) -> None:
    """Change one payment (this period only; the agreement stays as it is)."""
    if amount_cents is not None and amount_cents <= 0:
        raise ValidationError("Het bedrag moet groter zijn dan nul", "bedrag")
    iban = validation.iban(creditor_iban, "IBAN ontvanger") if creditor_iban else None
    text = sepa_text(remittance, REMITTANCE_LENGTH) if remittance is not None else None
    if execution_date is not None and execution_date < _today(today):
        raise ValidationError("De uitvoerdatum ligt in het verleden", "uitvoerdatum")

    def apply(payout: Payout) -> None:
        _editable(payout)
        if amount_cents is not None and amount_cents != payout.amount_cents:
            payout.amount_cents = amount_cents
            # A changed amount is judged against the buffer again, and approved again.
            payout.approved_by = payout.approved_at = None
            _judge_buffer(uow.session, payout, _today(today))
        if iban is not None:
            payout.creditor_iban = iban
        if text is not None:
            payout.remittance = text
        if execution_date is not None:
            payout.execution_date = execution_day(execution_date, _today(today))

    _change(uow, payout_id, "betaling gewijzigd", apply, expected_version=expected_version)


def _judge_buffer(session: Session, payout: Payout, today: date) -> None:
    """Does this payout, after the participant's other outstanding ones, take the saldo past
    the buffer? Then it waits for approval (held); if it no longer does, it is free again."""
    participant = session.get(Participant, payout.participant_id)
    saldo = saldos_cents(session, today, [payout.participant_id])[payout.participant_id]
    others = session.scalar(select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
        Payout.participant_id == payout.participant_id, Payout.status.in_(OUTSTANDING),
        Payout.id != payout.id)) or 0
    after = saldo - int(others) - payout.amount_cents
    buffer = participant.buffer_limit_cents or 0 if participant else 0
    passes = after < -buffer
    warnings = [w for w in (payout.warnings or "").splitlines()
                if "voorbij de buffer" not in w]
    if passes:
        warnings.append(buffer_warning(after, buffer))
        if payout.status != PayoutStatus.HELD:  # a clerk's own hold keeps its reason
            payout.status, payout.hold_reason = PayoutStatus.HELD, BUFFER_HOLD
    elif payout.needs_approval and payout.hold_reason == BUFFER_HOLD:
        payout.status, payout.hold_reason = PayoutStatus.PLANNED, None
    payout.needs_approval = passes
    payout.warnings = "\n".join(warnings) or None


@requires(Role.BACKOFFICE, action="betaling schrappen")
def strike(uow: UnitOfWork, payout_id: int, reason: str, *,
           expected_version: int | None = None) -> None:
    """Schrappen: this period is not paid; planning again does not bring it back."""
    reason = _required(reason, "reden")

    def apply(payout: Payout) -> None:
        _editable(payout)
        payout.status, payout.hold_reason = PayoutStatus.STRUCK, reason

    _change(uow, payout_id, "betaling geschrapt", apply, expected_version=expected_version)


@requires(Role.BACKOFFICE, action="eenmalige betaling toevoegen")
def add_one_off(uow: UnitOfWork, participant_id: int, amount_cents: int, creditor_iban: str,
                creditor_name: str, remittance: str, execution_date: date, *,
                category: str = "leefgeld", today: date | None = None) -> int:
    """A one-off payment (an advance, a bill paid once); held like any other when it passes
    the buffer."""
    if amount_cents <= 0:
        raise ValidationError("Het bedrag moet groter zijn dan nul", "bedrag")
    iban = validation.iban(creditor_iban, "IBAN ontvanger")
    name = sepa_text(_required(creditor_name, "naam ontvanger"), NAME_LENGTH)
    if not name:
        raise ValidationError("De naam van de ontvanger bevat geen bruikbare tekens",
                              "naam ontvanger")
    text = sepa_text(_required(remittance, "omschrijving"), REMITTANCE_LENGTH)
    today = _today(today)
    if execution_date < today:
        raise ValidationError("De uitvoerdatum ligt in het verleden", "uitvoerdatum")
    with uow:
        session = uow.session
        participant = session.get(Participant, participant_id)
        if participant is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
        category_id = session.scalar(select(Category.id).where(Category.name == category))
        if category_id is None:
            raise ValidationError(f"Rubriek '{category}' bestaat niet", "rubriek")
        payout = Payout(
            participant_id=participant_id, category_id=category_id, kind=PayoutKind.ONE_OFF,
            status=PayoutStatus.PLANNED, due_date=execution_date,
            execution_date=execution_day(execution_date, today), creditor_iban=iban,
            creditor_name=name, amount_cents=amount_cents, remittance=text,
            created_by=uow.actor)
        session.add(payout)
        session.flush()
        _judge_buffer(session, payout, today)
        uow.record("eenmalige betaling toegevoegd", payout, after=snapshot(payout))
        uow.commit()
        return payout.id


# -- batches --------------------------------------------------------------------------------------


def _debtor(session: Session) -> BankAccount:
    accounts = session.scalars(select(BankAccount).where(BankAccount.is_municipal.is_(True))
                               .order_by(BankAccount.id)).all()
    if not accounts:
        raise UserError("Er is geen gemeentelijke rekening geregistreerd: voeg haar toe met "
                        "'huishoudboekje accounts add' of in Instellingen")
    return accounts[0]


def _message_id(session: Session, now: datetime) -> str:
    count = session.scalar(select(func.count()).select_from(PayoutBatch)) or 0
    return f"HHB{now:%Y%m%d%H%M%S}-{count + 1}"


def end_to_end_id(payout: Payout) -> str:
    return f"HHB-{payout.id:010d}-{payout.attempt}"


@requires(Role.BACKOFFICE, action="betaalopdracht maken")
def create_batch(uow: UnitOfWork, first: date, last: date, *, file_name: str | None = None,
                 today: date | None = None) -> BatchOutcome:
    """Write every planned, not held payment due in [first, last] (and any planned before
    ``first`` that no batch took yet) into one pain.001 batch.

    The file is validated against the XSD before anything is stored; a file that does not
    validate is not made (and nothing changes)."""
    _check_range(first, last)
    today = _today(today)
    with uow:
        session = uow.session
        payouts = session.scalars(
            # Due in the range, and what was planned before it and never made into a file
            # (a final settlement, a payment released late): the next batch takes it.
            select(Payout).where(Payout.status.in_(BATCHABLE), Payout.due_date <= last)
            .order_by(Payout.execution_date, Payout.id).with_for_update()).all()
        if not payouts:
            raise UserError(f"Geen betalingen om te maken van {short_date(first)} tot en met "
                            f"{short_date(last)} (alles is al in een betaalopdracht, "
                            "aangehouden of nog niet gepland)")
        debtor = _debtor(session)
        now = utcnow()
        municipality = load_letter_settings(session).municipality or debtor.holder_name
        message_id = _message_id(session, now)
        # The ids and dates are kept aside until the file is made and the batch stored, so
        # that each payout is written once (40,000 rows: one UPDATE each, not two).
        warnings = []
        ids: dict[int, str] = {}
        days: dict[int, date] = {}
        for payout in payouts:
            if payout.due_date < first:
                warnings.append(f"betaling {payout.id} ({payout.creditor_name}, "
                                f"{euro(payout.amount_cents)}) van {short_date(payout.due_date)}"
                                " stond nog open: meegenomen")
            days[payout.id] = payout.execution_date
            if payout.execution_date < today:  # planned earlier, made today
                days[payout.id] = execution_day(payout.execution_date, today)
                warnings.append(f"betaling {payout.id}: uitvoerdatum verschoven naar "
                                f"{short_date(days[payout.id])}")
            ids[payout.id] = payout.end_to_end_id or end_to_end_id(payout)
        batch_data = pain001.TransferBatch(
            message_id=message_id, created_at=now.astimezone().replace(tzinfo=None,
                                                                        microsecond=0),
            initiating_party=municipality, debtor_name=debtor.holder_name,
            debtor_iban=debtor.iban, debtor_bic=None,
            transfers=tuple(pain001.CreditTransfer(
                end_to_end_id=ids[p.id], amount_cents=p.amount_cents,
                creditor_name=p.creditor_name, creditor_iban=p.creditor_iban or "",
                remittance=p.remittance or "", execution_date=days[p.id])
                for p in payouts))
        forbidden = bsns_among(session, pain001.bsn_candidates(batch_data))
        try:
            xml = pain001.write_pain001(batch_data, forbidden=forbidden)
        except pain001.Pain001Error as exc:
            raise UserError(str(exc)) from None
        sha = hashlib.sha256(xml).hexdigest()
        total = sum(p.amount_cents for p in payouts)
        batch = PayoutBatch(message_id=message_id, debtor_account_id=debtor.id,
                            period_from=first, period_through=last, total_cents=total,
                            count=len(payouts), status=PayoutBatchStatus.EXPORTED,
                            file_name=file_name, sha256=sha, xml=xml.decode("utf-8"),
                            created_by=uow.actor, created_at=now)
        session.add(batch)
        session.flush()
        for payout in payouts:
            payout.batch_id, payout.status = batch.id, PayoutStatus.IN_FILE
            payout.end_to_end_id, payout.execution_date = ids[payout.id], days[payout.id]
        uow.record("betaalopdracht gemaakt", batch, after={
            "berichtnummer": message_id, "betalingen": len(payouts), "totaal": total,
            "sha256": sha, "bestand": file_name, "van": first.isoformat(),
            "tot en met": last.isoformat()})
        uow.commit()
        return BatchOutcome(batch.id, message_id, xml, sha, len(payouts), total, warnings)


@requires(Role.BACKOFFICE, action="betaalopdracht annuleren")
def cancel_batch(uow: UnitOfWork, batch_id: int, reason: str) -> int:
    """Cancel a batch whose payments the bank has not executed: its payouts go back to
    planned (same period, same end-to-end id). Refused once one of them is on a statement."""
    reason = _required(reason, "reden")
    with uow:
        session = uow.session
        batch = session.get(PayoutBatch, batch_id, with_for_update=True)
        if batch is None:
            raise NotFoundError(f"Betaalopdracht {batch_id} bestaat niet")
        if batch.status == PayoutBatchStatus.CANCELLED:
            raise ValidationError("Deze betaalopdracht is al geannuleerd", "betaalopdracht")
        payouts = session.scalars(select(Payout).where(Payout.batch_id == batch_id)
                                  .with_for_update()).all()
        if batch.seen_at is not None:
            raise ValidationError(
                "Niet geannuleerd: betalingen van deze opdracht zijn al op een afschrift gezien "
                f"(ingelezen op {short_date(batch.seen_at.date())}) — de bank heeft haar "
                "uitgevoerd", "betaalopdracht")
        seen = [p for p in payouts if p.status not in (PayoutStatus.IN_FILE,)]
        if seen:
            raise ValidationError(
                f"Niet geannuleerd: {len(seen)} betaling(en) van deze opdracht zijn al op een "
                "afschrift gezien — de bank heeft haar uitgevoerd", "betaalopdracht")
        for payout in payouts:
            payout.batch_id, payout.status = None, PayoutStatus.PLANNED
        batch.status = PayoutBatchStatus.CANCELLED
        batch.cancelled_by, batch.cancelled_at = uow.actor, utcnow()
        uow.record("betaalopdracht geannuleerd", batch, after={
            "berichtnummer": batch.message_id, "betalingen": len(payouts), "reden": reason})
        uow.commit()
        return len(payouts)


def batch_rows(session: Session) -> list[BatchRow]:
    paid = dict(session.execute(
        select(Payout.batch_id, func.count()).where(Payout.status.in_(
            (PayoutStatus.PAID, PayoutStatus.RETURNED))).group_by(Payout.batch_id)).all())
    return [BatchRow(b.id, b.message_id, b.created_at, b.created_by, b.period_from,
                     b.period_through, b.count, b.total_cents, b.status.value,
                     paid.get(b.id, 0), b.sha256, b.file_name)
            for b in session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()))]


def batch_file(session: Session, batch_id: int) -> bytes:
    batch = session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFoundError(f"Betaalopdracht {batch_id} bestaat niet")
    return batch.xml.encode("utf-8")


# -- coming back on the statement -----------------------------------------------------------------


def mark_seen(session: Session, bookings: list[tuple[int, int, int]], *,
              since: date | None = None) -> None:
    """After the matcher booked transactions to our own payouts: (payout id, transaction id,
    signed amount). A debit is the payment executed; a credit the bank returning it (an
    R-transaction), which reopens the payout for a new attempt and raises a signal.
    ``since``: the first booking day among them (for the signals, see ``touch``)."""
    if not bookings:
        return
    payouts = {p.id: p for p in session.scalars(
        select(Payout).where(Payout.id.in_({b[0] for b in bookings})))}
    reasons = dict(session.execute(
        select(BankTransaction.id, BankTransaction.return_reason).where(
            BankTransaction.id.in_([t for _p, t, amount in bookings if amount > 0]))).all())
    touched = set()
    executed: set[int] = set()
    for payout_id, transaction_id, amount in bookings:
        payout = payouts[payout_id]
        if payout.batch_id is not None:  # paid, or returned: the bank executed the file
            executed.add(payout.batch_id)
        if amount < 0:
            payout.status = PayoutStatus.PAID
        else:
            payout.status = PayoutStatus.RETURNED
            payout.return_reason = reasons.get(transaction_id)
            payout.attempt += 1
            payout.end_to_end_id = None
            payout.hold_reason = "teruggekomen: controleer de rekening en geef opnieuw vrij"
        touched.add(payout.participant_id)
    if executed:
        session.execute(update(PayoutBatch).where(PayoutBatch.id.in_(executed),
                                                  PayoutBatch.seen_at.is_(None))
                        .values(seen_at=utcnow()))
    session.flush()
    _close_done_batches(session, {p.batch_id for p in payouts.values() if p.batch_id})
    touch(session, touched, since=since)


def _close_done_batches(session: Session, batch_ids: set[int]) -> None:
    for batch_id in batch_ids:
        left = session.scalar(select(func.count()).select_from(Payout).where(
            Payout.batch_id == batch_id, Payout.status == PayoutStatus.IN_FILE))
        if not left:
            batch = session.get(PayoutBatch, batch_id)
            if batch is not None and batch.status == PayoutBatchStatus.EXPORTED:
                batch.status = PayoutBatchStatus.DONE


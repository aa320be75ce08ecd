"""Which payments are due in a date range, from the agreements: pure rules over plain data.

Leefgeld goes to the participant's own account, fixed costs that we pay by transfer to the
organisation's account; direct debits (incasso) are only expected, never paid. An expense whose
payment method is unknown is not paid (paying what is also collected would pay it twice) —
the review says so. Each payment has a period key (agreement + due day): the service never
stores a key twice, whatever batches are made, cancelled or re-made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.formatting import euro, short_date
from app.payments.sepa_text import NAME_LENGTH, REMITTANCE_LENGTH, sepa_text
from app.payments.target2 import is_target2_day, previous_target2_day
from app.schedule import Schedule, due_dates

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
ENDING_SOON_DAYS = 31
BUFFER_HOLD = "voorbij de buffer: wacht op goedkeuring"  # held until a person approves it


def buffer_warning(after_cents: int, buffer_cents: int) -> str:
    return f"saldo na betaling {euro(after_cents)}: voorbij de buffer van {euro(buffer_cents)}"


@dataclass(frozen=True)
class PayeeFacts:
    """A participant as far as paying matters."""

    id: int
    number: str
    name: str  # "I. Özkan", as on the account
    variant: str  # volledig | alleen_inkomsten
    active: bool  # actief or opgezegd (still in the service)
    end_date: date | None
    buffer_cents: int
    saldo_cents: int  # today
    own_ibans: tuple[str, ...]
    # A buffer repayment plan: kept back from each leefgeld payment while the saldo is below
    # zero (never more than the negative saldo, never more than half the payment).
    instalment_cents: int = 0
    repayment_plan_id: int | None = None


@dataclass(frozen=True)
class PayableAgreement:
    """An expense agreement, or (id None) the leefgeld set in the dossier's own fields."""

    id: int | None
    participant_id: int
    category_id: int
    category: str  # huur, leefgeld …
    category_kind: str  # leefgeld | vaste_last | overig
    payment_method: str | None  # overschrijving | incasso | None
    organisation: str | None
    counter_iban: str | None
    counter_name: str | None
    amount_cents: int
    frequency: str
    day: int | None
    valid_from: date
    valid_through: date | None
    description: str | None
    reference: str | None  # the participant's reference at the creditor (a search term)
    last_paid_cents: int | None = None  # the amount of its previous payout, if any

    def period_key(self, due: date) -> str:
        if self.id is None:
            return f"leefgeld:{self.participant_id}:{due.isoformat()}"
        return period_key(self.id, due)


@dataclass(frozen=True)
class PlannedPayment:
    period_key: str
    participant_id: int
    agreement_id: int | None  # None: the dossier's own leefgeld
    category_id: int
    kind: str  # leefgeld | vaste last
    due_date: date
    execution_date: date
    creditor_iban: str | None
    creditor_name: str
    amount_cents: int
    remittance: str
    warnings: tuple[str, ...] = ()
    hold_reason: str | None = None
    needs_approval: bool = False
    withheld_cents: int = 0  # a buffer repayment instalment kept back from this leefgeld
    repayment_plan_id: int | None = None


@dataclass
class Plan:
    payments: list[PlannedPayment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not planned, and why
    already: int = 0  # periods planned before (in any batch or none)


def period_key(agreement_id: int, due: date) -> str:
    return f"agreement:{agreement_id}:{due.isoformat()}"


def leefgeld_day_key(participant_id: int, due: date) -> str:
    """One leefgeld a day per participant, from an agreement or from the dossier's fields."""
    return f"leefgeld-dag:{participant_id}:{due.isoformat()}"


def next_target2_day(day: date) -> date:
    while not is_target2_day(day):
        day += timedelta(days=1)
    return day


def execution_day(due: date, today: date) -> date:
    """The previous TARGET2 working day of ``due`` (weekends and bank holidays), but never in
    the past: a payment planned late goes out on the next working day."""
    day = previous_target2_day(due)
    return day if day >= today else next_target2_day(today)


def period_label(frequency: str, due: date) -> str:
    if frequency == "week":
        year, week, _ = due.isocalendar()
        return f"week {week} {year}"
    return f"{MONTHS[due.month - 1]} {due.year}"


def remittance_text(agreement: PayableAgreement, payee: PayeeFacts, due: date,
                    withheld_cents: int = 0) -> str:
    """What the creditor reads: what it is for, the period, the participant's reference at the
    creditor (or their dossier number for leefgeld, and the instalment kept back). Never a BSN
    (the writer checks again)."""
    label = period_label(agreement.frequency, due)
    if agreement.category_kind == "leefgeld":
        parts = ["Leefgeld", label, payee.number]
        if withheld_cents:
            parts.append(f"aflossing buffer {euro(withheld_cents).removeprefix('€ ')} "
                         "ingehouden")
    else:
        parts = [agreement.description or agreement.category, label, agreement.reference or "",
                 payee.name]
    return sepa_text(" ".join(p for p in parts if p), REMITTANCE_LENGTH)


def _pays(agreement: PayableAgreement, payee: PayeeFacts) -> str | None:
    """None when we pay this agreement; else the reason we do not (None reason: silently)."""
    if agreement.category_kind == "leefgeld":
        return None
    if agreement.payment_method == "incasso":
        return ""
    if payee.variant != "volledig":
        return "" if agreement.payment_method is None else (
            "variant alleen inkomsten: de deelnemer betaalt de vaste lasten zelf")
    if agreement.payment_method is None:
        return "betaalwijze onbekend (overschrijving of incasso?): niet gepland"
    return None


def plan_payments(payees: dict[int, PayeeFacts], agreements: list[PayableAgreement],
                  first: date, last: date, *, taken: set[str], outstanding: dict[int, int],
                  today: date) -> Plan:
    """The payments due in [first, last] that are not yet planned (``taken`` period keys).

    A leefgeld is one per participant and day whatever its source: a clerk may move it from a
    leefgeld agreement into the dossier's own fields or back, so a leefgeld day already taken
    under the other key (``leefgeld_day_key``, to be in ``taken`` too) is taken.

    ``outstanding``: per participant the payouts planned or in a file but not yet paid (cents),
    which the saldo will lose before these. A payment that takes the saldo below minus the
    buffer is held until a person approves it.
    """
    plan = Plan()
    candidates: list[tuple[date, PayableAgreement, PayeeFacts]] = []
    for agreement in agreements:
        payee = payees.get(agreement.participant_id)
        if payee is None or not payee.active:
            continue
        reason = _pays(agreement, payee)
        schedule = Schedule(agreement.frequency, agreement.day, agreement.valid_from,
                            agreement.valid_through)
        dues = due_dates(schedule, first, last)
        if reason is not None:
            if reason and dues:
                plan.notes.append(f"{payee.number} {agreement.category}: {reason}")
            continue
        for due in dues:
            if agreement.period_key(due) in taken or (
                    agreement.category_kind == "leefgeld"
                    and leefgeld_day_key(payee.id, due) in taken):
                plan.already += 1
            elif payee.end_date is not None and due > payee.end_date:
                plan.notes.append(f"{payee.number} {agreement.category} {short_date(due)}: de "
                                  f"deelname eindigt op {short_date(payee.end_date)}")
            else:
                candidates.append((due, agreement, payee))
    # The saldo runs down in execution order, per participant.
    running = {pid: p.saldo_cents - outstanding.get(pid, 0) for pid, p in payees.items()}
    for due, agreement, payee in sorted(candidates,
                                        key=lambda c: (c[0], c[2].id, c[1].id or 0)):
        plan.payments.append(_payment(due, agreement, payee, running, today))
    return plan


def withheld(amount_cents: int, running_cents: int, instalment_cents: int) -> int:
    """The buffer instalment kept back from a leefgeld payment of ``amount_cents`` when the
    saldo before it is ``running_cents``: only while the saldo is below zero, never more than
    what brings it back to zero, never more than half the leefgeld (it is what they live on)."""
    if instalment_cents <= 0 or running_cents >= 0:
        return 0
    return max(0, min(instalment_cents, -running_cents, amount_cents // 2))


def _payment(due: date, agreement: PayableAgreement, payee: PayeeFacts,
             running: dict[int, int], today: date) -> PlannedPayment:
    warnings: list[str] = []
    hold: str | None = None
    leefgeld = agreement.category_kind == "leefgeld"
    iban = agreement.counter_iban
    if leefgeld and iban is None and len(payee.own_ibans) == 1:
        iban = payee.own_ibans[0]
    if iban is None:
        hold = ("geen eigen rekening van de deelnemer bekend" if leefgeld
                else "geen rekening van de organisatie bij de afspraak")
    elif leefgeld and payee.own_ibans and iban not in payee.own_ibans:
        warnings.append("leefgeld naar een rekening die niet van de deelnemer is")
    if agreement.last_paid_cents is not None and agreement.last_paid_cents != \
            agreement.amount_cents:
        warnings.append(f"bedrag gewijzigd: vorige keer {euro(agreement.last_paid_cents)}")
    if agreement.valid_through is not None and \
            agreement.valid_through - due <= timedelta(days=ENDING_SOON_DAYS):
        warnings.append(f"afspraak eindigt op {short_date(agreement.valid_through)}")
    kept = withheld(agreement.amount_cents, running[payee.id], payee.instalment_cents) \
        if leefgeld else 0
    amount = agreement.amount_cents - kept
    if kept:
        warnings.append(f"aflossing buffer {euro(kept)} ingehouden "
                        f"(leefgeld {euro(agreement.amount_cents)})")
    after = running[payee.id] - amount
    running[payee.id] = after
    needs_approval = after < -payee.buffer_cents
    if needs_approval:
        warnings.append(buffer_warning(after, payee.buffer_cents))
        hold = hold or BUFFER_HOLD
    if leefgeld:
        name = payee.name
    else:
        name = agreement.organisation or agreement.counter_name or agreement.category
    return PlannedPayment(
        period_key=agreement.period_key(due), participant_id=payee.id,
        agreement_id=agreement.id, category_id=agreement.category_id,
        kind="leefgeld" if leefgeld else "vaste last", due_date=due,
        execution_date=execution_day(due, today), creditor_iban=iban,
        creditor_name=sepa_text(name, NAME_LENGTH) or name[:NAME_LENGTH],
        amount_cents=amount, remittance=remittance_text(agreement, payee, due, kept),
        warnings=tuple(warnings), hold_reason=hold, needs_approval=needs_approval,
        withheld_cents=kept, repayment_plan_id=payee.repayment_plan_id if kept else None)

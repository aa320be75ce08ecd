"""The teamleader's caseload review: per employee, where the work is heavy (issue 12).

``caseload(session, on)`` counts, per contact employee (and "zonder contactpersoon"), the
participants in each state a teamleader watches — active, in intake, leaving, a negative saldo,
past the buffer, open signals (and how old), queue items waiting more than five days, overdue
progress talks — and keeps the participant ids behind every number, so a click on a number
lists who it is (``participant_rows`` of app.services.queries). Also the chart data: the
saldo distribution, the open signals per week over half a year, participants per employee;
and the Voortgang counts (self-reliance and debt class at intake and now, referrals).

A handful of queries for the whole municipality; the saldo comes from ``saldos_cents``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models import (
    Agreement,
    BankTransaction,
    DebtSituation,
    Employee,
    Participant,
    ParticipantStatus,
    Referral,
    Signal,
    SignalStatus,
    Suggestion,
)
from app.services.saldo import saldos_cents

OPEN_STATES = (SignalStatus.OPEN, SignalStatus.IN_PROGRESS)
QUEUE_DAYS = 5  # a queue item older than this is late
ENDING_DAYS = 30  # an end date within this many days: leaving
WEEKS = 26  # open signals per week over half a year
NO_CONTACT = "zonder contactpersoon"

# The measures of the table, in order: (key, column title).
MEASURES = (
    ("active", "Actief"),
    ("intake", "Aanmelding/intake"),
    ("ending", "Stopt binnenkort"),
    ("negative", "Saldo negatief"),
    ("past_buffer", "Voorbij buffer"),
    ("signals", "Open signalen"),
    ("signals_8_30", "Signalen 8–30 dagen"),
    ("signals_old", "Signalen > 30 dagen"),
    ("queue_late", "Wachtrij > 5 dagen"),
    ("talk_overdue", "Gesprek te laat"),
)
# Saldo buckets of the chart, in euros: (label, lowest cents inclusive or None).
SALDO_BUCKETS = (
    ("tot -500", None),
    ("-500 – 0", -500_00),
    ("0 – 500", 0),
    ("500 – 2.000", 500_00),
    ("> 2.000", 2000_00),
)


@dataclass
class EmployeeLoad:
    """One row of the table: the participant ids behind each measure (``count`` = how many;
    for signals and the queue the number of signals/items, ids are who they concern)."""

    employee_id: int | None
    name: str
    participants: list[int] = field(default_factory=list)
    ids: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter = field(default_factory=Counter)

    def count(self, measure: str) -> int:
        return self.counts[measure]

    def participants_behind(self, measure: str) -> list[int]:
        if measure == "participants":
            return list(self.participants)
        return sorted(set(self.ids.get(measure, ())))


@dataclass
class Progress:
    """Voortgang of the team: per class at intake (nulmeting) and now, referrals."""

    self_reliance_intake: Counter = field(default_factory=Counter)
    self_reliance_now: Counter = field(default_factory=Counter)
    debt_intake: Counter = field(default_factory=Counter)
    debt_now: Counter = field(default_factory=Counter)
    referrals: Counter = field(default_factory=Counter)  # (kind, outcome) → count
    improved: int = 0  # a better debt class now than at intake
    worse: int = 0


@dataclass
class Caseload:
    on: date
    employees: list[EmployeeLoad]
    total: EmployeeLoad
    saldo_buckets: list[tuple[str, int]]  # (label, participants)
    signals_per_week: list[tuple[date, int]]  # (week's Sunday, open at its end)
    progress: Progress
    saldos: dict[int, int]


def caseload(session: Session, on: date | None = None) -> Caseload:
    on = on or date.today()
    names = dict(session.execute(select(Employee.id, Employee.name)).all())
    people = session.execute(
        select(Participant.id, Participant.contact_employee_id, Participant.status,
               Participant.end_date, Participant.buffer_limit_cents,
               Participant.next_progress_talk, Participant.self_reliance,
               Participant.intake_self_reliance, Participant.debt_situation,
               Participant.intake_debt_situation)
        .where(Participant.status != ParticipantStatus.ENDED)).all()
    saldos = saldos_cents(session, on, [p.id for p in people])
    loads: dict[int | None, EmployeeLoad] = {}
    employee_of: dict[int, int | None] = {}

    def load_of(employee_id: int | None) -> EmployeeLoad:
        if employee_id not in loads:
            loads[employee_id] = EmployeeLoad(
                employee_id, names.get(employee_id, NO_CONTACT) if employee_id else NO_CONTACT)
        return loads[employee_id]

    progress = Progress()
    order = {d: i for i, d in enumerate(DebtSituation)}  # from no debts to problematic
    for p in people:
        employee_of[p.id] = p.contact_employee_id
        row = load_of(p.contact_employee_id)
        row.participants.append(p.id)
        marks = []
        if p.status == ParticipantStatus.ACTIVE:
            marks.append("active")
        if p.status in (ParticipantStatus.REGISTERED, ParticipantStatus.INTAKE):
            marks.append("intake")
        if p.status == ParticipantStatus.CANCELLED or (
                p.end_date is not None and on <= p.end_date <= on + timedelta(ENDING_DAYS)):
            marks.append("ending")
        saldo = saldos.get(p.id, 0)
        if saldo < 0:
            marks.append("negative")
        if saldo < -p.buffer_limit_cents:
            marks.append("past_buffer")
        if p.status == ParticipantStatus.ACTIVE and p.next_progress_talk is not None \
                and p.next_progress_talk < on:
            marks.append("talk_overdue")
        for mark in marks:
            row.ids[mark].append(p.id)
            row.counts[mark] += 1
        for counter, value in ((progress.self_reliance_now, p.self_reliance),
                               (progress.self_reliance_intake, p.intake_self_reliance),
                               (progress.debt_now, p.debt_situation),
                               (progress.debt_intake, p.intake_debt_situation)):
            if value is not None:
                counter[value.value] += 1
        if p.debt_situation is not None and p.intake_debt_situation is not None:
            change = order[p.debt_situation] - order[p.intake_debt_situation]
            progress.improved += change < 0
            progress.worse += change > 0

    # Open signals, by age (days since they were raised).
    for pid, created in session.execute(
            select(Signal.participant_id, Signal.created_at)
            .where(Signal.status.in_(OPEN_STATES))):
        if pid not in employee_of:
            continue
        row = load_of(employee_of[pid])
        age = (on - created.date()).days
        for mark, wanted in (("signals", True), ("signals_8_30", 8 <= age <= 30),
                             ("signals_old", age > 30)):
            if wanted:
                row.ids[mark].append(pid)
                row.counts[mark] += 1

    # Queue items older than five days: to the participant of their best suggestion.
    best = (select(Suggestion.transaction_id, Agreement.participant_id)
            .join(Agreement, Agreement.id == Suggestion.agreement_id)
            .where(Suggestion.rank == 1).subquery())
    for _tx, pid in session.execute(
            select(BankTransaction.id, best.c.participant_id)
            .outerjoin(best, best.c.transaction_id == BankTransaction.id)
            .where(BankTransaction.is_open,
                   BankTransaction.booking_date < on - timedelta(QUEUE_DAYS))):
        row = load_of(employee_of.get(pid) if pid is not None else None)
        if pid is not None and pid in employee_of:
            row.ids["queue_late"].append(pid)
        row.counts["queue_late"] += 1

    for kind, outcome in session.execute(
            select(Referral.kind, Referral.outcome)
            .join(Participant, Participant.id == Referral.participant_id)
            .where(Participant.status != ParticipantStatus.ENDED)):
        progress.referrals[(kind.value, outcome.value)] += 1

    rows = sorted(loads.values(), key=lambda r: (r.employee_id is None, r.name.lower()))
    total = EmployeeLoad(None, "Team")
    for row in rows:
        total.participants += row.participants
        for measure, ids in row.ids.items():
            total.ids[measure] += ids
        total.counts.update(row.counts)
    return Caseload(on, rows, total, _saldo_buckets(saldos, people),
                    _signals_per_week(session, on), progress, saldos)


def _saldo_buckets(saldos: dict[int, int], people) -> list[tuple[str, int]]:
    counts = [0] * len(SALDO_BUCKETS)
    for p in people:
        saldo = saldos.get(p.id, 0)
        index = 0
        for i, (_label, low) in enumerate(SALDO_BUCKETS):
            if low is not None and saldo >= low:
                index = i
        counts[index] += 1
    return [(label, count) for (label, _low), count in zip(SALDO_BUCKETS, counts, strict=True)]


def _signals_per_week(session: Session, on: date) -> list[tuple[date, int]]:
    """Per week of the last half year: the signals open at the end of its Sunday (raised by
    then and not resolved by then)."""
    last_sunday = on + timedelta(days=6 - on.weekday())
    weeks = [last_sunday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    first = datetime.combine(weeks[0] - timedelta(days=6), datetime.min.time())
    counts = [0] * len(weeks)
    for created, status, status_at in session.execute(
            select(Signal.created_at, Signal.status, Signal.status_at)
            .where(or_(Signal.status != SignalStatus.RESOLVED, Signal.status_at >= first))):
        closed = status_at.date() if status == SignalStatus.RESOLVED and status_at else None
        for i, sunday in enumerate(weeks):
            if created.date() <= sunday and (closed is None or closed > sunday):
                counts[i] += 1
    return list(zip(weeks, counts, strict=True))


def participants_per_employee(load: Caseload) -> list[tuple[str, int]]:
    return [(row.name, len(row.participants)) for row in load.employees]



def export_caseload(session: Session, on: date, path) -> str:
    """``huishoudboekje caseload``: the workbook of the review; one Dutch summary line."""
    from app.reports.caseload_excel import (
        CaseloadParticipantRow,
        CaseloadSheet,
        CaseloadSummaryRow,
        write_caseload_workbook,
    )
    from app.services.queries import participant_rows

    load = caseload(session, on)
    keys = ["participants", *(key for key, _title in MEASURES)]

    def counts(row: EmployeeLoad) -> list[int]:
        return [len(row.participants) if k == "participants" else row.count(k) for k in keys]

    details = {pid: (talk, buffer) for pid, talk, buffer in session.execute(
        select(Participant.id, Participant.next_progress_talk, Participant.buffer_limit_cents)
        .where(Participant.id.in_(load.total.participants)))}
    sheets = []
    for row in load.employees:
        people = sorted(participant_rows(session, row.participants, on), key=lambda p: p.number)
        sheets.append(CaseloadSheet(row.name, [
            CaseloadParticipantRow(p.number, p.name, p.status, p.saldo_cents,
                                   details[p.id][1], p.open_signals, details[p.id][0])
            for p in people]))
    try:
        write_caseload_workbook(on, ["Deelnemers", *(t for _k, t in MEASURES)],
                                [CaseloadSummaryRow(r.name, counts(r)) for r in load.employees],
                                CaseloadSummaryRow("Team", counts(load.total)), sheets, path)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    return (f"caseload van {len(load.total.participants)} deelnemers en "
            f"{len(load.employees)} medewerker(s) op {on.strftime('%d-%m-%Y')} "
            f"geschreven naar {path}")

"""Signals (signalen): evaluate the rules, keep one row per problem, list and handle them.

The rules themselves are pure (``app.signal_rules``); this module loads their facts in a few
queries per chunk of participants, and keeps the ``signals`` table in step with what they find:

- a problem found for the first time is a new row (status open);
- found again, its row is updated (never a second row: the key is unique per participant);
- gone (the payment was booked, the booking undone, the saldo recovered), its row is closed by
  the program (afgehandeld by 'systeem'); when the same problem comes back, the row reopens;
- a person's status (in behandeling, afgehandeld, with a note) stays while the problem lasts.

Evaluated after every import, booking, undo and agreement change for the participants touched
(the services call ``touch``/``touch_transactions``/``touch_everyone``; the unit of work runs
the evaluation just before it commits, inside that service's own transaction: one audit row,
the action's), for everyone once a day at start-up (``evaluate_daily``) and by
``huishoudboekje signals``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.errors import NotFoundError, ValidationError
from app.models import (
    SYSTEM_ACTOR,
    Agreement,
    BankAccount,
    BankTransaction,
    Booking,
    Category,
    Employee,
    Organisation,
    Participant,
    Payout,
    PayoutStatus,
    Setting,
    Signal,
    SignalKind,
    SignalStatus,
    Statement,
    Suggestion,
)
from app.models.base import stored_text, utcnow
from app.models.employee import Role
from app.reports.signals_csv import SignalExportRow
from app.schedule import Schedule, due_dates
from app.services.bulk import among, insert_rows
from app.services.permissions import EVERYONE as ALL_ROLES
from app.services.permissions import requires
from app.services.unit_of_work import BEFORE_COMMIT, UnitOfWork, snapshot
from app.signal_rules import (
    DEFAULT_MARGIN_DAYS,
    PERIOD_DAYS,
    PERIOD_KINDS,
    AgreementFacts,
    BookedPayment,
    Coverage,
    NeedsHistory,
    ParticipantFacts,
    QueuedPayment,
    ReturnedPayout,
    evaluate,
    judged_from,
    judged_until,
    margin_days,
    margin_of,
)
from app.signal_rules import Thresholds as SignalThresholds

OPEN_STATES = (SignalStatus.OPEN, SignalStatus.IN_PROGRESS)
CHUNK = 2000  # participants per round of queries
EVALUATED_ON_KEY = "signalen.geevalueerd_op"

# Setting keys of the thresholds (Dutch, as a beheerder sees them in the settings table).
MARGIN_KEY = "signalen.marge_dagen."
THRESHOLD_KEYS = {
    "tolerance_percent": "signalen.afwijking_procent",
    "negative_months": "signalen.negatief_maanden",
    "shortfall_months": "signalen.tekort_maanden",
    "forecast_weeks": "signalen.verwachting_weken",
    "employer_missing_periods": "signalen.salaris_perioden",
    "progress_talk_months": "signalen.gesprek_maanden",
}
# Plausible limits per threshold: (label, lowest, highest).
LIMITS = {
    "margin_days": ("marge", 0, 120),
    "tolerance_percent": ("afwijking", 0, 100),
    "negative_months": ("maanden negatief", 1, 24),
    "shortfall_months": ("maanden vaste lasten", 1, 12),
    "forecast_weeks": ("weken vooruit", 1, 26),
    "employer_missing_periods": ("perioden zonder salaris", 1, 12),
    "progress_talk_months": ("maanden tussen gesprekken", 1, 24),
}
# The dossier tab that shows what a signal is about.
TAB_OF_KIND = {
    SignalKind.PAYMENT_MISSING: "afspraken",
    SignalKind.AMOUNT_OFF: "boekingen",
    SignalKind.DUPLICATE: "boekingen",
    SignalKind.SALDO_NEGATIVE: "boekingen",
    SignalKind.SHORTFALL: "boekingen",
    SignalKind.BUFFER_EXCEEDED: "boekingen",
    SignalKind.SALDO_FORECAST: "afspraken",
    SignalKind.PROGRESS_TALK_DUE: "voortgang",
    SignalKind.EMPLOYER_NOT_PAYING: "afspraken",
    SignalKind.PAYOUT_RETURNED: "boekingen",
}


def default_thresholds() -> SignalThresholds:
    return SignalThresholds()


# -- Thresholds (Instellingen › Signalen) --------------------------------------------------------


def load_thresholds(session: Session) -> SignalThresholds:
    stored = dict(session.execute(
        select(Setting.key, Setting.value).where(Setting.key.like("signalen.%"))).all())
    defaults = SignalThresholds()
    margins = dict(defaults.margin_days)
    for frequency in margins:
        value = stored.get(MARGIN_KEY + frequency)
        if value is not None and value.strip().isdigit():
            margins[frequency] = int(value)
    values: dict = {"margin_days": margins}
    for name, key in THRESHOLD_KEYS.items():
        if key not in stored:
            continue
        try:
            values[name] = (Decimal(stored[key]) if name == "tolerance_percent"
                            else int(stored[key]))
        except (InvalidOperation, ValueError):
            continue  # a hand-edited value that is no number: keep the default
    return replace(defaults, **values)


def clean_thresholds(thresholds: SignalThresholds) -> SignalThresholds:
    """The thresholds as numbers within their limits, or a ValidationError naming the field."""
    def number(name: str, value, label: str | None = None, whole: bool = True):
        label = label or LIMITS[name][0]
        _label, low, high = LIMITS[name]
        try:
            text = str(value).strip().replace(",", ".")
            parsed = int(text) if whole else Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError(f"Ongeldige {label}: {value!r} (een getal)", name) from None
        if not low <= parsed <= high:
            raise ValidationError(f"Ongeldige {label}: {value} (tussen {low} en {high})", name)
        return parsed

    margins = {frequency: number("margin_days", thresholds.margin_days.get(frequency, days),
                                 f"marge {frequency}")
               for frequency, days in DEFAULT_MARGIN_DAYS.items()}
    values = {name: number(name, getattr(thresholds, name),
                           whole=name != "tolerance_percent") for name in THRESHOLD_KEYS}
    return SignalThresholds(margin_days=margins, **values)


@requires(Role.ADMIN, action="signaaldrempels wijzigen")
def save_thresholds(uow: UnitOfWork, thresholds: SignalThresholds, *,
                    on: date | None = None) -> EvaluationOutcome:
    """Store the thresholds and evaluate everyone again with them (one transaction)."""
    cleaned = clean_thresholds(thresholds)
    with uow:
        session = uow.session
        before = _threshold_texts(load_thresholds(session))
        after = _threshold_texts(cleaned)
        for key, value in after.items():
            setting = session.get(Setting, key)
            if setting is None:
                session.add(Setting(key=key, value=value))
            else:
                setting.value = value
        outcome = refresh_signals(session, None, on or date.today(), cleaned)
        changed = [k for k in after if before.get(k) != after[k]]
        uow.record("signaaldrempels gewijzigd", Setting.__tablename__, "signalen",
                   before={k: before[k] for k in changed}, after={
                       **{k: after[k] for k in changed}, "signalen": outcome.as_dict()})
        uow.commit()
    return outcome


def _threshold_texts(thresholds: SignalThresholds) -> dict[str, str]:
    texts = {MARGIN_KEY + f: str(d) for f, d in thresholds.margin_days.items()}
    for name, key in THRESHOLD_KEYS.items():
        value = getattr(thresholds, name)
        texts[key] = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
    return texts


# -- Evaluation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationOutcome:
    participants: int = 0
    opened: int = 0
    updated: int = 0
    closed: int = 0

    def summary(self) -> str:
        return (f"{self.participants} deelnemers bekeken: {self.opened} signalen nieuw of "
                f"heropend, {self.updated} bijgewerkt, {self.closed} opgelost")

    def as_dict(self) -> dict:
        return {"deelnemers": self.participants, "nieuw": self.opened,
                "bijgewerkt": self.updated, "opgelost": self.closed}

    def __add__(self, other: EvaluationOutcome) -> EvaluationOutcome:
        return EvaluationOutcome(*(getattr(self, f.name) + getattr(other, f.name)
                                   for f in fields(self)))


@requires(*ALL_ROLES, action="signalen evalueren")
def evaluate_signals(uow: UnitOfWork, on: date | None = None,
                     participant_ids: Iterable[int] | None = None, *,
                     history_weeks: int = 0, since: date | None = None) -> EvaluationOutcome:
    """``huishoudboekje signals``: evaluate everyone (or these participants) as of ``on``.
    ``history_weeks``: first as of each Sunday of that many weeks before (the demo, so its
    signals have the ages and the history a running municipality's have). ``since``: only
    what can have changed since that day (``refresh_signals``)."""
    on = on or date.today()
    ids = None if participant_ids is None else list(participant_ids)
    with uow:
        session = uow.session
        for weeks in range(history_weeks, 0, -1):
            sunday = on - timedelta(days=(on.weekday() + 1) % 7, weeks=weeks - 1)
            if sunday < on:
                refresh_signals(session, ids, sunday)
        outcome = refresh_signals(session, ids, on, since=since)
        _set_setting(session, EVALUATED_ON_KEY, on.isoformat())
        window = {"sinds": since.isoformat()} if since is not None else {}
        uow.record("signalen geëvalueerd", Signal.__tablename__, None,
                   after={"op": on.isoformat(), **window, **outcome.as_dict()})
        uow.commit()
    return outcome


@requires(*ALL_ROLES, action="signalen evalueren")
def evaluate_daily(uow: UnitOfWork, today: date | None = None) -> EvaluationOutcome | None:
    """At start-up: evaluate everyone once a day (None when it was done today already).

    Every change was evaluated at its own commit, so since the last day's evaluation only
    time has passed: due days whose margin ran out, saldos negative for longer, talks
    overdue. Judged from that day on (``refresh_signals(since=…)``), the daily evaluation
    costs the same in the third year as in the first."""
    today = today or date.today()
    with uow.db.read() as session:
        last = session.scalar(select(Setting.value).where(Setting.key == EVALUATED_ON_KEY))
    if last is not None and last >= today.isoformat():
        return None
    return evaluate_signals(uow, today, since=_day_or_none(last))


def _day_or_none(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:  # a setting edited by hand: evaluate over everything
        return None


def refresh_signals(session: Session, participant_ids: Iterable[int] | None,
                    on: date | None = None,
                    thresholds: SignalThresholds | None = None, *,
                    since: date | None = None,
                    in_full: Iterable[int] = ()) -> EvaluationOutcome:
    """Evaluate inside the caller's transaction (its audit row covers the changes).

    ``since``: nothing these participants' signals depend on changed before that day but
    the statements' coverage (an import): only the periods what happened since can change
    are judged, from the bookings of a period or two before it — an import's commit then
    costs the same in the third year as in the first. The periods before were judged when
    they were current; their signals stay as they are. ``in_full``: participants whose
    changes have no such day (a clerk's booking of last year), evaluated over everything."""
    on = on or date.today()
    thresholds = thresholds or load_thresholds(session)
    coverage = statement_coverage(session)
    if participant_ids is None:
        ids = list(session.scalars(select(Participant.id).order_by(Participant.id)))
    else:
        ids = sorted(set(participant_ids))
    full = set(in_full)
    if since is not None and since > on:  # judged as of an earlier day: over everything
        since = None
    outcome = EvaluationOutcome()
    # Evaluated as of a day in the past (the demo's history): raised and closed on that day.
    now = utcnow()
    moment = now if on >= now.date() else datetime.combine(on, time(12), tzinfo=UTC)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        _lock_participants(session, chunk)
        everything = [pid for pid in chunk if pid in full] if since is not None else chunk
        facts = load_facts(session, everything, on) if everything else {}
        if len(everything) < len(chunk):
            facts |= load_facts(session, [pid for pid in chunk if pid not in full], on,
                                since=since, thresholds=thresholds)
        findings: dict[int, list] = {}
        again = []
        for pid in chunk:
            try:
                findings[pid] = evaluate(facts[pid], coverage, on, thresholds)
            except NeedsHistory:  # (rare) over everything after all
                again.append(pid)
        if again:
            facts |= load_facts(session, again, on)
            for pid in again:
                findings[pid] = evaluate(facts[pid], coverage, on, thresholds)
        outcome += _keep(session, findings, moment, _judged_from(facts, thresholds))
    session.flush()
    return outcome


def _judged_from(facts: dict[int, ParticipantFacts], thresholds: SignalThresholds
                 ) -> dict[int, dict[int, date]]:
    """Per participant evaluated since a day: per agreement, the first due day judged."""
    return {pid: {a.id: judged_from(a, f.since, thresholds) for a in f.agreements}
            for pid, f in facts.items() if f.since is not None}


def _lock_participants(session: Session, ids: list[int]) -> None:
    """Two clerks booking for one participant at once evaluate one after the other, so the
    second sees the first's signal and updates it rather than adding a second (the unique
    key would refuse it). In id order, so evaluations never wait for each other in a circle;
    FOR NO KEY UPDATE, so bookings that merely refer to the participant are not held up."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Participant.id).where(among(Participant.id, ids, session))
                        .order_by(Participant.id).with_for_update(key_share=True))


# -- the hooks of the other services ---------------------------------------------------------

_TOUCHED = "signals.participants"  # keys in Session.info, the life of one unit of work
_TOUCHED_TRANSACTIONS = "signals.transactions"
_TOUCHED_SINCE = "signals.since"  # participant → the first day their changes concern
EVERYONE = "everyone"
_EVERYONE_SINCE = "signals.everyone_since"
_ALL_DAYS = date.min  # a change with no first day: evaluated over everything


def touch(session: Session, participant_ids: Iterable[int | None], *,
          since: date | None = None) -> None:
    """These participants' signals are evaluated again before this transaction commits.
    ``since``: the changes concern bookings and statement days from that day on (an
    import's new rows), so that an evaluation of everyone may judge only from there."""
    touched = session.info.setdefault(_TOUCHED, set())
    first = session.info.setdefault(_TOUCHED_SINCE, {})
    for pid in participant_ids:
        if pid is None:
            continue
        if touched != EVERYONE:
            touched.add(pid)
        first[pid] = min(first.get(pid, date.max), since or _ALL_DAYS)
    session.info.setdefault(BEFORE_COMMIT, {})["signals"] = _refresh_touched


def touch_everyone(session: Session, *, since: date | None = None) -> None:
    """Everyone's (e.g. the statements now cover more days: ``since``, the first day the
    import's new statement days and rows concern)."""
    session.info[_TOUCHED] = EVERYONE
    known = session.info.get(_EVERYONE_SINCE, date.max)
    session.info[_EVERYONE_SINCE] = min(known, since or _ALL_DAYS)
    session.info.setdefault(BEFORE_COMMIT, {})["signals"] = _refresh_touched


def touch_transactions(session: Session, transaction_ids: Iterable[int]) -> None:
    """Call before changing these transactions' bookings or suggestions: the participants
    they concern now and those they concern at commit are evaluated again."""
    ids = list(transaction_ids)
    touch(session, participants_of_transactions(session, ids))
    session.info.setdefault(_TOUCHED_TRANSACTIONS, set()).update(ids)


_paused: ContextVar[bool] = ContextVar("signals_paused", default=False)


@contextmanager
def signals_paused() -> Iterator[None]:
    """No re-evaluation at commit inside this block (the demo imports its months of
    statements, then evaluates once with their history, as of its own date)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _refresh_touched(session: Session) -> None:
    if _paused.get():
        for key in (_TOUCHED, _TOUCHED_TRANSACTIONS, _TOUCHED_SINCE, _EVERYONE_SINCE):
            session.info.pop(key, None)
        return
    touched = session.info.pop(_TOUCHED, set())
    transactions = session.info.pop(_TOUCHED_TRANSACTIONS, set())
    first_days = session.info.pop(_TOUCHED_SINCE, {})
    since = session.info.pop(_EVERYONE_SINCE, _ALL_DAYS)
    if touched == EVERYONE:
        if since == _ALL_DAYS:
            refresh_signals(session, None)
            return
        # Everyone from ``since``; who was touched for an earlier day (a clerk's change to
        # an old booking, in the same transaction) over everything.
        earlier = {pid for pid, day in first_days.items() if day < since}
        refresh_signals(session, None, since=since,
                        in_full=earlier | participants_of_transactions(session, transactions))
        return
    later = participants_of_transactions(session, transactions)
    touched |= later
    if touched:
        # Each from the first day their changes concern (an import's rows, statement days);
        # who was touched without a day, over everything.
        days = [day for pid, day in first_days.items() if pid in touched and day > _ALL_DAYS]
        refresh_signals(session, touched, since=min(days, default=None),
                        in_full={pid for pid in touched
                                 if first_days.get(pid, _ALL_DAYS) == _ALL_DAYS} | later)


def participants_newly_judged(session: Session, before: Coverage, after: Coverage,
                              on: date) -> set[int]:
    """Who has a payment period that the statements' new days judge for the first time (its
    margin runs out on one of them, ``signal_rules.judged_until``): a day's statement
    concerns the few whose payments were due then, not everyone. A superset will do (the
    ended participants, whom the rules skip, are in it)."""
    start, end = judged_until(before, on), judged_until(after, on)
    if end <= start:
        return set()
    thresholds = load_thresholds(session)
    found: set[int] = set()
    for pid, frequency, day, valid_from, valid_through, own in session.connection().execute(
        select(Agreement.participant_id, stored_text(Agreement.frequency), Agreement.day,
               Agreement.valid_from, Agreement.valid_through, Agreement.signal_margin_days)
        .where(Agreement.valid_from <= end)
    ).all():
        if pid in found:
            continue
        margin = timedelta(days=margin_days(frequency, own, thresholds))
        if due_dates(Schedule(frequency, day, valid_from, valid_through),
                     start - margin + timedelta(days=1), end - margin):
            found.add(pid)
    return found


def statement_coverage(session: Session) -> Coverage | None:
    """First and last day of the imported statements of the municipal account(s)."""
    first, last = session.execute(
        select(func.min(func.coalesce(Statement.period_from, Statement.opening_date)),
               func.max(func.coalesce(Statement.period_through, Statement.closing_date)))
        .join(BankAccount, BankAccount.id == Statement.account_id)
        .where(BankAccount.is_municipal)).one()
    if first is None or last is None:  # CSV exports carry no period: their entries' dates
        first, last = session.execute(
            select(func.min(BankTransaction.booking_date),
                   func.max(BankTransaction.booking_date))
            .join(BankAccount, BankAccount.id == BankTransaction.account_id)
            .where(BankAccount.is_municipal)).one()
    if first is None or last is None:
        return None
    return Coverage(first, last)


# A booking as the rules take it (BookedPayment, a saldo move), with its participant.
_BOOKED = (Booking.participant_id, Booking.agreement_id, Booking.booking_date,
           Booking.amount_cents)


def load_facts(session: Session, ids: Sequence[int], on: date, *, since: date | None = None,
               thresholds: SignalThresholds | None = None) -> dict[int, ParticipantFacts]:
    """The rules' facts of these participants: a handful of queries, whatever their number.
    ``since``: for an evaluation since that day (``refresh_signals``): the payments from two
    periods and margins before it, the saldo as a sum before the moves of the last months."""
    agreements: dict[int, list[AgreementFacts]] = defaultdict(list)
    # Core rows and enum columns as their text: 80,000 agreements at every import's commit.
    connection = session.connection()
    rows = connection.execute(
        select(Agreement.participant_id, Agreement.id, Category.name,
               stored_text(Category.kind), Organisation.name, Agreement.description,
               stored_text(Agreement.direction), stored_text(Agreement.frequency),
               Agreement.day, Agreement.valid_from, Agreement.valid_through,
               Agreement.amount_cents, Agreement.signal_margin_days,
               Agreement.signal_tolerance_percent)
        .join(Category, Category.id == Agreement.category_id)
        .outerjoin(Organisation, Organisation.id == Agreement.organisation_id)
        .where(Agreement.participant_id.in_(ids), Agreement.valid_from <= on + timedelta(days=70))
    ).all()  # fetchall: a Core result iterated fetches row by row
    for (pid, a_id, category, kind, organisation, description, direction, frequency, day,
         valid_from, valid_through, amount, margin, tolerance) in rows:
        agreements[pid].append(AgreementFacts(
            a_id, agreement_label(category, organisation, description),
            direction == "inkomst", category, kind, frequency, day,
            valid_from, valid_through, amount, margin, tolerance))
    payments: dict[int, list[BookedPayment]] = defaultdict(list)
    moves: dict[int, list[tuple[date, int]]] = defaultdict(list)
    opening: dict[int, int] = {}
    negative_since: dict[int, date] = {}
    if since is None:
        for pid, a_id, day, cents in connection.execute(
            select(*_BOOKED)
            .where(Booking.participant_id.in_(ids), Booking.booking_date <= on)
        ).all():
            moves[pid].append((day, cents))
            if a_id is not None:
                payments[pid].append(BookedPayment(a_id, day, cents))
    else:
        thresholds = thresholds or load_thresholds(session)
        first_of, whole = _payment_windows(agreements, since, thresholds)
        moves_from = since - timedelta(days=SALDO_MOVES_DAYS)
        # One pass over the last months' bookings gives the saldo's moves and the payments.
        for pid, a_id, day, cents in connection.execute(
            select(*_BOOKED)
            .where(Booking.participant_id.in_(ids),
                   Booking.booking_date >= min([moves_from, *first_of.values()]),
                   Booking.booking_date <= on)
        ).all():
            if day >= moves_from:
                moves[pid].append((day, cents))
            if a_id in first_of and day >= first_of[a_id]:
                payments[pid].append(BookedPayment(a_id, day, cents))
        _whole_payments(connection, whole, on, payments)
        opening = dict(connection.execute(
            select(Booking.participant_id, func.sum(Booking.amount_cents))
            .where(Booking.participant_id.in_(ids), Booking.booking_date < moves_from)
            .group_by(Booking.participant_id)).all())
        negative_since = _negative_since(
            connection, [pid for pid, cents in opening.items() if cents < 0], moves_from)
    # Keyed per (participant, transaction): one payment suggested to two participants
    # waits in the queue for each of them.
    queued_agreements: dict[tuple[int, int], set[int]] = defaultdict(set)
    queued_rows: dict[tuple[int, int], tuple[date, int]] = {}
    for pid, t_id, a_id, day, cents in connection.execute(
        select(Agreement.participant_id, BankTransaction.id, Suggestion.agreement_id,
               BankTransaction.booking_date, BankTransaction.amount_cents)
        .join(Suggestion, Suggestion.transaction_id == BankTransaction.id)
        .join(Agreement, Agreement.id == Suggestion.agreement_id)
        .where(BankTransaction.is_open, BankTransaction.booking_date <= on,
               Agreement.participant_id.in_(ids))
    ).all():
        queued_agreements[pid, t_id].add(a_id)
        queued_rows[pid, t_id] = (day, cents)
    queued: dict[int, list[QueuedPayment]] = defaultdict(list)
    for (pid, t_id), (day, cents) in queued_rows.items():
        queued[pid].append(
            QueuedPayment(t_id, day, cents, frozenset(queued_agreements[pid, t_id])))
    returned: dict[int, list[ReturnedPayout]] = defaultdict(list)
    for payout, category, organisation in session.execute(
        select(Payout, Category.name, Organisation.name)
        .join(Category, Category.id == Payout.category_id)
        .outerjoin(Agreement, Agreement.id == Payout.agreement_id)
        .outerjoin(Organisation, Organisation.id == Agreement.organisation_id)
        .where(Payout.participant_id.in_(ids), Payout.status == PayoutStatus.RETURNED)
    ):
        returned[payout.participant_id].append(ReturnedPayout(
            payout.id, payout.agreement_id, agreement_label(category, organisation, None),
            payout.execution_date, payout.amount_cents, payout.return_reason))
    facts = {}
    for pid, status, buffer, talk in session.execute(
        select(Participant.id, Participant.status, Participant.buffer_limit_cents,
               Participant.next_progress_talk).where(Participant.id.in_(ids))
    ):
        facts[pid] = ParticipantFacts(
            pid, status.value, buffer, talk, tuple(agreements[pid]), tuple(payments[pid]),
            tuple(moves[pid]), tuple(queued[pid]), tuple(returned[pid]), since,
            int(opening.get(pid) or 0), negative_since.get(pid))
    return facts


def _negative_since(connection, ids: list[int], before: date) -> dict[int, date]:
    """Of participants whose saldo was below zero on the day ``before``: the first day of
    that negative run (the day after the saldo was last zero or more), computed by the
    database over their daily moves — a running sum per participant, not rows in Python."""
    if not ids:
        return {}
    daily = (select(Booking.participant_id.label("pid"), Booking.booking_date.label("day"),
                    func.sum(Booking.amount_cents).label("cents"))
             .where(Booking.participant_id.in_(ids), Booking.booking_date < before)
             .group_by(Booking.participant_id, Booking.booking_date).subquery())
    running = select(daily.c.pid, daily.c.day, func.sum(daily.c.cents).over(
        partition_by=daily.c.pid, order_by=daily.c.day).label("saldo")).subquery()
    marked = select(running.c.pid, running.c.day, func.max(
        case((running.c.saldo >= 0, running.c.day))).over(partition_by=running.c.pid)
        .label("last_not_negative")).subquery()
    return dict(connection.execute(
        select(marked.c.pid, func.min(marked.c.day))
        .where(or_(marked.c.last_not_negative.is_(None),
                   marked.c.day > marked.c.last_not_negative))
        .group_by(marked.c.pid)).all())


# The saldo's moves of this many days before ``since`` are read one by one (for the day a
# negative run began); the rest as one sum. A saldo already negative before them makes the
# rules ask for the whole history (NeedsHistory), so the day stays exact.
SALDO_MOVES_DAYS = 92


def _payment_windows(agreements: dict[int, list[AgreementFacts]], since: date,
                     thresholds: SignalThresholds) -> tuple[dict[int, date], list[int]]:
    """Which booked payments the periods judged since ``since`` can hold: per agreement the
    first payment day needed, two periods and margins before it (a payment belongs to the
    nearest due day, at most a period away); and the agreements that need all of them —
    paid less than monthly, or begun within that time (a payment before the first due day
    belongs to the first period, however early): few rows, fetched by agreement, where a
    date bound would make the database read every booking."""
    first_of: dict[int, date] = {}
    whole: list[int] = []
    for group in agreements.values():
        for agreement in group:
            period = PERIOD_DAYS.get(agreement.frequency, 366)
            first = since - timedelta(days=2 * (period + margin_of(agreement, thresholds)))
            if period > PERIOD_DAYS["maand"] or agreement.valid_from >= first:
                whole.append(agreement.id)
            else:
                first_of[agreement.id] = first
    return first_of, whole


def _whole_payments(connection, agreement_ids: list[int], on: date,
                    payments: dict[int, list[BookedPayment]]) -> None:
    for start in range(0, len(agreement_ids), CHUNK):
        for pid, a_id, day, cents in connection.execute(
            select(*_BOOKED)
            .where(Booking.agreement_id.in_(agreement_ids[start:start + CHUNK]),
                   Booking.booking_date <= on)
        ).all():
            payments[pid].append(BookedPayment(a_id, day, cents))


def agreement_label(category: str, organisation: str | None, description: str | None) -> str:
    other = organisation or description
    return f"{category} – {other}" if other else category


def _keep(session: Session, findings: dict[int, list], now: datetime,
          judged: dict[int, dict[int, date]] | None = None) -> EvaluationOutcome:
    """Make the table say what the rules found for these participants. ``judged``: of those
    evaluated since a day, per agreement the first due day judged; a period's signal before
    it was not looked at, so it is left as it is (and not read)."""
    judged = judged or {}
    query = select(Signal).where(among(Signal.participant_id, findings, session))
    firsts = [day for days in judged.values() for day in days.values()]
    if firsts:  # the years of old period signals stay unread
        query = query.where(or_(among(Signal.participant_id, set(findings) - set(judged), session),
                                Signal.kind.not_in([SignalKind(k) for k in PERIOD_KINDS]),
                                Signal.expected_date.is_(None),
                                Signal.expected_date >= min(firsts)))
    existing: dict[tuple[int, str], Signal] = {
        (s.participant_id, s.key): s for s in session.scalars(query)
        if not _before_judged(s, judged)
    }
    opened = updated = closed = 0
    found_keys = set()
    new: list[dict] = []  # in bulk: the first evaluation of a municipality finds 100,000
    for pid, items in findings.items():
        for finding in items:
            found_keys.add((pid, finding.key))
            signal = existing.get((pid, finding.key))
            values = {"kind": SignalKind(finding.kind), "agreement_id": finding.agreement_id,
                      "transaction_id": finding.transaction_id, "message": finding.message,
                      "expected_date": finding.expected_date,
                      "expected_cents": finding.expected_cents,
                      "found_cents": finding.found_cents}
            if signal is None:
                new.append({"participant_id": pid, "key": finding.key,
                            "status": SignalStatus.OPEN, "active": True, "created_at": now,
                            "updated_at": now, **values})
                continue
            if _aware(signal.created_at) > now:  # an evaluation of an earlier day saw it
                signal.created_at = now
            if not signal.active:  # the problem went away and is back
                signal.active = True
                signal.status = SignalStatus.OPEN
                signal.status_at, signal.status_by = now, SYSTEM_ACTOR
                signal.status_note = "Het probleem is terug."
                signal.updated_at = max(_aware(signal.updated_at), now)
                opened += 1
            if any(getattr(signal, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(signal, key, value)
                signal.updated_at = max(_aware(signal.updated_at), now)
                updated += 1
    for key, signal in existing.items():
        # A signal raised after the day evaluated: that day's evaluation says nothing of it.
        if signal.active and key not in found_keys and _aware(signal.created_at) <= now:
            signal.active = False
            signal.updated_at = max(_aware(signal.updated_at), now)
            if signal.status != SignalStatus.RESOLVED:
                signal.status = SignalStatus.RESOLVED
                signal.status_at, signal.status_by = now, SYSTEM_ACTOR
                signal.status_note = "Opgelost: het probleem is er niet meer."
            closed += 1
    insert_rows(session, Signal.__table__, new)
    return EvaluationOutcome(len(findings), opened + len(new), updated, closed)


def _before_judged(signal: Signal, judged: dict[int, dict[int, date]]) -> bool:
    days = judged.get(signal.participant_id)
    if days is None or signal.kind.value not in PERIOD_KINDS or signal.expected_date is None:
        return False
    first = days.get(signal.agreement_id) if signal.agreement_id is not None else None
    return first is not None and signal.expected_date < first


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _set_setting(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=value))
    else:
        setting.value = value


# -- Listing and handling ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalRow:
    id: int
    participant_id: int
    number: str
    participant_name: str
    contact_employee_id: int | None
    contact_name: str | None
    agreement_id: int | None
    agreement_label: str | None
    kind: SignalKind
    status: SignalStatus
    active: bool
    message: str
    expected_date: date | None
    expected_cents: int | None
    found_cents: int | None
    transaction_id: int | None
    created_at: datetime
    updated_at: datetime
    status_by: str | None
    status_note: str | None
    status_at: datetime | None
    tab: str
    category: str | None = None

    def age_days(self, on: date | None = None) -> int:
        return ((on or date.today()) - self.created_at.date()).days


def list_signals(session: Session, *, kinds: Iterable[SignalKind] | None = None,
                 statuses: Iterable[SignalStatus] | None = OPEN_STATES,
                 employee_id: int | None = None, min_age_days: int | None = None,
                 max_age_days: int | None = None, first_employee_id: int | None = None,
                 participant_id: int | None = None, on: date | None = None) -> list[SignalRow]:
    """Signals, newest first; ``first_employee_id``: that employee's participants first."""
    on = on or date.today()
    contact = aliased(Employee)
    query = (
        select(Signal, Participant.number, Participant.initials, Participant.first_name,
               Participant.infix, Participant.last_name, Participant.contact_employee_id,
               contact.name, Category.name, Organisation.name, Agreement.description)
        .join(Participant, Participant.id == Signal.participant_id)
        .outerjoin(contact, contact.id == Participant.contact_employee_id)
        .outerjoin(Agreement, Agreement.id == Signal.agreement_id)
        .outerjoin(Category, Category.id == Agreement.category_id)
        .outerjoin(Organisation, Organisation.id == Agreement.organisation_id)
    )
    if kinds is not None:
        query = query.where(Signal.kind.in_(list(kinds)))
    if statuses is not None:
        query = query.where(Signal.status.in_(list(statuses)))
    if employee_id is not None:
        query = query.where(Participant.contact_employee_id == employee_id)
    if participant_id is not None:
        query = query.where(Signal.participant_id == participant_id)
    if min_age_days is not None:  # created on or before this day
        query = query.where(Signal.created_at < _day_start(on - timedelta(min_age_days - 1)))
    if max_age_days is not None:
        query = query.where(Signal.created_at >= _day_start(on - timedelta(max_age_days)))
    order = [Signal.created_at.desc(), Signal.id.desc()]
    if first_employee_id is not None:
        order.insert(0, case((Participant.contact_employee_id == first_employee_id, 0),
                             else_=1))
    rows = []
    for (signal, number, initials, first, infix, last, contact_id, contact_name, category,
         organisation, description) in session.execute(query.order_by(*order)):
        name = " ".join(p for p in (first or initials, infix, last) if p)
        rows.append(SignalRow(
            signal.id, signal.participant_id, number, name, contact_id, contact_name,
            signal.agreement_id,
            agreement_label(category, organisation, description) if category else None,
            signal.kind, signal.status, signal.active, signal.message, signal.expected_date,
            signal.expected_cents, signal.found_cents, signal.transaction_id,
            signal.created_at, signal.updated_at, signal.status_by, signal.status_note,
            signal.status_at, TAB_OF_KIND.get(signal.kind, "signalen"), category))
    return rows


def signal_export_rows(session: Session, on: date | None = None) -> list[SignalExportRow]:
    """The open signals (open and in behandeling) for ``huishoudboekje signals``, by dossier."""
    rows = sorted(list_signals(session, on=on), key=lambda r: (r.number, r.kind.value,
                                                                r.expected_date or date.min))
    return [SignalExportRow(r.number, r.kind.value, r.category, r.expected_date,
                            r.expected_cents, r.found_cents, r.status.value, r.contact_name,
                            r.message) for r in rows]


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def open_signal_count(session: Session, employee_id: int | None = None) -> int:
    query = select(func.count()).select_from(Signal).where(Signal.status.in_(OPEN_STATES))
    if employee_id is not None:
        query = query.join(Participant, Participant.id == Signal.participant_id).where(
            Participant.contact_employee_id == employee_id)
    return session.scalar(query) or 0


STATUS_ACTIONS = {SignalStatus.IN_PROGRESS: "signaal in behandeling",
                  SignalStatus.RESOLVED: "signaal afgehandeld",
                  SignalStatus.OPEN: "signaal heropend"}


@requires(*ALL_ROLES, action="status van signaal wijzigen")
def set_signal_status(uow: UnitOfWork, signal_id: int, status: SignalStatus,
                      note: str) -> None:
    """Take a signal in treatment, resolve it (a note is required) or reopen it."""
    status = SignalStatus(status)
    note = (note or "").strip()
    if status == SignalStatus.RESOLVED and not note:
        raise ValidationError("Schrijf kort op hoe het signaal is afgehandeld.", "note")
    if len(note) > 2000:
        raise ValidationError("De notitie is te lang (hoogstens 2000 tekens).", "note")
    with uow:
        signal = uow.session.get(Signal, signal_id)
        if signal is None:
            raise NotFoundError(f"Signaal {signal_id} bestaat niet (meer).")
        if signal.status == status and status == SignalStatus.RESOLVED:
            raise ValidationError("Dit signaal is al afgehandeld.", "status")
        before = snapshot(signal, exclude=("message",))
        signal.status = status
        signal.status_at = utcnow()
        signal.status_by = uow.actor
        signal.status_note = note or None
        uow.record(STATUS_ACTIONS[status], signal, before=_status_part(before),
                   after=_status_part(snapshot(signal)))
        uow.commit()


def _status_part(values: dict) -> dict:
    return {k: values.get(k) for k in ("participant_id", "kind", "key", "status", "status_by",
                                       "status_note")}


def participants_of_transactions(session: Session, transaction_ids: Iterable[int]) -> set[int]:
    """Whose signals a change to these transactions may touch: the participants they are
    booked to and those of the agreements they are suggested for."""
    ids = list(transaction_ids)
    if not ids:
        return set()
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found.update(session.scalars(select(Booking.participant_id).where(
            among(Booking.transaction_id, chunk, session), Booking.participant_id.is_not(None))))
        found.update(session.scalars(
            select(Agreement.participant_id).join(
                Suggestion, Suggestion.agreement_id == Agreement.id)
            .where(among(Suggestion.transaction_id, chunk, session))))
    return found


__all__ = [
    "EvaluationOutcome", "SignalRow", "SignalThresholds", "clean_thresholds",
    "default_thresholds", "evaluate_daily", "evaluate_signals", "list_signals",
    "load_thresholds", "open_signal_count", "participants_newly_judged",
    "participants_of_transactions", "refresh_signals",
    "touch", "touch_everyone", "touch_transactions",
    "save_thresholds", "set_signal_status", "statement_coverage",
]

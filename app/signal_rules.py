"""The signal rules: what a person must look at, from plain facts (no Session, no clock).

``evaluate(facts, coverage, on, thresholds)`` gives the problems of one participant as
``Finding``s, each with a ``key`` that names the problem (kind, agreement, period or saldo
episode). The service (``app.services.signals``) loads the facts, keeps one row per key and
closes the rows whose problem is gone; everything about *when* something is a problem lives here.

Payment periods. Each booked payment of an agreement belongs to the due day nearest to it,
where being late within the margin M (days a payment may be late) counts as on time and a tie
goes to the later due day (payers pay early rather than a period late). So a rent paid one day
inside the margin counts for its month, a late one fills its own month once it is booked (the
signal closes), and a payment early for next month is not a double one. A due day D is missing
when nothing belongs to it; it is judged only when the imported statements cover it: D on or
after the first statement day and D + M on or before the last one and before today (no history
before the first statement, no "missing" for days not imported yet).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from app.formatting import euro, short_date
from app.schedule import Schedule, add_months, due_dates

# The kinds, as app.models.SignalKind values (this module stays free of the ORM).
PAYMENT_MISSING = "betaling ontbreekt"
AMOUNT_OFF = "afwijkend bedrag"
DUPLICATE = "dubbele betaling"
SALDO_NEGATIVE = "saldo negatief"
SHORTFALL = "tekort"
BUFFER_EXCEEDED = "buffer overschreden"
SALDO_FORECAST = "saldo-verwachting"
PROGRESS_TALK_DUE = "voortgangsgesprek"
EMPLOYER_NOT_PAYING = "werkgever betaalt niet via ons"
PAYOUT_RETURNED = "betaling teruggekomen"

# Signals about one period of one agreement: their expected_date is the period's due day (of
# an employer's run of missing salaries: the last one's).
PERIOD_KINDS = frozenset({PAYMENT_MISSING, AMOUNT_OFF, DUPLICATE, EMPLOYER_NOT_PAYING})
DEFAULT_MARGIN_DAYS = {"week": 5, "4-weken": 5, "maand": 7, "kwartaal": 31, "jaar": 61}
# Payments per month of each frequency, for "two months of fixed costs".
PER_MONTH = {"week": Decimal(52) / 12, "4-weken": Decimal(13) / 12, "maand": Decimal(1),
             "kwartaal": Decimal(1) / 3, "jaar": Decimal(1) / 12}
PERIOD_DAYS = {"week": 7, "4-weken": 28, "maand": 31, "kwartaal": 92, "jaar": 366}  # at most
EXIT_CRITERION = "Dit is een uitstapcriterium van de gemeente: bespreek het met de deelnemer."
SALARY_CATEGORIES = frozenset({"salaris", "loon"})


@dataclass(frozen=True)
class Thresholds:
    """Instellingen › Signalen; an agreement may set its own margin and tolerance."""

    margin_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MARGIN_DAYS))
    tolerance_percent: Decimal = Decimal(10)
    negative_months: int = 3  # saldo negatief for more than this many months in a row
    shortfall_months: int = 2  # tekort: a negative saldo of this many months of fixed costs
    forecast_weeks: int = 8
    employer_missing_periods: int = 2
    progress_talk_months: int = 6


@dataclass(frozen=True)
class AgreementFacts:
    id: int
    label: str  # "huur – Woonstad Rotterdam"
    income: bool
    category: str
    category_kind: str  # inkomen | vaste_last | leefgeld | overig
    frequency: str
    day: int | None
    valid_from: date
    valid_through: date | None
    amount_cents: int  # expected, positive
    margin_days: int | None = None  # None: the threshold of its frequency
    tolerance_percent: Decimal | None = None

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.frequency, self.day, self.valid_from, self.valid_through)

    @property
    def signed_cents(self) -> int:
        return self.amount_cents if self.income else -self.amount_cents


class BookedPayment(NamedTuple):  # a tuple: 100,000 of them at every import's commit
    agreement_id: int
    day: date
    amount_cents: int  # signed, as booked


@dataclass(frozen=True)
class QueuedPayment:
    """An open transaction in the queue with these agreements among its suggestions."""

    transaction_id: int
    day: date
    amount_cents: int
    agreement_ids: frozenset[int]


@dataclass(frozen=True)
class ReturnedPayout:
    """A payment of ours that the bank returned and nobody has released again."""

    payout_id: int
    agreement_id: int | None
    label: str  # "huur – Woonstad Rotterdam", "leefgeld"
    execution_date: date
    amount_cents: int
    reason: str | None  # the bank's return code (AC04 …)


@dataclass(frozen=True)
class ParticipantFacts:
    id: int
    status: str  # ParticipantStatus value
    buffer_cents: int
    next_progress_talk: date | None
    agreements: tuple[AgreementFacts, ...] = ()
    payments: tuple[BookedPayment, ...] = ()  # bookings on agreements
    saldo_moves: tuple[tuple[date, int], ...] = ()  # every booking's (date, cents), any order
    queued: tuple[QueuedPayment, ...] = ()
    returned: tuple[ReturnedPayout, ...] = ()
    # An evaluation since a day (``judged_from``): only periods that what happened from that
    # day on can change are judged; the facts then hold the payments from a period or two
    # before it and the saldo moves from ``opening_day``, after ``opening_saldo``.
    since: date | None = None
    opening_saldo: int = 0
    opening_negative_since: date | None = None  # when ``opening_saldo`` is below zero

    @cached_property
    def payments_by_agreement(self) -> dict[int, list[BookedPayment]]:
        grouped: dict[int, list[BookedPayment]] = defaultdict(list)
        for payment in self.payments:
            grouped[payment.agreement_id].append(payment)
        return grouped


class NeedsHistory(Exception):  # noqa: N818 - a request, not an error
    """An evaluation since a day cannot be exact for this participant (a salary missing since
    before it, a saldo negative since a day the facts do not hold): evaluate them over their
    whole history."""


@dataclass(frozen=True)
class Coverage:
    """The days the imported statements of the municipal account cover."""

    first: date
    last: date


@dataclass(frozen=True)
class Finding:
    key: str
    kind: str
    message: str
    agreement_id: int | None = None
    expected_date: date | None = None
    expected_cents: int | None = None
    found_cents: int | None = None
    transaction_id: int | None = None


SALDO_STATUSES = frozenset({"actief", "opgezegd"})


def evaluate(facts: ParticipantFacts, coverage: Coverage | None, on: date,
             thresholds: Thresholds) -> list[Finding]:
    findings: list[Finding] = []
    if coverage is not None and facts.status != "beëindigd":
        for agreement in facts.agreements:
            findings += _payment_findings(facts, agreement, coverage, on, thresholds)
    if facts.status in SALDO_STATUSES:
        findings += _saldo_findings(facts, on, thresholds)
    if facts.status == "actief" and facts.next_progress_talk and facts.next_progress_talk < on:
        talk = facts.next_progress_talk
        findings.append(Finding(
            f"{PROGRESS_TALK_DUE}:{talk.isoformat()}", PROGRESS_TALK_DUE,
            f"Het voortgangsgesprek stond gepland op {short_date(talk)} en is niet vastgelegd: "
            f"plan het gesprek (het halfjaarlijkse gesprek hoort bij de afspraken).",
            expected_date=talk))
    for payout in facts.returned:
        code = f" (reden {payout.reason})" if payout.reason else ""
        findings.append(Finding(
            f"{PAYOUT_RETURNED}:{payout.payout_id}", PAYOUT_RETURNED,
            f"De betaling {payout.label} van {euro(payout.amount_cents)} (uitgevoerd "
            f"{short_date(payout.execution_date)}) is door de bank teruggestuurd{code}: "
            "controleer de rekening en geef de betaling opnieuw vrij in Betaalopdrachten.",
            agreement_id=payout.agreement_id, expected_date=payout.execution_date,
            expected_cents=payout.amount_cents))
    return findings


# -- Payments ------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)  # many per agreement; one period is itself only
class _Period:
    due: date
    end: date  # last day on time (D + M)
    booked: list[BookedPayment] = field(default_factory=list)
    queued: list[QueuedPayment] = field(default_factory=list)  # waiting in the queue


def margin_of(agreement: AgreementFacts, thresholds: Thresholds) -> int:
    return margin_days(agreement.frequency, agreement.margin_days, thresholds)


def margin_days(frequency: str, own: int | None, thresholds: Thresholds) -> int:
    if own is not None:
        return own
    return thresholds.margin_days.get(frequency, DEFAULT_MARGIN_DAYS["maand"])


def judged_until(coverage: Coverage, on: date) -> date:
    """The last day a payment's margin may run out on for its period to be judged: the last
    statement day, and before today."""
    return min(coverage.last, on - timedelta(days=1))


def tolerance_of(agreement: AgreementFacts, thresholds: Thresholds) -> Decimal:
    if agreement.tolerance_percent is not None:
        return agreement.tolerance_percent
    return thresholds.tolerance_percent


def _periods(agreement: AgreementFacts, margin: int, first: date, last: date,
             payments: list[BookedPayment], queued: list[QueuedPayment] = ()) -> list[_Period]:
    """Every due day from a period before ``first`` to a period after ``last`` (and after
    the payments), with the payments (booked and waiting in the queue) that belong to it."""
    days = [first, last, *(p.day for p in payments), *(q.day for q in queued)]
    reach = timedelta(days=PERIOD_DAYS.get(agreement.frequency, 366) + margin)
    periods = [_Period(due, due + timedelta(days=margin)) for due in
               due_dates(agreement.schedule, min(days) - reach, max(days) + reach)]
    dues = [period.due for period in periods]
    for payment in payments:
        if (period := _period_of(periods, dues, payment.day)) is not None:
            period.booked.append(payment)
    for waiting in queued:
        if (period := _period_of(periods, dues, waiting.day)) is not None:
            period.queued.append(waiting)
    return periods


def _period_of(periods: list[_Period], dues: list[date], day: date) -> _Period | None:
    at = bisect_left(dues, day)  # dues[at] is the first due on or after the day
    later = periods[at] if at < len(periods) else None
    earlier = periods[at - 1] if at > 0 else None
    if later is not None and (earlier is None or
                              later.due - day <= max(day - earlier.end, timedelta(0))):
        return later
    return earlier  # None: outside the agreement's validity


def judged_from(agreement: AgreementFacts, since: date, thresholds: Thresholds) -> date:
    """The first due day an evaluation since ``since`` judges for this agreement: a payment
    or a statement day from ``since`` on belongs to a period due at most a period and its
    margin earlier (a payment later than that is the next period's)."""
    return since - timedelta(days=PERIOD_DAYS.get(agreement.frequency, 366)
                             + margin_of(agreement, thresholds))


def _payment_findings(facts: ParticipantFacts, agreement: AgreementFacts, coverage: Coverage,
                      on: date, thresholds: Thresholds) -> list[Finding]:
    margin = margin_of(agreement, thresholds)
    # Judged: due on or after the first statement day, margin over by the last statement day
    # and before today.
    last_judged = judged_until(coverage, on) - timedelta(days=margin)
    first_judged = coverage.first
    if facts.since is not None:
        first_judged = max(first_judged, judged_from(agreement, facts.since, thresholds))
    payments = facts.payments_by_agreement.get(agreement.id, [])
    periods = [p for p in _periods(agreement, margin, first_judged, last_judged, payments,
                                   _queued_for(facts, agreement))
               if first_judged <= p.due <= last_judged]
    findings: list[Finding] = []
    tolerance = tolerance_of(agreement, thresholds)
    expected = agreement.amount_cents
    missing: list[_Period] = []
    for period in periods:
        if not period.booked:
            missing.append(period)
            continue
        # Net in the agreement's direction: a reversal (storno) takes its payment back.
        sign = 1 if agreement.income else -1
        total = sign * sum(p.amount_cents for p in period.booked)
        count = sum(1 for p in period.booked if p.amount_cents * sign > 0)
        if count == 1 and _within(total, expected, tolerance):
            continue  # the usual case: one payment as agreed
        when = f"verwacht op {short_date(period.due)}"
        if count > 1 and total * 100 > (100 + tolerance) * expected:
            days = ", ".join(short_date(p.day) for p in sorted(period.booked, key=_by_day))
            findings.append(Finding(
                f"{DUPLICATE}:{agreement.id}:{period.due.isoformat()}", DUPLICATE,
                f"{agreement.label}: {count} betalingen in één periode "
                f"({when}; geboekt {days}), samen {euro(total)} waar {euro(expected)} is "
                f"afgesproken. Controleer of er dubbel is betaald en vraag het terug.",
                agreement.id, period.due, expected, total))
        elif not _within(total, expected, tolerance):
            if count == 0 or total <= 0:
                found = (f"de betaling is teruggeboekt of teruggestort: per saldo "
                         f"{euro(total)} ({when}) waar {euro(expected)} is afgesproken. "
                         f"Vraag na waarom en of er nog betaald moet worden.")
            else:
                more = "meer" if total > expected else "minder"
                found = (f"{euro(total)} geboekt ({when}), {euro(abs(total - expected))} {more}"
                         f" dan de afgesproken {euro(expected)} (marge {_percent(tolerance)}). "
                         f"Pas de afspraak aan als het bedrag blijvend anders is.")
            findings.append(Finding(
                f"{AMOUNT_OFF}:{agreement.id}:{period.due.isoformat()}", AMOUNT_OFF,
                f"{agreement.label}: {found}", agreement.id, period.due, expected, total))
    if not missing:
        return findings
    if (first_judged > coverage.first and periods and _is_salary(agreement)
            and not periods[0].booked and not periods[0].queued):
        # A run of missing salaries may have begun before the judged periods (its key is its
        # first due day), or ended now (then its earlier periods are each missing again).
        raise NeedsHistory
    salary_run = _salary_run(agreement, periods, missing, thresholds)
    for period in missing:
        if period in salary_run:
            continue
        waiting = period.queued[0] if period.queued else None
        key = f"{PAYMENT_MISSING}:{agreement.id}:{period.due.isoformat()}"
        deadline = short_date(period.end)
        if waiting is not None:
            findings.append(Finding(
                key, PAYMENT_MISSING,
                f"{agreement.label}: de betaling van {short_date(waiting.day)} "
                f"({euro(abs(waiting.amount_cents))}) wacht in de wachtrij met deze afspraak als "
                f"voorstel; koppel hem daar (verwacht {euro(expected)} op "
                f"{short_date(period.due)}).",
                agreement.id, period.due, expected, abs(waiting.amount_cents),
                transaction_id=waiting.transaction_id))
        else:
            findings.append(Finding(
                key, PAYMENT_MISSING,
                f"{agreement.label}: {euro(expected)} verwacht op {short_date(period.due)} is "
                f"niet binnengekomen of betaald (uiterlijk {deadline}, marge {margin} dagen). "
                f"Neem contact op met {'de betaler' if agreement.income else 'de ontvanger'}.",
                agreement.id, period.due, expected, 0))
    if salary_run:
        first, last = salary_run[0], salary_run[-1]
        findings.append(Finding(
            f"{EMPLOYER_NOT_PAYING}:{agreement.id}:{first.due.isoformat()}", EMPLOYER_NOT_PAYING,
            f"{agreement.label}: het salaris ontbreekt {len(salary_run)} perioden op rij "
            f"(verwacht {short_date(first.due)} tot en met {short_date(last.due)}). Waarschijnlijk"
            f" betaalt de werkgever nog op de eigen rekening van de deelnemer: vraag de "
            f"loonstrook op, controleer het rekeningnummer bij de werkgever en stuur zo nodig "
            f"opnieuw de loonbeslag-/omleidingsbrief.",
            agreement.id, last.due, agreement.amount_cents, 0))
    return findings


def _salary_run(agreement: AgreementFacts, periods: list[_Period], missing: list[_Period],
                thresholds: Thresholds) -> list[_Period]:
    """The latest periods of a salary, all missing and nothing waiting, when there are at
    least ``employer_missing_periods`` of them in a row up to the last judged period."""
    if not _is_salary(agreement):
        return []
    run: list[_Period] = []
    for period in reversed(periods):
        if period.booked or period.queued:
            break
        run.append(period)
    run.reverse()
    return run if len(run) >= max(thresholds.employer_missing_periods, 1) else []


def _is_salary(agreement: AgreementFacts) -> bool:
    return agreement.income and agreement.category.lower() in SALARY_CATEGORIES


def _queued_for(facts: ParticipantFacts, agreement: AgreementFacts) -> list[QueuedPayment]:
    wanted = [q for q in facts.queued if agreement.id in q.agreement_ids
              and (q.amount_cents > 0) == agreement.income]
    return sorted(wanted, key=lambda q: (q.day, q.transaction_id))


def _within(total: int, expected: int, tolerance: Decimal) -> bool:
    return abs(total - expected) * 100 <= tolerance * expected


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + "%"


def _by_day(payment: BookedPayment) -> date:
    return payment.day


# -- Saldo ---------------------------------------------------------------------------------------


def _daily(moves: Iterable[tuple[date, int]]) -> list[tuple[date, int]]:
    per_day: dict[date, int] = defaultdict(int)
    for day, cents in moves:
        per_day[day] += cents
    return sorted(per_day.items())


def saldo_history(facts: ParticipantFacts, on: date) -> tuple[int, date | None]:
    """The saldo at the end of ``on`` and, when it is negative, the first day of the negative
    run it is in."""
    saldo, negative_since = facts.opening_saldo, None
    if saldo < 0:
        negative_since = facts.opening_negative_since
        if negative_since is None:
            raise NeedsHistory  # negative since before the moves, but since when?
    for day, cents in _daily(facts.saldo_moves):
        if day > on:
            break
        saldo += cents
        if saldo >= 0:
            negative_since = None
        elif negative_since is None:
            negative_since = day
    return saldo, negative_since


def monthly_fixed_costs(facts: ParticipantFacts, on: date) -> int:
    total = sum(PER_MONTH.get(a.frequency, Decimal(1)) * a.amount_cents
                for a in facts.agreements
                if not a.income and a.category_kind == "vaste_last" and
                a.valid_from <= on and (a.valid_through is None or on <= a.valid_through))
    return int(total)


def _saldo_findings(facts: ParticipantFacts, on: date, thresholds: Thresholds) -> list[Finding]:
    saldo, negative_since = saldo_history(facts, on)
    findings = []
    buffer = facts.buffer_cents
    if negative_since is not None and negative_since < add_months(on, -thresholds.negative_months):
        findings.append(Finding(
            f"{SALDO_NEGATIVE}:{negative_since.isoformat()}", SALDO_NEGATIVE,
            f"Het saldo is negatief sinds {short_date(negative_since)}, langer dan "
            f"{thresholds.negative_months} maanden op rij (nu {euro(saldo)}). {EXIT_CRITERION}",
            expected_date=negative_since, found_cents=saldo))
    fixed = monthly_fixed_costs(facts, on)
    if saldo < 0 and fixed > 0 and -saldo >= thresholds.shortfall_months * fixed:
        findings.append(Finding(
            SHORTFALL, SHORTFALL,
            f"Tekort van {euro(-saldo)}: {thresholds.shortfall_months} maanden vaste lasten "
            f"({euro(fixed)} per maand) of meer. {EXIT_CRITERION}",
            expected_cents=thresholds.shortfall_months * fixed, found_cents=saldo))
    if saldo < -buffer:
        findings.append(Finding(
            BUFFER_EXCEEDED, BUFFER_EXCEEDED,
            f"Het saldo ({euro(saldo)}) staat onder de buffer van {euro(-buffer)}: er is meer "
            f"voorgeschoten dan is afgesproken. {EXIT_CRITERION}",
            expected_cents=-buffer, found_cents=saldo))
    else:
        findings += _forecast(facts, saldo, on, thresholds)
    return findings


def _forecast(facts: ParticipantFacts, saldo: int, on: date,
              thresholds: Thresholds) -> list[Finding]:
    """The saldo over the next weeks from the agreements' schedules: a payment already booked
    in its period is not counted again; on one day the costs go before the income (the bank
    does not wait for the salary)."""
    last = on + timedelta(weeks=thresholds.forecast_weeks)
    coming: list[tuple[date, int, AgreementFacts]] = []
    for agreement in facts.agreements:
        margin = margin_of(agreement, thresholds)
        # Only a payment of the last period or so can belong to a period still to come.
        since = on - timedelta(days=PERIOD_DAYS.get(agreement.frequency, 366) + margin)
        payments = [p for p in facts.payments_by_agreement.get(agreement.id, ())
                    if since <= p.day <= on]
        for period in _periods(agreement, margin, on, last, payments):
            if on < period.due <= last and not period.booked:  # not paid early
                coming.append((period.due, agreement.signed_cents, agreement))
    coming.sort(key=lambda item: (item[0], item[1]))
    running = saldo
    for due, cents, agreement in coming:
        running += cents
        if running < -facts.buffer_cents:
            return [Finding(
                SALDO_FORECAST, SALDO_FORECAST,
                f"Verwacht: op {short_date(due)} komt het saldo op {euro(running)}, onder de "
                f"buffer van {euro(-facts.buffer_cents)}, door {agreement.label} "
                f"({euro(cents)}). Bespreek nu wat er kan, voordat het zover is.",
                agreement.id, due, running, saldo)]
    return []


__all__ = [
    "PERIOD_DAYS", "PERIOD_KINDS", "AgreementFacts", "BookedPayment", "Coverage", "Finding",
    "NeedsHistory", "ParticipantFacts",
    "QueuedPayment", "Thresholds", "evaluate", "judged_from", "judged_until", "margin_days",
    "margin_of", "monthly_fixed_costs",
    "saldo_history", "tolerance_of",
]

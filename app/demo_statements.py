"""Bank statements of the demo municipality, and the truth behind every entry.

``generate_statements(data, municipal_iban)`` turns a demo book (app.demo) into the monthly
statements of the shared municipal account for the whole calendar months before
``data.today``: the income every valid agreement brings in, the fixed costs and leefgeld the
municipality pays out, and a little of the noise a real account gets (an energy company's
refund, a reversed direct debit, a gift, a web shop refund, an UWV reference nobody has, money
for an agreement that ended, bank costs). And, for about one participant in fifty each, the
problems the signals are for (``DemoStatements.situations``): a salary that never reaches us
(the employer still pays the participant), a salary skipped once, a benefit paid past its
margin, a toeslag cut, a rent raised, a rent paid twice, a payroll text with the employee's name
instead of a number. The saldos follow: some negative, one past its buffer.

Wages are as messy as real ones: an employer pays many participants from one IBAN, flex wages
differ by up to a third from the agreed amount, and each employee's payroll run prints either a
personnel number or only the name, the way that payroll writes it ('SALARIS OKT 2026 J. DE
VRIES', 'Loon wk 42 Yilmaz A', 'Vries, J.H. de', 'Jan de Vries'), diacritics mostly dropped.
Some wage agreements lack the personnel number their payroll prints (a clerk remembers it), and
namesakes on one payroll (app.demo) make a name that only a clerk can place.

``DemoStatements.truth`` says, per entry (keyed by its AcctSvcrRef), which participant and which
agreement it belongs to, whether a matcher may link it, and what its text gives to go on: the
ground truth for the matcher's tests and benchmark. It is pure: no Session, no Qt, no clock,
its own random.Random, so a seed always gives the same statements.

Everything is fiction, like the book itself. No BSN appears anywhere: banks never print one.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import gc
import random
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from app.demo import PARTICIPANT_BANKS, PER_MONTH, DemoData, ascii_fold, load, nl_iban
from app.demo_camt import write_camt053
from app.importers.statements import Entry, ReadResult, StatementData
from app.importers.terms import normalise_term, split_terms
from app.importers.workbook import AgreementRow, ParticipantRow
from app.schedule import Schedule
from app.schedule import due_dates as schedule_due_dates
from app.signal_rules import DEFAULT_MARGIN_DAYS

# The demo municipality's shared account (BNG Bank, as most Dutch municipalities bank).
MUNICIPAL_IBAN = nl_iban("BNGH", "0285093174")
MUNICIPAL_NAME = "Gemeente Utrecht"
BANK_BIC = "BNGHNL2G"
FILE_FORMAT = "camt.053.001.02"

AGREEMENT, NOISE = "agreement", "noise"
# The cases of TruthRow.case: the regular flows, then the noise.
INCOME, TRANSFER, DIRECT_DEBIT, LEEFGELD = "income", "transfer", "direct_debit", "leefgeld"
ENERGY_REFUND, REVERSAL, GIFT = "energy_refund", "reversal", "gift"
WEBSHOP_REFUND, UNKNOWN_REFERENCE = "webshop_refund", "unknown_reference"
ENDED_AGREEMENT, BANK_COSTS = "ended_agreement", "bank_costs"
UNKNOWN_EMPLOYER = "unknown_employer"  # a side job we do not know of pays the participant
NOISE_CASES = (ENERGY_REFUND, REVERSAL, GIFT, WEBSHOP_REFUND, UNKNOWN_REFERENCE,
               ENDED_AGREEMENT, BANK_COSTS, UNKNOWN_EMPLOYER)
# What a wage payment's text gives to go on (TruthRow.evidence):
REFERENCE = "reference"  # the personnel number of the agreement
NAME = "name"  # the employee's name, which no other employee of this payroll has
EMPLOYER = "employer"  # a number the agreement lacks, from a payroll that pays only them
SAME_NAME = "same_name"  # a name two employees of this payroll share: not linkable
NEW_REFERENCE = "new_reference"  # a number the agreement lacks, nothing else: not linkable

NOISE_SHARE = 0.04  # of the regular entries, bank costs not counted
# A yearly energy settlement falls in a quarter for about one household in eight, and a
# reversed direct debit is rare: both belong to an agreement, so each is a signal to look at.
NOISE_WEIGHTS = {ENERGY_REFUND: 5, REVERSAL: 5, GIFT: 29, WEBSHOP_REFUND: 22,
                 UNKNOWN_REFERENCE: 19, ENDED_AGREEMENT: 20, UNKNOWN_EMPLOYER: 6}
CORRECTION_SHARE = 0.03  # government payments with a recalculated amount (2-8% off)

# Situations: what goes wrong in a real quarter, each for about one participant in
# SITUATION_EVERY (at least one when there is a candidate), so that the signals have a
# realistic handful to show. DemoStatements.situations says who and which agreement.
EMPLOYER_NOT_PAYING = "employer_not_paying"  # no salary: the employer pays the participant
SALARY_SKIPPED = "salary_skipped"  # the employer did not pay one period
BENEFIT_LATE = "benefit_late"  # a benefit paid more than its margin late
ALLOWANCE_CUT = "allowance_cut"  # a toeslag recalculated: 15-30% less from the last period
RENT_RAISED = "rent_raised"  # the landlord's new rent paid, the agreement not yet changed
DOUBLE_PAYMENT = "double_payment"  # the same rent paid twice in one month
NAME_ONLY = "name_only"  # payroll names the employee instead of the personnel number (twice)
SITUATIONS = (EMPLOYER_NOT_PAYING, SALARY_SKIPPED, BENEFIT_LATE, ALLOWANCE_CUT, RENT_RAISED,
              DOUBLE_PAYMENT, NAME_ONLY)
SITUATION_EVERY = 50
LATE_PAYERS = frozenset({"UWV", "SVB", "Gemeente Utrecht"})
DIRECT_DEBIT_SHARE = 0.35  # of the fixed costs a creditor may collect itself
DIRECT_DEBIT_CATEGORIES = frozenset({
    "energie", "water", "zorgverzekering", "telefoon", "internet", "televisie",
    "inboedelverzekering", "aansprakelijkheidsverzekering", "Wmo eigen bijdrage",
})
_TERM = "\x00"  # where the reference goes in a text formatted once for many agreements
GOVERNMENT = frozenset({"UWV", "Belastingdienst/Toeslagen", "SVB", "Gemeente Utrecht"})

CREDIT_TRANSFER_IN = "PMNT/RCDT/ESCT"
CREDIT_TRANSFER_OUT = "PMNT/ICDT/ESCT"
DIRECT_DEBIT_CODE = "PMNT/RDDT/ESDD"
DIRECT_DEBIT_RETURN = "PMNT/RDDT/UPDD"
CHARGES_CODE = "ACMT/MDOP/CHRG"

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
SHORT_MONTHS = ("JAN", "FEB", "MRT", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV",
                "DEC")

# How each organisation's bank shows its name, and the text its payments carry. Fields:
# {term} the reference as the payer prints it, {label} what the reference is called,
# {desc} the agreement's description, {month} {yyyy} {mm} {week} {period} {quarter} of the
# date the payment is for; upper-case names are the same in capitals.
COUNTERPARTY_NAMES = {
    "UWV": "UWV",
    "Belastingdienst/Toeslagen": "Belastingdienst/Toeslagen",
    "SVB": "SVB",
    "Gemeente Utrecht": "Gemeente Utrecht",
    "Albert Heijn": "Albert Heijn B.V.",
    "PostNL": "PostNL Pakketten Benelux B.V.",
    "Randstad": "Randstad Groep Nederland B.V.",
    "Tempo-Team": "Tempo-Team Uitzenden B.V.",
    "Schoonmaakbedrijf Domstad": "Schoonmaakbedrijf Domstad B.V.",
    "Woonzorgcentrum De Lindehof": "Stichting Woonzorgcentrum De Lindehof",
    "Portaal": "Stichting Portaal",
    "Mitros": "Mitros",
    "Bo-Ex": "Bo-Ex '91",
    "SSH": "SSH Student Housing",
    "Eneco": "Eneco Services",
    "Vattenfall": "Vattenfall Klantenservice N.V.",
    "Essent": "Essent Retail Energie B.V.",
    "Vitens": "Vitens N.V.",
    "Zilveren Kruis": "Zilveren Kruis Zorgverzekeringen N.V.",
    "CZ": "CZ Zorgverzekeringen",
    "Zorg & Zekerheid": "Zorg en Zekerheid",
    "Menzis": "Menzis Zorgverzekeraar N.V.",
    "VGZ": "VGZ Zorgverzekeraar N.V.",
    "Ziggo": "Ziggo Services B.V.",
    "KPN": "KPN B.V.",
    "Interpolis": "Interpolis Schade",
    "CAK": "CAK",
}
INCOME_TEXTS = {
    ("UWV", None): "{desc} {month} {yyyy} uitkeringsnr {term}",
    ("Belastingdienst/Toeslagen", None): "{DESC} {yyyy} {MONTH} KENMERK {term}",
    ("SVB", "uitkering"): "AOW {month} {yyyy} klantnummer {term}",
    ("SVB", "kinderbijslag"): "Kinderbijslag {quarter}e kwartaal {yyyy} klantnummer {term}",
    ("Gemeente Utrecht", None): "{desc} {month} {yyyy} clientnr {term}",
}
DEFAULT_INCOME_TEXT = "{desc} {month} {yyyy} {term}"

# How a payroll names an employee (Payslip.form): 'J.H. de Vries', 'Vries, J.H. de',
# 'De Vries J', 'Jan de Vries'. The initials are the official ones: the first is that of the
# name the participant goes by, a second one is unknown to us.
INITIALS, SORTED, SURNAME_FIRST, FULL = "initials", "sorted", "surname_first", "full"


class Payslip(NamedTuple):
    """One payroll run's text: {term} the personnel number, {name} the employee (in capitals:
    {NAME}) in ``form``; diacritics dropped unless ``accents``. ``weight``: how many of the
    employer's employees it pays, relatively."""

    template: str
    form: str | None
    weight: int
    accents: bool = False


# The employers' payroll runs (departments and kinds of contract are paid by different runs):
# each employee is paid by one of them, period after period.
PAYSLIPS = {
    "Albert Heijn": (
        Payslip("Salaris periode {period} {yyyy} pnr {term}", None, 4),
        Payslip("SALARIS PER {period} {yyyy} {NAME}", INITIALS, 3),
        Payslip("Salaris periode {period} {yyyy} {name} pnr {term}", SORTED, 1),
    ),
    "PostNL": (
        Payslip("Salaris {month} {yyyy} personeelsnr {term}", None, 3),
        Payslip("SALARIS {MON} {yyyy} {NAME}", INITIALS, 3),
    ),
    "Randstad": (
        Payslip("Randstad loon week {week} {yyyy} reg.nr {term}", None, 3),
        Payslip("Loon wk {week} {name}", SURNAME_FIRST, 3),
    ),
    "Tempo-Team": (
        Payslip("Loon wk {week}-{yyyy} kandidaatnr {term}", None, 2),
        Payslip("Loon wk {week}-{yyyy} {name}", FULL, 2),
        Payslip("TEMPO-TEAM LOON WK {week} {NAME}", SURNAME_FIRST, 1),
    ),
    "Schoonmaakbedrijf Domstad": (
        Payslip("Salaris {mm}-{yyyy} pers.nr {term}", None, 2),
        Payslip("Salaris {mm}-{yyyy} {name}", SORTED, 2),
    ),
    "Woonzorgcentrum De Lindehof": (
        Payslip("Salarisbetaling {month} {yyyy} {term}", None, 3),
        Payslip("Salarisbetaling {month} {yyyy} {name}", FULL, 1, accents=True),
        Payslip("NETTO SALARIS {MONTH} {yyyy} {NAME}", INITIALS, 1),
    ),
}
DEFAULT_PAYSLIP = (Payslip("Salaris {month} {yyyy} {term}", None, 1),)
SECOND_INITIAL_SHARE = 0.35  # of the participants: more than one given name
# Side jobs nobody told us about (UNKNOWN_EMPLOYER): (name, bank, payroll text)
UNKNOWN_EMPLOYERS = (
    ("YoungCapital B.V.", "INGB", "Loon wk {week} {name}", SURNAME_FIRST),
    ("Temper B.V.", "ABNA", "Uitbetaling diensten week {week} {yyyy} {name}", FULL),
    ("Hotel Karel V B.V.", "RABO", "SALARIS {MON} {yyyy} {NAME}", INITIALS),
    ("Bakkerij Van Maanen", "RABO", "Salaris {mm}-{yyyy} {name}", SORTED),
)
DIRECT_DEBIT_TEXT = "{desc} {month} {yyyy} {label} {term}"
TRANSFER_TEXT = "{desc} {month} {yyyy} {label} {term}"
E2E_PREFIX = {"UWV": "UWV", "SVB": "SVB", "Gemeente Utrecht": "GUPW"}
ENERGY_REFUND_TEXTS = {
    "Eneco": "Terugbetaling jaarafrekening {yyyy} klantnummer {term}",
    "Vattenfall": "Vattenfall jaarnota {yyyy} tegoed klantnummer {term}",
    "Essent": "Restitutie jaarafrekening {yyyy} Essent klantnr {term}",
}
WEBSHOPS = ("bol.com b.v.", "Wehkamp Retail Group B.V.", "Zalando SE", "Coolblue B.V.",
            "Stichting Mollie Payments")
WEBSHOP_TEXTS = ("Terugbetaling bestelling {ref}", "Retour {ref} {shop}", "Refund order {ref}",
                 "Creditering retourzending {ref}")
_NAME = "\x01"  # where the employee's name goes (the same way as _TERM)
GIFT_TEXTS = ("Voor {first}", "Voor {first}, fijne verjaardag", "Cadeautje voor {first}",
              "Gift voor {full}", "Voor {first} boodschappen", "Voor {first} van oma en opa",
              "{full} bijdrage", "Voor {first} en de kinderen")


class _WageTruth(NamedTuple):
    """The truth of one agreement's wage payments: ``evidence`` when nobody else the text
    could mean is employed on the day (``rivals``: since and until when they are), else
    ``ambiguous`` (not linkable); ``learn``: the number the agreement lacks."""

    participant: str
    agreement: int
    evidence: str
    ambiguous: str
    learn: str | None
    rivals: list[tuple[date, date | None]]

    def on(self, due: date, booked: date) -> TruthRow:
        if any(since <= day and (until is None or day <= until)
               for since, until in self.rivals for day in (due, booked)):
            return TruthRow(self.participant, None, AGREEMENT, INCOME, due,
                            belongs_to=self.agreement, evidence=self.ambiguous, learn=self.learn)
        return TruthRow(self.participant, self.agreement, AGREEMENT, INCOME, due,
                        evidence=self.evidence, learn=self.learn)


class Situation(NamedTuple):
    """One deliberate problem: ``kind`` (SITUATIONS), the dossier number, the AgreementRow.row
    and the due day of the (first) period it concerns."""

    kind: str
    participant: str
    agreement: int
    due: date | None


class TruthRow(NamedTuple):
    """What one generated entry is.

    ``participant``: the dossier number it concerns (None when nobody's). ``agreement``: the
    AgreementRow.row it belongs to and may be linked to — for the regular flows, and also for
    an energy company's refund and a reversed direct debit (they belong to the original
    agreement, DESIGN §5); None for all other noise, and for a regular payment whose text
    cannot tell whose it is (``belongs_to`` then says where a clerk books it). ``kind``:
    "agreement" or "noise"; ``case``: which flow or which noise (NOISE_CASES). ``due``: the
    day a regular payment is for. ``refers_to``: the agreement the text names although it may
    not take the money (a payment for an agreement that ended). ``evidence``: for a wage,
    what its text gives to go on (REFERENCE, NAME, EMPLOYER, SAME_NAME, NEW_REFERENCE).
    ``learn``: a stable reference in the text that the agreement lacks — what a clerk would
    remember (after which the agreement's later payments may be linked, see link_quality).
    """

    participant: str | None
    agreement: int | None
    kind: str
    case: str
    due: date | None = None
    refers_to: int | None = None
    belongs_to: int | None = None
    evidence: str | None = None
    learn: str | None = None

    @property
    def linkable(self) -> bool:
        """May a matcher link this entry (to ``agreement``)? Everything else must stay in the
        queue: linking it is a wrong link."""
        return self.agreement is not None

    @property
    def right_agreement(self) -> int | None:
        """The agreement a clerk books it to: ``agreement``, else ``belongs_to``."""
        return self.agreement if self.agreement is not None else self.belongs_to

    def linkable_after(self, learned: Collection[int]) -> int | None:
        """The agreement a matcher may link it to once the references of the agreements
        ``learned`` are remembered (None: it must stay in the queue)."""
        if self.agreement is None and self.learn and self.belongs_to in learned:
            return self.belongs_to
        return self.agreement


@dataclass
class DemoStatements:
    account: str
    statements: list[StatementData]  # one per calendar month, oldest first
    truth: dict[str, TruthRow]  # by Entry.bank_reference
    situations: list[Situation] = field(default_factory=list)

    def entries(self) -> Iterator[Entry]:
        for statement in self.statements:
            yield from statement.entries

    @property
    def entry_count(self) -> int:
        return sum(len(s.entries) for s in self.statements)

    @staticmethod
    def read_result(statement: StatementData) -> ReadResult:
        """The statement as a reader would return its file (for store_statements)."""
        return ReadResult(FILE_FORMAT, [statement], bank=BANK_BIC)

    @staticmethod
    def file_name(statement: StatementData) -> str:
        return f"afschrift-{statement.account}-{statement.period_from:%Y-%m}.xml"

    def write_files(self, folder: Path) -> list[Path]:
        """One camt.053 file per month, as the bank would send it the first morning after."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for statement in self.statements:
            assert statement.period_from is not None and statement.period_through is not None
            path = folder / self.file_name(statement)
            created = datetime.combine(statement.period_through + timedelta(days=1), time(6))
            write_camt053(path, [statement], message_id=f"HHB-DEMO-{statement.period_from:%Y%m}",
                          created=created, bank_bic=BANK_BIC)
            paths.append(path)
        return paths


def link_quality(truth: dict[str, TruthRow], linked: dict[str, int],
                 agreement_ids: dict[int, int], learned: Collection[int] = ()) -> Counter:
    """How a matcher did against the truth. ``linked``: agreement id per bank reference of
    each linked entry; ``agreement_ids``: database id per AgreementRow.row; ``learned``: the
    AgreementRow.row of agreements whose reference a clerk has remembered (their entries with
    that reference are linkable too). Counts 'right', 'wrong' (linked to another agreement),
    'missed' (linkable but left in the queue), 'queue' (kept in the queue, as it should) and
    'wrongly linked' (no agreement explains it, yet it was linked)."""
    result: Counter = Counter()
    learned = frozenset(learned)
    for reference, row in truth.items():
        booked = linked.get(reference)
        right = row.linkable_after(learned) if learned else row.agreement
        if right is None:
            result["wrongly linked" if booked is not None else "queue"] += 1
        elif booked is None:
            result["missed"] += 1
        else:
            result["right" if booked == agreement_ids[right] else "wrong"] += 1
    return result


def payroll_name(first_name: str, infix: str | None, last_name: str, initials: str,
                 form: str, *, capitals: bool = False, accents: bool = False) -> str:
    """The employee as a payroll writes them: 'J.H. de Vries' (INITIALS), 'Vries, J.H. de'
    (SORTED), 'De Vries J' (SURNAME_FIRST), 'Jan de Vries' (FULL); in capitals (then always
    without diacritics: 'YILMAZ A', 'OZTURK M'), else without them unless ``accents``."""
    if form == INITIALS:
        parts = (initials, infix, last_name)
    elif form == SORTED:
        parts = (f"{last_name},", initials, infix)
    elif form == SURNAME_FIRST:
        parts = (infix[:1].upper() + infix[1:] if infix else None, last_name, initials[0])
    else:
        parts = (first_name, infix, last_name)
    text = " ".join(p for p in parts if p)
    if capitals:
        return ascii_fold(text).upper()
    return text if accents else ascii_fold(text)


def statement_window(today: date, months: int) -> tuple[date, date]:
    """The first and last day of the ``months`` whole calendar months before today's month."""
    index = today.year * 12 + today.month - 1 - months
    first = date(index // 12, index % 12 + 1, 1)
    return first, date(today.year, today.month, 1) - timedelta(days=1)


def split_statement(statement: StatementData, last_days: list[date]) -> list[StatementData]:
    """The statement as the bank sends it through the month: a part up to each of
    ``last_days`` and one for the rest, each with its own balances (the day statements a
    municipality imports; a day without bookings goes with the next part)."""
    parts, balance, start = [], statement.opening_balance_cents, statement.period_from
    for last in [*sorted(last_days), statement.period_through]:
        entries = [e for e in statement.entries if start <= e.booking_date <= last]
        closing = balance + sum(e.amount_cents for e in entries)
        parts.append(dataclasses.replace(
            statement, entries=entries, period_from=start, period_through=last,
            opening_balance_cents=balance, opening_date=start, closing_balance_cents=closing,
            closing_date=last, statement_id=f"{statement.statement_id}-{len(parts) + 1}"))
        balance, start = closing, last + timedelta(days=1)
    return parts


def generate_statements(data: DemoData, municipal_iban: str = MUNICIPAL_IBAN, months: int = 3,
                        seed: int = 1) -> DemoStatements:
    """One statement per month for the ``months`` whole calendar months before the month of
    ``data.today``; the same book, IBAN and seed always give the same statements."""
    if months < 1:
        raise ValueError("months must be at least 1")
    # Hundreds of thousands of small objects, none of them cyclic: the garbage collector
    # would walk the whole heap (the book included) over and over for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Generator(data, municipal_iban.replace(" ", "").upper(), months, seed).run()
    finally:
        if collecting:
            gc.enable()


# --- dates ------------------------------------------------------------------------------------


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


@functools.cache
def _bank_holidays(year: int) -> frozenset[date]:
    """The days SEPA (TARGET2) books nothing besides weekends."""
    easter = _easter(year)
    return frozenset({date(year, 1, 1), easter - timedelta(days=2), easter + timedelta(days=1),
                      date(year, 5, 1), date(year, 12, 25), date(year, 12, 26)})


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def _working_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _working_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def due_dates(agreement: AgreementRow, first: date, last: date) -> list[date]:
    """The days in [first, last] a payment of this agreement is due, on which it is valid
    (the schedule arithmetic is ``app.schedule``'s)."""
    day = agreement.day if isinstance(agreement.day, int) else None
    return schedule_due_dates(
        Schedule(str(agreement.frequency), day, agreement.valid_from,  # type: ignore[arg-type]
                 agreement.valid_through),  # type: ignore[arg-type]
        first, last)


# --- references as banks print them -----------------------------------------------------------


class _TermStyle(NamedTuple):
    letters: str
    digits: int
    label: str
    layout: str  # str.format layout with '{}' per digit


@functools.cache
def _term_styles() -> dict[tuple[str, str], tuple[_TermStyle, ...]]:
    """Per (organisation, category): how its references look when the payer prints them."""
    styles = {}
    for org in load("organisations.json")["organisations"]:
        for flow in org["flows"]:
            found = []
            for term in flow.get("terms", ()):
                pattern = term["pattern"]
                letters = "".join(ch for ch in pattern.split("#", 1)[0] if ch.isalpha()).upper()
                found.append(_TermStyle(letters, pattern.count("#"), term.get("label", ""),
                                        pattern.replace("#", "{}")))
            styles[(org["name"], flow["category"])] = tuple(found)
    return styles


def bank_form(organisation: str | None, category: str, term: str) -> tuple[str, str]:
    """(label, the reference as the organisation's own system prints it): the clerk may have
    typed '261.000.012.3' where UWV prints '2610000123'."""
    key = normalise_term(term)
    letters = key.rstrip("0123456789")
    digits = key[len(letters):]
    for style in _term_styles().get((organisation or "", category), ()):
        if style.letters == letters and style.digits == len(digits):
            return style.label, style.layout.format(*digits)
    return "kenmerk", key


# --- the generator ----------------------------------------------------------------------------


class _Generator:
    def __init__(self, data: DemoData, iban: str, months: int, seed: int):
        self.data = data
        self.iban = iban
        self.rng = random.Random(f"hhb-demo-afschriften:{seed}")
        self.first, self.last = statement_window(data.today, months)
        self.participants: dict[str, ParticipantRow] = {
            str(p.number): p for p in data.book.participants
        }
        self.org_ibans: dict[str, list[str]] = {}
        for org in data.book.organisations:
            self.org_ibans.setdefault(str(org.name), []).append(_compact(org.iban))
        self.terms_in_use = {normalise_term(t) for a in data.book.agreements
                             for t in split_terms(a.search_terms)}
        self.entries: list[Entry] = []
        self.truth: dict[str, TruthRow] = {}
        self.direct_debits: list[Entry] = []
        self.serial = 0  # one per entry: the end of its bank reference and end-to-end id
        self.reference_offset = self.rng.randrange(10**7, 5 * 10**7)
        self._fields_of: dict[date, dict[str, object]] = {}
        self._booking: dict[tuple[date, int], date] = {}
        self._names: dict[str, str] = {}
        self._stamps: dict[date, tuple[str, str, str]] = {}
        self._texts: dict[tuple[str, str, str, date], str] = {}
        self.energy = [a for a in data.book.agreements if a.category == "energie"
                       and a.organisation in ENERGY_REFUND_TEXTS]
        # Ended income agreements whose next month has begun by the last statement; those
        # that ended since the month before the first statement are the likeliest to pay.
        last_month = date(self.last.year, self.last.month, 1)
        before = (self.first - timedelta(days=1)).replace(day=1)
        self.ended = [a for a in data.book.agreements if a.direction == "inkomst"
                      and a.organisation is not None and a.valid_through is not None
                      and a.valid_through < last_month]
        self.recently_ended = [a for a in self.ended
                               if a.valid_through >= before]  # type: ignore[operator]
        self.working_age: list[ParticipantRow] | None = None
        self._wages(seed)
        self.situation_rng = random.Random(f"hhb-demo-situaties:{seed}")
        self.situations: list[Situation] = []
        self.situation_of = self._choose_situations()

    def _wages(self, seed: int) -> None:
        """Who works where, and how each employee's payroll run prints their wage: the
        payslip (for namesakes one that names them by initials, without a number: only a
        clerk can tell them apart), the personnel number it prints when the agreement lacks
        it, the official initials."""
        rng = random.Random(f"hhb-demo-loonstroken:{seed}")
        agreements = self.data.book.agreements
        self.flex = frozenset(self.data.tolerances)  # the flex wages (app.demo)
        wages = [a for a in agreements if a.category == "salaris" and a.organisation]
        # Everyone a payroll pays during these months, and since and until when: a name is
        # only as good as it is unique among those employed on the day.
        self.employees: dict[str, list[tuple[str, date, date | None]]] = {}
        for a in wages:
            if a.valid_from <= self.last and (  # type: ignore[operator]
                    a.valid_through is None or a.valid_through >= self.first):  # type: ignore[operator]
                self.employees.setdefault(_compact(a.counter_iban), []).append(
                    (str(a.participant_number), a.valid_from, a.valid_through))  # type: ignore[arg-type]
        self.payslip: dict[int, Payslip] = {}
        self.hidden_number: dict[int, str] = {}  # printed by the payroll, not in the agreement
        paired = {}
        for pair in self.data.namesakes:
            paired[pair.first] = paired[pair.second] = pair.first
        styles = _term_styles()
        for a in wages:
            organisation = str(a.organisation)
            runs = PAYSLIPS.get(organisation, DEFAULT_PAYSLIP)
            if a.row in paired:  # one payroll run for both, by initials, no number
                named = [r for r in runs if r.form in (INITIALS, SORTED, SURNAME_FIRST)
                         and "{term}" not in r.template] or list(runs)
                run = named[paired[a.row] % len(named)]
            else:
                run = rng.choices(runs, [r.weight for r in runs])[0]
            self.payslip[a.row] = run
            style = next(iter(styles.get((organisation, "salaris"), ())), None)
            if not a.search_terms and style is not None:
                while True:
                    digits = str(rng.randrange(10 ** (style.digits - 1), 10**style.digits))
                    key = style.letters + digits
                    if key not in self.terms_in_use:
                        self.terms_in_use.add(key)
                        self.hidden_number[a.row] = style.layout.format(*digits)
                        break
        self.initials: dict[str, str] = {}
        self.name_keys: dict[str, tuple[str, str]] = {}  # (surname, first name), folded
        for number in sorted({n for group in self.employees.values() for n, _, _ in group}):
            person = self.participants[number]
            first = _fold(str(person.first_name))
            initials = f"{first[:1]}."
            if rng.random() < SECOND_INITIAL_SHARE:
                initials += f"{rng.choice('ABCDEFGHJKLMNPRSTW')}."
            self.initials[number] = initials
            self.name_keys[number] = (_fold(f"{person.infix or ''}{person.last_name}"), first)
        self.by_surname: dict[tuple[str, str], list[tuple[str, date, date | None]]] = {}
        for iban, group in self.employees.items():
            for employee in group:
                self.by_surname.setdefault((iban, self.name_keys[employee[0]][0]), []).append(
                    employee)

    def _rivals(self, number: str, iban: str, form: str | None) -> list[tuple[date,
                                                                            date | None]]:
        """Since and until when the payroll pays somebody else whom its text could mean: with
        the same surname and first name (``form`` FULL) or first initial (the other forms);
        for a text without a name (None), anybody else."""
        surname, first = self.name_keys[number]
        if form is None:
            return [(since, until) for other, since, until in self.employees.get(iban, ())
                    if other != number]
        rivals = []
        for other, since, until in self.by_surname.get((iban, surname), ()):
            other_first = self.name_keys[other][1]
            if other != number and (other_first == first if form == FULL
                                    else other_first[:1] == first[:1]):
                rivals.append((since, until))
        return rivals

    def _wage_truth(self, agreement: AgreementRow, iban: str, form: str | None,
                    with_number: bool) -> _WageTruth:
        """What a wage paid with a text that names the employee in ``form`` (None: not at all)
        and prints their personnel number (or not) gives to go on."""
        number = str(agreement.participant_number)
        learn = self.hidden_number.get(agreement.row) if with_number else None
        if with_number and learn is None:
            return _WageTruth(number, agreement.row, REFERENCE, REFERENCE, None, [])
        if form is not None:
            return _WageTruth(number, agreement.row, NAME, SAME_NAME, learn,
                              self._rivals(number, iban, form))
        return _WageTruth(number, agreement.row, EMPLOYER, NEW_REFERENCE, learn,
                          self._rivals(number, iban, None))

    def _choose_situations(self) -> dict[int, str]:
        """Which agreement gets which situation: one participant each, the scarce kinds
        first. The employer that stops paying us is the main income of a participant whose
        fixed costs we pay: their saldo goes well below zero."""
        rng = self.situation_rng
        count = max(1, round(len(self.participants) / SITUATION_EVERY))
        agreements = self.data.book.agreements
        income: dict[str, float] = {}
        for a in agreements:
            if a.direction == "inkomst" and _valid_on(a, self.last):
                income[str(a.participant_number)] = income.get(str(a.participant_number), 0) + (
                    float(a.amount) * PER_MONTH[str(a.frequency)])  # type: ignore[arg-type]

        def whole(a: AgreementRow) -> bool:
            return _valid_on(a, self.first) and _valid_on(a, self.last)

        def volledig(a: AgreementRow) -> bool:
            return self.participants[str(a.participant_number)].variant == "volledig"

        def share(a: AgreementRow) -> float:  # of the participant's income
            monthly = float(a.amount) * PER_MONTH[str(a.frequency)]  # type: ignore[arg-type]
            return monthly / max(1.0, income.get(str(a.participant_number), 0))

        namesakes = {row for pair in self.data.namesakes for row in pair[:2]}
        fixed_wage = [a for a in agreements if a.category == "salaris" and whole(a)
                      and a.row not in self.flex and a.row not in namesakes]
        plans: list[tuple[str, list[AgreementRow], int, bool]] = [
            (EMPLOYER_NOT_PAYING, [a for a in fixed_wage if volledig(a) and share(a) > 0.6],
             count, True),
            (SALARY_SKIPPED, [a for a in fixed_wage if volledig(a)], count, False),
            (NAME_ONLY, [a for a in fixed_wage if a.frequency != "week" and a.search_terms
                         and "{term}" in self.payslip[a.row].template], 2 * count, False),
            (BENEFIT_LATE, [a for a in agreements if a.organisation in LATE_PAYERS
                            and a.direction == "inkomst" and a.frequency == "maand"
                            and a.category != "kinderbijslag" and whole(a)], count, False),
            (ALLOWANCE_CUT, [a for a in agreements if a.category in ("zorgtoeslag", "huurtoeslag")
                             and whole(a)], count, False),
            (RENT_RAISED, [a for a in agreements if a.category == "huur" and whole(a)], count,
             False),
            (DOUBLE_PAYMENT, [a for a in agreements if a.category == "huur" and whole(a)], count,
             False),
        ]
        taken: set[str] = set()
        chosen: dict[int, str] = {}
        # A name without a number from a payroll that also missed or stopped someone's salary:
        # which employee's money it is would be anybody's guess. One name per payroll, too.
        employers: set[object] = set()
        for kind, candidates, wanted, biggest in plans:
            candidates = list(candidates)
            rng.shuffle(candidates)
            if biggest:
                candidates.sort(key=share, reverse=True)
            for agreement in candidates:
                number = str(agreement.participant_number)
                if kind == NAME_ONLY and agreement.organisation in employers:
                    continue
                if wanted and number not in taken:
                    taken.add(number)
                    if kind in (EMPLOYER_NOT_PAYING, SALARY_SKIPPED, NAME_ONLY):
                        employers.add(agreement.organisation)
                    chosen[agreement.row] = kind
                    wanted -= 1
        return chosen

    def _judged(self, agreement: AgreementRow, days: list[date]) -> list[date]:
        """The due days whose margin is over by the last statement day: the periods a
        signal can look at when these statements are in."""
        margin = DEFAULT_MARGIN_DAYS.get(str(agreement.frequency), 7)
        return [d for d in days if d + timedelta(days=margin) <= self.last] or days[-1:]

    def _situation(self, kind: str, agreement: AgreementRow, due: date | None) -> None:
        self.situations.append(Situation(kind, str(agreement.participant_number),
                                         agreement.row, due))

    def run(self) -> DemoStatements:
        for agreement in self.data.book.agreements:
            self._agreement(agreement)
        self._noise(round(len(self.entries) * NOISE_SHARE))
        self.situations.sort(key=lambda s: (SITUATIONS.index(s.kind), s.participant))
        return self._statements()

    # -- helpers --

    def _fields(self, due: date) -> dict[str, object]:
        fields = self._fields_of.get(due)
        if fields is None:
            month = MONTHS[due.month - 1]
            fields = self._fields_of[due] = {
                "month": month, "MONTH": month.upper(), "MON": SHORT_MONTHS[due.month - 1],
                "yyyy": due.year, "mm": f"{due.month:02d}",
                "week": due.isocalendar()[1], "period": (due.timetuple().tm_yday - 1) // 28 + 1,
                "quarter": (due.month - 1) // 3 + 1,
            }
        return fields

    def _stamp(self, day: date) -> tuple[str, str, str]:
        """('202510', '251003', '20251003'): a day as references show it."""
        stamp = self._stamps.get(day)
        if stamp is None:
            stamp = self._stamps[day] = (f"{day:%Y%m}", f"{day:%y%m%d}", f"{day:%Y%m%d}")
        return stamp

    def _text(self, template: str, desc: str, label: str, due: date) -> str:
        """The template filled in for this description and day, with _TERM where the
        reference goes and _NAME where the name goes (the same text serves thousands of
        agreements: formatted once)."""
        key = (template, desc, label, due)
        text = self._texts.get(key)
        if text is None:
            text = template.format(term=_TERM, name=_NAME, NAME=_NAME, desc=desc,
                                   DESC=desc.upper(), label=label, **self._fields(due))
            text = self._texts[key] = " ".join(text.split())
        return text

    def _book_on(self, due: date, shift: int) -> date:
        """The working day the bank books a payment due on ``due`` moved by ``shift`` days,
        never outside the statements' window."""
        key = (due, shift)
        booked = self._booking.get(key)
        if booked is None:
            booked = _working_on_or_after(due + timedelta(days=shift))
            if booked > self.last:
                booked = _working_on_or_before(self.last)
            if booked < self.first:
                booked = _working_on_or_after(self.first)
            self._booking[key] = booked
        return booked

    def _add(self, booked: date, amount: int, name: str | None, iban: str | None,
             text: str | None, e2e: str | None, code: str, truth: TruthRow, *,
             mandate: str | None = None, reversal: bool = False,
             return_reason: str | None = None) -> Entry:
        """One entry with its unique bank reference (AcctSvcrRef) and its truth."""
        self.serial += 1
        reference = f"{self._stamp(booked)[2]}{self.serial + self.reference_offset:09d}"
        entry = Entry(
            booking_date=booked, value_date=booked, amount_cents=amount, reversal=reversal,
            bank_reference=reference, end_to_end_id=e2e, mandate_id=mandate,
            transaction_code=code, counterparty_name=name, counterparty_iban=iban,
            description=text, return_reason=return_reason,
        )
        self.entries.append(entry)
        self.truth[reference] = truth
        return entry

    def _holder_name(self, participant: ParticipantRow) -> str:
        """The participant as our payment orders name them: in full, or with an initial."""
        number = str(participant.number)
        name = self._names.get(number)
        if name is None:
            first = str(participant.first_name)
            if self.rng.random() < 0.5:
                first = f"{first[0]}."
            name = " ".join(str(p) for p in (first, participant.infix, participant.last_name)
                            if p)
            self._names[number] = name
        return name

    # -- the regular flows --

    def _agreement(self, agreement: AgreementRow) -> None:
        days = due_dates(agreement, self.first, self.last)
        if not days:
            return
        rng = self.rng
        random_ = rng.random
        add = self._add
        stamp = self._stamp
        number = str(agreement.participant_number)
        organisation = str(agreement.organisation or "")
        category = str(agreement.category)
        cents = int(Decimal(agreement.amount).scaleb(2))  # type: ignore[arg-type]
        iban = _compact(agreement.counter_iban)
        desc = str(agreement.description or category)
        row = agreement.row
        if category == "leefgeld":
            self._leefgeld(agreement, days, cents, iban, number)
            return
        terms = split_terms(agreement.search_terms)
        label, printed = bank_form(organisation, category, terms[0]) if terms else ("", "")
        name = COUNTERPARTY_NAMES.get(organisation, organisation or None)
        if agreement.direction == "inkomst":
            template = (INCOME_TEXTS.get((organisation, category))
                        or INCOME_TEXTS.get((organisation, None)) or DEFAULT_INCOME_TEXT)
            if organisation == "Gemeente Utrecht":
                desc = ("Aanvullende uitkering Participatiewet" if desc.startswith("Aanvullende")
                        else "Uitkering Participatiewet")
            flex = row in self.flex
            employee = ""
            wage: _WageTruth | None = None
            run = self.payslip.get(row) if category == "salaris" else None
            if run is not None:  # a wage: the employee's payroll run prints it
                template = run.template
                printed = printed or self.hidden_number.get(row, "")
                if run.form is not None:
                    person = self.participants[number]
                    employee = payroll_name(str(person.first_name), person.infix,
                                         str(person.last_name), self.initials[number],
                                         run.form, capitals="{NAME}" in template,
                                         accents=run.accents)
                wage = self._wage_truth(agreement, iban, run.form, "{term}" in template)
            government = organisation in GOVERNMENT
            toeslagen = organisation == "Belastingdienst/Toeslagen"
            prefix = E2E_PREFIX.get(organisation, "SAL")
            situation = self.situation_of.get(row)
            judged = self._judged(agreement, days) if situation else []
            if situation == EMPLOYER_NOT_PAYING:  # a start-up problem: nothing reaches us
                self._situation(situation, agreement, days[0])
                days = []
            elif situation == SALARY_SKIPPED:  # the last period a signal looks at
                self._situation(situation, agreement, judged[-1])
                days = [d for d in days if d != judged[-1]]
            elif situation == NAME_ONLY:  # one in the periods judged, one in the newest
                named = sum(s.kind == NAME_ONLY for s in self.situations)
                target = judged[-1] if named % 2 == 0 else days[-1]
                self._situation(situation, agreement, target)
            elif situation:
                self._situation(situation, agreement, judged[-1])
            target = self.situations[-1].due if situation else None
            cut = self.situation_rng.uniform(0.7, 0.85) if situation == ALLOWANCE_CUT else 1.0
            for due in days:
                amount = cents
                text = self._text(template, desc, "", due).replace(_TERM, printed)
                if employee:
                    text = text.replace(_NAME, employee)
                r = random_()
                if government:  # pays on the day, now and then a day late
                    shift = 1 if r < 0.08 else 0
                else:  # payroll: a day early, or one or two late
                    shift = -1 if r < 0.15 else 1 if r < 0.35 else 2 if r < 0.45 else 0
                booked = self._book_on(due, shift)
                truth = (TruthRow(number, row, AGREEMENT, INCOME, due) if wage is None
                         else wage.on(due, booked))
                if flex:  # flex work: the hours differ every period, by up to a third
                    amount = round(cents * (2 + 2 * random_()) / 3)
                elif government and random_() < CORRECTION_SHARE:
                    delta = max(100, round(cents * (0.02 + 0.06 * random_())))
                    amount = max(100, cents + rng.choice((-1, 1)) * delta)
                    text += " incl. correctie" if amount > cents else " na herberekening"
                if situation and due == target:
                    if situation == ALLOWANCE_CUT:  # recalculated: less from now on
                        amount = round(cents * cut)
                        text += " na herberekening"
                    elif situation == NAME_ONLY:  # the employee's name, no personnel number
                        holder = self._holder_name(self.participants[number])
                        text = f"Salaris {MONTHS[due.month - 1]} {due.year} {holder}"
                        form = INITIALS if holder.split()[0].endswith(".") else FULL
                        truth = self._wage_truth(agreement, iban, form, False).on(due, booked)
                    elif situation == BENEFIT_LATE:  # days after its margin, or not yet
                        late = self.situation_rng.randint(2, 5)
                        margin = DEFAULT_MARGIN_DAYS["maand"]
                        booked = _working_on_or_after(due + timedelta(days=margin + late))
                        if booked > self.last:
                            continue
                        add(booked, amount, name, iban, text,
                            f"{prefix}{stamp(due)[0]}{self.serial + 1:08d}", CREDIT_TRANSFER_IN,
                            truth)
                        continue
                elif situation == ALLOWANCE_CUT and due > target:  # type: ignore[operator]
                    amount = round(cents * cut)
                    text += " na herberekening"
                if toeslagen:
                    e2e = str(6_000_000_000_000_001 + self.serial)
                elif government or random_() < 0.7:
                    e2e = f"{prefix}{stamp(due)[0]}{self.serial + 1:08d}"
                else:
                    e2e = "NOTPROVIDED"
                add(booked, amount, name, iban, text, e2e, CREDIT_TRANSFER_IN, truth)
            return
        collected = category in DIRECT_DEBIT_CATEGORIES and random_() < DIRECT_DEBIT_SHARE
        if collected:  # the creditor collects: its text, its reference layout, its ids
            text_term, template, case = printed, DIRECT_DEBIT_TEXT, DIRECT_DEBIT
            prefix = "".join(ch for ch in organisation if ch.isalpha())[:4].upper()
            mandate = f"{prefix}-{normalise_term(terms[0]) if terms else row}-01"
            code = DIRECT_DEBIT_CODE
        else:  # our own transfer, a little before the due day; the term as the clerk typed it
            text_term, template, case = terms[0] if terms else "", TRANSFER_TEXT, TRANSFER
            prefix, mandate, code = "HHB", None, CREDIT_TRANSFER_OUT
        situation = self.situation_of.get(row)
        judged = self._judged(agreement, days) if situation else []
        raised = cents
        if situation == RENT_RAISED:  # the landlord's new rent, to the euro
            raised = int(round(cents * self.situation_rng.uniform(1.12, 1.2), -2))
            self._situation(situation, agreement, judged[-1])
        twice = None
        if situation == DOUBLE_PAYMENT:
            twice = judged[-2] if len(judged) >= 2 else judged[0]
            self._situation(situation, agreement, twice)
        for due in days:
            if collected:  # on the collection day
                booked = self._book_on(due, 0)
                e2e = f"{prefix}{stamp(due)[0]}{self.serial + 1:08d}"
            else:
                r = random_()
                booked = self._book_on(due, 0 if r < 0.5 else -1 if r < 0.8 else -2)
                e2e = f"HHB{stamp(booked)[1]}{self.serial + 1:07d}"
            text = self._text(template, desc, label, due).replace(_TERM, text_term)
            amount = raised if situation == RENT_RAISED and due >= judged[-1] else cents
            entry = add(booked, -amount, name, iban, text, e2e, code,
                        TruthRow(number, row, AGREEMENT, case, due), mandate=mandate)
            if collected:
                self.direct_debits.append(entry)
            if due == twice:  # a second order for the same month, a few days later
                again = _working_on_or_after(booked + timedelta(
                    days=self.situation_rng.randint(2, 5)))
                again = min(again, _working_on_or_before(due + timedelta(days=6)))
                if again <= booked:
                    again = _working_on_or_after(booked + timedelta(days=1))
                add(again, -amount, name, iban, text, f"HHB{stamp(again)[1]}{self.serial + 1:07d}",
                    code, TruthRow(number, row, AGREEMENT, case, due))

    def _leefgeld(self, agreement: AgreementRow, days: list[date], cents: int, iban: str,
                  number: str) -> None:
        """Leefgeld on its weekday or day of the month, to the participant's own account."""
        name = self._holder_name(self.participants[number])
        weekly = agreement.frequency == "week"
        for due in days:
            booked = self._book_on(due, 0)
            fields = self._fields(due)
            if weekly:
                text = f"Leefgeld week {fields['week']} {number}"
            else:
                text = f"Leefgeld {fields['month']} {due.year} {number}"
            self._add(booked, -cents, name, iban, text,
                      f"HHB{self._stamp(booked)[1]}{self.serial + 1:07d}", CREDIT_TRANSFER_OUT,
                      TruthRow(number, agreement.row, AGREEMENT, LEEFGELD, due))

    # -- noise --

    def _noise(self, count: int) -> None:
        rng = self.rng
        makers = {
            ENERGY_REFUND: self._energy_refund,
            REVERSAL: self._reversal,
            GIFT: self._gift,
            WEBSHOP_REFUND: self._webshop_refund,
            UNKNOWN_REFERENCE: self._unknown_reference,
            ENDED_AGREEMENT: self._ended_agreement,
            UNKNOWN_EMPLOYER: self._unknown_employer,
        }
        self.reversible = list(self.direct_debits)
        kinds = list(makers)
        # Every kind at least once when the demo is large enough, then at random.
        order = list(kinds) if count >= 2 * len(kinds) else []
        weights = [NOISE_WEIGHTS[k] for k in kinds]
        order += rng.choices(kinds, weights, k=max(0, count - len(order)))
        for kind in order:
            if not makers[kind]():  # nothing to make it from (a tiny demo): a gift instead
                self._gift()
        self._bank_costs()

    def _noise_day(self, first: date | None = None, last: date | None = None) -> date:
        """A working day in [first, last] (default: the whole window)."""
        first = first or self.first
        span = ((last or self.last) - first).days
        return self._book_on(first + timedelta(days=self.rng.randint(0, span)), 0)

    def _energy_refund(self) -> bool:
        """The yearly settlement: the energy company pays back what the advances exceeded."""
        rng = self.rng
        for _ in range(20):
            if not self.energy:
                return False
            agreement = rng.choice(self.energy)
            day = self._noise_day()
            if not _valid_on(agreement, day):
                continue
            organisation = str(agreement.organisation)
            terms = split_terms(agreement.search_terms)
            printed = bank_form(organisation, "energie", terms[0])[1]
            text = ENERGY_REFUND_TEXTS[organisation].format(term=printed, yyyy=day.year - 1)
            e2e = f"{organisation[:3].upper()}R{self._stamp(day)[2]}{self.serial + 1:07d}"
            self._add(day, rng.randint(25_00, 420_00), COUNTERPARTY_NAMES[organisation],
                      _compact(agreement.counter_iban), text, e2e, CREDIT_TRANSFER_IN,
                      TruthRow(str(agreement.participant_number), agreement.row, NOISE,
                               ENERGY_REFUND))
            return True
        return False

    def _reversal(self) -> bool:
        """The municipality had a direct debit refunded (MD06): the same amount comes back a
        few days later, with the debit's references, marked as a reversal."""
        rng = self.rng
        while self.reversible:
            original = self.reversible.pop(rng.randrange(len(self.reversible)))
            day = _working_on_or_after(original.booking_date + timedelta(days=rng.randint(2, 6)))
            if day > self.last:
                continue
            truth = self.truth[str(original.bank_reference)]
            self._add(day, -original.amount_cents, original.counterparty_name,
                      original.counterparty_iban, original.description, original.end_to_end_id,
                      DIRECT_DEBIT_RETURN,
                      TruthRow(truth.participant, truth.agreement, NOISE, REVERSAL),
                      mandate=original.mandate_id, reversal=True, return_reason="MD06")
            return True
        return False

    def _gift(self) -> bool:
        """A relative sends the participant some money, naming them."""
        rng = self.rng
        participant = rng.choice(self.data.book.participants)
        first = str(participant.first_name)
        family = " ".join(str(p) for p in (participant.infix, participant.last_name) if p)
        initial = rng.choice("ABCDEFHJKLMNRSWY")
        name = rng.choice((f"{initial}. {family}", f"Fam. {family}",
                           f"{initial}.{rng.choice('ABCDEFGHJKMNRS')}. {family}"))
        text = rng.choice(GIFT_TEXTS).format(first=first, full=f"{first} {family}")
        self._add(self._noise_day(), rng.choice((20, 25, 50, 50, 75, 100, 150, 200)) * 100,
                  name, self._private_iban(), text, "NOTPROVIDED", CREDIT_TRANSFER_IN,
                  TruthRow(str(participant.number), None, NOISE, GIFT))
        return True

    def _webshop_refund(self) -> bool:
        """Money back for a parcel returned: an order number nobody knows."""
        rng = self.rng
        shop = rng.choice(WEBSHOPS)
        reference = self._unused_number(10)
        if rng.random() < 0.3:
            reference = f"R{reference[:4]}-{reference[4:]}"
        text = rng.choice(WEBSHOP_TEXTS).format(ref=reference, shop=shop.split()[0])
        self._add(self._noise_day(), rng.randint(7_95, 149_99), shop, _shop_iban(shop), text,
                  f"RF{self.serial + 1:012d}", CREDIT_TRANSFER_IN,
                  TruthRow(None, None, NOISE, WEBSHOP_REFUND))
        return True

    def _unknown_reference(self) -> bool:
        """UWV pays with an uitkeringsnummer no agreement has (a new benefit nobody entered,
        a number mistyped at UWV)."""
        rng = self.rng
        ibans = self.org_ibans.get("UWV")
        if not ibans:
            return False
        day = self._noise_day()
        desc = rng.choice(("WW-uitkering", "Ziektewet-uitkering", "WIA-uitkering"))
        text = INCOME_TEXTS[("UWV", None)].format(term=self._unused_number(10), desc=desc,
                                                  **self._fields(day))
        self._add(day, rng.randint(780_00, 1650_00), "UWV", rng.choice(ibans), text,
                  f"UWV{self._stamp(day)[0]}{self.serial + 1:08d}", CREDIT_TRANSFER_IN,
                  TruthRow(None, None, NOISE, UNKNOWN_REFERENCE))
        return True

    def _ended_agreement(self) -> bool:
        """A last payment (final settlement, holiday pay, a late benefit) for an income
        agreement that ended: first for those that ended the month before a statement's
        month, in that month; then for any that ended earlier, any day."""
        rng = self.rng
        if not self.ended:
            return False
        if self.recently_ended:  # each of those once, then any (a late 'nabetaling')
            agreement = self.recently_ended.pop(rng.randrange(len(self.recently_ended)))
        else:
            agreement = rng.choice(self.ended)
        end: date = agreement.valid_through  # type: ignore[assignment]
        next_month = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        if next_month >= self.first:
            day = self._noise_day(next_month, _month_end(next_month))
        else:
            day = self._noise_day()
        organisation = str(agreement.organisation)
        category = str(agreement.category)
        terms = split_terms(agreement.search_terms)
        printed = bank_form(organisation, category, terms[0])[1] if terms else ""
        what = "Eindafrekening" if category == "salaris" else "Nabetaling"
        text = f"{what} {MONTHS[end.month - 1]} {end.year} {printed}".strip()
        cents = int(Decimal(agreement.amount).scaleb(2))  # type: ignore[arg-type]
        prefix = E2E_PREFIX.get(organisation, "SAL")
        self._add(day, max(100, round(cents * rng.uniform(0.15, 0.9))),
                  COUNTERPARTY_NAMES.get(organisation, organisation),
                  _compact(agreement.counter_iban), text,
                  f"{prefix}{self._stamp(day)[0]}{self.serial + 1:08d}", CREDIT_TRANSFER_IN,
                  TruthRow(str(agreement.participant_number), None, NOISE, ENDED_AGREEMENT,
                           refers_to=agreement.row))
        return True

    def _unknown_employer(self) -> bool:
        """A side job or a new job nobody told us about: an employer we do not know pays
        the participant a wage that names them. No agreement takes it."""
        rng = self.rng
        if self.working_age is None:
            born = date(self.last.year - 67, self.last.month, 1)
            self.working_age = [p for p in self.data.book.participants
                                if p.birth_date > born] or self.data.book.participants  # type: ignore[operator]
        participant = rng.choice(self.working_age)
        employer, bank, template, form = rng.choice(UNKNOWN_EMPLOYERS)
        day = self._noise_day()
        number = str(participant.number)
        initials = self.initials.get(number) or f"{_fold(str(participant.first_name))[:1]}."
        named = payroll_name(str(participant.first_name), participant.infix,
                             str(participant.last_name), initials, form,
                             capitals="{NAME}" in template)
        text = " ".join(template.format(name=named, NAME=named, **self._fields(day)).split())
        self._add(day, rng.randint(60_00, 480_00), employer, _employer_iban(employer, bank),
                  text, "NOTPROVIDED", CREDIT_TRANSFER_IN,
                  TruthRow(number, None, NOISE, UNKNOWN_EMPLOYER))
        return True

    def _bank_costs(self) -> None:
        """The bank's monthly charge, on the last working day: no counterparty at all."""
        per_month: dict[tuple[int, int], int] = {}
        for entry in self.entries:
            key = (entry.booking_date.year, entry.booking_date.month)
            per_month[key] = per_month.get(key, 0) + 1
        month = self.first
        while month <= self.last:
            entries = per_month.get((month.year, month.month), 0)
            self._add(_working_on_or_before(_month_end(month)), -(12_50 + entries * 9), None,
                      None, f"Kosten betalingsverkeer {MONTHS[month.month - 1]} {month.year}",
                      None, CHARGES_CODE, TruthRow(None, None, NOISE, BANK_COSTS))
            month = _month_end(month) + timedelta(days=1)

    def _unused_number(self, digits: int) -> str:
        rng = self.rng
        while True:
            number = str(rng.randrange(10 ** (digits - 1), 10**digits))
            if number not in self.terms_in_use:
                return number

    def _private_iban(self) -> str:
        rng = self.rng
        return nl_iban(PARTICIPANT_BANKS(rng), str(rng.randrange(10**8, 10**10)).zfill(10))

    # -- the statements --

    def _statements(self) -> DemoStatements:
        rng = self.rng
        # Grouped per day the way a bank books: per payer and payee within a day (in buckets:
        # sorting 300,000 entries by a key would take longer than making them).
        buckets: dict[tuple[date, str], list[Entry]] = {}
        for entry in self.entries:
            key = (entry.booking_date, entry.counterparty_iban or "")
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = [entry]
            else:
                bucket.append(entry)
        ordered = [entry for key in sorted(buckets) for entry in buckets[key]]
        # Each participant's saldo plus what the municipality keeps on the account; never
        # so little that the account would be overdrawn.
        opening = sum(rng.randint(900_00, 1900_00) for _ in self.participants) + 25_000_00
        lowest = running = 0
        for entry in ordered:
            running += entry.amount_cents
            if running < lowest:
                lowest = running
        opening = max(opening, -lowest + 250_00 * len(self.participants)) + rng.randint(0, 99)
        statements: list[StatementData] = []
        balance = opening
        month = self.first
        position = 0
        while month <= self.last:
            end = _month_end(month)
            start = position
            while position < len(ordered) and ordered[position].booking_date <= end:
                position += 1
            entries = ordered[start:position]
            closing = balance + sum(e.amount_cents for e in entries)
            statements.append(StatementData(
                account=self.iban, statement_id=f"{self.iban}-{month:%Y%m}",
                sequence=f"{month:%Y%m}", period_from=month, period_through=end,
                opening_balance_cents=balance, opening_date=month,
                closing_balance_cents=closing, closing_date=end, entries=entries,
            ))
            balance = closing
            month = end + timedelta(days=1)
        return DemoStatements(self.iban, statements, self.truth, self.situations)


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _fold(text: str) -> str:
    """'de Vries' → 'DEVRIES', 'Öztürk' → 'OZTURK': a name as a payroll may spell it."""
    return "".join(ch for ch in ascii_fold(text).upper() if ch.isalnum())


@functools.cache
def _employer_iban(employer: str, bank: str) -> str:
    local = random.Random(f"hhb-demo-werkgever:{employer}")
    return nl_iban(bank, str(local.randrange(10**8, 10**10)).zfill(10))


def _compact(iban: object) -> str:
    return str(iban).replace(" ", "").upper()


def _valid_on(agreement: AgreementRow, day: date) -> bool:
    return agreement.valid_from <= day and (  # type: ignore[operator]
        agreement.valid_through is None or day <= agreement.valid_through)  # type: ignore[operator]


@functools.cache
def _shop_iban(shop: str) -> str:
    local = random.Random(f"hhb-demo-webwinkel:{shop}")
    return nl_iban(local.choice(("INGB", "ABNA", "RABO")), str(local.randrange(10**8, 10**10))
                   .zfill(10))

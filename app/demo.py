"""Demo data: a lived-in municipality for a newcomer to explore, and the workload of benchmarks.

``generate_demo(participants, seed)`` returns the records of a dossier workbook (DESIGN §7) plus
the employees to create, and what a workbook has no columns for: per participant the
nulmeting and the classes now, the next half-yearly talk (overdue for about one in twelve) and
referrals to other help (``DemoData.progress``), the wide tolerance of flex wages
(``DemoData.tolerances``: the uitzendbureaus' wages and part of the other employers'), and the
namesakes on one payroll (``DemoData.namesakes``). Caseloads are uneven: one contact person
carries a heavy one. Some wage agreements lack the personnel number (app.demo_statements
prints it all the same: a clerk learns it).

It is pure: no Session, no Qt, no clock (the reference date is a parameter) and no global
random state, so a seed and a date always give the same book.

Everything is fiction: names are drawn from the lists in ``resources/demo``, addresses combine
Utrecht-area streets with made-up postcode letters and house numbers, IBANs are generated from
a bank code and a made-up account number, and BSNs start with 999 (the range of test persons)
with the ninth digit computed so that they pass the 11-proef.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import itertools
import json
import math
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple, TypeVar

from schwifty import IBAN

from app.assets import resource_root
from app.importers.workbook import AgreementRow, DossierBook, OrganisationRow, ParticipantRow
from app.models.employee import Role
from app.schedule import add_months

T = TypeVar("T")

# Monthly equivalent of one payment, for checking that income covers costs and leefgeld
# (an estimate, so floats will do; the amounts themselves are exact cents).
PER_MONTH = {"week": 52 / 12, "4-weken": 13 / 12, "maand": 1.0, "kwartaal": 1 / 3, "jaar": 1 / 12}
DEFAULT_BUFFER = Decimal("1500.00")
INCOME_ONLY_BUFFER = Decimal("2500.00")
MANDATORY_COSTS = ("huur", "energie", "water", "zorgverzekering")
CHILD_BENEFITS = frozenset({"kinderbijslag", "kindgebonden budget"})
INCOME_CATEGORIES = frozenset({
    "salaris", "uitkering", "bijstand", "zorgtoeslag", "huurtoeslag", "kindgebonden budget",
    "kinderbijslag",
})
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: nobody gets mail
EMPLOYEE_DOMAIN = "utrecht.example"
NOT_SSH = frozenset({"SSH"})  # student housing, for the young only
NOT_SVB, ONLY_SVB = frozenset({"SVB"}), frozenset({"SVB"})
NEWCOMER_COMMUNITIES = frozenset({"Eritrees", "Syrisch", "Afghaans", "Somalisch"})
_ASCII = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss",
                        "æ": "ae", "œ": "oe", "đ": "d"})


class _Weights:
    """A weighted draw: ``AGES(rng)`` is one of the keys, as often as its weight says."""

    def __init__(self, weights: dict):
        self.items = tuple(weights)
        self.cumulative = tuple(itertools.accumulate(weights.values()))

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


AGES = _Weights({21: 10, 32: 30, 47: 30, 60: 20, 72: 10})  # then -3 … +7 years
CHILDREN = _Weights({0: 68, 1: 14, 2: 11, 3: 5, 4: 2})
BUFFERS = _Weights({DEFAULT_BUFFER: 90, Decimal("1000.00"): 5, Decimal("2000.00"): 5})
# Under 67; with the job some find after a benefit, about a quarter of the participants work.
MAIN_INCOME = _Weights({"bijstand": 44, "uitkering": 28, "salaris": 28})
OPTIONAL_COUNT = _Weights({0: 50, 1: 35, 2: 15})
OPTIONAL_COSTS = _Weights({
    "internet": 6, "inboedelverzekering": 4, "telefoon": 3, "aansprakelijkheidsverzekering": 2,
    "televisie": 1, "Wmo eigen bijdrage": 1,
})
HISTORY = _Weights({"leefgeld": 25, "baan": 25, "energie": 35, "verhuisd": 15})
# Uitzendbureaus pay by the hours worked: a wage that differs every week by up to a third, so
# the clerk gave those agreements a wide tolerance for the "afwijkend bedrag" signal.
FLEX_EMPLOYERS = frozenset({"Randstad", "Tempo-Team"})
FLEX_TOLERANCE = Decimal(35)
# Other employers have on-call staff and part-timers whose hours differ as much: the share of
# their wage agreements that is flex work (the uitzendbureaus': every one).
FLEX_SHARE = {"Albert Heijn": 0.5, "PostNL": 0.4, "Schoonmaakbedrijf Domstad": 0.4,
              "Woonzorgcentrum De Lindehof": 0.25}
# At the intake the participant often had no payslip at hand: the wage agreement got no
# personnel number, although the payroll prints one (a clerk remembers it later).
NO_PERSONNEL_NUMBER = 0.05
# Namesakes on one payroll: per so many participants a pair of employees of one employer with
# the same surname, and a pair with the same initials as well (only a clerk can tell whose a
# payment with nothing but "J. DE VRIES" is). At least one pair of each from NAMESAKES_FROM
# participants on; more happen by chance in a large book.
SAME_SURNAME_EVERY, SAME_INITIALS_EVERY, NAMESAKES_FROM = 100, 250, 10
# Nulmeting (intake) classes; "now" moves from there (Rotterdam's practice, DESIGN).
SELF_RELIANCE = _Weights({"zelfredzaam": 20, "matig zelfredzaam": 50, "niet zelfredzaam": 30})
DEBTS = _Weights({"geen": 15, "achterstanden": 35, "kleine schulden": 25,
                  "problematische schulden": 25})
SELF_RELIANCE_STEPS = ("niet zelfredzaam", "matig zelfredzaam", "zelfredzaam")
DEBT_STEPS = ("problematische schulden", "kleine schulden", "achterstanden", "geen")
REFERRAL_OUTCOMES = _Weights({"hulp gestart": 45, "afgerond": 25, "afgewezen": 10,
                              "niet gekomen": 10, "loopt": 10})
REFERRAL_NOTES = {
    "schuldhulp": ("Warme overdracht: samen met deelnemer de schuldhulpverlening gebeld",
                   "Aangemeld bij schuldhulpverlening, schuldenoverzicht meegegeven"),
    "wijkteam": ("Wijkteam gevraagd mee te kijken naar de thuissituatie",
                 "Samen naar het wijkteam voor hulp bij de administratie"),
    "bewindvoering": ("Beschermingsbewind aangevraagd bij de kantonrechter",
                      "Doorverwezen naar een bewindvoerder, deelnemer stemt in"),
    "kredietbank": ("Kredietbank gevraagd een saneringskrediet te onderzoeken",
                    "Aangemeld bij de Kredietbank voor een saneringsvoorstel"),
}
PROGRESS_TALK_MONTHS = 6
OVERDUE_TALK_SHARE = 0.08  # of the participants: the half-yearly talk is overdue
PARTICIPANT_BANKS = _Weights({
    "INGB": 35, "RABO": 25, "ABNA": 20, "SNSB": 6, "ASNB": 4, "BUNQ": 4, "RBRB": 3, "KNAB": 2,
    "TRIO": 1,
})


@dataclass(frozen=True)
class DemoEmployee:
    name: str
    username: str
    role: Role
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class DemoReferral:
    """Warme overdracht to other help (ReferralKind / ReferralOutcome values)."""

    kind: str
    referred_on: date
    outcome: str
    outcome_date: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class DemoProgress:
    """What the dossier workbook has no columns for: the nulmeting and the classes now
    (SelfReliance / DebtSituation values), the next half-yearly talk and the referrals."""

    intake_self_reliance: str | None
    intake_debt_situation: str | None
    self_reliance: str | None
    debt_situation: str | None
    next_progress_talk: date | None
    referrals: tuple[DemoReferral, ...] = ()


class Namesakes(NamedTuple):
    """Two employees of one employer with the same surname: the AgreementRow.row of each
    one's wage. ``same_initials``: their initials are the same too."""

    first: int
    second: int
    same_initials: bool


@dataclass
class DemoData:
    book: DossierBook
    employees: list[DemoEmployee]
    seed: int
    today: date
    # Per dossier number; stored by create_demo after the workbook rows.
    progress: dict[str, DemoProgress] = field(default_factory=dict)
    # Per AgreementRow.row: the agreement's own tolerance (percent) for "afwijkend bedrag":
    # the flex wages, whose amount differs by up to a third from period to period.
    tolerances: dict[int, Decimal] = field(default_factory=dict)
    # Employees of one employer with the same surname (or initials and surname).
    namesakes: list[Namesakes] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "medewerkers": len(self.employees),
            "organisaties": len({o.name for o in self.book.organisations}),
            "rekeningen_organisaties": len(self.book.organisations),
            "deelnemers": len(self.book.participants),
            "afspraken": len(self.book.agreements),
        }


def generate_demo(participants: int, seed: int = 1, today: date | None = None) -> DemoData:
    """A municipality with ``participants`` dossiers; the same seed and date give the same
    data. About 8 agreements per participant: for a 'volledig' participant the four mandatory
    fixed costs and a few optional ones, one to three incomes (plus child benefits for
    parents), leefgeld, and for some an agreement that ended (a previous energy supplier,
    landlord, job or leefgeld amount)."""
    if participants < 1:
        raise ValueError("participants must be at least 1")
    return _Generator(participants, seed, today or date.today()).run()


# --- small pure helpers -----------------------------------------------------------------------


def split_surname(surname: str) -> tuple[str | None, str]:
    """'van der Berg' → ('van der', 'Berg'); 'in 't Veld' → ("in 't", 'Veld'); 'El Amrani' and
    'IJzerman' have none: the tussenvoegsel is the leading words that start in lower case."""
    words = surname.split(" ")
    i = 0
    while i < len(words) - 1 and (words[i][0].islower() or words[i][0] == "'"):
        i += 1
    return (" ".join(words[:i]) or None), " ".join(words[i:])


def ascii_fold(value: str) -> str:
    """'Şükrü Ağaoğlu' → 'Sukru Agaoglu', for usernames and e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII))
    return "".join(ch for ch in decomposed if ord(ch) < 128)


def bsn_check_digit(first_eight: str) -> int | None:
    """The ninth digit that makes the 11-proef hold, or None when no digit can."""
    digit = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), first_eight,
                                           strict=True)) % 11
    return None if digit == 10 else digit


def nl_iban(bank_code: str, account_code: str) -> str:
    """The electronic form of a Dutch IBAN: the same as ``IBAN.generate('NL', bank_code=…,
    account_code=…).compact`` (the tests check that) at a fraction of the cost, which counts
    when a benchmark asks for 100,000 participants."""
    number = int(_bank_digits(bank_code) + account_code + "232100")  # 'NL00' as digits
    return f"NL{98 - number % 97:02d}{bank_code}{account_code}"


@functools.cache
def _bank_digits(bank_code: str) -> str:
    return "".join(str(int(ch, 36)) for ch in bank_code)


class _Random(random.Random):
    """random.Random with cheaper choice, randint and randrange: one call to random() each,
    which halves the time of a large book. As deterministic as its parent; the tiny bias of
    scaling a 53-bit float does not matter for demo data."""

    def choice(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))


def _weighted(rng: random.Random, items: Sequence[T], cumulative: Sequence[float]) -> T:
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _cents(euros: float | int | str) -> int:
    return int((Decimal(str(euros)) * 100).to_integral_value())


def _spaced(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _quarter_start(day: date) -> date:
    """The first day of a quarter: this day when it is one, else the next."""
    if day.day == 1 and day.month in (1, 4, 7, 10):
        return day
    month = ((day.month - 1) // 3 + 1) * 3 + 1
    return date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


def _month_end(day: date, months_ahead: int) -> date:
    month = day.month - 1 + months_ahead
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


# --- the data files ---------------------------------------------------------------------------


@functools.cache
def load(name: str) -> dict:
    """One JSON file of resources/demo (cached: do not change what it returns)."""
    return json.loads((resource_root() / "demo" / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Term:
    pattern: str  # str.format layout: '{}' is a digit
    typed: tuple[str, ...]  # the same digits as people type them
    digits: int
    share: float  # of the agreements that get this term
    key: str  # normalise_term() of the letters before the digits
    low: int  # the smallest number with that many digits


_TERM_LAYOUT = re.compile(r"([A-Za-z]*)[\s.\-/_]*#[#\s.\-/_]*")


@dataclass(frozen=True)
class _Flow:
    """A money flow an organisation can have with a participant (organisations.json)."""

    organisation: str
    ibans: tuple[str, ...]
    category: str
    direction: str
    descriptions: tuple[str, ...]
    amounts: tuple[int, ...]  # fixed prices in cents, or empty
    low: int
    high: int
    rounding: int  # cents
    frequency: str
    days: tuple[int | None, ...]
    terms: tuple[_Term, ...]


@dataclass(frozen=True)
class _Catalogue:
    organisations: tuple[OrganisationRow, ...]  # one per IBAN, row numbers not yet set
    flows: dict[str, tuple[list[_Flow], list[float]]]  # category → flows, cumulative weights


def _flow(name: str, ibans: tuple[str, ...], spec: dict) -> _Flow:
    amounts = tuple(_cents(a) for a in spec.get("amounts", ()))
    low, high = (_cents(a) for a in spec.get("amount", (0, 0)))
    frequency = spec["frequency"]
    # Weekly: ISO weekday; monthly and longer: day of month; every 4 weeks: no fixed day.
    days = tuple(spec.get("weekdays") or spec.get("days") or (None,))
    terms = []
    for term in spec.get("terms", ()):
        layouts = [term["pattern"], *term.get("typed", ())]
        # Letters, then digits with separators: so that normalise_term(text) is the letters
        # plus the digits, and uniqueness can be checked without normalising every term.
        shapes = set()
        for layout in layouts:
            match = _TERM_LAYOUT.fullmatch(layout)
            if not match:
                raise ValueError(f"{name}: term {layout!r} is not letters followed by digits")
            shapes.add((match.group(1).upper(), layout.count("#")))
        if len(shapes) != 1:
            raise ValueError(f"{name}: the typed forms of {layouts[0]!r} differ from it")
        ((key, digits),) = shapes
        fmt = [t.replace("#", "{}") for t in layouts]
        terms.append(_Term(fmt[0], tuple(fmt[1:]), digits, term.get("p", 1.0), key,
                           10 ** (digits - 1)))
    return _Flow(
        organisation=name,
        ibans=ibans,
        category=spec["category"],
        direction="inkomst" if spec["category"] in INCOME_CATEGORIES else "uitgave",
        descriptions=tuple(spec["descriptions"]),
        amounts=amounts,
        low=low,
        high=high,
        rounding={"cent": 1, "euro": 100, "five": 500}[spec.get("round", "cent")],
        frequency=frequency,
        days=days,
        terms=tuple(terms),
    )


@functools.cache
def _catalogue() -> _Catalogue:
    rows: list[OrganisationRow] = []
    flows: dict[str, list[tuple[_Flow, float]]] = {}
    for org in load("organisations.json")["organisations"]:
        name = org["name"]
        local = random.Random(f"hhb-demo-organisatie:{name}")  # the same for every seed
        kvk = str(local.randrange(10_000_000, 100_000_000))
        ibans = []
        for _ in range(org.get("accounts", 1)):
            account = str(local.randrange(10**8, 10**10)).zfill(10)
            ibans.append(IBAN.generate("NL", bank_code=org["bank"], account_code=account).compact)
            rows.append(OrganisationRow(0, name=name, kvk=kvk, iban=ibans[-1], kind=org["kind"]))
        for spec in org["flows"]:
            flow = _flow(name, tuple(ibans), spec)
            flows.setdefault(flow.category, []).append((flow, spec.get("weight", 1)))
    return _Catalogue(
        tuple(rows),
        {c: ([f for f, _ in fw], list(itertools.accumulate(w for _, w in fw)))
         for c, fw in flows.items()},
    )


@dataclass(frozen=True)
class _Community:
    name: str
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[tuple[str | None, str], ...]  # (tussenvoegsel, achternaam)
    feminine: tuple[tuple[str, str], ...]  # surname ending for men → for women


@functools.cache
def _communities() -> tuple[list[_Community], list[float]]:
    communities, weights = [], []
    for c in load("names.json")["communities"]:
        communities.append(_Community(
            c["name"], tuple(c["female"]), tuple(c["male"]),
            tuple(split_surname(s) for s in c["surnames"]),
            tuple(c.get("feminine", {}).items()),
        ))
        weights.append(c["weight"])
    return communities, list(itertools.accumulate(weights))


# --- the generator ----------------------------------------------------------------------------


@dataclass
class _Person:
    first_name: str
    infix: str | None
    last_name: str
    female: bool
    community: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.infix, self.last_name) if p)


# How the demo's fixed costs are paid: we transfer rent, insurances and the Wmo contribution;
# the suppliers collect energy, water, health insurance and telecom by direct debit.
PAYMENT_METHOD = {
    "huur": "overschrijving", "inboedelverzekering": "overschrijving",
    "aansprakelijkheidsverzekering": "overschrijving", "Wmo eigen bijdrage": "overschrijving",
    "overige vaste last": "overschrijving", "leefgeld": "overschrijving",
    "energie": "incasso", "water": "incasso", "zorgverzekering": "incasso",
    "telefoon": "incasso", "internet": "incasso", "televisie": "incasso",
}


@dataclass(slots=True)
class _Plan:
    """One agreement before it becomes a row."""

    category: str
    direction: str
    amount_cents: int
    frequency: str
    day: int | None
    description: str
    organisation: str | None = None
    counter_iban: str | None = None
    terms: list[str] = field(default_factory=list)
    valid_from: date | None = None
    valid_through: date | None = None
    flow: _Flow | None = field(default=None, repr=False)
    flex: bool = False  # a wage that follows the hours worked
    pair: int | None = None  # the wage of one of a pair of namesakes (_Pair.id)

    @property
    def monthly_cents(self) -> float:
        return self.amount_cents * PER_MONTH[self.frequency]


@dataclass(frozen=True)
class _Pair:
    """Where a pair of namesakes goes: participant ``first`` and, a little later, ``second``
    (dossier indexes), employed by one employer."""

    id: int
    first: int
    second: int
    same_initials: bool


class _Generator:
    def __init__(self, participants: int, seed: int, today: date):
        self.n = participants
        self.seed = seed
        self.today = today
        self.rng = _Random(seed)
        self.catalogue = _catalogue()
        self.communities, self.community_weights = _communities()
        self.addresses = load("addresses.json")
        self.streets = self.addresses["streets"]
        letters = self.addresses["postcode_letters"]
        banned = set(self.addresses["banned_letter_pairs"])
        self.letter_pairs = [a + b for a in letters for b in letters if a + b not in banned]
        self.suffixes = self.addresses["house_number_suffixes"]
        self.used_bsn: set[str] = set()
        self.used_iban: set[str] = {r.iban for r in self.catalogue.organisations}
        self.used_terms: set[str] = set()
        self.used_emails: dict[str, int] = {}  # addresses, and per local part the last number
        self._filtered: dict[tuple, tuple[list[_Flow], list[float]]] = {}
        # The test range 999xxxxxx holds about 90,000 valid numbers; past that use 99xxxxxxx.
        self.bsn_prefix, self.bsn_free = ("999", 5) if participants <= 60_000 else ("99", 6)
        self.number_width = max(5, len(str(participants)))
        self.pairs = _pairs(participants)
        self.pair_at = {i: p for p in self.pairs for i in (p.first, p.second)}
        self.pair_person: dict[int, _Person] = {}
        self.pair_wage: dict[int, _Plan] = {}

    # -- the whole book --

    def run(self) -> DemoData:
        rng = self.rng
        employees = self._employees()
        contacts = [e.name for e in employees if e.role is Role.FRONTOFFICE]
        # Caseloads differ, one of them heavy: the teamleader's overview is worth a look.
        shares = [rng.uniform(0.6, 1.2) for _ in contacts]
        shares[0] += 1.0
        contact_weights = list(itertools.accumulate(shares))
        book = DossierBook()
        for row, org in enumerate(self.catalogue.organisations, start=2):
            book.organisations.append(
                OrganisationRow(row, name=org.name, kvk=org.kvk, iban=org.iban, kind=org.kind)
            )
        agreements = book.agreements
        tolerances: dict[int, Decimal] = {}
        pair_rows: dict[int, list[int]] = {}
        for index in range(1, self.n + 1):
            participant, plans = self._participant(index, _weighted(rng, contacts,
                                                                    contact_weights),
                                                   self.pair_at.get(index))
            participant.row = index + 1
            book.participants.append(participant)
            number = participant.number
            for plan in plans:
                agreements.append(AgreementRow(
                    len(agreements) + 2,
                    participant_number=number,
                    organisation=plan.organisation,
                    counter_iban=plan.counter_iban,
                    direction=plan.direction,
                    amount=Decimal(plan.amount_cents).scaleb(-2),
                    description=plan.description,
                    category=plan.category,
                    search_terms="; ".join(plan.terms) or None,
                    day=plan.day,
                    frequency=plan.frequency,
                    valid_from=plan.valid_from,
                    valid_through=plan.valid_through,
                    payment_method=PAYMENT_METHOD.get(plan.category)
                    if plan.direction == "uitgave" else None,
                ))
                if plan.flex:
                    tolerances[agreements[-1].row] = FLEX_TOLERANCE
                if plan.pair is not None:
                    pair_rows.setdefault(plan.pair, []).append(agreements[-1].row)
        progress = _progress(book.participants, self.today, self.seed)
        namesakes = [Namesakes(*pair_rows[p.id], p.same_initials) for p in self.pairs
                     if len(pair_rows.get(p.id, ())) == 2]
        return DemoData(book, employees, self.seed, self.today, progress, tolerances,
                        namesakes)

    # -- employees --

    def _employees(self) -> list[DemoEmployee]:
        rng = self.rng
        roles = (
            [Role.FRONTOFFICE] * max(3, min(60, math.ceil(self.n / 100)))
            + [Role.BACKOFFICE] * max(2, min(20, math.ceil(self.n / 400)))
            + [Role.TEAMLEADER, Role.ADMIN]
        )
        employees: list[DemoEmployee] = []
        names: set[str] = set()
        usernames: set[str] = set()
        for role in roles:
            person = self._person()
            while person.full_name in names:
                person = self._person()
            names.add(person.full_name)
            folded = ascii_fold(person.first_name[0] + (person.infix or "") + person.last_name)
            base = "".join(ch for ch in folded.lower() if ch.isalnum())
            username, k = base, 1
            while username in usernames:
                k += 1
                username = f"{base}{k}"
            usernames.add(username)
            employees.append(DemoEmployee(
                name=person.full_name,
                username=username,
                role=role,
                phone=f"030-{rng.randrange(2_000_000, 3_000_000)}",
                email=f"{username}@{EMPLOYEE_DOMAIN}",
            ))
        return employees

    # -- one participant --

    def _person(self) -> _Person:
        rng = self.rng
        community = _weighted(rng, self.communities, self.community_weights)
        female = rng.random() < 0.55
        # Some first names come from another community (mixed families, second generation).
        source = community
        if rng.random() < 0.08:
            source = _weighted(rng, self.communities, self.community_weights)
        first = rng.choice(source.female if female else source.male)
        infix, last = rng.choice(community.surnames)
        if female:
            for ending, feminine in community.feminine:
                if last.endswith(ending):
                    last = last[: -len(ending)] + feminine
                    break
        return _Person(first, infix, last, female, community.name)

    def _participant(self, index: int, contact: str, pair: _Pair | None = None
                     ) -> tuple[ParticipantRow, list[_Plan]]:
        rng = self.rng
        today = self.today
        if pair is None:
            person = self._person()
        elif index == pair.first:
            person = self.pair_person[pair.id] = self._person()
        else:
            person = self._namesake(self.pair_person[pair.id], pair.same_initials)
        start = today - timedelta(days=rng.randint(365, 4 * 365))
        age = AGES(rng) + rng.randint(-3, 7)
        if pair is not None and age >= 62:  # a namesake works, years before the AOW
            age = rng.randint(22, 61)
        birth = today - timedelta(days=int(age * 365.25) + rng.randint(0, 364))
        if (start - birth).days < 18 * 366:  # of age when the agreement started
            birth = start - timedelta(days=int(18 * 365.25) + rng.randint(0, 364))
            age = (today - birth).days // 366
        variant = "alleen_inkomsten" if rng.random() < 0.15 else "volledig"
        if pair is not None:  # the month a namesake's wage waits for a clerk costs them a
            variant = "alleen_inkomsten"  # leefgeld, within the larger buffer
        buffer = INCOME_ONLY_BUFFER if variant == "alleen_inkomsten" else BUFFERS(rng)
        # Older people and newcomers more often want the letter on paper: about a third.
        paper = 0.6 if age >= 65 else 0.4 if person.community in NEWCOMER_COMMUNITIES else 0.25
        street = rng.choice(self.streets)
        iban = self._own_iban()
        row = ParticipantRow(
            0,
            number=f"HHB-{index:0{self.number_width}d}",
            bsn=self._bsn(),
            first_name=person.first_name,
            infix=person.infix,
            last_name=person.last_name,
            birth_date=birth,
            street=street["street"],
            house_number=self._house_number(street["max"]),
            postcode=self._postcode(street),
            city=street["city"],
            phone=self._phone() if rng.random() < 0.92 else None,
            email=self._email(person) if rng.random() < 0.5 else None,
            iban=iban if rng.random() < 0.7 else _spaced(iban),  # as people type it
            start_date=start,
            variant=variant,
            buffer=buffer,
            paper_overview="ja" if rng.random() < paper else "nee",
            contact_person=contact,
        )
        children = CHILDREN(rng) if 20 <= age <= 55 else 0
        return row, self._agreements(variant, age, children, start, row.iban, pair)

    def _namesake(self, other: _Person, same_initials: bool) -> _Person:
        """Somebody with ``other``'s surname (a brother, a cousin, a coincidence), with a
        first name of the same initial or of another one."""
        rng = self.rng
        community = next(c for c in self.communities if c.name == other.community)
        names = community.female if other.female else community.male
        initial = ascii_fold(other.first_name)[:1]
        if same_initials:
            options = [n for n in names if ascii_fold(n)[:1] == initial
                       and n != other.first_name] or [other.first_name]
        else:
            options = [n for n in names if ascii_fold(n)[:1] != initial]
        return _Person(rng.choice(options), other.infix, other.last_name, other.female,
                       other.community)

    def _agreements(
        self, variant: str, age: int, children: int, start: date, own_iban: str,
        pair: _Pair | None = None,
    ) -> list[_Plan]:
        rng = self.rng
        costs: list[_Plan] = []
        if variant == "volledig":
            for category in MANDATORY_COSTS:  # student housing (SSH) only for the young
                costs.append(self._plan(category, exclude=NOT_SSH if category == "huur"
                                        and age >= 30 else frozenset()))
            taken = {c.organisation for c in costs if c.organisation}
            for _ in range(OPTIONAL_COUNT(rng)):
                category = OPTIONAL_COSTS(rng)
                if category == "Wmo eigen bijdrage" and age < 50 and rng.random() < 0.7:
                    continue
                if any(c.category == category for c in costs):
                    continue
                plan = self._maybe_plan(category, exclude=frozenset(taken))  # one bill each
                if plan is not None:
                    taken.add(plan.organisation or "")
                    costs.append(plan)
        incomes = self._incomes(age, children, pair)
        if variant == "volledig":
            self._cover_costs(incomes, costs)
        leefgeld = self._leefgeld(variant, incomes, costs, own_iban)
        plans = [*costs, *incomes, leefgeld]
        quarter = _quarter_start(start)
        for plan in plans:
            plan.valid_from = quarter if plan.frequency == "kwartaal" else start
        if pair is not None and self.pair_wage[pair.id] is not incomes[0]:  # the second
            return plans + [self._new_job(incomes[0], start)]
        return plans + self._history(variant, costs, incomes[0], leefgeld, start)

    def _new_job(self, wage: _Plan, start: date) -> _Plan:
        """The second of a pair of namesakes found the job last month, after a benefit: a
        colleague with the first one's name, since the first of the month before today's."""
        old = self._plan(self.rng.choice(("uitkering", "bijstand")), exclude=NOT_SVB)
        begun = _month_end(self.today, -2) + timedelta(days=1)
        old.valid_from, old.valid_through = start, begun - timedelta(days=1)
        old.valid_through = max(old.valid_through, start)
        wage.valid_from = old.valid_through + timedelta(days=1)
        return old

    def _incomes(self, age: int, children: int, pair: _Pair | None = None) -> list[_Plan]:
        """One to three incomes; parents also get child benefits on top."""
        rng = self.rng
        if pair is not None:
            main = self._namesake_wage(pair)
        elif age >= 67:
            main = self._plan("uitkering", only=ONLY_SVB)  # AOW
        else:
            kind = MAIN_INCOME(rng)
            main = self._plan(kind, exclude=NOT_SVB)  # the SVB pays the AOW
        incomes = [main]
        if main.category == "salaris" and rng.random() < 0.3:  # flex work, topped up
            incomes.append(self._supplement(rng.randint(250_00, 700_00)))
        if rng.random() < 0.85:
            incomes.append(self._plan("zorgtoeslag"))
        if len(incomes) < 3 and rng.random() < 0.4:  # everybody here rents
            incomes.append(self._plan("huurtoeslag"))
        if children:
            benefit = self._plan("kinderbijslag")
            prices = benefit.flow.amounts if benefit.flow else (benefit.amount_cents,)
            benefit.amount_cents = sum(rng.choice(prices) for _ in range(children))
            benefit.description += f" ({children} {'kind' if children == 1 else 'kinderen'})"
            incomes.append(benefit)
            if rng.random() < 0.8:
                incomes.append(self._plan("kindgebonden budget"))
        return incomes

    def _namesake_wage(self, pair: _Pair) -> _Plan:
        """The wage of one of a pair of namesakes: the second works for the first's employer,
        on the same terms and about the same wage (the amount hardly tells them apart)."""
        first = self.pair_wage.get(pair.id)
        if first is None:
            plan = self.pair_wage[pair.id] = self._plan("salaris")
        else:
            plan = self._plan("salaris", only=frozenset({first.organisation or ""}))
            plan.amount_cents = max(100, round(first.amount_cents * self.rng.uniform(0.95, 1.05)))
            plan.frequency, plan.day = first.frequency, first.day
            plan.description, plan.counter_iban = first.description, first.counter_iban
            plan.flex = first.flex
        plan.pair = pair.id
        return plan

    def _supplement(self, cents: int) -> _Plan:
        plan = self._plan("bijstand")
        plan.amount_cents = cents
        plan.description = "Aanvullende bijstand"
        return plan

    def _cover_costs(self, incomes: list[_Plan], costs: list[_Plan]) -> None:
        """Make income cover the fixed costs plus a modest leefgeld, as the intake would:
        apply for the allowances that are missing, else top up with (more) bijstand. Never
        more than three incomes besides the child benefits."""
        wanted = self.rng.randint(300_00, 650_00)
        shortfall = sum(c.monthly_cents for c in costs) + wanted - _total(incomes)
        if shortfall <= 0:
            return
        categories = {i.category for i in incomes}
        room = 3 - sum(i.category not in CHILD_BENEFITS for i in incomes)
        if room > 0 and "huurtoeslag" not in categories:
            toeslag = self._plan("huurtoeslag")
            toeslag.amount_cents = min(410_00, max(120_00, int(shortfall) // 100 * 100))
            incomes.append(toeslag)
            shortfall -= toeslag.amount_cents
            room -= 1
        if shortfall > 0 and room > 0 and "zorgtoeslag" not in categories:
            toeslag = self._plan("zorgtoeslag")
            incomes.append(toeslag)
            shortfall -= toeslag.amount_cents
            room -= 1
        if shortfall <= 0:
            return
        topped = next((i for i in incomes if i.category == "bijstand"), None)
        if topped is None and room > 0:
            incomes.insert(1, self._supplement(int(shortfall) + self.rng.randint(0, 99)))
            return
        topped = topped or incomes[0]  # a higher norm, more hours, a higher benefit
        topped.amount_cents += math.ceil(shortfall / PER_MONTH[topped.frequency])

    def _leefgeld(
        self, variant: str, incomes: list[_Plan], costs: list[_Plan], own_iban: str
    ) -> _Plan:
        rng = self.rng
        room = _total(incomes) - sum(c.monthly_cents for c in costs)
        if variant == "volledig":  # what is left above a generous leefgeld stays on the saldo
            monthly = room * rng.uniform(0.78, 0.95)
            weekly, cap = rng.random() < 0.6, 1
        else:  # a fixed leefgeld from which the participant pays their own fixed costs
            monthly = room * rng.uniform(0.92, 0.98)
            weekly, cap = rng.random() < 0.3, 100
        if weekly:
            amount = max(25_00, min(cap * 250_00, int(monthly * 12 / 52) // 500 * 500))
            frequency, day, text = "week", rng.choice((1, 1, 2, 4)), "Leefgeld per week"
        else:
            amount = max(100_00, min(cap * 1000_00, int(monthly) // 1000 * 1000))
            frequency, day, text = "maand", rng.choice((1, 1, 15, 25)), "Leefgeld per maand"
        return _Plan("leefgeld", "uitgave", amount, frequency, day, text, counter_iban=own_iban)

    def _history(
        self, variant: str, costs: list[_Plan], main: _Plan, leefgeld: _Plan, start: date
    ) -> list[_Plan]:
        """An agreement that ended: a previous leefgeld amount, job, energy supplier or
        landlord. The current one starts the day after."""
        rng = self.rng
        if rng.random() >= (0.25 if variant == "volledig" else 0.15):
            return []
        # The municipality pays no fixed costs for an 'alleen inkomsten' participant.
        kind = HISTORY(rng) if variant == "volledig" else rng.choice(("leefgeld", "baan"))
        first_day = start + timedelta(days=60)
        last_day = self.today - timedelta(days=30)
        end = first_day + timedelta(days=rng.randint(0, max(0, (last_day - first_day).days)))
        by_category = {c.category: c for c in costs}
        old: _Plan | None
        if kind == "leefgeld":
            current = leefgeld
            step = 500 if current.frequency == "week" else 2000
            old = _Plan(current.category, current.direction,
                        max(step, current.amount_cents + rng.choice((-3, -2, -1, 1, 2)) * step),
                        current.frequency, current.day, current.description,
                        counter_iban=current.counter_iban)
        elif kind == "baan":
            current = main
            if current.category == "salaris":  # found work after an uitkering or bijstand
                old = self._plan(rng.choice(("uitkering", "bijstand")), exclude=NOT_SVB)
            else:  # lost a job (or retired), now on a benefit
                old = self._plan("salaris")
        else:
            current = by_category["energie" if kind == "energie" else "huur"]
            old = self._maybe_plan(current.category,
                                   exclude=frozenset({current.organisation or ""}))
        if old is None:
            return []
        old.valid_from, old.valid_through = current.valid_from, end
        current.valid_from = end + timedelta(days=1)
        return [old]

    # -- one agreement from the organisations' flows --

    def _plan(self, category: str, *, exclude: frozenset[str] = frozenset(),
              only: frozenset[str] | None = None) -> _Plan:
        plan = self._maybe_plan(category, exclude=exclude, only=only)
        if plan is None:
            raise ValueError(f"no organisation in organisations.json offers {category!r}")
        return plan

    def _maybe_plan(self, category: str, *, exclude: frozenset[str] = frozenset(),
                    only: frozenset[str] | None = None) -> _Plan | None:
        """An agreement with an organisation offering ``category`` (None when none is left)."""
        rng = self.rng
        flows, cumulative = self.catalogue.flows[category]
        if exclude or only:
            key = (category, exclude, only)
            if key not in self._filtered:
                kept = [(f, w) for f, w in zip(flows, _weights(cumulative), strict=True)
                        if f.organisation not in exclude
                        and (only is None or f.organisation in only)]
                self._filtered[key] = (
                    [f for f, _ in kept], list(itertools.accumulate(w for _, w in kept))
                )
            flows, cumulative = self._filtered[key]
            if not flows:
                return None
        flow = _weighted(rng, flows, cumulative)
        if flow.amounts:
            cents = rng.choice(flow.amounts)
        else:
            cents = max(flow.rounding, rng.randint(flow.low, flow.high) // flow.rounding
                        * flow.rounding)
        plan = _Plan(
            flow.category,
            flow.direction,
            cents,
            flow.frequency,
            rng.choice(flow.days),
            rng.choice(flow.descriptions),
            organisation=flow.organisation,
            counter_iban=rng.choice(flow.ibans),
            terms=[self._term(t) for t in flow.terms if t.share >= 1 or rng.random() < t.share],
            flow=flow,
        )
        if plan.description == "WW-uitkering" and rng.random() < 0.5:  # WW ends some day
            plan.valid_through = _month_end(self.today, rng.randint(2, 18))
        if flow.category == "salaris":
            plan.flex = (flow.organisation in FLEX_EMPLOYERS
                         or rng.random() < FLEX_SHARE.get(flow.organisation, 0))
            if plan.terms and rng.random() < NO_PERSONNEL_NUMBER:
                plan.terms = []
        return plan

    def _term(self, term: _Term) -> str:
        """A reference unique in the whole book (after normalising), sometimes typed with
        dots or spaces."""
        random = self.rng.random
        low = term.low  # no leading zero, so normalising keeps every digit
        while True:
            digits = str(low + int(random() * 9 * low))
            key = term.key + digits  # what normalise_term() makes of the text
            if key not in self.used_terms:
                self.used_terms.add(key)
                layout = term.pattern
                if term.typed and random() < 0.35:
                    layout = term.typed[int(random() * len(term.typed))]
                return layout.format(*digits)

    # -- personal details --

    def _bsn(self) -> str:
        rng = self.rng
        while True:
            first = self.bsn_prefix + str(rng.randrange(10**self.bsn_free)).zfill(self.bsn_free)
            check = bsn_check_digit(first)
            if check is not None and (bsn := f"{first}{check}") not in self.used_bsn:
                self.used_bsn.add(bsn)
                return bsn

    def _own_iban(self) -> str:
        rng = self.rng
        while True:
            bank = PARTICIPANT_BANKS(rng)
            iban = nl_iban(bank, str(rng.randrange(10**6, 10**10)).zfill(10))
            if iban not in self.used_iban:
                self.used_iban.add(iban)
                return iban

    def _postcode(self, street: dict) -> str:
        rng = self.rng
        digits, letters = rng.choice(street["postcodes"]), rng.choice(self.letter_pairs)
        return f"{digits} {letters}" if rng.random() < 0.85 else f"{digits}{letters}"

    def _house_number(self, highest: int) -> str | int:
        rng = self.rng
        number = rng.randint(1, highest)
        if rng.random() < 0.75:
            return number
        suffix = rng.choice(self.suffixes)
        return f"{number}{suffix}" if suffix[0] == "-" or len(suffix) == 1 else f"{number} {suffix}"

    def _phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return f"030-{rng.randrange(2_000_000, 3_000_000)}"
        digits = str(rng.randrange(10_000_000, 100_000_000))
        return rng.choice((
            f"06-{digits}", f"06 {digits[:4]} {digits[4:]}", f"06{digits}", f"+31 6 {digits}",
        ))

    def _email(self, person: _Person) -> str:
        rng = self.rng
        first = "".join(ch for ch in ascii_fold(person.first_name).lower() if ch.isalnum())
        last = ascii_fold((person.infix or "") + person.last_name).lower()
        last = "".join(ch for ch in last if ch.isalnum())
        local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}",
                            f"{first}{rng.randint(1, 99)}"))
        domain = rng.choice(EMAIL_DOMAINS)
        address = f"{local}@{domain}"
        while address in self.used_emails:  # jan.devries@… is taken: jan.devries2@…
            self.used_emails[local] = count = self.used_emails.get(local, 1) + 1
            address = f"{local}{count}@{domain}"
        self.used_emails[address] = 1
        return address


def _pairs(participants: int) -> list[_Pair]:
    """Where the namesakes go: spread over the book, the second two dossiers after the
    first; the pairs with the same initials among those with the same surname."""
    if participants < NAMESAKES_FROM:
        return []
    surname = max(1, participants // SAME_SURNAME_EVERY)
    initials = max(1, participants // SAME_INITIALS_EVERY)
    kinds = [same for _, same in sorted([(i / surname, False) for i in range(surname)]
                                        + [(i / initials, True) for i in range(initials)])]
    block = participants / len(kinds)
    pairs = []
    for k, same in enumerate(kinds):
        first = 1 + int(k * block + 0.3 * block)
        pairs.append(_Pair(k, first, first + 2, same))
    return pairs


def _progress(participants: list[ParticipantRow], today: date, seed: int
              ) -> dict[str, DemoProgress]:
    """Nulmeting, classes now, the next half-yearly talk and referrals, from a random source
    of their own (so the dossiers themselves stay what they were for a seed). The talk is
    overdue for about one in twelve, spread over the contact persons (the heaviest caseload
    first); the classes moved for many since the intake, mostly for the better."""
    rng = _Random(f"hhb-demo-voortgang:{seed}")
    by_contact: dict[str, list[ParticipantRow]] = {}
    for row in participants:
        by_contact.setdefault(str(row.contact_person), []).append(row)
    overdue: set[str] = set()
    wanted = max(1, round(len(participants) * OVERDUE_TALK_SHARE))
    queues = sorted(by_contact.values(), key=len, reverse=True)
    queues = [rng.sample(q, len(q)) for q in queues]
    while len(overdue) < min(wanted, len(participants)):
        for queue in queues:
            if queue and len(overdue) < wanted:
                overdue.add(str(queue.pop().number))
    result = {}
    for row in participants:
        start: date = row.start_date  # type: ignore[assignment]
        talk = _next_talk(start, today)
        number = str(row.number)
        if number in overdue:  # the last one was never held
            talk = add_months(talk, -PROGRESS_TALK_MONTHS)
            if talk >= today:
                talk = today - timedelta(days=rng.randint(3, 40))
        if rng.random() < 0.1:  # no nulmeting recorded (a dossier from before the practice)
            result[number] = DemoProgress(None, None, None, None, talk)
            continue
        reliance, debts = SELF_RELIANCE(rng), DEBTS(rng)
        years = (today - start).days / 365
        now_reliance = _moved(rng, SELF_RELIANCE_STEPS, reliance, 0.2 + 0.1 * years)
        now_debts = _moved(rng, DEBT_STEPS, debts, 0.25 + 0.12 * years)
        referrals = []
        for kind, share in (("schuldhulp", 0.35 if debts == "problematische schulden" else 0),
                            ("kredietbank", 0.12 if debts == "kleine schulden" else 0),
                            ("bewindvoering", 0.15 if reliance == "niet zelfredzaam" else 0),
                            ("wijkteam", 0.05)):
            if rng.random() < share:
                referrals.append(_referral(rng, kind, start, today))
        referrals.sort(key=lambda r: r.referred_on)
        result[number] = DemoProgress(reliance, debts, now_reliance, now_debts, talk,
                                      tuple(referrals))
    return result


def _next_talk(start: date, today: date) -> date:
    """The first half-yearly date after the start that is still to come."""
    steps = max(1, ((today.year - start.year) * 12 + today.month - start.month)
                // PROGRESS_TALK_MONTHS)
    talk = add_months(start, steps * PROGRESS_TALK_MONTHS)
    while talk <= today:
        talk = add_months(talk, PROGRESS_TALK_MONTHS)
    return talk


def _moved(rng: random.Random, steps: tuple[str, ...], start: str, better: float) -> str:
    """One step for the better (probability ``better``), now and then one for the worse."""
    index = steps.index(start)
    r = rng.random()
    if r < better and index < len(steps) - 1:
        index += 1 + (rng.random() < 0.15 and index < len(steps) - 2)
    elif r > 0.93 and index > 0:
        index -= 1
    return steps[index]


def _referral(rng: random.Random, kind: str, start: date, today: date) -> DemoReferral:
    first = start + timedelta(days=14)
    last = today - timedelta(days=7)
    referred = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
    outcome = "loopt" if (today - referred).days < 45 else REFERRAL_OUTCOMES(rng)
    decided = None
    if outcome != "loopt":
        decided = min(today, referred + timedelta(days=rng.randint(10, 90)))
    return DemoReferral(kind, referred, outcome, decided, rng.choice(REFERRAL_NOTES[kind]))


def _total(plans: list[_Plan]) -> float:
    return sum(p.monthly_cents for p in plans)


def _weights(cumulative: Sequence[float]) -> list[float]:
    return [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]

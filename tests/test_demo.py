"""Demo data: the generator is pure and deterministic, every row obeys the import's rules, and
``create_demo`` stores it in one transaction on SQLite and PostgreSQL, only into an empty
database."""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from datetime import date

import pytest
from schwifty import IBAN
from sqlalchemy import func, select
from sqlalchemy.orm import undefer
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import postcode as stdnum_postcode

from app.demo import (
    FLEX_EMPLOYERS,
    FLEX_TOLERANCE,
    MANDATORY_COSTS,
    PER_MONTH,
    DemoData,
    ascii_fold,
    generate_demo,
    load,
    nl_iban,
    split_surname,
)
from app.demo_statements import MUNICIPAL_IBAN, generate_statements
from app.errors import UserError, ValidationError
from app.importers.terms import normalise_term, split_terms
from app.models import (
    Agreement,
    BankAccount,
    Booking,
    Direction,
    Employee,
    Frequency,
    Organisation,
    OrganisationKind,
    Participant,
    Referral,
    Role,
    SearchTerm,
    SignalKind,
    Variant,
)
from app.services import validation
from app.services.audit import verify
from app.services.employees import _USERNAME, add_employee
from app.services.saldo import saldos_cents
from tests.helpers import audit_json, audit_rows
from tests.test_schema import DESIGN_CATEGORIES

TODAY = date(2026, 1, 15)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo(1000, seed=5, today=TODAY)


def agreements_by_participant(data: DemoData) -> dict[str, list]:
    grouped = defaultdict(list)
    for agreement in data.book.agreements:
        grouped[agreement.participant_number].append(agreement)
    return grouped


def valid_on(agreement, day: date) -> bool:
    return agreement.valid_from <= day and (
        agreement.valid_through is None or day <= agreement.valid_through
    )


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_book():
    first = generate_demo(300, seed=11, today=TODAY)
    second = generate_demo(300, seed=11, today=TODAY)
    assert first == second
    assert first.book.agreements == second.book.agreements


def test_another_seed_gives_another_book():
    first = generate_demo(300, seed=11, today=TODAY)
    other = generate_demo(300, seed=12, today=TODAY)
    assert [p.bsn for p in first.book.participants] != [p.bsn for p in other.book.participants]
    assert first.book.agreements != other.book.agreements
    # The chain partners stay the same, so scripts can rely on their IBANs.
    assert first.book.organisations == other.book.organisations


def test_the_generator_uses_no_global_random_state():
    random.seed(1)
    first = generate_demo(50, seed=3, today=TODAY)
    random.seed(2)
    assert generate_demo(50, seed=3, today=TODAY) == first


def test_dates_follow_the_reference_date():
    data = generate_demo(200, seed=1, today=TODAY)
    later = generate_demo(200, seed=1, today=date(2027, 1, 15))
    for p in data.book.participants:
        assert date(2022, 1, 1) <= p.start_date <= date(2025, 1, 15)  # 1 to 4 years back
    assert [p.start_date.year for p in later.book.participants] != [
        p.start_date.year for p in data.book.participants
    ]


def test_at_least_one_participant():
    with pytest.raises(ValueError):
        generate_demo(0)


# --- identifiers ------------------------------------------------------------------------------


def test_dossier_numbers_are_sequential(demo):
    numbers = [p.number for p in demo.book.participants]
    assert numbers[:3] == ["HHB-00001", "HHB-00002", "HHB-00003"]
    assert numbers[-1] == "HHB-01000"
    assert len(set(numbers)) == len(numbers)


def test_every_bsn_passes_the_11_proef_and_is_unique(demo):
    bsns = [p.bsn for p in demo.book.participants]
    assert all(stdnum_bsn.is_valid(b) for b in bsns)
    assert all(len(b) == 9 and b.startswith("999") for b in bsns)  # the range of test persons
    assert len(set(bsns)) == len(bsns)


def test_every_iban_is_valid_and_participants_have_their_own(demo):
    book = demo.book
    own = [IBAN(p.iban).compact for p in book.participants]
    organisations = [IBAN(o.iban).compact for o in book.organisations]
    counter = [IBAN(a.counter_iban).compact for a in book.agreements]
    assert len(set(own)) == len(own)
    assert not set(own) & set(organisations)
    assert set(counter) <= set(own) | set(organisations)
    assert any(" " in p.iban for p in book.participants)  # some typed in groups of four


def test_fast_iban_matches_schwifty():
    rng = random.Random(4)
    for _ in range(500):
        bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "RBRB", "KNAB",
                           "TRIO", "BNGH"])
        account = str(rng.randrange(10**10)).zfill(10)
        expected = IBAN.generate("NL", bank_code=bank, account_code=account).compact
        assert nl_iban(bank, account) == expected


def test_every_postcode_is_valid(demo):
    postcodes = [p.postcode for p in demo.book.participants]
    assert all(stdnum_postcode.is_valid(pc) for pc in postcodes)
    assert all(stdnum_postcode.validate(pc)[5:] not in {"SA", "SD", "SS"} for pc in postcodes)
    assert {p.city for p in demo.book.participants} >= {"Utrecht", "Nieuwegein"}


# --- names ------------------------------------------------------------------------------------


def test_names_have_diacritics_and_tussenvoegsels(demo):
    participants = demo.book.participants
    names = [f"{p.first_name} {p.last_name}" for p in participants]
    assert sum(name != ascii_fold(name) for name in names) > len(names) // 20
    infixes = Counter(p.infix for p in participants if p.infix)
    assert {"van", "de", "van der"} <= set(infixes)
    assert all(p.infix == p.infix.lower() for p in participants if p.infix)
    assert all(p.last_name[0].isupper() for p in participants)


def test_the_name_lists_hold_the_communities_of_a_dutch_city():
    names = load("names.json")
    everything = {
        name
        for community in names["communities"]
        for key in ("female", "male", "surnames")
        for name in community[key]
    }
    for name in ("Çelik", "Yılmaz", "Öztürk", "Ağaoğlu", "Gül", "Zoë", "Chloë", "Noël",
                 "François", "Ümit", "Şükrü", "van der Meer", "ter Horst", "in 't Veld"):
        assert name in everything, name
    communities = {c["name"] for c in names["communities"]}
    assert {"Nederlands", "Turks", "Marokkaans", "Surinaams", "Pools", "Syrisch",
            "Eritrees"} <= communities


@pytest.mark.parametrize(("surname", "expected"), [
    ("van der Berg", ("van der", "Berg")),
    ("in 't Veld", ("in 't", "Veld")),
    ("de Jong", ("de", "Jong")),
    ("El Amrani", (None, "El Amrani")),
    ("el Bouazzaoui", ("el", "Bouazzaoui")),
    ("IJzerman", (None, "IJzerman")),
    ("Tjin-A-Tsoi", (None, "Tjin-A-Tsoi")),
])
def test_split_surname(surname, expected):
    assert split_surname(surname) == expected


def test_ascii_fold():
    assert ascii_fold("Şükrü Ağaoğlu") == "Sukru Agaoglu"
    assert ascii_fold("Yılmaz Łukasz Zoë") == "Yilmaz Lukasz Zoe"


# --- the rules of the import ------------------------------------------------------------------


def test_every_row_passes_the_validation_cleaners(demo):
    book = demo.book
    organisations: dict[str, set[str]] = defaultdict(set)
    for o in book.organisations:
        validation.text(o.name, "naam", 200)
        validation.kvk(o.kvk)
        validation.choice(o.kind, OrganisationKind, "soort")
        organisations[o.name].add(validation.iban(o.iban))
    participants = {}
    for p in book.participants:
        validation.required(p.last_name, "achternaam")
        for value, size in ((p.number, 20), (p.first_name, 100), (p.infix, 20),
                            (p.last_name, 100), (p.street, 200), (p.city, 100),
                            (p.contact_person, 200)):
            assert validation.text(value, "tekst", size) == value
        validation.bsn(p.bsn)
        assert validation.day_of(p.birth_date, "geboortedatum") < p.start_date <= TODAY
        validation.house_number(p.house_number)
        validation.postcode(p.postcode)
        if p.phone is not None:
            validation.phone(p.phone)
        if p.email is not None:
            validation.email(p.email)
        validation.day_of(p.start_date, "startdatum")
        validation.choice(p.variant, Variant, "variant")
        validation.cents(p.buffer, "buffer", allow_zero=True)
        validation.yes_no(p.paper_overview, "papieren_overzicht")
        participants[p.number] = (p, validation.iban(p.iban))
    seen_terms: set[str] = set()
    for a in book.agreements:
        participant, own_iban = participants[a.participant_number]
        counter = validation.iban(a.counter_iban)
        if a.organisation is None:
            assert a.category == "leefgeld" and counter == own_iban
        else:
            assert counter in organisations[a.organisation]
        direction = validation.choice(a.direction, Direction, "richting")
        frequency = validation.choice(a.frequency, Frequency, "frequentie")
        assert validation.cents(a.amount) > 0
        assert a.amount == a.amount.quantize(a.amount.__class__("0.01"))
        validation.text(a.description, "omschrijving", 2000)
        assert a.category in DESIGN_CATEGORIES
        if a.day is not None:
            validation.whole_number(a.day, "dag_van_maand", 1, 7 if frequency is
                                    Frequency.WEEK else 31)
        start = validation.day_of(a.valid_from, "startdatum")
        assert start >= participant.start_date
        if a.valid_through is not None:
            validation.period(start, validation.day_of(a.valid_through, "einddatum"))
        expected = Direction.INCOME if a.category in {
            "salaris", "uitkering", "bijstand", "zorgtoeslag", "huurtoeslag",
            "kindgebonden budget", "kinderbijslag"} else Direction.EXPENSE
        assert direction is expected
        for term in split_terms(a.search_terms):
            assert validation.text(term, "zoekterm", 140) == term
            key = normalise_term(term)
            assert key not in seen_terms, f"{term} twice"  # a term points at one agreement
            seen_terms.add(key)


def test_an_invalid_row_would_be_caught_by_the_same_cleaners():
    with pytest.raises(ValidationError):
        validation.bsn("999999991")  # so the test above does check something


def test_every_volledig_participant_has_the_four_fixed_costs(demo):
    grouped = agreements_by_participant(demo)
    for p in demo.book.participants:
        current = [a for a in grouped[p.number] if valid_on(a, TODAY)]
        fixed = Counter(a.category for a in current if a.category in MANDATORY_COSTS)
        if p.variant == "volledig":
            assert fixed == Counter(MANDATORY_COSTS), p.number
            assert p.buffer in (1000, 1500, 2000)
        else:
            assert not fixed, p.number  # alleen inkomsten: they pay those themselves
            assert p.buffer == 2500
        assert [a.category for a in current].count("leefgeld") == 1
        incomes = [a for a in current if a.direction == "inkomst"]
        assert 1 <= len([a for a in incomes if a.category not in {
            "kinderbijslag", "kindgebonden budget"}]) <= 3


def test_income_covers_fixed_costs_and_leefgeld(demo):
    grouped = agreements_by_participant(demo)
    for p in demo.book.participants:
        current = [a for a in grouped[p.number] if valid_on(a, TODAY)]
        monthly = Counter()
        for a in current:
            monthly[a.direction] += float(a.amount) * PER_MONTH[a.frequency]
        assert monthly["uitgave"] <= monthly["inkomst"], p.number
        leefgeld = next(a for a in current if a.category == "leefgeld")
        assert leefgeld.frequency in {"week", "maand"}
        assert leefgeld.organisation is None and leefgeld.search_terms is None


def test_the_mix_looks_like_a_municipality(demo):
    participants = demo.book.participants
    variants = Counter(p.variant for p in participants)
    assert 0.75 < variants["volledig"] / len(participants) < 0.95
    paper = sum(p.paper_overview == "ja" for p in participants) / len(participants)
    assert 0.25 < paper < 0.42  # about a third
    assert 0.3 < sum(p.email is not None for p in participants) / len(participants) < 0.7
    agreements = demo.book.agreements
    categories = Counter(a.category for a in agreements)
    for category in ("uitkering", "salaris", "bijstand", "zorgtoeslag", "huurtoeslag",
                     "kinderbijslag", "internet", "inboedelverzekering"):
        assert categories[category] > 0, category
    kinderbijslag = [a for a in agreements if a.category == "kinderbijslag"]
    assert {a.frequency for a in kinderbijslag} == {"kwartaal"}
    assert all(a.organisation == "SVB" for a in kinderbijslag)
    assert all(a.valid_from.day == 1 and a.valid_from.month in (1, 4, 7, 10)
               for a in kinderbijslag)
    salaries = {a.amount for a in agreements if a.category == "salaris"}
    assert len(salaries) > 50  # wages vary
    uwv = [a for a in agreements if a.organisation == "UWV"]
    assert all(len(normalise_term(a.search_terms)) == 10 for a in uwv)  # uitkeringsnummer
    terms = [t for a in agreements for t in split_terms(a.search_terms)]
    assert any("." in t for t in terms) and any(" " in t for t in terms)  # as people type
    ended = [a for a in agreements if a.valid_through is not None and a.valid_through < TODAY]
    assert ended  # a previous supplier, job or leefgeld amount
    names = {o.name for o in demo.book.organisations}
    assert {"UWV", "Belastingdienst/Toeslagen", "SVB", "Gemeente Utrecht", "Portaal", "Mitros",
            "Bo-Ex", "SSH", "Eneco", "Vattenfall", "Essent", "Vitens", "Zilveren Kruis", "CZ",
            "Zorg & Zekerheid", "Menzis", "VGZ", "Albert Heijn", "PostNL", "Randstad"} <= names


def test_employees(demo):
    roles = Counter(e.role for e in demo.employees)
    assert roles[Role.FRONTOFFICE] >= 3 and roles[Role.BACKOFFICE] >= 2
    assert roles[Role.TEAMLEADER] == 1 and roles[Role.ADMIN] == 1
    usernames = [e.username for e in demo.employees]
    assert len(set(usernames)) == len(usernames)
    assert all(_USERNAME.fullmatch(u) for u in usernames)
    assert len({e.name for e in demo.employees}) == len(demo.employees)
    frontoffice = {e.name for e in demo.employees if e.role is Role.FRONTOFFICE}
    contacts = Counter(p.contact_person for p in demo.book.participants)
    assert set(contacts) <= frontoffice and len(contacts) >= 3


def test_ten_thousand_participants_quickly_with_about_eight_agreements_each():
    started = time.perf_counter()
    data = generate_demo(10_000, seed=1, today=TODAY)
    elapsed = time.perf_counter() - started
    assert elapsed < 20  # about 1.5 s on a slow machine; this only catches a blow-up
    assert len(data.book.participants) == 10_000
    assert 7.5 <= len(data.book.agreements) / 10_000 <= 9
    assert len({p.bsn for p in data.book.participants}) == 10_000
    assert len({IBAN(p.iban).compact for p in data.book.participants}) == 10_000


# --- storing ----------------------------------------------------------------------------------


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_demo_stores_everything_in_one_audited_transaction(db, uow):
    from app.services.demo import AUDIT_ACTION, create_demo

    expected = generate_demo(50, seed=3, today=TODAY)
    summary = create_demo(uow, 50, seed=3, today=TODAY)

    assert summary.participants == count(db, Participant) == 50
    assert summary.agreements == count(db, Agreement) == len(expected.book.agreements)
    assert summary.search_terms == count(db, SearchTerm)
    assert summary.employees == count(db, Employee) == len(expected.employees)
    assert count(db, Organisation) == len({o.name for o in expected.book.organisations})
    # The participants', the organisations' and the municipal account its statements are of.
    assert count(db, BankAccount) == 50 + len(expected.book.organisations) + 1
    with db.read() as session:
        stored = {p.number: p for p in session.scalars(
            select(Participant).options(undefer(Participant.bsn)))}  # the owner may
        for row in expected.book.participants:
            p = stored[row.number]
            assert (p.bsn, p.first_name, p.infix, p.last_name) == (
                row.bsn, row.first_name, row.infix, row.last_name)
            assert p.contact_employee_id is not None
            mandatory = session.scalar(
                select(func.count()).select_from(Agreement)
                .where(Agreement.participant_id == p.id, Agreement.mandatory,
                       Agreement.valid_from <= TODAY,
                       (Agreement.valid_through.is_(None)) | (Agreement.valid_through >= TODAY))
            )
            assert mandatory == (4 if row.variant == "volledig" else 0)
        roles = Counter(session.scalars(select(Employee.role)))
        assert roles[Role.TEAMLEADER] == 1 and roles[Role.ADMIN] == 1
        assert verify(session).ok

    rows = audit_rows(db)
    # One audit row for all dossiers; then the account and each month's statement import,
    # each its own service call as a clerk's would be; the buffer repayments of those below zero
    # in the 'alleen inkomsten' variant; then the signals as of the demo's date.
    assert [r.action for r in rows] == [
        AUDIT_ACTION, "gemeentelijke rekening toegevoegd", *["bankafschrift geïmporteerd"] * 3,
        "aflossingsregelingen afgesproken", "signalen geëvalueerd"]
    with db.read() as session:
        income_only = session.execute(select(Participant.id, Participant.number).where(
            Participant.variant == Variant.INCOME_ONLY)).all()
        saldos = saldos_cents(session, expected.today, [pid for pid, _ in income_only])
    below_zero = {number for pid, number in income_only if saldos[pid] < 0}
    assert set(audit_json(rows[5], "after")["dossiers"]) == below_zero
    after = audit_json(rows[0], "after")
    assert after["seed"] == 3 and after["participants"] == 50
    assert after["agreements"] == len(expected.book.agreements)
    assert after["peildatum"] == TODAY.isoformat()
    assert after["verwijzingen"] == count(db, Referral) == sum(
        len(p.referrals) for p in expected.progress.values())
    assert "bsn" not in rows[0].after.lower()


def test_second_demo_is_refused_and_changes_nothing(db, uow):
    from app.services.demo import create_demo

    create_demo(uow, 10, seed=1, today=TODAY)
    before = (count(db, Participant), count(db, Agreement), len(audit_rows(db)))
    with pytest.raises(UserError, match="al deelnemers"):
        create_demo(db.unit_of_work("tester"), 10, seed=2, today=TODAY)
    assert (count(db, Participant), count(db, Agreement), len(audit_rows(db))) == before


def test_existing_employees_are_kept(db, uow):
    from app.services.demo import create_demo

    demo_employees = generate_demo(5, seed=1, today=TODAY).employees
    taken = demo_employees[0]
    add_employee(db.unit_of_work("tester"), taken.username, Role.BACKOFFICE, name="Al Bekend")
    summary = create_demo(uow, 5, seed=1, today=TODAY)
    with db.read() as session:
        employees = {e.username: e for e in session.scalars(select(Employee))}
    assert employees[taken.username].name == "Al Bekend"  # not overwritten, not doubled
    assert len([e for e in employees.values() if e.username == taken.username]) == 1
    assert summary.participants == 5


# --- caseload and progress (Voortgang) ----------------------------------------------------------


def test_caseloads_are_uneven_and_some_progress_talks_are_overdue():
    """Fifty participants over three contact persons, one of them with a heavy caseload; the
    half-yearly talk is overdue for three to five of them, not all with the same person."""
    data = generate_demo(50, seed=1, today=TODAY)
    caseload = Counter(p.contact_person for p in data.book.participants)
    assert 3 <= len(caseload) <= 4
    assert max(caseload.values()) >= 1.5 * min(caseload.values())
    overdue = [p for p in data.book.participants
               if data.progress[p.number].next_progress_talk < TODAY]
    assert 3 <= len(overdue) <= 5
    assert len({p.contact_person for p in overdue}) >= 3
    for p in data.book.participants:  # the others: the next one within half a year
        talk = data.progress[p.number].next_progress_talk
        assert talk < TODAY or TODAY < talk <= date(2026, 7, 15), (p.number, talk)


def test_nulmeting_classes_move_and_referrals_have_dates_and_outcomes(demo):
    steps = {"niet zelfredzaam": 0, "matig zelfredzaam": 1, "zelfredzaam": 2,
             "problematische schulden": 0, "kleine schulden": 1, "achterstanden": 2, "geen": 3}
    progress = [demo.progress[p.number] for p in demo.book.participants]
    measured = [p for p in progress if p.intake_self_reliance is not None]
    assert 0.8 < len(measured) / len(progress) < 0.97  # most, not every old dossier
    moves = Counter()
    for p in measured:
        for before, now in ((p.intake_self_reliance, p.self_reliance),
                            (p.intake_debt_situation, p.debt_situation)):
            change = steps[now] - steps[before]
            moves["better" if change > 0 else "worse" if change < 0 else "same"] += 1
    assert moves["better"] > 3 * moves["worse"] > 0 and moves["same"] > moves["better"]
    assert {p.intake_debt_situation for p in measured} == {
        "geen", "achterstanden", "kleine schulden", "problematische schulden"}
    starts = {p.number: p.start_date for p in demo.book.participants}
    referred = {n: p.referrals for n, p in demo.progress.items() if p.referrals}
    assert 0.05 < len(referred) / len(progress) < 0.3  # a few
    kinds = Counter()
    for number, referrals in referred.items():
        for r in referrals:
            kinds[r.kind] += 1
            assert starts[number] < r.referred_on < TODAY
            assert (r.outcome == "loopt") == (r.outcome_date is None)
            if r.outcome_date:
                assert r.referred_on < r.outcome_date <= TODAY
            assert r.note
            if r.kind == "schuldhulp":
                assert demo.progress[number].intake_debt_situation == "problematische schulden"
    assert set(kinds) == {"schuldhulp", "wijkteam", "bewindvoering", "kredietbank"}
    outcomes = Counter(r.outcome for rs in referred.values() for r in rs)
    assert {"loopt", "hulp gestart", "afgerond"} <= set(outcomes)


def test_flex_wages_get_a_wide_tolerance_and_the_others_none(demo):
    """Every wage from an uitzendbureau is flex work, and part of the other employers' (on-call
    staff, part-timers): those get the wide tolerance, nothing else does."""
    rows = {a.row: a for a in demo.book.agreements}
    assert demo.tolerances and set(demo.tolerances.values()) == {FLEX_TOLERANCE}
    flex_by_employer: dict[str, Counter] = defaultdict(Counter)
    for row, agreement in rows.items():
        if agreement.category != "salaris":
            assert row not in demo.tolerances
            continue
        flex_by_employer[agreement.organisation][row in demo.tolerances] += 1
        if agreement.organisation in FLEX_EMPLOYERS:
            assert row in demo.tolerances
    for employer in set(flex_by_employer) - FLEX_EMPLOYERS:
        counts = flex_by_employer[employer]
        assert counts[True] and counts[False] > counts[True] / 3, (employer, counts)
    assert {"Albert Heijn", "PostNL"} <= set(flex_by_employer) - FLEX_EMPLOYERS
    salaried = Counter(a.organisation for a in rows.values() if a.category == "salaris")
    assert max(salaried.values()) > 20  # several employees per employer
    assert len(salaried) >= 6  # at several employers


def test_some_wages_lack_the_personnel_number_and_a_quarter_of_the_participants_work(demo):
    wages = [a for a in demo.book.agreements if a.category == "salaris"]
    without = [a for a in wages if not a.search_terms]
    assert 0.02 < len(without) / len(wages) < 0.1  # the payroll prints it: a clerk learns it
    working = {a.participant_number for a in wages if valid_on(a, TODAY)}
    assert 0.2 <= len(working) / len(demo.book.participants) <= 0.3


def test_namesakes_work_for_one_employer_on_about_the_same_wage(demo):
    """A pair with the same surname per hundred participants, and per 250 one with the same
    initials too; even a small demo has one of each."""
    rows = {a.row: a for a in demo.book.agreements}
    people = {p.number: p for p in demo.book.participants}
    kinds = Counter(pair.same_initials for pair in demo.namesakes)
    assert kinds == {False: 10, True: 4}  # 1,000 participants
    for pair in demo.namesakes:
        first, second = rows[pair.first], rows[pair.second]
        assert first.category == second.category == "salaris"
        assert first.participant_number != second.participant_number
        assert (first.organisation, first.counter_iban, first.frequency, first.day) == (
            second.organisation, second.counter_iban, second.frequency, second.day)
        one, other = people[first.participant_number], people[second.participant_number]
        assert (one.infix, one.last_name) == (other.infix, other.last_name)
        same = ascii_fold(one.first_name)[0] == ascii_fold(other.first_name)[0]
        assert same == pair.same_initials
    small = generate_demo(50, seed=1, today=TODAY)
    assert sorted(pair.same_initials for pair in small.namesakes) == [False, True]
    assert generate_demo(9, seed=1, today=TODAY).namesakes == []


# --- the demo in the database: Voortgang stored, and the signals it gives ------------------------


def test_the_demo_gives_the_signals_a_realistic_handful_of_everything(db, uow):
    from app.services.demo import create_demo
    from app.services.signals import list_signals

    data = generate_demo(50, seed=1, today=TODAY)
    situations = generate_statements(data, MUNICIPAL_IBAN, seed=1).situations
    create_demo(uow, 50, seed=1, today=TODAY)
    with db.read() as session:
        people = {p.number: p for p in session.scalars(select(Participant))}
        for number, progress in data.progress.items():
            stored = people[number]
            assert stored.next_progress_talk == progress.next_progress_talk
            assert (stored.intake_debt_situation and stored.intake_debt_situation.value) == \
                progress.intake_debt_situation
            assert (stored.self_reliance and stored.self_reliance.value) == progress.self_reliance
        referrals = list(session.scalars(select(Referral)))
        assert len(referrals) == sum(len(p.referrals) for p in data.progress.values()) > 0
        flex = session.scalars(select(Agreement.signal_tolerance_percent)
                               .where(Agreement.signal_tolerance_percent.is_not(None))).all()
        assert len(flex) == len(data.tolerances) and set(flex) == {FLEX_TOLERANCE}
        saldos = saldos_cents(session, TODAY, [p.id for p in people.values()])
        negative = {n for n, p in people.items() if saldos[p.id] < 0}
        past_buffer = {n for n, p in people.items() if saldos[p.id] < -p.buffer_limit_cents}
        # The salary that never reached us: not one booking on it in three months.
        (stopped,) = [s for s in situations if s.kind == "employer_not_paying"]
        agreement_ids = list(session.scalars(select(Agreement.id).order_by(Agreement.id)))
        salary = agreement_ids[[a.row for a in data.book.agreements].index(stopped.agreement)]
        assert not session.scalar(select(func.count()).select_from(Booking)
                                  .where(Booking.agreement_id == salary))
    # The namesakes' wages wait for a clerk (only a clerk can tell whose is whose; also the
    # month before the second one's job starts): below zero, one may be past the buffer.
    agreement_rows = {a.row: a for a in data.book.agreements}
    namesakes = {agreement_rows[row].participant_number for pair in data.namesakes
                 for row in pair[:2] if pair.same_initials}
    assert namesakes and namesakes <= negative
    assert 3 <= len(negative - namesakes) <= 8
    assert past_buffer - namesakes == {stopped.participant}

    with db.read() as session:  # the demo evaluated them as of its own date
        signals = list_signals(session, on=TODAY)
    kinds = Counter(s.kind for s in signals)
    expected = {SignalKind(k) for k in (
        "betaling ontbreekt", "afwijkend bedrag", "dubbele betaling", "saldo negatief",
        "tekort", "buffer overschreden", "voortgangsgesprek", "werkgever betaalt niet via ons")}
    assert expected <= set(kinds), kinds
    assert len(signals) < 40, kinds  # a handful to look at, not a wall
    assert kinds[SignalKind("voortgangsgesprek")] == sum(
        p.next_progress_talk < TODAY for p in data.progress.values())
    by_kind = {k: {s.number for s in signals if s.kind == k} for k in kinds}
    assert by_kind[SignalKind("buffer overschreden")] == past_buffer
    assert stopped.participant in by_kind[SignalKind("werkgever betaalt niet via ons")]
    assert stopped.participant in by_kind[SignalKind("saldo negatief")]  # since the 1st
    doubled = {s.participant for s in situations if s.kind == "double_payment"}
    assert doubled == by_kind[SignalKind("dubbele betaling")]
    # Somebody's payment waits in the queue: the signal points at it.
    assert any(s.transaction_id for s in signals if s.kind == SignalKind("betaling ontbreekt"))
    # Every contact person has some of them.
    assert len({s.contact_name for s in signals}) == 3

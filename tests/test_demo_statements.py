"""The demo's bank statements: deterministic, balances that add up and chain, every valid
agreement's payments on schedule, realistic noise, a truth row for every entry, a camt.053 file
the schema accepts — and ``create_demo`` importing three months, each entry once, on SQLite and
PostgreSQL."""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.cli import main
from app.demo import FLEX_TOLERANCE, DemoData, ascii_fold, generate_demo
from app.demo_statements import (
    AGREEMENT,
    ALLOWANCE_CUT,
    BANK_COSTS,
    BENEFIT_LATE,
    DIRECT_DEBIT,
    DOUBLE_PAYMENT,
    EMPLOYER,
    EMPLOYER_NOT_PAYING,
    ENDED_AGREEMENT,
    ENERGY_REFUND,
    GIFT,
    INCOME,
    LEEFGELD,
    MUNICIPAL_IBAN,
    NAME,
    NAME_ONLY,
    NEW_REFERENCE,
    NOISE,
    NOISE_CASES,
    REFERENCE,
    RENT_RAISED,
    REVERSAL,
    SALARY_SKIPPED,
    SAME_NAME,
    SITUATIONS,
    TRANSFER,
    UNKNOWN_EMPLOYER,
    UNKNOWN_REFERENCE,
    WEBSHOP_REFUND,
    DemoStatements,
    bank_form,
    generate_statements,
    is_working_day,
    link_quality,
    payroll_name,
    statement_window,
)
from app.errors import UserError
from app.formatting import sha256_of
from app.importers.terms import normalise_term, split_terms
from app.models import BankAccount, BankTransaction, ImportedFile, Participant, Statement
from app.signal_rules import DEFAULT_MARGIN_DAYS
from tests.helpers import audit_rows

TODAY = date(2026, 1, 15)  # statements for October, November and December 2025
XSD = "tests/data/xsd/camt.053.001.02.xsd"


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate_demo(200, seed=5, today=TODAY)


@pytest.fixture(scope="module")
def demo(data) -> DemoStatements:
    return generate_statements(data, MUNICIPAL_IBAN, seed=2)


def compact(iban) -> str:
    return str(iban).replace(" ", "").upper()


def cents(amount) -> int:
    return int(Decimal(amount) * 100)


def entries_with_truth(demo: DemoStatements):
    return [(e, demo.truth[e.bank_reference]) for e in demo.entries()]


def valid_on(agreement, day: date) -> bool:
    return agreement.valid_from <= day and (
        agreement.valid_through is None or day <= agreement.valid_through)


# --- determinism and shape --------------------------------------------------------------------


def test_same_seed_gives_the_same_statements():
    book = generate_demo(60, seed=3, today=TODAY)
    first = generate_statements(book, MUNICIPAL_IBAN, seed=4)
    assert first == generate_statements(book, MUNICIPAL_IBAN, seed=4)
    other = generate_statements(book, MUNICIPAL_IBAN, seed=5)
    assert [e.bank_reference for e in first.entries()] != [
        e.bank_reference for e in other.entries()]


def test_no_global_random_state():
    book = generate_demo(30, seed=3, today=TODAY)
    random.seed(1)
    first = generate_statements(book, MUNICIPAL_IBAN)
    random.seed(2)
    assert generate_statements(book, MUNICIPAL_IBAN) == first


def test_three_calendar_months_before_today(demo):
    assert statement_window(TODAY, 3) == (date(2025, 10, 1), date(2025, 12, 31))
    assert [(s.period_from, s.period_through) for s in demo.statements] == [
        (date(2025, 10, 1), date(2025, 10, 31)),
        (date(2025, 11, 1), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
    ]
    for statement in demo.statements:
        assert statement.account == MUNICIPAL_IBAN == demo.account
        assert statement.currency == "EUR"
        for entry in statement.entries:
            assert statement.period_from <= entry.booking_date <= statement.period_through
            assert is_working_day(entry.booking_date)  # never on a weekend or Christmas
            assert entry.status == "BOOK" and entry.currency == "EUR"
        dates = [e.booking_date for e in statement.entries]
        assert dates == sorted(dates)
    assert statement_window(date(2026, 3, 31), 3) == (date(2025, 12, 1), date(2026, 2, 28))


def test_balances_add_up_chain_and_never_go_overdrawn(demo):
    previous = None
    for statement in demo.statements:
        total = sum(e.amount_cents for e in statement.entries)
        assert statement.opening_balance_cents + total == statement.closing_balance_cents
        assert statement.opening_date == statement.period_from
        assert statement.closing_date == statement.period_through
        if previous is not None:
            assert statement.opening_balance_cents == previous.closing_balance_cents
        running = statement.opening_balance_cents
        for entry in statement.entries:
            running += entry.amount_cents
            assert running > 0
        previous = statement
    # A shared account holding 200 participants' saldi: tens to hundreds of thousands.
    assert 100_000_00 < demo.statements[0].opening_balance_cents < 2_000_000_00


def test_truth_covers_every_entry_once(demo):
    references = [e.bank_reference for e in demo.entries()]
    assert all(references)
    assert len(set(references)) == len(references) == demo.entry_count
    assert set(demo.truth) == set(references)
    assert {t.kind for t in demo.truth.values()} == {AGREEMENT, NOISE}


def test_a_realistic_size():
    small = generate_statements(generate_demo(50, seed=1, today=TODAY), MUNICIPAL_IBAN)
    assert 1_200 <= small.entry_count <= 1_900  # about 10 per participant per month


# --- the regular flows ------------------------------------------------------------------------


def expected_due_dates(agreement, first: date, last: date) -> set[date]:
    """The schedule, day by day (an independent reading of frequentie and dag_van_maand)."""
    days = set()
    start = agreement.valid_from
    day = first
    while day <= last:
        if valid_on(agreement, day):
            wanted = agreement.day
            if agreement.frequency in ("week", "4-weken"):
                weekday = wanted or start.isoweekday()
                if day.isoweekday() == weekday:
                    first_one = start + timedelta(days=(weekday - start.isoweekday()) % 7)
                    if agreement.frequency == "week" or (day - first_one).days % 28 == 0:
                        days.add(day)
            else:
                month_end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) \
                    - timedelta(days=1)
                every = {"maand": 1, "kwartaal": 3, "jaar": 12}[agreement.frequency]
                if day.day == min(wanted or start.day, month_end.day) \
                        and (day.month - start.month) % every == 0:
                    days.add(day)
        day += timedelta(days=1)
    return days


def test_every_valid_agreement_has_its_payments_on_schedule(data, demo):
    first, last = statement_window(TODAY, 3)
    paid: dict[int, list] = defaultdict(list)
    for entry, truth in entries_with_truth(demo):
        if truth.kind == AGREEMENT:
            paid[truth.right_agreement].append((truth.due, entry))
    frequencies = Counter()
    # The few agreements with a deliberate problem: see test_the_situations_a_quarter_has.
    problems = {s.agreement for s in demo.situations}
    assert 0 < len(problems) < 0.02 * len(data.book.agreements)
    for agreement in data.book.agreements:
        if agreement.row in problems:
            continue
        expected = expected_due_dates(agreement, first, last)
        got = paid.get(agreement.row, [])
        assert sorted(d for d, _ in got) == sorted(expected), agreement
        for due, entry in got:
            # Weekends and holidays move a payment to the next working day; payroll and our
            # own transfers a day or two either way; never outside the statements.
            low, high = max(first, due - timedelta(days=2)), min(last, due + timedelta(days=6))
            assert low <= entry.booking_date <= high or entry.booking_date == last, (due, entry)
        if expected:
            frequencies[agreement.frequency] += 1
    assert {"week", "4-weken", "maand", "kwartaal"} <= set(frequencies)
    # Agreements that ended or started during the three months are paid only while valid.
    assert any(a.valid_through and first <= a.valid_through <= last for a in data.book.agreements)


def test_the_situations_a_quarter_has(data, demo):
    """About one participant in fifty each: a salary that never reaches us, one that is
    skipped once, a benefit paid past its margin, a toeslag cut, a rent raised, a rent paid
    twice; up to two in fifty get a salary text that names the employee instead of a number. Each
    participant has at most one of them, and the entries show exactly that problem."""
    first, last = statement_window(TODAY, 3)
    agreements = {a.row: a for a in data.book.agreements}
    participants = {p.number: p for p in data.book.participants}
    kinds = Counter(s.kind for s in demo.situations)
    # Up to two in fifty, but one per payroll and none from one that skipped a salary (four
    # employers pay monthly or four-weekly).
    named = kinds.pop(NAME_ONLY)
    assert kinds == {kind: 4 for kind in SITUATIONS if kind != NAME_ONLY}  # 200 participants
    assert 1 <= named <= 8
    assert len({s.participant for s in demo.situations}) == len(demo.situations)
    paid: dict[int, list] = defaultdict(list)
    for entry, truth in entries_with_truth(demo):
        if truth.kind == AGREEMENT:
            paid[truth.right_agreement].append((truth.due, entry))
    for situation in demo.situations:
        agreement = agreements[situation.agreement]
        assert agreement.participant_number == situation.participant
        got = sorted(paid[situation.agreement], key=lambda p: p[0])
        dues = [d for d, _ in got]
        expected = sorted(expected_due_dates(agreement, first, last))
        agreed = cents(agreement.amount)
        at_due = [e for d, e in got if d == situation.due]
        if situation.kind == EMPLOYER_NOT_PAYING:  # the employer pays the participant
            assert agreement.category == "salaris" and len(expected) >= 3 and got == []
            assert participants[situation.participant].variant == "volledig"
        elif situation.kind == SALARY_SKIPPED:  # one period, the newest a signal can judge
            assert agreement.category == "salaris"
            assert dues == [d for d in expected if d != situation.due]
            margin = DEFAULT_MARGIN_DAYS[agreement.frequency]
            assert situation.due + timedelta(days=margin) <= last
        elif situation.kind == BENEFIT_LATE:  # past the 7 days, or not even by the last day
            assert agreement.organisation in {"UWV", "SVB", "Gemeente Utrecht"}
            assert all(e.booking_date > situation.due + timedelta(days=7) for e in at_due)
            assert set(dues) | {situation.due} == set(expected)
        elif situation.kind == ALLOWANCE_CUT:
            assert agreement.organisation == "Belastingdienst/Toeslagen"
            (entry,) = at_due
            assert entry.amount_cents < 0.86 * agreed and "herberekening" in entry.description
        elif situation.kind == RENT_RAISED:
            (entry,) = at_due
            assert agreement.category == "huur" and -entry.amount_cents > 1.11 * agreed
            assert all(-e.amount_cents == agreed for d, e in got if d < situation.due)
        elif situation.kind == DOUBLE_PAYMENT:  # twice within the month's margin
            assert agreement.category == "huur" and len(at_due) == 2
            assert all(e.amount_cents == -agreed for e in at_due)
            assert at_due[0].bank_reference != at_due[1].bank_reference
            assert all(e.booking_date <= situation.due + timedelta(days=6) for e in at_due)
            assert dues == sorted([*expected, situation.due])
        else:  # the payroll names the employee: nothing a term can find
            assert situation.kind == NAME_ONLY
            (entry,) = at_due
            assert not any(normalise_term(t) in normalise_term(entry.description)
                           for t in split_terms(agreement.search_terms))
            assert str(participants[situation.participant].last_name) in entry.description
    # The first name in a period the signals judge (it waits in the queue), the next in the
    # newest one.
    named = [s for s in demo.situations if s.kind == NAME_ONLY]
    assert any(s.due + timedelta(days=7) <= last for s in named)
    # Never two from one payroll, nor from one that skipped a salary: which employee it is
    # would be anybody's guess.
    payrolls = [agreements[s.agreement].organisation for s in named]
    assert len(set(payrolls)) == len(payrolls)
    assert not set(payrolls) & {agreements[s.agreement].organisation for s in demo.situations
                                if s.kind == SALARY_SKIPPED}


def test_a_tiny_demo_gets_what_fits():
    data = generate_demo(5, seed=2, today=TODAY)
    situations = generate_statements(data, seed=2).situations
    assert len({s.participant for s in situations}) == len(situations) <= 5


def test_income_comes_from_the_organisation_with_its_reference_as_the_bank_prints_it(data, demo):
    """Benefits and allowances always carry their reference; a wage carries the personnel
    number or the employee's name, as the payroll run that pays them prints it (see
    test_wages_are_as_messy_as_real_ones)."""
    agreements = {a.row: a for a in data.book.agreements}
    named = {(s.agreement, s.due) for s in demo.situations if s.kind == NAME_ONLY}
    reformatted = 0
    flex_amounts = []
    for entry, truth in entries_with_truth(demo):
        if truth.case != INCOME or (truth.right_agreement, truth.due) in named:
            continue
        agreement = agreements[truth.right_agreement]
        assert entry.amount_cents > 0 and not entry.reversal
        assert entry.counterparty_iban == compact(agreement.counter_iban)
        assert entry.end_to_end_id
        assert (truth.evidence is None) == (agreement.category != "salaris")
        agreed = cents(agreement.amount)
        if agreement.category == "salaris":
            if agreement.row in data.tolerances:  # flex work: the hours differ, by a third
                assert data.tolerances[agreement.row] == FLEX_TOLERANCE  # wide enough
                assert 2 * agreed / 3 - 1 <= entry.amount_cents <= 4 * agreed / 3 + 1
                flex_amounts.append(entry.amount_cents / agreed)
            else:
                assert entry.amount_cents == agreed
            if truth.evidence != REFERENCE:
                continue
        terms = split_terms(agreement.search_terms)
        text = normalise_term(entry.description)
        assert any(normalise_term(t) in text for t in terms), (terms, entry.description)
        if not any(t in entry.description for t in terms):
            reformatted += 1  # typed '261.000.012.3' by the clerk, printed '2610000123'
        if entry.amount_cents != agreed and agreement.category != "salaris":
            assert "correctie" in entry.description or "herberekening" in entry.description
            if not any(s.agreement == agreement.row for s in demo.situations):
                assert abs(entry.amount_cents - agreed) <= 0.08 * agreed + 100  # within 10%
    assert reformatted > 20
    # Up to a third either way, and all over that range.
    assert min(flex_amounts) < 0.72 and max(flex_amounts) > 1.28
    assert bank_form("UWV", "uitkering", "261.000.012.3") == ("uitkeringsnummer", "2610000123")
    assert bank_form("Mitros", "huur", "HO 123456") == ("contractnummer", "HO-123456")


def test_wages_are_as_messy_as_real_ones(data, demo):
    """An employer pays many participants from one IBAN; each employee's payroll run prints
    the personnel number or only the name, the way that payroll writes names, diacritics
    mostly dropped. The truth says which names tell employees apart, and what a clerk would
    remember: a number the agreement lacks."""
    agreements = {a.row: a for a in data.book.agreements}
    people = {p.number: p for p in data.book.participants}
    book_terms = {normalise_term(t) for a in data.book.agreements
                  for t in split_terms(a.search_terms)}
    wages = [(e, t) for e, t in entries_with_truth(demo) if t.evidence is not None]
    assert {t.case for _, t in wages} == {INCOME}
    evidence = Counter(t.evidence for _, t in wages)
    # (EMPLOYER: a payroll that pays only one of 200 participants, whose text lacks a name.)
    assert set(evidence) == {REFERENCE, NAME, SAME_NAME, NEW_REFERENCE}
    assert 0.3 < (evidence[NAME] + evidence[SAME_NAME]) / len(wages) < 0.65  # name only
    per_employer = defaultdict(set)
    for entry, truth in wages:
        per_employer[entry.counterparty_iban].add(truth.participant)
    assert sum(len(people) >= 5 for people in per_employer.values()) >= 5
    folded = 0
    for entry, truth in wages:
        agreement = agreements[truth.right_agreement]
        person = people[truth.participant]
        assert agreement.category == "salaris" and agreement.participant_number == person.number
        text = normalise_term(entry.description)
        printed = any(normalise_term(t) in text for t in split_terms(agreement.search_terms))
        assert printed == (truth.evidence == REFERENCE), (entry.description, agreement)
        if truth.evidence in (NAME, SAME_NAME):  # the surname, as the payroll spells it
            surname = ascii_fold(f"{person.infix or ''} {person.last_name}").upper()
            description = ascii_fold(entry.description).upper()
            assert surname.split()[-1] in description, (person, entry.description)
            if person.last_name != ascii_fold(person.last_name) and \
                    person.last_name not in entry.description:
                folded += 1  # Yılmaz → YILMAZ, Öztürk → Ozturk
        assert truth.linkable == (truth.evidence in (REFERENCE, NAME, EMPLOYER))
        assert truth.right_agreement == agreement.row
        assert truth.belongs_to == (None if truth.linkable else agreement.row)
        if truth.learn:  # the payroll's number for somebody whose agreement has none
            assert not agreement.search_terms and truth.learn in entry.description
            assert normalise_term(truth.learn) not in book_terms
        if truth.evidence == NEW_REFERENCE:
            assert truth.learn
    assert folded > 3
    # The namesakes with the same initials: the month both work there, a text with only
    # their name (how their payroll pays them) is not linkable; before it, it was.
    first, last = statement_window(TODAY, 3)
    last_month = last.replace(day=1)
    for pair in data.namesakes:
        paid = [(e, t) for e, t in wages if t.right_agreement in pair[:2]]
        assert {t.evidence for _, t in paid} <= {NAME, SAME_NAME}
        if pair.same_initials:
            assert {t.evidence for e, t in paid if e.booking_date >= last_month} == {SAME_NAME}
            assert {t.evidence for e, t in paid if e.booking_date < last_month} == {NAME}
    assert any(pair.same_initials for pair in data.namesakes)
    assert payroll_name("Jan", "de", "Vries", "J.", "initials", capitals=True) == "J. DE VRIES"
    assert payroll_name("Jan", "de", "Vries", "J.H.", "sorted") == "Vries, J.H. de"
    assert payroll_name("Jan", "de", "Vries", "J.H.", "surname_first") == "De Vries J"
    assert payroll_name("Ahmet", None, "Yılmaz", "A.", "surname_first") == "Yilmaz A"
    assert payroll_name("Zoë", None, "Öztürk", "Z.", "full", accents=True) == "Zoë Öztürk"
    assert payroll_name("Emre", None, "Çelik", "E.", "full", capitals=True) == "EMRE CELIK"


def test_link_quality_counts_against_the_truth_and_what_a_clerk_learned(data, demo):
    truth = demo.truth
    ids = {a.row: 1000 + a.row for a in data.book.agreements}  # as if stored
    perfect = {ref: ids[t.agreement] for ref, t in truth.items() if t.linkable}
    result = link_quality(truth, perfect, ids)
    assert result["right"] == sum(t.linkable for t in truth.values())
    assert result["wrong"] == result["missed"] == result["wrongly linked"] == 0
    # A number nobody had yet: linking it is wrong, until a clerk remembered it.
    learnable = {ref: t for ref, t in truth.items() if t.learn and not t.linkable}
    assert learnable
    eager = perfect | {ref: ids[t.belongs_to] for ref, t in learnable.items()}
    assert link_quality(truth, eager, ids)["wrongly linked"] == len(learnable)
    learned = {t.belongs_to for t in learnable.values()}
    after = link_quality(truth, eager, ids, learned)
    assert after["wrongly linked"] == after["wrong"] == after["missed"] == 0
    assert link_quality(truth, perfect, ids, learned)["missed"] == len(learnable)


def test_fixed_costs_go_out_to_the_organisation_with_the_reference(data, demo):
    agreements = {a.row: a for a in data.book.agreements}
    raised = {s.agreement for s in demo.situations if s.kind == RENT_RAISED}
    cases = Counter()
    for entry, truth in entries_with_truth(demo):
        if truth.case not in (TRANSFER, DIRECT_DEBIT):
            continue
        agreement = agreements[truth.agreement]
        cases[truth.case] += 1
        assert agreement.direction == "uitgave" and agreement.organisation
        if agreement.row not in raised:
            assert entry.amount_cents == -cents(agreement.amount)
        assert entry.counterparty_iban == compact(agreement.counter_iban)
        text = normalise_term(entry.description)
        assert any(normalise_term(t) in text for t in split_terms(agreement.search_terms))
        if truth.case == DIRECT_DEBIT:  # the creditor collects with its mandate
            assert entry.mandate_id and entry.transaction_code == "PMNT/RDDT/ESDD"
        else:
            assert entry.end_to_end_id.startswith("HHB") and entry.mandate_id is None
    assert cases[TRANSFER] > cases[DIRECT_DEBIT] > 0


def test_leefgeld_goes_to_the_participants_own_account(data, demo):
    agreements = {a.row: a for a in data.book.agreements}
    participants = {p.number: p for p in data.book.participants}
    count = 0
    for entry, truth in entries_with_truth(demo):
        if truth.case != LEEFGELD:
            continue
        count += 1
        participant = participants[truth.participant]
        assert entry.counterparty_iban == compact(participant.iban)
        assert entry.amount_cents == -cents(agreements[truth.agreement].amount)
        assert entry.description.startswith("Leefgeld ")
        assert entry.description.endswith(participant.number)
        assert str(participant.last_name) in entry.counterparty_name
        if agreements[truth.agreement].frequency == "week":
            assert re.fullmatch(r"Leefgeld week \d{1,2} HHB-\d{5}", entry.description)
    assert count > 200 * 3


def test_no_bsn_appears_anywhere(data, demo):
    bsns = {str(p.bsn) for p in data.book.participants}
    for entry in demo.entries():
        for value in (entry.description, entry.counterparty_name, entry.end_to_end_id,
                      entry.mandate_id, entry.bank_reference):
            digits = re.sub(r"[\s.\-]", "", value or "")
            for run in re.findall(r"\d{9,}", digits):
                assert not any(run[i:i + 9] in bsns for i in range(len(run) - 8)), entry


# --- noise ------------------------------------------------------------------------------------


def test_every_kind_of_noise_and_not_too_much(demo):
    cases = Counter(t.case for t in demo.truth.values())
    for case in NOISE_CASES:
        assert cases[case] > 0, case
    noise = sum(cases[c] for c in NOISE_CASES)
    assert 0.03 <= noise / demo.entry_count <= 0.05
    assert cases[BANK_COSTS] == 3  # one a month
    assert all((t.kind == NOISE) == (t.case in NOISE_CASES) for t in demo.truth.values())


def test_the_noise_looks_like_the_real_thing(data, demo):
    agreements = {a.row: a for a in data.book.agreements}
    participants = {p.number: p for p in data.book.participants}
    terms = {normalise_term(t) for a in data.book.agreements for t in split_terms(a.search_terms)}
    long_terms = [t for t in terms if len(t) >= 6]
    uwv = {compact(o.iban) for o in data.book.organisations if o.name == "UWV"}
    known_ibans = {compact(o.iban) for o in data.book.organisations} | {
        compact(p.iban) for p in data.book.participants}
    entries = list(demo.entries())
    by_mandate = defaultdict(list)
    for entry in entries:
        if entry.mandate_id:
            by_mandate[entry.mandate_id].append(entry)
    for entry, truth in entries_with_truth(demo):
        if truth.kind != NOISE:
            continue
        if truth.case == ENERGY_REFUND:  # belongs to the energy agreement it refunds
            agreement = agreements[truth.agreement]
            assert agreement.category == "energie" and valid_on(agreement, entry.booking_date)
            assert entry.amount_cents > 0
            assert entry.counterparty_iban == compact(agreement.counter_iban)
            assert "jaar" in entry.description.lower()
        elif truth.case == REVERSAL:  # the same amount back, on the original's references
            assert entry.reversal and entry.return_reason == "MD06" and entry.amount_cents > 0
            originals = [e for e in by_mandate[entry.mandate_id]
                         if not e.reversal and e.end_to_end_id == entry.end_to_end_id]
            assert len(originals) == 1
            original = originals[0]
            assert original.amount_cents == -entry.amount_cents
            assert original.booking_date < entry.booking_date
            assert demo.truth[original.bank_reference].agreement == truth.agreement
        elif truth.case == GIFT:
            participant = participants[truth.participant]
            assert str(participant.first_name) in entry.description
            assert truth.agreement is None and entry.amount_cents > 0
        elif truth.case == WEBSHOP_REFUND:  # an order number no agreement knows
            assert truth.participant is None and truth.agreement is None
            text = normalise_term(entry.description)
            assert not any(term in text for term in long_terms)
        elif truth.case == UNKNOWN_REFERENCE:
            assert entry.counterparty_name == "UWV" and entry.counterparty_iban in uwv
            number = re.search(r"\d{10}", entry.description).group()
            assert number not in terms  # nobody has this uitkeringsnummer
            assert truth.agreement is None and truth.participant is None
        elif truth.case == ENDED_AGREEMENT:
            ended = agreements[truth.refers_to]
            assert truth.agreement is None and truth.participant == ended.participant_number
            assert ended.valid_through < entry.booking_date and ended.direction == "inkomst"
            assert entry.counterparty_iban == compact(ended.counter_iban)
        elif truth.case == UNKNOWN_EMPLOYER:  # a side job: its wage names the participant
            participant = participants[truth.participant]
            assert truth.agreement is None and entry.amount_cents > 0
            assert entry.counterparty_iban not in known_ibans
            surname = ascii_fold(participant.last_name).upper()
            assert surname in ascii_fold(entry.description).upper()
        elif truth.case == BANK_COSTS:
            assert entry.counterparty_name is None and entry.counterparty_iban is None
            assert entry.description.startswith("Kosten betalingsverkeer")
            assert entry.amount_cents < 0
        assert truth.linkable == (truth.case in (ENERGY_REFUND, REVERSAL))
    names = {e.counterparty_name for e in entries}
    assert {"UWV", "Belastingdienst/Toeslagen", "SVB", "Eneco Services"} <= names


def test_money_for_an_agreement_that_ended_the_month_before():
    data = generate_demo(40, seed=2, today=TODAY)
    job = next(a for a in data.book.agreements
               if a.category == "salaris" and a.valid_through is None)
    job.valid_through = date(2025, 10, 31)  # the job ended with October
    demo = generate_statements(data, MUNICIPAL_IBAN)
    found = [(entry, truth) for entry, truth in entries_with_truth(demo)
             if truth.agreement == job.row or truth.refers_to == job.row]
    wages = [truth.due for _, truth in found if truth.case == INCOME]
    settlements = [entry.booking_date for entry, truth in found
                   if truth.case == ENDED_AGREEMENT]
    assert wages and all(due.month == 10 for due in wages)  # paid while it lasted
    assert settlements and all(day.month == 11 for day in settlements)  # then once more
    assert all(truth.agreement is None for _, truth in found if truth.case == ENDED_AGREEMENT)


def test_the_camt_files_validate_against_the_schema(demo, tmp_path):
    schema = etree.XMLSchema(etree.parse(XSD))
    ns = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"}
    paths = demo.write_files(tmp_path)
    assert [p.name for p in paths] == [demo.file_name(s) for s in demo.statements]
    for path in paths:
        document = etree.parse(str(path))
        assert schema.validate(document), schema.error_log
        assert document.xpath("count(//c:Ntry)", namespaces=ns) > 0
    reversed_ = etree.parse(str(paths[0])).xpath(
        "//c:Ntry[c:RvslInd='true']//c:RtrInf/c:Rsn/c:Cd/text()", namespaces=ns)
    assert set(reversed_) <= {"MD06"}


def test_ten_thousand_participants_in_seconds():
    # One month of a large municipality: the matcher benchmark's 100,000 transactions.
    data = generate_demo(10_000, seed=1, today=TODAY)
    started = time.perf_counter()
    statements = generate_statements(data, MUNICIPAL_IBAN, months=1)
    elapsed = time.perf_counter() - started
    assert elapsed < 15  # about 2 s on a slow machine; this only catches a blow-up
    assert 80_000 < statements.entry_count < 130_000
    assert len(statements.truth) == statements.entry_count


# --- create_demo ------------------------------------------------------------------------------


def count(db, model, *where) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_demo_imports_three_months_of_statements_each_entry_once(db, uow, tmp_path):
    from app.services.demo import AUDIT_ACTION, create_demo

    folder = tmp_path / "afschriften"
    summary = create_demo(uow, 30, seed=3, today=TODAY, statements_folder=folder)
    expected = generate_statements(generate_demo(30, seed=3, today=TODAY), MUNICIPAL_IBAN,
                                   seed=3)

    assert summary.participants == count(db, Participant) == 30
    assert summary.statements == count(db, Statement) == 3
    assert summary.transactions == expected.entry_count == count(db, BankTransaction)
    assert f"3 bankafschriften met {expected.entry_count} transacties" in str(summary)
    # No matcher yet: every transaction waits in the queue.
    # The matcher ran after each import: what no agreement explains stayed in the queue.
    unexplained = sum(not row.linkable for row in expected.truth.values())
    assert count(db, BankTransaction, BankTransaction.is_open) >= unexplained
    with db.read() as session:
        references = list(session.scalars(select(BankTransaction.bank_reference)))
        assert sorted(references) == sorted(expected.truth)
        account = session.scalar(select(BankAccount).where(BankAccount.is_municipal))
        assert account.iban == MUNICIPAL_IBAN
        stored = list(session.scalars(select(Statement).order_by(Statement.period_from)))
        assert [(s.opening_balance_cents, s.closing_balance_cents) for s in stored] == [
            (s.opening_balance_cents, s.closing_balance_cents) for s in expected.statements]
        files = list(session.scalars(select(ImportedFile).order_by(ImportedFile.id)))
    assert sorted(p.name for p in folder.iterdir()) == [f.file_name for f in files]
    for file in files:
        assert file.sha256 == sha256_of(folder / file.file_name)
    assert [r.action for r in audit_rows(db)] == [
        AUDIT_ACTION, "gemeentelijke rekening toegevoegd", *["bankafschrift geïmporteerd"] * 3,
        "aflossingsregelingen afgesproken", "signalen geëvalueerd"]

    before = (count(db, Participant), count(db, BankTransaction), len(audit_rows(db)))
    with pytest.raises(UserError, match="al deelnemers"):
        create_demo(db.unit_of_work("tester"), 30, seed=4, today=TODAY)
    assert (count(db, Participant), count(db, BankTransaction), len(audit_rows(db))) == before


def test_demo_command_writes_the_statement_files(db_url, tmp_path, capsys):
    folder = tmp_path / "demo-afschriften"
    assert main(["--db", db_url, "demo", "--participants", "5",
                 "--statements-folder", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "3 bankafschriften met" in out and str(folder) in out
    assert len(list(folder.glob("*.xml"))) == 3


def test_a_file_where_the_folder_should_be_is_refused_before_anything_is_stored(db, uow,
                                                                                  tmp_path):
    from app.services.demo import create_demo

    not_a_folder = tmp_path / "afschriften"
    not_a_folder.write_text("")
    with pytest.raises(UserError, match="geen map"):
        create_demo(uow, 5, today=TODAY, statements_folder=not_a_folder)
    assert count(db, Participant) == 0

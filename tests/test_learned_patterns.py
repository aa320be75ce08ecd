"""Names and learned patterns in the program (issue 14), on SQLite and PostgreSQL: the matcher
gets the participants' names and the wage category from the database; a clerk's booking of a
salary that names the employee teaches the payer's text pattern, the next month's salary links
by it, and the pattern can be seen, forgotten (audited) and is forgotten with an undo."""

from __future__ import annotations

import hashlib
import itertools
from datetime import date

import pytest
from sqlalchemy import select

from app.demo import nl_iban
from app.errors import NotFoundError
from app.importers.statements import Entry, ReadResult, StatementData
from app.models import BankTransaction, Booking, BookingMethod, LearnedPattern
from app.services import agreements as agr
from app.services.accounts import add_municipal_account
from app.services.bookings import (
    BookingPart,
    accept_suggestion,
    book_transaction,
    forget_pattern,
    undo_bookings,
)
from app.services.organisations import create_organisation
from app.services.participants import create_participant
from app.services.queue import LearnedKind, learned_terms
from app.services.statement_import import store_statements
from tests.helpers import VALID_BSNS, audit_json, audit_rows

OURS = nl_iban("BNGH", "0285093174")
KOK = nl_iban("RABO", "0111111111")
_files = itertools.count(1)


@pytest.fixture
def world(db):
    """Bakkerij Kok pays two participants: Kees Mulder and Jan de Vries (salaris)."""
    add_municipal_account(db.unit_of_work("beheer"), OURS, "Gemeente Utrecht")
    kok = create_organisation(db.unit_of_work("beheer"), name="Bakkerij Kok", kind="inkomen",
                              ibans=[KOK])
    mulder = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[0], initials="K.",
                                first_name="Kees", last_name="Mulder")
    de_vries = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[1], initials="J.",
                                  first_name="Jan", infix="de", last_name="Vries")
    common = {"organisation_id": kok, "direction": "inkomst", "frequency": "maand", "day": 25,
              "valid_from": date(2026, 1, 1), "category": "salaris"}
    return {
        "mulder": agr.create_agreement(db.unit_of_work("t"), mulder, amount_cents=1_700_00,
                                       **common),
        "de_vries": agr.create_agreement(db.unit_of_work("t"), de_vries,
                                         amount_cents=2_000_00, tolerance_percent="10",
                                         **common),
    }


def salary(month: int, cents: int, text: str) -> Entry:
    return Entry(date(2026, month, 24), cents, counterparty_name="Bakkerij Kok B.V.",
                 counterparty_iban=KOK, bank_reference=f"KOK-{month}-{cents}", description=text)


def import_month(db, month: int, *entries: Entry) -> dict[str, BankTransaction]:
    number = next(_files)
    statement = StatementData(account=OURS, period_from=date(2026, month, 1),
                              period_through=date(2026, month, 28), opening_balance_cents=None,
                              opening_date=None, closing_balance_cents=None, closing_date=None,
                              entries=list(entries))
    store_statements(db.unit_of_work("clerk"), ReadResult("csv-ing", [statement]),
                     file_name=f"kok-{number}.csv",
                     sha256=hashlib.sha256(f"learned-{number}".encode()).hexdigest())
    with db.read() as session:
        return {t.bank_reference: t for t in session.scalars(select(BankTransaction))}


def booking_of(db, transaction_id: int) -> Booking | None:
    with db.read() as session:
        return session.scalar(select(Booking).where(Booking.transaction_id == transaction_id))


def patterns(db) -> list[LearnedPattern]:
    with db.read() as session:
        return list(session.scalars(select(LearnedPattern).order_by(LearnedPattern.id)))


def test_a_named_wage_links_by_the_payer_and_the_name(db, world):
    # 25% above Jan's agreement: flex hours; the employer names him with his initial.
    stored = import_month(db, 3, salary(3, 2_500_00, "SALARIS MRT 2026 J. DE VRIES"),
                          salary(3, 2_700_00, "SALARIS MRT 2026 J. DE VRIES extra"))
    booking = booking_of(db, stored["KOK-3-250000"].id)
    assert booking is not None and booking.agreement_id == world["de_vries"]
    assert booking.method is BookingMethod.AUTOMATIC
    assert "naam van de deelnemer in de tekst" in booking.reason
    assert "loon: binnen een derde" in booking.reason
    # 35% above: a clerk judges it (the suggestion is there).
    assert stored["KOK-3-270000"].is_open


def test_a_clerks_booking_teaches_the_pattern_and_next_month_links_by_it(db, world):
    stored = import_month(db, 3, salary(3, 1_700_00, "Salaris maart 2026 Mulder"))
    march = stored["KOK-3-170000"]
    assert march.is_open  # the surname alone does not identify Kees Mulder
    accept_suggestion(db.unit_of_work("clerk"), march.id, world["mulder"])
    [learned] = patterns(db)
    assert (learned.agreement_id, learned.payer_iban, learned.pattern, learned.transaction_id,
            learned.example, learned.created_by) == (
        world["mulder"], KOK, "SALARIS MULDER", march.id, "Salaris maart 2026 Mulder", "clerk")
    [booked] = audit_rows(db, "transactie geboekt")
    assert audit_json(booked, "after")["geleerd"]["pattern"] == "SALARIS MULDER"
    with db.read() as session:
        [row] = learned_terms(session)
    assert (row.kind, row.term, row.payer_iban, row.agreement_id) == (
        LearnedKind.PATTERN, "SALARIS MULDER", KOK, world["mulder"])

    april = import_month(db, 4, salary(4, 1_700_00, "Salaris april 2026 Mulder"))
    booking = booking_of(db, april["KOK-4-170000"].id)
    assert booking is not None and booking.agreement_id == world["mulder"]
    assert booking.method is BookingMethod.AUTOMATIC
    assert "eerder zo geboekt" in booking.reason

    forget_pattern(db.unit_of_work("clerk"), learned.id)
    assert patterns(db) == []
    [forgotten] = audit_rows(db, "tekstpatroon vergeten")
    assert (forgotten.entity, forgotten.entity_id, forgotten.actor) == (
        "agreement_learned_patterns", str(learned.id), "clerk")
    assert audit_json(forgotten, "before")["pattern"] == "SALARIS MULDER"
    may = import_month(db, 5, salary(5, 1_700_00, "Salaris mei 2026 Mulder"))
    assert may["KOK-5-170000"].is_open  # forgotten: the clerk decides again
    with pytest.raises(NotFoundError):
        forget_pattern(db.unit_of_work("clerk"), learned.id)


def test_undoing_the_booking_forgets_what_it_taught(db, world):
    stored = import_month(db, 3, salary(3, 1_700_00, "Salaris maart 2026 Mulder"))
    march = stored["KOK-3-170000"]
    booked = book_transaction(db.unit_of_work("clerk"), march.id,
                              [BookingPart(agreement_id=world["mulder"])])
    assert [p.pattern for p in patterns(db)] == ["SALARIS MULDER"]
    undo_bookings(db.unit_of_work("clerk"), march.id, expected_version=booked.version)
    assert patterns(db) == []
    [undone] = audit_rows(db, "boeking ongedaan gemaakt")
    assert [p["pattern"] for p in audit_json(undone, "before")["geleerde patronen"]] == [
        "SALARIS MULDER"]


def test_undoing_an_automatic_link_it_made_forgets_it_too(db, world):
    march = import_month(db, 3, salary(3, 1_700_00, "Salaris maart 2026 Mulder"))["KOK-3-170000"]
    accept_suggestion(db.unit_of_work("clerk"), march.id, world["mulder"])
    april = import_month(db, 4, salary(4, 1_700_00, "Salaris april 2026 Mulder"))["KOK-4-170000"]
    assert not april.is_open
    undo_bookings(db.unit_of_work("clerk"), april.id, expected_version=april.version)
    assert patterns(db) == []


@pytest.mark.parametrize(("text", "parts"), [
    ("Salaris maart 2026", None),  # names nobody: teaches nothing about who it is
    ("Salaris maart 2026 P. Mulder", None),  # another initial: not Kees
    ("Salaris maart 2026 Mulder", [1_000_00, 700_00]),  # split: no clean evidence
])
def test_nothing_is_learned_from_what_does_not_name_the_participant(db, world, text, parts):
    march = import_month(db, 3, salary(3, 1_700_00, text))["KOK-3-170000"]
    assert march.is_open
    split = [BookingPart(agreement_id=world["mulder"], amount_cents=c) for c in parts or ()]
    book_transaction(db.unit_of_work("clerk"), march.id,
                     split or [BookingPart(agreement_id=world["mulder"])])
    assert patterns(db) == []
    [booked] = audit_rows(db, "transactie geboekt" if not parts else "transactie gesplitst")
    assert "geleerd" not in audit_json(booked, "after")

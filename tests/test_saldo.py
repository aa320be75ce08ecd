"""The saldo (sum of a participant's bookings up to and including a day) at month boundaries,
with bookings on the first and the last day of a month, after undo, and for many participants
at once — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import Category
from app.services.bookings import BookingPart, book_transaction, undo_bookings
from app.services.overview import overview_data
from app.services.saldo import saldo_cents, saldos_cents
from tests import overview_scenario as golden


@pytest.fixture
def scenario(db):
    return golden.build(db)


def saldo(db, pid, day):
    with db.read() as session:
        return saldo_cents(session, pid, day)


def test_booking_on_the_last_day_counts_for_that_month(db, scenario):
    pid = scenario.participant_id
    assert saldo(db, pid, date(2026, 7, 30)) == 0
    assert saldo(db, pid, date(2026, 7, 31)) == -8536  # booked on 31 July
    # 31 October: the health insurance was booked on the last day of the month.
    assert saldo(db, pid, date(2026, 10, 30)) == 27372 + 18315
    assert saldo(db, pid, date(2026, 10, 31)) == 27372


def test_booking_on_the_first_day_counts_for_the_new_month(db, scenario):
    pid = scenario.participant_id
    assert saldo(db, pid, date(2026, 8, 1)) == -8536 + 45734 - 42410
    assert saldo(db, pid, date(2026, 9, 30)) == -27977
    assert saldo(db, pid, date(2026, 10, 1)) == -27977 + 45734 - 42410


@pytest.mark.parametrize(("month", "begin", "end"), [
    (date(2026, 8, 1), -8536, -28117),
    (date(2026, 9, 1), -28117, -27977),
    (date(2026, 10, 1), -27977, 27372),
])
def test_month_boundaries_match_the_golden_figures(db, scenario, month, begin, end):
    pid = scenario.participant_id
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert saldo(db, pid, month - timedelta(days=1)) == begin
    assert saldo(db, pid, last) == end
    with db.read() as session:  # the overview reads the same function
        data = overview_data(session, pid, month, today=golden.TODAY)
    assert (data.saldos[-1].begin_cents, data.saldo_cents) == (begin, end)


def test_every_day_one_query_for_many_equals_one_by_one(db, scenario):
    other = golden.build(db, number="HHB-00043", bsn=golden.VALID_BSNS[2],
                         own_iban=golden.nl_iban("INGB", "0007654321"), with_orgs=False,
                         municipal=False)
    ids = [scenario.participant_id, other.participant_id, 999_999]
    day = date(2026, 7, 29)
    with db.read() as session:
        while day <= date(2026, 11, 2):
            many = saldos_cents(session, day, ids)
            assert many == {pid: saldo_cents(session, pid, day) for pid in ids}
            day += timedelta(days=3)
        assert saldos_cents(session, date(2026, 10, 31))[other.participant_id] == 27372
        # A long list (the caseload asks for everyone) gives exactly the ones asked for.
        asked = [other.participant_id, *range(900_000, 901_500)]
        long = saldos_cents(session, date(2026, 10, 31), asked)
        assert list(long) == asked and long[other.participant_id] == 27372
        assert scenario.participant_id not in long and long[900_000] == 0


def test_undo_and_rebook_move_the_saldo_from_that_day_on(db, scenario):
    pid = scenario.participant_id
    last_day_booking = scenario.transactions[-1]  # -183,15 on 31 October
    undo_bookings(db.unit_of_work("clerk"), last_day_booking)
    assert saldo(db, pid, date(2026, 10, 31)) == 27372 + 18315
    assert saldo(db, pid, date(2026, 10, 30)) == 27372 + 18315
    assert saldo(db, pid, date(2026, 9, 30)) == -27977  # earlier months untouched
    book_transaction(db.unit_of_work("clerk"), last_day_booking,
                     [BookingPart(agreement_id=scenario.agreements["zz"])])
    assert saldo(db, pid, date(2026, 10, 31)) == 27372

    first_day_booking = scenario.transactions[1]  # +457,34 on 1 August
    undo_bookings(db.unit_of_work("clerk"), first_day_booking)
    assert saldo(db, pid, date(2026, 7, 31)) == -8536
    assert saldo(db, pid, date(2026, 8, 1)) == -8536 - 42410


def test_split_transaction_and_non_participant_part(db, scenario):
    pid = scenario.participant_id
    [tid] = golden.store_bookings(db, [(date(2026, 10, 31), None, -10000)], prefix="split")
    with db.read() as session:
        bank_costs = session.scalar(select(Category.id).where(Category.name == "bankkosten"))
    book_transaction(db.unit_of_work("clerk"), tid, [
        BookingPart(agreement_id=scenario.agreements["eneco"], amount_cents=-6000),
        BookingPart(category_id=bank_costs, amount_cents=-4000)])  # not the participant's money
    assert saldo(db, pid, date(2026, 10, 30)) == 27372 + 18315
    assert saldo(db, pid, date(2026, 10, 31)) == 27372 - 6000

"""Several clerks on one queue: two real connections try to book the same transaction at the
same moment; exactly one wins, the other gets the clear message; and many such races (also
one clerk's bulk action against another clerk's keyboard) end with every transaction booked
exactly once.

The first test is PostgreSQL-only on purpose: it watches the second clerk wait on the row
lock (``SELECT … FOR UPDATE``) in ``pg_stat_activity``, which only a server has. The race
loops run on both databases (SQLite serialises writers at BEGIN IMMEDIATE instead)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select, text

from app.db import Database
from app.demo import nl_iban
from app.errors import ConflictError
from app.importers.statements import Entry
from app.models import BankTransaction, Booking, BookingMethod
from app.services.agreements import find_category
from app.services.bookings import (
    ALREADY_BOOKED,
    BookingPart,
    accept_top_suggestions,
    add_bookings,
    book_transaction,
    lock_transaction,
)
from tests.conftest import new_postgres_database
from tests.queue_data import build_world, set_suggestions

RACES = 30
MESSAGE = str(ALREADY_BOOKED)


@pytest.fixture
def pg_db(postgres, postgres_template):
    database = Database.open(new_postgres_database(postgres, postgres_template))
    try:
        yield database
    finally:
        database.dispose()


def race_entries(count: int) -> list[Entry]:
    return [Entry(date(2026, 3, 1 + i % 28), 10_00 + i, counterparty_name=f"Onbekend {i}",
                  counterparty_iban=nl_iban("TRIO", f"{2_000_000_000 + i:010d}"),
                  bank_reference=f"RACE-{i}", description=f"Overboeking {i}")
            for i in range(count)]


def parts(db, who: str) -> list[BookingPart]:
    with db.read() as session:
        if who == "anna":
            return [BookingPart(participant_id=1,
                                category_id=find_category(session, "overige vaste last").id)]
        return [BookingPart(category_id=find_category(session, "onbekend").id)]


def race_ids(db) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(BankTransaction.id).where(
            BankTransaction.bank_reference.like("RACE-%")).order_by(BankTransaction.id)))


def assert_each_booked_once(db, transaction_ids: list[int]) -> None:
    with db.read() as session:
        counts = dict(session.execute(
            select(Booking.transaction_id, func.count()).where(
                Booking.transaction_id.in_(transaction_ids)).group_by(Booking.transaction_id)
        ).all())
        transactions = session.scalars(select(BankTransaction).where(
            BankTransaction.id.in_(transaction_ids))).all()
    assert counts == dict.fromkeys(transaction_ids, 1)
    assert all(not t.is_open and t.booked_cents == t.amount_cents for t in transactions)


@pytest.mark.postgres_only
def test_the_second_clerk_waits_for_the_row_lock_and_gets_the_message(pg_db):
    db = pg_db
    world = build_world(db)
    rent = world.tx["RENT-1"]
    with db.read() as session:
        version = session.get(BankTransaction, rent).version
    outcome: dict[str, object] = {}

    def second_clerk() -> None:
        try:
            book_transaction(db.unit_of_work("bert"), rent,
                             [BookingPart(agreement_id=world.bram_rent)],
                             expected_version=version)
            outcome["bert"] = "geboekt"
        except ConflictError as exc:
            outcome["bert"] = str(exc)

    first = db.unit_of_work("anna")
    with first:  # clerk Anna is half-way through booking: the row is locked
        transaction = lock_transaction(first.session, rent, version)
        bookings = add_bookings(first.session, transaction,
                                [BookingPart(agreement_id=world.anna_rent)],
                                method=BookingMethod.MANUAL, reason="test", actor="anna")
        bert = threading.Thread(target=second_clerk)
        bert.start()
        assert wait_for_lock_wait(db), "the second clerk should wait on the row lock"
        assert "bert" not in outcome  # still waiting, nothing booked twice meanwhile
        first.record("transactie geboekt", transaction, after={"n": len(bookings)})
        first.permitted = True  # the booking core by hand, not a service
        first.commit()
    bert.join(timeout=30)
    assert outcome == {"bert": MESSAGE}
    with db.read() as session:
        [booking] = session.scalars(select(Booking).where(Booking.transaction_id == rent))
        assert booking.agreement_id == world.anna_rent


def wait_for_lock_wait(db, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            conn.commit()
            if waiting:
                return True
            time.sleep(0.02)
    return False


def test_many_races_book_every_transaction_exactly_once(db):
    build_world(db, race_entries(RACES))
    targets = race_ids(db)
    assert len(targets) == RACES
    with db.read() as session:
        versions = {t.id: t.version for t in session.scalars(
            select(BankTransaction).where(BankTransaction.id.in_(targets)))}
    barrier = threading.Barrier(2, timeout=30)
    results: dict[str, list[str]] = {"anna": [], "bert": []}

    def clerk(name: str) -> None:
        mine = parts(db, name)
        for round_number, transaction_id in enumerate(targets):
            barrier.wait()  # both press Enter on the same row at the same moment
            # Half of the rounds from a screen that knew the version, half without.
            expected = versions[transaction_id] if round_number % 2 == 0 else None
            try:
                book_transaction(db.unit_of_work(name), transaction_id, mine,
                                 expected_version=expected)
                results[name].append("won")
            except ConflictError as exc:
                results[name].append(str(exc))

    threads = [threading.Thread(target=clerk, args=(name,)) for name in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    rounds = list(zip(results["anna"], results["bert"], strict=True))
    assert len(rounds) == RACES
    for pair in rounds:  # exactly one winner per race, the other told clearly
        assert sorted(pair) == sorted(["won", MESSAGE])
    assert_each_booked_once(db, targets)


def test_a_bulk_action_racing_a_clerk_books_each_transaction_once(db):
    world = build_world(db, race_entries(RACES))
    targets = race_ids(db)
    for transaction_id in targets:
        set_suggestions(db, transaction_id, [(world.anna_benefit, 95)])
    start = threading.Barrier(2, timeout=30)
    tally: Counter[str] = Counter()
    bulk_result = {}

    def bulk_clerk() -> None:
        start.wait()
        bulk_result["outcome"] = accept_top_suggestions(db.unit_of_work("anna"), targets)

    def keyboard_clerk() -> None:
        mine = parts(db, "bert")
        start.wait()
        for transaction_id in reversed(targets):  # from the other end of the queue
            try:
                book_transaction(db.unit_of_work("bert"), transaction_id, mine)
                tally["won"] += 1
            except ConflictError as exc:
                assert str(exc) == MESSAGE
                tally["refused"] += 1

    threads = [threading.Thread(target=bulk_clerk), threading.Thread(target=keyboard_clerk)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcome = bulk_result["outcome"]
    assert len(outcome.booked) + tally["won"] == RACES
    assert outcome.skipped["al geboekt"] == tally["won"]
    assert tally["refused"] == len(outcome.booked)
    assert_each_booked_once(db, targets)

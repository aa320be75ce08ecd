"""Benchmark: evaluating the signals of a whole municipality, and of the few a booking touches.

    python benchmarks/signals.py [--participants N] [--postgres | --db URL-of-an-empty-database]

Builds the database first: the demo municipality's participants with their agreements
(about eight each), a statement covering a year, and a booking for every due day of every
agreement in that year — with what real years have: about 3% of the payments missing, 5% off
by more than the tolerance, 1% paid twice, and saldos that drift below zero for some. Then
measures, as of the last day of the year:

- everyone: ``evaluate_signals`` (what ``huishoudboekje signals`` does): participants/s and
  the signals it found, then a second run (nothing new: updates only);
- the next morning: ``evaluate_daily`` a day later, judged from the last evaluation's day
  (what the first start of the day does);
- touched: the re-evaluation a booking adds to its commit (one participant), and an import
  of a day (100 participants).

Without --db it runs on a temporary SQLite file; --postgres starts a throw-away PostgreSQL
server (as the tests do); or give the URL of an empty database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from municipality import add_database_options, demo_municipality, run_on_database  # noqa: E402

FIRST, LAST = date(2025, 12, 1), date(2026, 11, 30)
MISSING, OFF, TWICE = 0.03, 0.05, 0.01


def build(url: str, participants: int) -> dict:
    from sqlalchemy import select

    from app.db import Database, make_engine, upgrade
    from app.demo import generate_demo
    from app.models import (
        Agreement,
        BankTransaction,
        Booking,
        BookingMethod,
    )
    from app.schedule import Schedule, due_dates
    from app.services.bulk import insert_rows

    upgrade(make_engine(url))
    db = Database.open(url)
    started = time.perf_counter()
    data = generate_demo(participants, seed=11, today=LAST)
    rng = random.Random(11)
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account, statement = demo_municipality(session, data, FIRST, LAST)
        transactions, bookings = [], []
        agreements = session.execute(select(
            Agreement.id, Agreement.participant_id, Agreement.category_id, Agreement.direction,
            Agreement.amount_cents, Agreement.frequency, Agreement.day, Agreement.valid_from,
            Agreement.valid_through)).all()
        for (aid, pid, category, direction, cents, frequency, day, valid_from,
             valid_through) in agreements:
            sign = 1 if direction.value == "inkomst" else -1
            schedule = Schedule(frequency.value, day, valid_from, valid_through)
            for due in due_dates(schedule, FIRST, LAST):
                chance = rng.random()
                if chance < MISSING:
                    continue
                amount = cents
                if chance < MISSING + OFF:
                    amount = int(cents * rng.uniform(1.15, 1.4))
                times = 2 if rng.random() < TWICE else 1
                for _n in range(times):
                    number = len(transactions) + 1
                    # Weekly money moves on its day; monthly money a few days either way.
                    jitter = (0, 1) if frequency.value == "week" else (-2, 3)
                    booked_on = due + timedelta(days=rng.randint(*jitter))
                    transactions.append({
                        "id": number, "statement_id": statement, "account_id": account,
                        "dedup_key": f"bench:{number}", "booking_date": booked_on,
                        "amount_cents": sign * amount, "currency": "EUR", "reversal": False,
                        "occurrence": 1, "booked_cents": sign * amount, "is_open": False,
                        "version": 1})
                    bookings.append({
                        "transaction_id": number, "participant_id": pid, "agreement_id": aid,
                        "category_id": category, "amount_cents": sign * amount,
                        "booking_date": booked_on, "method": BookingMethod.AUTOMATIC,
                        "created_by": "bench"})
        insert_rows(session, BankTransaction.__table__, transactions)
        insert_rows(session, Booking.__table__, bookings)
        uow.record("benchmark data", "benchmark", None, after={"bookings": len(bookings)})
        uow.commit()
    seconds = time.perf_counter() - started
    db.dispose()
    return {"participants": participants, "agreements": len(agreements),
            "bookings": len(bookings), "seconds": seconds}


def measure(url: str) -> dict:
    from sqlalchemy import select

    from app.db import Database
    from app.models import Participant
    from app.services.signals import evaluate_daily, evaluate_signals, list_signals

    db = Database.open(url)
    started = time.perf_counter()
    first = evaluate_signals(db.unit_of_work("bench"), LAST)
    everyone = time.perf_counter() - started
    started = time.perf_counter()
    again = evaluate_signals(db.unit_of_work("bench"), LAST)
    everyone_again = time.perf_counter() - started
    with db.read() as session:
        kinds = Counter(s.kind.value for s in list_signals(session, on=LAST))
        ids = list(session.scalars(select(Participant.id).order_by(Participant.id)))
    rng = random.Random(3)
    one, hundred = [], []
    for _round in range(20):
        started = time.perf_counter()
        evaluate_signals(db.unit_of_work("bench"), LAST, [rng.choice(ids)])
        one.append(time.perf_counter() - started)
    for _round in range(5):
        started = time.perf_counter()
        evaluate_signals(db.unit_of_work("bench"), LAST, rng.sample(ids, 100))
        hundred.append(time.perf_counter() - started)
    started = time.perf_counter()
    morning = evaluate_daily(db.unit_of_work("bench"), LAST + timedelta(days=1))
    next_morning = time.perf_counter() - started
    db.dispose()
    return {"everyone": everyone, "first": first, "again_s": everyone_again, "again": again,
            "morning_s": next_morning, "morning": morning, "kinds": kinds,
            "one": statistics.median(one), "hundred": statistics.median(hundred)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    add_database_options(parser)
    args = parser.parse_args()
    return run_on_database(args, lambda url: run(url, args.participants), "signals.db")


def run(url: str, participants: int) -> int:
    built = build(url, participants)
    print(f"database: {url.split('@')[-1]}")
    print(f"built: {built['participants']:,} participants, {built['agreements']:,} agreements, "
          f"{built['bookings']:,} bookings in a year ({built['seconds']:.1f} s)")
    figures = measure(url)
    print(f"everyone, first run: {figures['everyone']:.2f} s "
          f"({participants / figures['everyone']:,.0f} participants/s) — "
          f"{figures['first'].summary()}")
    print(f"everyone, again:     {figures['again_s']:.2f} s "
          f"({participants / figures['again_s']:,.0f} participants/s) — "
          f"{figures['again'].summary()}")
    print(f"the next morning (evaluate_daily, judged from the last evaluation's day): "
          f"{figures['morning_s']:.2f} s — {figures['morning'].summary()}")
    print("open signals by kind: " + ", ".join(
        f"{kind} {count:,}" for kind, count in figures["kinds"].most_common()))
    print(f"touched by a booking (1 participant): {figures['one'] * 1000:.0f} ms per commit "
          f"(median of 20, whole unit of work)")
    print(f"touched by a day's import (100 participants): {figures['hundred'] * 1000:.0f} ms "
          f"(median of 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

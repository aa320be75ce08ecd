"""Benchmark: planning the payments of a calendar month for a whole municipality and writing its
batch (pain.001, validated against the XSD).

    python benchmarks/payouts.py [--participants 10000]
                                 [--postgres | --db URL-of-an-empty-database]

Builds the database first: the demo municipality's participants with their agreements (leefgeld
to the participant's own account, weekly or monthly; fixed costs paid by transfer
(overschrijving: rent, insurances, Wmo …) or collected by the creditor (incasso: energy, water,
health insurance …), incomes), and a month of income on every saldo: a booking for every due
day of every income agreement in the month up to the planning day, as if November's money for
December has arrived, except about 3% of the incomes (a benefit stopped, a salary late): their
participants' payments run past the buffer and are held. Then, on 27-11-2026, for December 2026:

- ``payouts.plan`` (what ``huishoudboekje payouts`` and the Betaalopdrachten screen do):
  payments/s, and how many were planned, held and why; not planned and why;
- the floor of planning: what ``plan`` reads from the database (payees with their saldo,
  payable agreements, taken periods, outstanding payouts) and the pure
  ``app.payments.planning.plan_payments`` on that plain data;
- ``payouts.create_batch`` for the month: seconds, transfers/s, file size;
- the floor of the file: ``app.payments.pain001.write_pain001`` on the same batch data (read
  back from the file), and of that the XSD validation alone;
- ``plan`` of the same month again: must plan nothing (every period is taken).

Without --db it runs on a temporary SQLite file; --postgres starts a throw-away PostgreSQL
server (as the tests do); or give the URL of an empty database.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from municipality import (  # noqa: E402
    add_database_options,
    demo_municipality,
    peak_mb,
    run_on_database,
)

TODAY = date(2026, 11, 27)  # a Friday: December's money has come in
FIRST, LAST = date(2026, 12, 1), date(2026, 12, 31)
INCOME_FROM = TODAY - timedelta(days=30)  # a month of income on the saldo
MISSING = 0.03  # of the incomes not (yet) received


def build(url: str, participants: int) -> dict:
    from sqlalchemy import func, select

    from app.db import Database, make_engine, upgrade
    from app.demo import generate_demo
    from app.models import (
        Agreement,
        BankTransaction,
        Booking,
        BookingMethod,
        Category,
        Direction,
    )
    from app.schedule import Schedule, due_dates
    from app.services.bulk import insert_rows

    upgrade(make_engine(url))
    db = Database.open(url)
    started = time.perf_counter()
    data = generate_demo(participants, seed=13, today=TODAY)
    rng = random.Random(13)
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account, statement = demo_municipality(session, data, INCOME_FROM, TODAY)
        transactions, bookings = [], []
        incomes = session.execute(select(
            Agreement.id, Agreement.participant_id, Agreement.category_id, Agreement.amount_cents,
            Agreement.frequency, Agreement.day, Agreement.valid_from, Agreement.valid_through)
            .where(Agreement.direction == Direction.INCOME).order_by(Agreement.id)).all()
        for aid, pid, category, cents, frequency, day, valid_from, valid_through in incomes:
            schedule = Schedule(frequency.value, day, valid_from, valid_through)
            for due in due_dates(schedule, INCOME_FROM, TODAY):
                if rng.random() < MISSING:
                    continue
                number = len(transactions) + 1
                transactions.append({
                    "id": number, "statement_id": statement, "account_id": account,
                    "dedup_key": f"bench:{number}", "booking_date": due, "amount_cents": cents,
                    "currency": "EUR", "reversal": False, "occurrence": 1,
                    "booked_cents": cents, "is_open": False, "version": 1})
                bookings.append({
                    "transaction_id": number, "participant_id": pid, "agreement_id": aid,
                    "category_id": category, "amount_cents": cents, "booking_date": due,
                    "method": BookingMethod.AUTOMATIC, "created_by": "bench"})
        insert_rows(session, BankTransaction.__table__, transactions)
        insert_rows(session, Booking.__table__, bookings)
        # What December holds: expense agreements valid in the month, by kind and payment method.
        expenses = Counter({(kind.value, method.value if method else "onbekend"): count
                            for kind, method, count in session.execute(
            select(Category.kind, Agreement.payment_method, func.count())
            .join(Category, Agreement.category_id == Category.id)
            .where(Agreement.direction == Direction.EXPENSE, Agreement.valid_from <= LAST,
                   (Agreement.valid_through.is_(None)) | (Agreement.valid_through >= FIRST))
            .group_by(Category.kind, Agreement.payment_method))})
        agreements = session.scalar(select(func.count()).select_from(Agreement))
        uow.record("benchmark data", "benchmark", None, after={"bookings": len(bookings)})
        uow.commit()
    seconds = time.perf_counter() - started
    db.dispose()
    return {"participants": participants, "agreements": agreements, "incomes": len(incomes),
            "bookings": len(bookings), "expenses": expenses, "seconds": seconds}


def _reason(note: str) -> str:
    """A note of what was not planned, without its participant and dates: '… eindigt op …'."""
    text = note.split(": ", 1)[-1]
    return re.sub(r"\d{2}-\d{2}-\d{4}", "…", text)


def measure(url: str) -> dict:
    from lxml import etree
    from sqlalchemy import func, select

    from app.db import Database
    from app.models import Participant, Payout, PayoutStatus
    from app.payments import pain001
    from app.payments.planning import plan_payments
    from app.services import payouts

    db = Database.open(url)
    figures: dict = {}

    # The floor of planning: what plan() reads, then the pure rules on that plain data.
    with db.read() as session:
        started = time.perf_counter()
        payees = payouts._payees(session, TODAY)
        agreements = payouts._payable_agreements(session, FIRST, LAST)
        taken = set(session.scalars(select(Payout.period_key).where(
            Payout.period_key.is_not(None), Payout.due_date >= FIRST, Payout.due_date <= LAST)))
        outstanding = payouts._outstanding(session)
        figures["load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    pure = plan_payments(payees, agreements, FIRST, LAST, taken=taken, outstanding=outstanding,
                         today=TODAY)
    figures["pure_plan_s"] = time.perf_counter() - started
    figures["payees"], figures["payable"] = len(payees), len(agreements)
    figures["pure_planned"] = len(pure.payments)
    del payees, agreements, pure

    # The service: one transaction, one audit row.
    started = time.perf_counter()
    outcome = payouts.plan(db.unit_of_work("bench"), FIRST, LAST, today=TODAY)
    figures["plan_s"] = time.perf_counter() - started
    figures["plan"] = outcome
    figures["not_planned"] = Counter(_reason(note) for note in outcome.notes)
    with db.read() as session:
        figures["held"] = Counter(dict(session.execute(
            select(Payout.hold_reason, func.count()).where(Payout.status == PayoutStatus.HELD)
            .group_by(Payout.hold_reason)).all()))
        figures["kinds"] = Counter({kind.value: count for kind, count in session.execute(
            select(Payout.kind, func.count()).group_by(Payout.kind)).all()})
        figures["warned"] = session.scalar(select(func.count()).select_from(Payout).where(
            Payout.warnings.is_not(None)))
    figures["peak_plan"] = peak_mb()

    # The batch: everything planned and not held, into one pain.001 (the XSD once loaded).
    started = time.perf_counter()
    pain001.schema()
    figures["xsd_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    batch = payouts.create_batch(db.unit_of_work("bench"), FIRST, LAST,
                                 file_name="december-2026.xml", today=TODAY)
    figures["batch_s"] = time.perf_counter() - started
    figures["batch"] = batch
    figures["peak_batch"] = peak_mb()

    # The floor of the file: the same batch data, the same forbidden BSNs.
    batch_data = pain001.read_pain001(batch.xml)
    with db.read() as session:
        ids = select(Payout.participant_id).where(Payout.batch_id == batch.batch_id)
        forbidden = list(session.scalars(select(Participant.bsn).where(
            Participant.id.in_(ids), Participant.bsn.is_not(None))))
    started = time.perf_counter()
    xml = pain001.write_pain001(batch_data, forbidden=forbidden)
    figures["pure_write_s"] = time.perf_counter() - started
    figures["same_size"] = len(xml) == len(batch.xml)
    root = etree.fromstring(batch.xml, pain001._safe_parser())
    started = time.perf_counter()
    valid = pain001.schema().validate(root)
    figures["xsd_s"] = time.perf_counter() - started
    assert valid, "the batch does not validate"
    del xml, root, batch_data

    # The same month again: every period is taken, nothing is planned twice.
    started = time.perf_counter()
    figures["again"] = payouts.plan(db.unit_of_work("bench"), FIRST, LAST, today=TODAY)
    figures["again_s"] = time.perf_counter() - started
    with db.read() as session:
        figures["stored"] = session.scalar(select(func.count()).select_from(Payout))
        figures["keys"] = session.scalar(select(func.count(func.distinct(Payout.period_key))))
    db.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    add_database_options(parser)
    args = parser.parse_args()
    return run_on_database(args, lambda url: run(url, args.participants), "payouts.db")


def run(url: str, participants: int) -> int:
    built = build(url, participants)
    print(f"database: {url.split('@')[-1]}")
    print(f"built: {built['participants']:,} participants, {built['agreements']:,} agreements, "
          f"{built['bookings']:,} income bookings ({built['incomes']:,} income agreements) "
          f"({built['seconds']:.1f} s)")
    print(f"expense agreements valid in {FIRST:%m-%Y}: " + ", ".join(
        f"{kind}/{method} {count:,}" for (kind, method), count in
        sorted(built["expenses"].items())))
    f = measure(url)
    outcome, batch = f["plan"], f["batch"]
    print(f"plan {FIRST:%d-%m-%Y}–{LAST:%d-%m-%Y} on {TODAY:%d-%m-%Y}: {f['plan_s']:.2f} s "
          f"({outcome.planned / f['plan_s']:,.0f} payments/s) — {outcome.summary()}")
    print("  planned by kind: " + ", ".join(
        f"{kind} {count:,}" for kind, count in f["kinds"].most_common())
        + f"; {f['warned']:,} with a warning")
    print("  held: " + (", ".join(f"{reason} {count:,}" for reason, count in
                                  f["held"].most_common()) or "none"))
    print("  not planned: " + (", ".join(f"{reason} {count:,}" for reason, count in
                                         f["not_planned"].most_common()) or "nothing"))
    print(f"  floor: reading the plain data {f['load_s']:.2f} s ({f['payees']:,} payees, "
          f"{f['payable']:,} expense agreements), plan_payments on it {f['pure_plan_s']:.2f} s "
          f"({f['pure_planned']:,} payments, "
          f"{f['pure_planned'] / f['pure_plan_s']:,.0f}/s); "
          f"together {f['load_s'] + f['pure_plan_s']:.2f} s = "
          f"{(f['load_s'] + f['pure_plan_s']) / f['plan_s']:.0%} of plan()")
    size = len(batch.xml) / 2**20
    print(f"create_batch: {f['batch_s']:.2f} s ({batch.count / f['batch_s']:,.0f} transfers/s)"
          f" — {batch.count:,} transfers, € {batch.total_cents / 100:,.2f}, {size:.1f} MB, "
          f"XSD-validated (loading the XSD once: {f['xsd_load_s']:.2f} s, not included)")
    print(f"  floor: write_pain001 on the same batch data {f['pure_write_s']:.2f} s "
          f"({batch.count / f['pure_write_s']:,.0f} transfers/s; "
          f"{'same' if f['same_size'] else 'DIFFERENT'} size), of which XSD validation "
          f"{f['xsd_s']:.2f} s; write_pain001 = {f['pure_write_s'] / f['batch_s']:.0%} of "
          "create_batch")
    again = f["again"]
    print(f"plan the same month again: {f['again_s']:.2f} s — {again.planned} new, "
          f"{again.already:,} already planned; {f['stored']:,} payouts stored, "
          f"{f['keys']:,} distinct periods")
    print(f"peak memory: {f['peak_plan']:.0f} MB after plan, {f['peak_batch']:.0f} MB after "
          f"create_batch, {peak_mb():.0f} MB in all")
    return 0 if again.planned == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

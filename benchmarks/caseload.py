"""Benchmark: the saldo of every participant on one date from 10 million bookings, and the
whole caseload review, on PostgreSQL.

    python benchmarks/caseload.py [--participants 10000] [--bookings 10000000]
                                  [--postgres | --db URL-of-an-empty-PostgreSQL-database]
                                  [--explain]

Builds the demo municipality's dossiers (``store_book``), then ten years of bank transactions
with one booking each — income and costs in turn, spread over the participants and the days —
with ``INSERT … SELECT generate_series`` in chunks of a million, and ``VACUUM ANALYZE`` (what
autovacuum does on a live database). Then measures, as of the last day:

- ``saldos_cents`` of everyone (one grouped sum), cold (first query after building) and warm
  (median of 5);
- ``saldos_cents`` for the 10,000 ids the caseload asks for;
- ``caseload()``: everything the Caseload screen reads (median of 3).

``--explain`` prints PostgreSQL's plan of the saldo query (EXPLAIN ANALYZE, BUFFERS).
PostgreSQL only (SQLite has no generate_series): without --db a throw-away server is started,
with the tests' settings (shared_buffers 128 MB, the PostgreSQL default).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from municipality import ROOT, add_database_options, demo_municipality, run_on_database  # noqa: E402

sys.path.insert(0, str(ROOT))

LAST = date(2026, 11, 30)
YEARS = 10
CHUNK = 1_000_000


def build(url: str, participants: int, bookings: int) -> dict:
    from sqlalchemy import func, select, text

    from app.db import Database, make_engine, upgrade
    from app.demo import generate_demo
    from app.models import Category, Participant

    upgrade(make_engine(url))
    db = Database.open(url)
    first = LAST - timedelta(days=365 * YEARS)
    started = time.perf_counter()
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account, statement = demo_municipality(
            session, generate_demo(participants, seed=5, today=LAST), first, LAST)
        low, high, count = session.execute(select(
            func.min(Participant.id), func.max(Participant.id), func.count())).one()
        assert high - low + 1 == count, "participant ids are not contiguous"
        income, cost = (session.scalar(select(Category.id).where(Category.name == name))
                        for name in ("uitkering", "huur"))
        uow.record("benchmark data", "benchmark", None, after={"participants": count})
        uow.commit()
    dossiers = time.perf_counter() - started
    days = (LAST - first).days + 1
    started = time.perf_counter()
    engine = make_engine(url)
    for start in range(1, bookings + 1, CHUNK):
        stop = min(start + CHUNK - 1, bookings)
        values = {"start": start, "stop": stop, "statement": statement, "account": account,
                  "first": first, "days": days, "low": low, "people": count,
                  "income": income, "cost": cost}
        # Odd rows are income, even rows a cost of the same participant: a little smaller for most,
        # larger for one in five, whose saldo drifts below zero.
        with engine.begin() as conn:
            conn.execute(text("""
                INSERT INTO bank_transactions (id, statement_id, account_id, dedup_key,
                    booking_date, amount_cents, currency, reversal, occurrence, booked_cents,
                    is_open, version)
                SELECT g, :statement, :account, 'bench:' || g,
                       CAST(:first AS date) + CAST((g * 7919) % :days AS integer),
                       CASE WHEN g % 2 = 1 THEN 60000 + g % 90000
                            ELSE -(55000 + g % 90000 + (g / 2) % 10 / 8 * 6000) END,
                       'EUR', false, 1,
                       CASE WHEN g % 2 = 1 THEN 60000 + g % 90000
                            ELSE -(55000 + g % 90000 + (g / 2) % 10 / 8 * 6000) END,
                       false, 1
                FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g
            """), values)
            conn.execute(text("""
                INSERT INTO bookings (transaction_id, participant_id, category_id,
                    amount_cents, booking_date, method, created_by, created_at)
                SELECT id, :low + (id / 2) % :people,
                       CASE WHEN amount_cents > 0 THEN :income ELSE :cost END,
                       amount_cents, booking_date, 'automatisch', 'bench', now()
                FROM bank_transactions WHERE id BETWEEN :start AND :stop
            """), values)
        print(f"  … {stop:,} bookings ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE bank_transactions"))
        conn.execute(text("VACUUM ANALYZE bookings"))
        size = conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('bookings'))"))
    engine.dispose()
    db.dispose()
    return {"participants": count, "bookings": bookings, "dossiers_s": dossiers,
            "bookings_s": time.perf_counter() - started, "size": size}


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def measure(url: str, explain: bool) -> dict:
    from sqlalchemy import select, text

    from app.db import Database
    from app.models import Participant
    from app.services.caseload import caseload
    from app.services.saldo import saldos_cents

    db = Database.open(url)
    with db.read() as session:
        cold, saldos = timed(lambda: saldos_cents(session, LAST))
        warm = statistics.median(timed(lambda: saldos_cents(session, LAST))[0] for _ in range(5))
        ids = list(session.scalars(select(Participant.id)))
        by_id = statistics.median(
            timed(lambda: saldos_cents(session, LAST, ids))[0] for _ in range(3))
        review = [timed(lambda: caseload(session, LAST)) for _ in range(3)]
        plan = None
        if explain:
            plan = "\n".join(row[0] for row in session.execute(text(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT participant_id, sum(amount_cents) "
                "FROM bookings WHERE participant_id IS NOT NULL AND booking_date <= :on "
                "GROUP BY participant_id"), {"on": LAST}))
    db.dispose()
    result = review[-1][1]
    return {"cold": cold, "warm": warm, "by_id": by_id, "saldos": len(saldos),
            "negative": sum(1 for cents in saldos.values() if cents < 0),
            "caseload": statistics.median(seconds for seconds, _ in review),
            "employees": len(result.employees), "plan": plan}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--bookings", type=int, default=10_000_000)
    parser.add_argument("--explain", action="store_true", help="print the saldo query's plan")
    add_database_options(parser, sqlite=False)
    args = parser.parse_args()

    def run(url: str) -> int:
        if not url.startswith("postgresql"):
            print("caseload benchmark: PostgreSQL only (give --postgres or a postgresql:// URL)",
                  file=sys.stderr)
            return 2
        built = build(url, args.participants, args.bookings)
        print(f"built: {built['participants']:,} participants (dossiers {built['dossiers_s']:.0f}"
              f" s), {built['bookings']:,} bookings over {YEARS} years "
              f"({built['bookings_s']:.0f} s; bookings table with indexes {built['size']})")
        figures = measure(url, args.explain)
        print(f"saldos_cents of everyone on {LAST:%d-%m-%Y}: cold {figures['cold'] * 1000:,.0f} ms,"
              f" warm {figures['warm'] * 1000:,.0f} ms (median of 5) — {figures['saldos']:,} "
              f"saldos, {figures['negative']:,} negative")
        print(f"saldos_cents of {built['participants']:,} ids: {figures['by_id'] * 1000:,.0f} ms "
              "(median of 3)")
        print(f"caseload(): {figures['caseload'] * 1000:,.0f} ms (median of 3, "
              f"{figures['employees']} employees)")
        if figures["plan"]:
            print(figures["plan"])
        return 0

    return run_on_database(args, run, sqlite_name=None)


if __name__ == "__main__":
    raise SystemExit(main())

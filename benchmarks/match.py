"""Benchmark: automatic matching of ~100,000 transactions against 10,000 participants and
~80,000 agreements, and its quality against the demo's ground truth.

    python benchmarks/match.py [--participants N] [--db URL-of-an-empty-database]

Builds the demo municipality (not timed), stores one month of its statements while no
agreement exists yet (so all of it waits in the queue), then the dossiers, and times
``huishoudboekje match`` over the whole queue: loading the index, deciding, storing bookings
and suggestions, commit. Then the same with two months of statements (twice the transactions)
in a second database: doubling the transactions should at most double the time. Prints the
matcher's quality: share of linkable transactions linked automatically, wrong links, and
queue-only transactions wrongly linked (both must be 0).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from app.db import Database, make_engine, upgrade  # noqa: E402
from app.demo import generate_demo  # noqa: E402
from app.demo_statements import (  # noqa: E402
    MUNICIPAL_IBAN,
    DemoStatements,
    generate_statements,
    link_quality,
)
from app.models import Agreement, BankTransaction, Booking  # noqa: E402
from app.services.accounts import add_municipal_account  # noqa: E402
from app.services.dossier_import import store_book  # noqa: E402
from app.services.matching import Matcher, run_matcher  # noqa: E402
from app.services.statement_import import store_statements  # noqa: E402

TODAY = date(2026, 11, 15)


def build(url: str, data, statements: DemoStatements) -> Database:
    upgrade(make_engine(url))
    db = Database.open(url)
    add_municipal_account(db.unit_of_work("bench"), MUNICIPAL_IBAN, "Gemeente")
    for statement in statements.statements:  # no agreements yet: everything is queued
        store_statements(db.unit_of_work("bench"), statements.read_result(statement),
                         file_name=statements.file_name(statement), sha256="0" * 64)
    with db.unit_of_work("bench") as uow:  # the dossiers, without the services' re-match
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        store_book(uow.session, data.book, "bench")
        uow.record("benchmark", "demo")
        uow.commit()
    return db


def quality(db: Database, data, statements: DemoStatements) -> Counter:
    with db.read() as session:
        ids = list(session.scalars(select(Agreement.id).order_by(Agreement.id)))
        linked = {reference: agreement for reference, agreement in session.execute(
            select(BankTransaction.bank_reference, Booking.agreement_id)
            .join(Booking, Booking.transaction_id == BankTransaction.id))}
    agreement_ids = {row.row: ids[i] for i, row in enumerate(data.book.agreements)}
    return link_quality(statements.truth, linked, agreement_ids)


def measure(url: str, data, statements: DemoStatements) -> dict:
    db = build(url, data, statements)
    with db.read() as session:  # the parts, for the profile (nothing stored)
        started = time.perf_counter()
        matcher = Matcher(session, "bench")
        _ = matcher.index
        index_seconds = time.perf_counter() - started
        started = time.perf_counter()
        decided = matcher.decide()
        decide_seconds = time.perf_counter() - started
    started = time.perf_counter()
    outcome = run_matcher(db.unit_of_work("bench"))
    seconds = time.perf_counter() - started
    result = quality(db, data, statements)
    db.dispose()
    return {"transactions": len(decided), "index": index_seconds, "decide": decide_seconds,
            "seconds": seconds, "linked": outcome.linked, "quality": result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--db", help="URL of an EMPTY database for the first run (default: "
                                     "SQLite files in a temporary folder)")
    args = parser.parse_args()
    started = time.perf_counter()
    data = generate_demo(args.participants, seed=1, today=TODAY)
    print(f"demo: {len(data.book.participants):,} participants, "
          f"{len(data.book.agreements):,} agreements (made in "
          f"{time.perf_counter() - started:.0f} s, not counted)")
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for months in (1, 2):
            statements = generate_statements(data, MUNICIPAL_IBAN, months=months, seed=1)
            url = (args.db if months == 1 and args.db
                   else f"sqlite:///{Path(folder) / f'match_{months}.db'}")
            runs[months] = r = measure(url, data, statements)
            q = r["quality"]
            linkable = q["right"] + q["wrong"] + q["missed"]
            print(f"{r['transactions']:>8,} transactions ({months} month(s), "
                  f"{make_engine(url).dialect.name}): match {r['seconds']:.2f} s = "
                  f"{r['transactions'] / r['seconds']:,.0f} transactions/s "
                  f"(index {r['index']:.2f} s, decisions {r['decide']:.2f} s, the rest storing "
                  f"and commit)")
            print(f"          quality: {100 * q['right'] / linkable:.2f}% of {linkable:,} "
                  f"linkable linked automatically; wrong links {q['wrong']}; queue-only "
                  f"wrongly linked {q['wrongly linked']} "
                  f"(of {q['queue'] + q['wrongly linked']:,})")
    print(f"doubling the transactions multiplied the match time by "
          f"{runs[2]['seconds'] / runs[1]['seconds']:.2f}")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()

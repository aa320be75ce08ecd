"""Benchmark: the audit trail — appending through the chain, verifying a million rows, and
verifying against a checkpoint.

    python benchmarks/audit.py [--rows 1000000] [--postgres | --db URL-of-an-empty-database]

SQLite: the rows are chained in Python (``entry_hash``) and inserted in bulk, as the program's
unit of work does. PostgreSQL: every row goes through the trigger ``hhb_audit_chain`` (it locks
the head, takes the id, computes the hash), with ``INSERT … SELECT generate_series`` in chunks —
the append rate printed is the trigger's. Then ``verify`` (the whole chain), a checkpoint taken
and ``verify`` against it. Prints rows/s for each.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from municipality import ROOT, add_database_options, run_on_database  # noqa: E402

sys.path.insert(0, str(ROOT))

CHUNK = 100_000
ACTIONS = ("dossier geopend", "deelnemer gewijzigd", "transactie geboekt", "BSN getoond",
           "afspraak gewijzigd", "gezocht op BSN")


def fill_sqlite(db, rows: int) -> None:
    from sqlalchemy import insert, update

    from app.models import AuditEntry, AuditHead
    from app.services.unit_of_work import entry_hash

    rng = random.Random(7)
    previous, at = "0" * 64, datetime(2026, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        done = 0
        while done < rows:
            batch = []
            for i in range(done + 1, min(rows, done + CHUNK) + 1):
                at += timedelta(seconds=rng.randint(1, 30))
                entry = AuditEntry(id=i, at=at, actor=f"mw{rng.randint(1, 40)}",
                                   action=rng.choice(ACTIONS), entity="participants",
                                   entity_id=str(rng.randint(1, 10_000)), before=None,
                                   after=json.dumps({"city": "Utrecht"}), db_user="bench",
                                   role="backoffice", host="werkplek-12", result="gedaan",
                                   prev_hash=previous)
                entry.hash = previous = entry_hash(entry)
                batch.append({c.key: getattr(entry, c.key) for c in AuditEntry.__table__.c})
            conn.execute(insert(AuditEntry), batch)
            done += len(batch)
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(
            last_id=rows, last_hash=previous))


def fill_postgres(db, rows: int) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        for start in range(0, rows, CHUNK):
            conn.execute(text(
                "INSERT INTO audit_log (actor, action, entity, entity_id, after, role, host, "
                "result) SELECT 'mw' || (g % 40), (ARRAY[:a0, :a1, :a2, :a3, :a4, :a5])[g % 6 + 1],"
                " 'participants', (g % 10000)::text, '{\"city\": \"Utrecht\"}', 'backoffice', "
                "'werkplek-12', 'gedaan' "
                "FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g"),
                {**{f"a{i}": a for i, a in enumerate(ACTIONS)}, "first": start + 1,
                 "last": min(rows, start + CHUNK)})


def run(url: str, rows: int) -> int:
    from app.db import Database, make_engine, upgrade
    from app.services.audit import take_checkpoint, verify

    upgrade(make_engine(url))
    db = Database.open(url)
    postgres = db.engine.dialect.name == "postgresql"
    started = time.perf_counter()
    (fill_postgres if postgres else fill_sqlite)(db, rows)
    filled = time.perf_counter() - started
    what = "through the chain trigger" if postgres else "chained in Python, bulk insert"
    print(f"{db.engine.dialect.name}: {rows:,} rows appended {what} in {filled:.1f} s "
          f"({rows / filled:,.0f} rows/s)")
    with db.read() as session:
        started = time.perf_counter()
        report = verify(session)
        took = time.perf_counter() - started
        assert report.ok, report.problems[:3]
        print(f"verify: {report.rows:,} rows in {took:.2f} s ({report.rows / took:,.0f} rows/s)")
        checkpoint = take_checkpoint(session, key=b"benchmark")
        started = time.perf_counter()
        report = verify(session, checkpoint, key=b"benchmark")
        took = time.perf_counter() - started
        assert report.ok, report.problems[:3]
        print(f"verify against a signed checkpoint: {took:.2f} s")
    db.dispose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    add_database_options(parser)
    args = parser.parse_args()
    return run_on_database(args, lambda url: run(url, args.rows), "audit.db")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: `dossiers import` of a migration workbook (default 10,000 participants, ~80,000
agreements), into a fresh database.

    python benchmarks/dossier_import.py [--participants N] [--db URL]

Without --db it uses a new SQLite file in a temporary folder; with --db an EMPTY database
(PostgreSQL: create it first). Prints the time to read the workbook, the whole import
(read + check + store + commit, as the command does it) and rows per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from municipality import peak_mb  # noqa: E402

from app.db import Database, make_engine, upgrade  # noqa: E402
from app.demo import generate_demo  # noqa: E402
from app.importers.workbook import read_workbook, write_workbook  # noqa: E402
from app.services.dossier_import import import_workbook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--db", help="URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder) / "dossiers.xlsx"
        started = time.perf_counter()
        data = generate_demo(args.participants, seed=1, today=date(2026, 11, 1))
        write_workbook(data.book, workbook)
        print(f"workbook: {len(data.book.participants):,} participants, "
              f"{len(data.book.agreements):,} agreements, {workbook.stat().st_size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - started:.1f} s, not counted)")

        started = time.perf_counter()
        read_workbook(workbook)
        read_seconds = time.perf_counter() - started

        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(make_engine(url))  # as the administrator's `db upgrade` would
        db = Database.open(url)
        started = time.perf_counter()
        summary = import_workbook(db.unit_of_work("benchmark"), workbook)
        total = time.perf_counter() - started
        db.dispose()

    rows = (summary.participants + summary.agreements + summary.search_terms + summary.accounts
            + summary.organisations)
    print(f"database: {db.engine.dialect.name}")
    print(f"read workbook alone: {read_seconds:.2f} s")
    print(f"dossiers import (read + check + store + commit): {total:.2f} s")
    print(f"  {summary.participants / total:,.0f} participants/s, {rows / total:,.0f} rows/s "
          f"({rows:,} rows: participants, agreements, search terms, accounts, organisations)")
    print(f"peak memory of the process: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: importing a camt.053 file with 100,000 entries into a fresh SQLite database.

    python benchmarks/import_camt.py [--entries N] [--db URL-of-an-empty-database]

Prints, from the same run: the time lxml alone needs to iterparse the file (the floor), the
time of the whole import (read + check + store + automatic linking + commit, as
`huishoudboekje import` does it), the part of it the matcher took (linking ran inside the import
since issue 4; here against an empty set of agreements, so every entry goes to the queue),
entries per second, the ratio to the floor, the peak memory of the importing process, and the
same for twice the entries (doubling the entries should at most double the time).
Each measurement runs in a fresh process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNT = "NL86INGB0002445588"


def make_file(path: Path, entries: int) -> None:
    from app.demo_camt import synthetic_statement, write_camt053

    statement = synthetic_statement(ACCOUNT, entries, date(2026, 1, 1), days=365)
    write_camt053(path, [statement], message_id="BENCH", created=datetime(2027, 1, 1, 6))


def measure_floor(path: Path) -> dict:
    from lxml import etree

    started = time.perf_counter()
    for _event, element in etree.iterparse(str(path), events=("end",)):
        element.clear()
    return {"seconds": time.perf_counter() - started}


def measure_import(path: Path, url: str) -> dict:
    from app.db import Database, make_engine, upgrade
    from app.services.accounts import add_municipal_account
    from app.services.matching import Matcher
    from app.services.statement_import import import_statement_file

    matching = [0.0]
    run_matcher = Matcher.run

    def timed_run(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return run_matcher(self, *args, **kwargs)
        finally:
            matching[0] += time.perf_counter() - started

    Matcher.run = timed_run

    upgrade(make_engine(url))
    db = Database.open(url)
    add_municipal_account(db.unit_of_work("bench"), ACCOUNT, "Gemeente")
    started = time.perf_counter()
    outcome = import_statement_file(db.unit_of_work("bench"), path)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "matching_seconds": matching[0], "new": outcome.new_entries,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(entries: int, folder: Path, db_url: str | None) -> dict:
    path = folder / f"camt_{entries}.xml"
    make_file(path, entries)
    floor = in_child("--floor", str(path))
    url = db_url or f"sqlite:///{folder / f'bench_{entries}.db'}"
    result = in_child("--import", str(path), url)
    result.update(floor_seconds=floor["seconds"], size_mb=path.stat().st_size / 1e6)
    return result


def main() -> None:
    if sys.argv[1:2] == ["--floor"]:
        print(json.dumps(measure_floor(Path(sys.argv[2]))))
        return
    if sys.argv[1:2] == ["--import"]:
        print(json.dumps(measure_import(Path(sys.argv[2]), sys.argv[3])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db", help="URL of an EMPTY database for the first run (default: "
                                     "SQLite files in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for entries in (args.entries, 2 * args.entries):
            db_url = args.db if entries == args.entries else None
            results[entries] = r = run(entries, Path(folder), db_url)
            ratio = r["seconds"] / r["floor_seconds"]
            print(f"{entries:>9,} entries ({r['size_mb']:.0f} MB): lxml iterparse alone "
                  f"{r['floor_seconds']:.2f} s; import {r['seconds']:.2f} s = "
                  f"{entries / r['seconds']:,.0f} entries/s, {ratio:.1f}× the floor "
                  f"(of which linking {r['matching_seconds']:.2f} s; without it "
                  f"{(r['seconds'] - r['matching_seconds']) / r['floor_seconds']:.1f}×); "
                  f"peak memory {r['peak_mb']:.0f} MB; stored {r['new']:,}")
        one, two = results[args.entries], results[2 * args.entries]
        print(f"doubling the entries multiplied the import time by "
              f"{two['seconds'] / one['seconds']:.2f}")


if __name__ == "__main__":
    main()

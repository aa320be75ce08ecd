"""Benchmark: importing a month's camt.053 of a big municipality, linking included.

    python benchmarks/import_camt.py [--participants 10000] [--postgres | --db URL]
                                     [--skip-doubling] [--history MONTHS] [--days DAYS]

The data is the messy demo's (app.demo, app.demo_statements): 10,000 participants with their
~80,000 agreements, organisations, accounts and search terms stored first (not timed), then
one month of their statements (~100,000 entries) in one camt.053 file, imported as
``huishoudboekje import`` does it: read, check, store, link, commit. Then two months
(~200,000 entries, two statements in one file) into a second, equally filled database:
doubling the entries should at most double the time.

The floor is the tightest honest one (issue 16): lxml's iterparse filtered on ``Ntry`` that
touches each entry's amount, counter IBAN and remittance text and clears as it goes — what
any reader of this file must at least do. Printed per run: the floor, the import's time and
its ratio to the floor, the split (reading; loading the agreements and deciding, which is
the linking; committing, which re-evaluates the signals of everybody touched; the rest is
storing), how many entries were linked, and the importing process's peak memory (each
measurement runs in a fresh process, the database filled by another one; the peak is the
process's own high-water mark, not ``ru_maxrss``, which counts the parent's size at the fork
and so grew with the files of ``--history`` the parent made). Beside it the storing floor:
the same rows written straight through the driver into a twin of the database as it was
before the import (see ``measure_store_floor``).

``--history MONTHS``: that many earlier months imported, linked and evaluated first (not
timed), as in a municipality that has used the program for a while (the import's commit
judges the signals from the import's first day, so it does not grow with them).
``--days DAYS``: after the month, the next month's first booking days, one statement each
(``split_statement``: a day without bookings goes with the next), each imported on its own
(a municipality imports the daily statements through the month).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):  # also when imported as benchmarks.import_camt
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from municipality import peak_mb  # noqa: E402

TODAY = date(2026, 11, 15)
SEED = 1


def demo(participants: int):
    from app.demo import generate_demo

    return generate_demo(participants, seed=SEED, today=TODAY)


def make_files(participants: int, folder: Path, history: int = 0, days: int = 0
               ) -> tuple[dict[int, Path], list[Path], list[Path]]:
    """The measured files — one month (~10 entries per participant) and two months in one
    file — ``history`` earlier months, one file each, imported before (not timed), and the
    next month's first ``days`` booking days, one statement each (``split_statement``)."""
    from app.demo_camt import write_camt053
    from app.demo_statements import (
        BANK_BIC,
        MUNICIPAL_IBAN,
        generate_statements,
        split_statement,
    )

    statements = generate_statements(demo(participants), MUNICIPAL_IBAN, months=history + 2,
                                     seed=SEED).statements
    daily = []
    next_month = statements[history + 1]
    booking_days = sorted({e.booking_date for e in next_month.entries})[:days]
    for number, part in enumerate(split_statement(next_month, booking_days)[:days], start=1):
        path = folder / f"camt_day_{number}.xml"
        write_camt053(path, [part], message_id=f"BENCH-D{number}",
                      created=datetime(2026, 11, 1, 6), bank_bic=BANK_BIC)
        daily.append(path)
    earlier = []
    for number, statement in enumerate(statements[:history], start=1):
        path = folder / f"camt_history_{number}.xml"
        write_camt053(path, [statement], message_id=f"BENCH-H{number}",
                      created=datetime(2026, 11, 1, 6), bank_bic=BANK_BIC)
        earlier.append(path)
    files = {}
    for months in (1, 2):
        chosen = statements[history:history + months]
        entries = sum(len(s.entries) for s in chosen)
        path = folder / f"camt_{months}_month.xml"
        write_camt053(path, chosen, message_id=f"BENCH-{months}",
                      created=datetime(2026, 11, 1, 6), bank_bic=BANK_BIC)
        files[entries] = path
    return files, earlier, daily


# -- in a child process ------------------------------------------------------------------------


def measure_floor(path: Path) -> dict:
    """Every entry's amount, counter IBAN and text, nothing else; memory freed as it goes."""
    from lxml import etree

    ns = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}"
    amount_tag, iban_tag, text_tag = f"{ns}Amt", f"{ns}IBAN", f"{ns}Ustrd"
    started = time.perf_counter()
    total = touched = 0
    for _event, entry in etree.iterparse(str(path), events=("end",), tag=f"{ns}Ntry"):
        total += len(entry.findtext(amount_tag) or "")
        for tag in (iban_tag, text_tag):
            found = entry.find(f".//{tag}")
            touched += found is not None and len(found.text or "")
        entry.clear()
        while entry.getprevious() is not None:
            del entry.getparent()[0]
    return {"seconds": time.perf_counter() - started, "touched": total + touched}


def setup_database(url: str, participants: int, history: list[Path]) -> dict:
    """The municipality as it stands before the month's import (not timed): its dossiers,
    and the months of ``history`` imported and linked, with their signals."""
    from app.db import Database, make_engine, upgrade
    from app.demo_statements import MUNICIPAL_IBAN
    from app.services.accounts import add_municipal_account
    from app.services.dossier_import import store_book
    from app.services.signals import evaluate_signals, signals_paused
    from app.services.statement_import import import_statement_file

    upgrade(make_engine(url))
    db = Database.open(url)
    add_municipal_account(db.unit_of_work("bench"), MUNICIPAL_IBAN, "Gemeente")
    data = demo(participants)
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        store_book(uow.session, data.book, "bench")
        uow.record("benchmark", "demo")
        uow.commit()
    if history:
        with signals_paused():  # evaluated once below, as every month's import would have
            for path in history:
                import_statement_file(db.unit_of_work("bench"), path)
        evaluate_signals(db.unit_of_work("bench"))
    db.dispose()
    return {"agreements": len(data.book.agreements)}


def measure_import(path: Path, url: str) -> dict:
    """The import, timed as a whole and in parts (functions wrapped with a stopwatch)."""
    from app.db import Database
    from app.services import statement_import
    from app.services.unit_of_work import UnitOfWork

    spent: dict[str, float] = defaultdict(float)

    def stopwatch(owner, name: str, part: str, generator: bool = False) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started
            return _timed_iteration(result, spent, part) if generator else result

        setattr(owner, name, timed)

    from app.importers import read_ahead
    from app.importers.matcher import AgreementIndex
    from app.services.matching import Matcher

    # What the import waits for the reading process, and rebuilds its entries.
    stopwatch(read_ahead, "_chunks", "reading", generator=True)
    stopwatch(Matcher, "_load_index", "loading agreements")
    stopwatch(AgreementIndex, "decide", "deciding")
    stopwatch(UnitOfWork, "commit", "committing")

    db = Database.open(url)
    started = time.perf_counter()
    outcome = statement_import.import_statement_file(db.unit_of_work("bench"), path)
    seconds = time.perf_counter() - started
    parts = dict(spent)
    parts["storing"] = seconds - sum(parts.values())
    return {"seconds": seconds, "parts": parts, "new": outcome.new_entries,
            "linked": sum(s.linked for s in outcome.statements),
            "peak_mb": peak_mb()}


def measure_reader(path: Path) -> dict:
    """The reading process's work alone (app.import.read_ahead._read), its chunks sent to
    nowhere: its peak memory (the real one's cannot be read once it has ended)."""
    from app.importers import read_ahead

    class Nowhere:
        def send(self, message) -> None:
            pass

        def close(self) -> None:
            pass

    read_ahead._read(str(path), Nowhere())
    return {"peak_mb": peak_mb()}


# What the import writes in bulk; their parents (the file, the statement) go in untimed.
PARENT_TABLES = ("imported_files", "statements")
BULK_TABLES = ("bank_transactions", "bookings", "match_suggestions")


def measure_store_floor(imported_url: str, twin_url: str) -> dict:
    """The database's own cost of the rows the import stored: the same rows (read back from
    the imported database) written into a twin of the database as it was before the import,
    straight through the driver — one executemany per table on SQLite, COPY on PostgreSQL —
    in one transaction with every index and foreign key in place. No program can store
    these rows faster on this database, so reading floor + this is what an import costs
    before it has decided anything."""
    from sqlalchemy import create_engine, func, select

    from app.models import Base

    tables = {name: Base.metadata.tables[name] for name in (*PARENT_TABLES, *BULK_TABLES)}
    rows: dict[str, tuple[list[str], list[tuple]]] = {}
    twin = create_engine(twin_url)
    with twin.connect() as connection:
        known = {name: connection.scalar(select(func.max(table.c.id))) or 0
                 for name, table in tables.items()}
    source = create_engine(imported_url)
    with source.connect() as connection:
        for name, table in tables.items():
            columns = [c for c in table.columns if c.computed is None]
            found = connection.exec_driver_sql(
                f"SELECT {', '.join(c.name for c in columns)} FROM {name} "
                f"WHERE id > {known[name]} ORDER BY id").fetchall()
            rows[name] = ([c.name for c in columns], [tuple(r) for r in found])
    source.dispose()
    raw = twin.raw_connection()
    try:
        cursor = raw.cursor()
        sqlite = twin.dialect.name == "sqlite"

        def write(name: str) -> None:
            columns, data = rows[name]
            if not data:
                return
            if sqlite:
                cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES "
                                   f"({', '.join('?' * len(columns))})", data)
            else:
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)

        for name in PARENT_TABLES:
            write(name)
        started = time.perf_counter()
        for name in BULK_TABLES:
            write(name)
        raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
        twin.dispose()
    return {"seconds": seconds, "rows": sum(len(rows[name][1]) for name in BULK_TABLES)}


def _timed_iteration(iterable, spent: dict[str, float], part: str):
    iterator = iter(iterable)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            spent[part] += time.perf_counter() - started
            return
        spent[part] += time.perf_counter() - started
        yield item


def in_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"child {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the parent --------------------------------------------------------------------------------


def database_urls(args, folder: Path):
    """A fresh database per run: SQLite files, or databases on one PostgreSQL server; and a
    twin of a filled one (for the storing floor; none for a database given with --db)."""
    if args.db:
        yield (lambda _name: args.db), (lambda _url: None)
        return
    if not args.postgres:
        def sqlite_twin(url: str) -> str:
            path = Path(url.removeprefix("sqlite:///"))
            twin = path.with_name(f"{path.stem}_twin.db")
            shutil.copyfile(path, twin)
            return f"sqlite:///{twin}"

        yield (lambda name: f"sqlite:///{folder / f'{name}.db'}"), sqlite_twin
        return
    from sqlalchemy import create_engine, text

    from tests.postgres_server import PostgresServer

    server = PostgresServer.start()
    try:
        def create(statement: str) -> None:
            engine = create_engine(server.url, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(statement))
            engine.dispose()

        def fresh(name: str) -> str:
            create(f"CREATE DATABASE {name}")
            return server.database_url(name)

        def postgres_twin(url: str) -> str:
            name = url.rsplit("/", 1)[1]
            create(f"CREATE DATABASE {name}_twin TEMPLATE {name}")
            return server.database_url(f"{name}_twin")

        yield fresh, postgres_twin
    finally:
        server.stop()


def main() -> None:
    if sys.argv[1:2] == ["--floor"]:
        print(json.dumps(measure_floor(Path(sys.argv[2]))))
        return
    if sys.argv[1:2] == ["--setup"]:
        history = [Path(name) for name in sys.argv[4:]]
        print(json.dumps(setup_database(sys.argv[2], int(sys.argv[3]), history)))
        return
    if sys.argv[1:2] == ["--store-floor"]:
        print(json.dumps(measure_store_floor(sys.argv[2], sys.argv[3])))
        return
    if sys.argv[1:2] == ["--reader"]:
        print(json.dumps(measure_reader(Path(sys.argv[2]))))
        return
    if sys.argv[1:2] == ["--import"]:
        print(json.dumps(measure_import(Path(sys.argv[2]), sys.argv[3])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--db", help="URL of an EMPTY database (only with --skip-doubling)")
    parser.add_argument("--postgres", action="store_true",
                        help="on a throw-away PostgreSQL server (as the tests start)")
    parser.add_argument("--skip-doubling", action="store_true")
    parser.add_argument("--history", type=int, default=0, metavar="MONTHS",
                        help="months of statements imported before the measured ones (a "
                             "municipality's database is not empty)")
    parser.add_argument("--days", type=int, default=0, metavar="DAYS",
                        help="then the next month's first days, one statement a day, as a "
                             "municipality imports them through the month")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        files, history, daily = make_files(args.participants, folder, args.history, args.days)
        for urls, twin in database_urls(args, folder):
            report(files, history, daily, urls, twin, args)


def report(files: dict[int, Path], history: list[Path], daily: list[Path], urls, twin,
           args) -> None:
    results = {}
    for entries, path in sorted(files.items())[: 1 if args.skip_doubling else 2]:
        floor = in_child("--floor", str(path))
        url = urls(f"bench_{entries}")
        agreements = in_child("--setup", url, str(args.participants),
                              *map(str, history))["agreements"]
        twin_url = twin(url)
        results[entries] = r = in_child("--import", str(path), url)
        reader = in_child("--reader", str(path))
        parts = ", ".join(f"{part} {seconds:.2f} s" for part, seconds in r["parts"].items())
        print(f"{entries:>9,} entries ({path.stat().st_size / 1e6:.0f} MB), "
              f"{url.split(':', 1)[0]}, {args.participants:,} participants / {agreements:,} "
              f"agreements, {len(history)} month(s) imported before: "
              f"floor (lxml iterparse on Ntry) {floor['seconds']:.2f} s; "
              f"import {r['seconds']:.2f} s = {entries / r['seconds']:,.0f} entries/s, "
              f"{r['seconds'] / floor['seconds']:.1f}× the floor ({parts}); "
              f"{r['linked']:,} of {r['new']:,} linked; peak memory {r['peak_mb']:.0f} MB "
              f"(the reading process: {reader['peak_mb']:.0f} MB)",
              flush=True)
        if twin_url is not None:
            store = in_child("--store-floor", url, twin_url)
            both = floor["seconds"] + store["seconds"]
            print(f"          storing floor: the same {store['rows']:,} rows straight through "
                  f"the driver {store['seconds']:.2f} s; reading + storing floor {both:.2f} s "
                  f"(the import is {r['seconds'] / both:.1f}× that; what is left for deciding, "
                  f"signals and bookkeeping: {r['seconds'] - both:.2f} s)", flush=True)
        if len(results) == 1:  # after the one month: the next days, one at a time
            for day in daily:
                d = in_child("--import", str(day), url)
                parts = ", ".join(f"{part} {seconds:.2f} s"
                                  for part, seconds in d["parts"].items())
                print(f"          a day's statement: {d['new']:,} entries, "
                      f"{d['seconds']:.2f} s ({parts})", flush=True)
    if len(results) == 2:
        one, two = (results[n] for n in sorted(results))
        print(f"doubling the entries multiplied the import time by "
              f"{two['seconds'] / one['seconds']:.2f}")


if __name__ == "__main__":
    main()

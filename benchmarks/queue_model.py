"""Benchmark: the manual matching queue with 100,000 open transactions.

    python benchmarks/queue_model.py [--open N] [--db URL-of-an-empty-database]

Builds a demo municipality (200 participants, their agreements and three months of
statements, matched), then adds N open transactions with realistic texts, 1–3 suggestions on
60% of them (not timed). Then measures, on the database given (default: a fresh SQLite file):

- opening the queue: the ordered ids (SQL), the first page of rows, and the real QueueScreen
  (offscreen) from construction to its first painted table;
- scrolling: fetching a page of 100 rows at random places in the list;
- filtering and sorting in SQL: the ids for a text filter, a counterparty filter, an amount
  range, a sort on amount and a sort on the best suggestion's score; and the screen applying
  a text filter (ids + first page + paint; the 250 ms typing pause not counted).

Each figure is the median of several runs (the first, cold run shown separately).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from app.db import Database, make_engine, upgrade  # noqa: E402
from app.demo import nl_iban  # noqa: E402
from app.models import (  # noqa: E402
    Agreement,
    BankAccount,
    BankTransaction,
    Statement,
    Suggestion,
)
from app.services.bulk import insert_rows  # noqa: E402
from app.services.demo import create_demo  # noqa: E402
from app.services.queue import (  # noqa: E402
    QueueFilter,
    QueueSort,
    SortKey,
    count_open,
    queue_ids,
    queue_rows,
)

TODAY = date(2026, 4, 15)
ALL, BY_DATE = QueueFilter(), QueueSort()
MONTHS = ("januari", "februari", "maart", "april")
PAYERS = [("UWV", nl_iban("INGB", "0000000001")), ("Belastingdienst/Toeslagen",
                                                    nl_iban("INGB", "0000000002")),
          ("Stichting Portaal", nl_iban("RABO", "0123456789")), ("bol.com b.v.",
                                                                 nl_iban("ABNA", "0417164300")),
          ("Tempo-Team Uitzenden B.V.", nl_iban("RABO", "0343523375")),
          ("Eneco Consumenten B.V.", nl_iban("INGB", "0000777000")), ("Fam. Özkan", None)]
TEMPLATES = [
    "WW-uitkering {month} 2026 uitkeringsnr {n10}",
    "Zorgtoeslag {month} 2026 kenmerk {n10}",
    "Huur {month} 2026 huurcontractnummer {n8}",
    "Creditering retourzending {n10}",
    "Loon wk {week}-2026 kandidaatnr {n8}",
    "Eindafrekening {month} 2025 klantnummer {n8}",
    "Cadeautje voor Oğuz",
    "Terugbetaling bestelling R{n4}-{n6}",
]


def build(url: str, count: int) -> Database:
    upgrade(make_engine(url))
    db = Database.open(url)
    create_demo(db.unit_of_work("bench"), 200, seed=5, today=TODAY)
    rng = random.Random(7)
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account = session.scalar(select(BankAccount.id).where(BankAccount.is_municipal))
        statement = Statement(account_id=account, bank_statement_id="BENCH",
                              period_from=TODAY - timedelta(days=120), period_through=TODAY)
        session.add(statement)
        session.flush()
        agreements = list(session.scalars(select(Agreement.id)))
        first = (session.scalar(select(func.max(BankTransaction.id))) or 0) + 1
        rows, suggestions = [], []
        for i in range(count):
            payer, iban = rng.choice(PAYERS)
            text = rng.choice(TEMPLATES).format(
                month=rng.choice(MONTHS), week=rng.randint(1, 16),
                n10=rng.randint(10**9, 10**10 - 1), n8=rng.randint(10**7, 10**8 - 1),
                n6=rng.randint(10**5, 10**6 - 1), n4=rng.randint(1000, 9999))
            amount = rng.randint(500, 250_000) * (1 if rng.random() < 0.7 else -1)
            rows.append({
                "id": first + i, "statement_id": statement.id, "account_id": account,
                "dedup_key": f"bench-{i}",
                "booking_date": TODAY - timedelta(days=rng.randint(1, 120)),
                "value_date": None, "amount_cents": amount, "currency": "EUR",
                "reversal": False, "bank_reference": f"BENCH{i:08d}", "entry_reference": None,
                "end_to_end_id": f"E2E{i:010d}", "mandate_id": None, "transaction_code": None,
                "counterparty_name": payer, "counterparty_iban": iban,
                "counterparty_bic": None, "description": text, "structured_reference": None,
                "batch_info": None, "return_reason": None, "occurrence": 1,
                "booked_cents": 0, "is_open": True, "version": 1})
            if rng.random() < 0.6:
                for rank, agreement in enumerate(rng.sample(agreements, rng.randint(1, 3)), 1):
                    suggestions.append({
                        "transaction_id": first + i, "agreement_id": agreement, "rank": rank,
                        "score": max(5, 90 - 20 * rank + rng.randint(-10, 10)),
                        "reason": "IBAN van UWV; bedrag binnen 2% van de afspraak"})
        insert_rows(session, BankTransaction.__table__, rows)
        insert_rows(session, Suggestion.__table__, suggestions)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(func.setval("bank_transactions_id_seq", first + count).select())
        uow.record("benchmark", "bank_transactions")
        uow.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return db


def timed(function, repeat: int = 5) -> tuple[float, float, object]:
    """(cold ms, median ms of the warm runs, last result)."""
    started = time.perf_counter()
    result = function()
    cold = (time.perf_counter() - started) * 1000
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        runs.append((time.perf_counter() - started) * 1000)
    return cold, statistics.median(runs), result


def measure_sql(db: Database) -> None:
    def ids(queue_filter: QueueFilter = ALL, sort: QueueSort = BY_DATE):
        def run():
            with db.read() as session:
                return queue_ids(session, queue_filter, sort, today=TODAY)
        return run

    with db.read() as session:
        print(f"open transactions: {count_open(session):,}")
    cases = [
        ("ids, date order (opening)", ids()),
        ("text filter 'retourzending'", ids(QueueFilter(text="retourzending"))),
        ("text filter 'kenmerk 12345'", ids(QueueFilter(text="kenmerk 12345"))),
        ("counterparty 'portaal'", ids(QueueFilter(counterparty="portaal"))),
        ("amount € 100 – € 500", ids(QueueFilter(amount_min_cents=100_00,
                                                  amount_max_cents=500_00))),
        ("older than 60 days", ids(QueueFilter(min_age_days=60))),
        ("sort amount, descending", ids(sort=QueueSort(SortKey.AMOUNT, True))),
        ("sort best suggestion score", ids(sort=QueueSort(SortKey.SCORE, True))),
    ]
    print(f"{'query (SQL)':<34} {'rows':>8} {'cold ms':>9} {'median ms':>10}")
    for label, function in cases:
        cold, warm, result = timed(function)
        print(f"{label:<34} {len(result):>8,} {cold:>9.1f} {warm:>10.1f}")

    with db.read() as session:
        all_ids = queue_ids(session, today=TODAY)
    rng = random.Random(3)
    page_times = []
    for _ in range(30):
        start = rng.randrange(0, len(all_ids) - 100)
        started = time.perf_counter()
        with db.read() as session:
            queue_rows(session, all_ids[start:start + 100], today=TODAY)
        page_times.append((time.perf_counter() - started) * 1000)
    print(f"page of 100 rows at a random place: median {statistics.median(page_times):.1f} ms,"
          f" max {max(page_times):.1f} ms (30 pages)")


def measure_screen(db: Database) -> None:
    from PySide6.QtWidgets import QApplication

    from app.ui.queue_model import QueueTableModel
    from app.ui.queue_screen import QueueScreen

    app = QApplication.instance() or QApplication(sys.argv)

    def model_first_page():
        model = QueueTableModel(db, today=TODAY)
        model.load()
        for row in range(40):
            model.index(row, 4).data()
        return model

    cold, warm, _model = timed(model_first_page, repeat=3)
    print(f"model: ids + first page of rows: cold {cold:.0f} ms, median {warm:.0f} ms")

    def wait(condition, timeout=60.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            app.processEvents()
            time.sleep(0.001)
            if time.perf_counter() > deadline:
                raise TimeoutError("the screen did not finish in time")

    opened = []
    for _ in range(3):
        started = time.perf_counter()
        screen = QueueScreen(db, today=TODAY)
        screen.resize(1600, 900)
        screen.show()
        wait(lambda s=screen: s.reloads_applied > 0)
        screen.table.viewport().grab()  # paint the visible rows (fetches their page)
        opened.append((time.perf_counter() - started) * 1000)
        wait(screen.is_idle)
    print(f"QueueScreen: constructed → first painted table: first {opened[0]:.0f} ms, "
          f"then {statistics.median(opened[1:]):.0f} ms")

    filtered = []
    for text in ("retourzending", "kandidaatnr 5", "huur april", ""):
        wait(screen.is_idle)
        screen.filters.text.setText(text)
        screen._filter_timer.stop()  # the pause after typing is not the query's cost
        started = time.perf_counter()
        before = screen.reloads_applied
        screen.reload()
        wait(lambda b=before: screen.reloads_applied > b)
        screen.table.viewport().grab()
        filtered.append((text, screen.model.rowCount(),
                         (time.perf_counter() - started) * 1000))
    for text, rows, ms in filtered:
        print(f"QueueScreen text filter {text!r:>17}: {rows:>7,} rows painted in {ms:.0f} ms")
    wait(screen.is_idle)
    scroll = []
    for fraction in (0.25, 0.5, 0.75, 0.99):
        before = screen.model.pages_fetched
        started = time.perf_counter()
        screen.table.scrollTo(screen.model.index(int(screen.model.rowCount() * fraction), 0))
        screen.table.viewport().grab()
        scroll.append(((time.perf_counter() - started) * 1000,
                       screen.model.pages_fetched - before))
    print("QueueScreen jump-scroll and paint: " + ", ".join(
        f"{ms:.0f} ms ({pages} page)" for ms, pages in scroll))
    screen.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, dest="count")
    parser.add_argument("--db", help="URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'queue.db'}"
        started = time.perf_counter()
        db = build(url, args.count)
        print(f"{db.engine.dialect.name}: built {args.count:,} open transactions in "
              f"{time.perf_counter() - started:.1f} s (not part of the figures)")
        measure_sql(db)
        measure_screen(db)
        db.dispose()


if __name__ == "__main__":
    main()

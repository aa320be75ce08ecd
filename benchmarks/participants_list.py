"""Benchmark: the participant list with 50,000 dossiers — opening it, and search as you type.

    python benchmarks/participants_list.py [--participants N] [--db URL-of-an-empty-database]
                                           [--keep PATH.db]

Builds the database first (the demo municipality's participants, agreements and accounts, plus
synthetic bookings so every row has a saldo), then drives the real Deelnemers screen offscreen:

- open: from creating the screen to its first rows painted (ids query in SQL, count, first page
  of rows with their saldo, paint);
- per keystroke: for several searches typed one character at a time (a name, a dossier number,
  the last digits of a BSN, an IBAN), the time from the typing pause to the narrowed list
  painted (SQL search + first page + paint). Printed per search and as median / 95th
  percentile / maximum over all keystrokes. Goal: < 100 ms per keystroke.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from municipality import demo_municipality  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BOOKINGS_PER_PARTICIPANT = 6


def build(url: str, participants: int) -> dict:
    from sqlalchemy import select

    from app.db import Database, make_engine, upgrade
    from app.demo import generate_demo
    from app.models import (
        BankTransaction,
        Booking,
        BookingMethod,
        Category,
        Participant,
    )
    from app.services.bulk import insert_rows

    upgrade(make_engine(url))
    db = Database.open(url)
    started = time.perf_counter()
    data = generate_demo(participants, seed=7)
    with db.unit_of_work("bench") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account, statement = demo_municipality(session, data, date(2026, 1, 1),
                                               date(2026, 10, 31))
        category = session.scalar(select(Category.id).where(Category.name == "huur"))
        ids = list(session.scalars(select(Participant.id)))
        rng = random.Random(7)
        transactions, bookings = [], []
        for pid in ids:
            for _n in range(BOOKINGS_PER_PARTICIPANT):
                amount = rng.randint(-90_000, 80_000) or 1
                day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
                number = len(transactions) + 1
                transactions.append({
                    "id": number, "statement_id": statement, "account_id": account,
                    "dedup_key": f"bench:{number}", "booking_date": day,
                    "amount_cents": amount, "currency": "EUR", "reversal": False,
                    "occurrence": 1, "booked_cents": amount, "is_open": False, "version": 1,
                })
                bookings.append({
                    "transaction_id": number, "participant_id": pid, "category_id": category,
                    "amount_cents": amount, "booking_date": day,
                    "method": BookingMethod.AUTOMATIC, "created_by": "bench",
                })
        insert_rows(session, BankTransaction.__table__, transactions)
        insert_rows(session, Booking.__table__, bookings)
        uow.record("benchmark data", "benchmark", None, after={"participants": len(ids)})
        uow.commit()
    seconds = time.perf_counter() - started
    db.dispose()
    return {"participants": len(ids), "bookings": len(bookings), "seconds": seconds}


def already_built(url: str) -> bool:
    """A database filled by an earlier run is measured again, not filled twice."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        if "participants" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM participants")).scalar())
    finally:
        engine.dispose()


def measure(url: str) -> dict:
    from PySide6.QtCore import QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import select

    from app.db import Database
    from app.models import BankAccount, Participant
    from app.services.queries import current_user
    from app.ui.participants_screen import ParticipantsScreen
    from app.ui.widgets import GuiThreadGarbageCollector

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="hhb-bench-settings-"))
    app = QApplication.instance() or QApplication([])  # noqa: F841 - kept alive
    db = Database.open(url)
    with db.read() as session:
        user = current_user(session, "lvink")
        person = session.scalars(select(Participant).order_by(Participant.id).offset(
            12_345 % max(1, session.query(Participant).count()))).first()
        iban = session.scalar(select(BankAccount.iban).where(
            BankAccount.participant_id == person.id))

    def until_loaded(screen, action) -> float:
        """From the action to the narrowed list painted, with the GUI thread in its event
        loop meanwhile (as in the program: the search runs on a worker thread)."""
        loop = QEventLoop()
        done = []

        def loaded() -> None:
            done.append(1)
            loop.quit()

        screen.list.loaded.connect(loaded)
        started = time.perf_counter()
        action()
        if not done:
            loop.exec()
        screen.list.table.viewport().repaint()  # paint the visible rows (fetches their page)
        elapsed = time.perf_counter() - started
        screen.list.loaded.disconnect()
        return elapsed

    started = time.perf_counter()
    screen = ParticipantsScreen(db, user)
    screen.resize(1200, 800)
    screen.show()
    until_loaded(screen, screen.activate)
    open_seconds = time.perf_counter() - started
    collector = GuiThreadGarbageCollector()  # as app.run does once the window is shown
    gc.freeze()
    rows = screen.list.model.rowCount()

    searches = {
        "naam": f"{person.first_name} {person.last_name}".lower()[:12],
        "dossiernummer": person.number,
        "BSN (laatste cijfers)": person.bsn[-5:],
        "IBAN": iban[:12],
    }
    per_search, all_times = {}, []
    for label, text in searches.items():
        times = []
        for end in range(1, len(text) + 1):
            typed = text[:end]

            def search(typed=typed) -> None:
                screen.list.search.setText(typed)
                screen.list.search.flush()

            times.append(until_loaded(screen, search))
        per_search[label] = (text, times, screen.list.model.rowCount())
        all_times += times
        until_loaded(screen, lambda: (screen.list.search.setText(""), screen.list.search.flush()))
    negative = until_loaded(screen, lambda: screen.list.negative.setChecked(True))
    negative_rows = screen.list.model.rowCount()
    collector.timer.stop()
    screen.close()
    screen.deleteLater()
    db.dispose()
    return {"open": open_seconds, "rows": rows, "per_search": per_search, "all": all_times,
            "negative": negative, "negative_rows": negative_rows,
            "fetches": screen.list.model.page_fetches}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50_000)
    parser.add_argument("--db", help="URL of an empty database (default: a temporary SQLite); "
                                     "one filled by an earlier run is only measured")
    parser.add_argument("--keep", type=Path, help="SQLite file to build once and reuse")
    args = parser.parse_args()
    if args.db:
        url = args.db
        built = None if already_built(url) else build(url, args.participants)
    elif args.keep:
        url = f"sqlite:///{args.keep}"
        built = None if args.keep.exists() else build(url, args.participants)
    else:
        folder = tempfile.mkdtemp(prefix="hhb-bench-")
        url = f"sqlite:///{folder}/participants.db"
        built = build(url, args.participants)
    if built:
        print(f"database: {built['participants']:,} participants, {built['bookings']:,} "
              f"bookings, built in {built['seconds']:.1f} s ({url.split('://')[0]})")
    result = measure(url)
    print(f"open the list: {result['open'] * 1000:.0f} ms to the first rows painted "
          f"({result['rows']:,} participants)")
    for label, (text, times, rows) in result["per_search"].items():
        figures = " ".join(f"{t * 1000:.0f}" for t in times)
        print(f"search {label} {text!r}: {figures} ms per keystroke, {rows} found")
    times = sorted(result["all"])
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"per keystroke over {len(times)} keystrokes: median "
          f"{statistics.median(times) * 1000:.0f} ms, 95th percentile {p95 * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms (goal < 100 ms)")
    print(f"filter 'negatief saldo': {result['negative'] * 1000:.0f} ms "
          f"({result['negative_rows']:,} participants)")
    print(f"pages of rows read from the database in all: {result['fetches']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

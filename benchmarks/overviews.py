"""Benchmark: the monthly print run — 10,000 letters into one PDF.

    python benchmarks/overviews.py [--letters N] [--db URL | --no-db]

1. Letters from plain data (pure): ``write_letters`` of N varied letters (names from the demo,
   6-12 agreements, 10 % large print, 10 % English) into one PDF, next to the floor: a bare
   reportlab document of exactly the same pages (the same strings, fonts and positions drawn
   with plain ``drawString`` calls, laid out beforehand, not timed), in the same run.
   Goal: at most 3 × the floor.
2. The whole print run from a database (unless --no-db): ``print_overviews`` of every active
   participant of a database filled with the demo municipality's N dossiers and four months of
   bookings (inserted in bulk here; only a benchmark does that), reading in chunks and writing
   one PDF. Without --db a new SQLite file in a temporary folder; with --db an EMPTY database.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from municipality import peak_mb  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.db import Database, make_engine, upgrade  # noqa: E402
from app.demo import generate_demo, load  # noqa: E402
from app.reports.letter import (  # noqa: E402
    BOLD,
    REGULAR,
    Box,
    LetterSettings,
    Picture,
    Rule,
    Text,
    layout_letter,
    register_fonts,
    write_letters,
)
from app.reports.overview_data import (  # noqa: E402
    Address,
    AllowanceDate,
    BookedAmount,
    Contact,
    MonthSaldo,
    OverviewData,
    first_of_month,
    period_months,
)

MONTH = date(2026, 10, 1)
TODAY = date(2026, 11, 3)
FLOWS = [  # (organisation, label, kind, cents, times a month)
    ("UWV", "WW-uitkering", "inkomen", 91234, 1), ("Belastingdienst/Toeslagen", "zorgtoeslag",
                                                    "inkomen", 12300, 1),
    ("SVB", "kinderbijslag", "inkomen", 29118, 1), ("Eneco", "energie", "vaste_last", -17100, 1),
    ("Vitens", "water", "vaste_last", -2621, 1), ("Portaal", "huur", "vaste_last", -64210, 1),
    ("Zorg & Zekerheid", "zorgverzekering", "vaste_last", -14815, 1),
    ("KPN", "telefoon", "vaste_last", -2500, 1), ("Ziggo", "internet", "vaste_last", -4500, 1),
    ("Centraal Beheer", "inboedelverzekering", "vaste_last", -1275, 1),
    ("leefgeld", "leefgeld", "leefgeld", -11504, 4), ("Gemeente Utrecht", "bijstand",
                                                       "inkomen", 45000, 1),
]


def plain_letters(count: int, seed: int = 1) -> list[OverviewData]:
    rng = random.Random(seed)
    names = load("names.json")["communities"]
    streets = ["Kerkstraat", "Oudegracht", "Amsterdamsestraatweg", "Kanaalweg", "Çelikpad"]
    months = period_months(MONTH)
    letters = []
    for number in range(1, count + 1):
        community = rng.choice(names)
        first = rng.choice(community["female"] + community["male"])
        last = rng.choice(community["surnames"])
        flows = rng.sample(FLOWS[:10], rng.randint(5, 9)) + [FLOWS[10]]
        bookings = []
        for month in months:
            for organisation, label, kind, cents, times in flows:
                for time_in_month in range(times):
                    day = month + timedelta(days=rng.randint(0, 27) if times == 1
                                            else 7 * time_in_month + 1)
                    bookings.append(BookedAmount(day, cents + rng.randint(-500, 500) * (
                        kind == "inkomen"), organisation, label, kind))
        bookings.sort(key=lambda b: b.booking_date)
        begin = rng.randint(-150_000, 200_000)
        saldos = []
        for month in months:
            end = begin + sum(b.amount_cents for b in bookings
                              if first_of_month(b.booking_date) == month)
            saldos.append(MonthSaldo(month, begin, end))
            begin = end
        letters.append(OverviewData(
            number=f"HHB-{number:05d}",
            address=Address(f"{first} {last}", rng.choice(streets), rng.randint(1, 300),
                            rng.choice([None, "A", "2"]), f"{rng.randint(1000, 9999)} AB",
                            "Utrecht"),
            month=MONTH, as_of=date(2026, 10, 31), saldos=tuple(saldos),
            bookings=tuple(bookings),
            language="en" if rng.random() < 0.1 else "nl",
            large_print=rng.random() < 0.1,
            next_allowances=tuple(AllowanceDate(date(2026, 11, 6) + timedelta(days=7 * i), 11504)
                                  for i in range(4)),
            contact=Contact("Joke de Vries", "030 286 0000"),
        ))
    return letters


def bare_floor(pages: list, path: Path) -> float:
    """The same pages with nothing but reportlab canvas calls."""
    started = time.perf_counter()
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1, initialFontName=REGULAR)
    for page in pages:
        font = None
        for op in page:
            if type(op) is Text:
                if (op.bold, op.size) != font:
                    canvas.setFont(BOLD if op.bold else REGULAR, op.size)
                    font = (op.bold, op.size)
                if op.right:
                    canvas.drawRightString(op.x, op.y, op.text)
                else:
                    canvas.drawString(op.x, op.y, op.text)
            elif type(op) is Rule:
                canvas.setLineWidth(op.width)
                canvas.line(op.x1, op.y1, op.x2, op.y2)
            elif type(op) is Box:
                canvas.setFillGray(op.fill if op.fill is not None else 0)
                canvas.rect(op.x, op.y, op.width, op.height, stroke=0, fill=1)
            elif type(op) is Picture:
                canvas.drawImage(op.path, op.x, op.y, op.width, op.height, mask="auto")
        canvas.showPage()
    canvas.save()
    return time.perf_counter() - started


def pure_part(count: int, folder: Path) -> None:
    register_fonts()
    letters = plain_letters(count)
    settings = LetterSettings()
    started = time.perf_counter()
    pages = []
    for data in letters:
        laid_out = layout_letter(data, settings, TODAY).pages
        pages.extend(laid_out)
        if len(laid_out) % 2:
            pages.append([])  # the blank back of a duplex sheet, as write_letters adds
    if pages and not pages[-1]:
        pages.pop()
    layout_seconds = time.perf_counter() - started
    floor = bare_floor(pages, folder / "floor.pdf")

    started = time.perf_counter()
    result = write_letters(letters, folder / "letters.pdf", settings, TODAY,
                           title="Papieren overzichten oktober 2026")
    full = time.perf_counter() - started
    size = (folder / "letters.pdf").stat().st_size / 1e6
    print(f"letters from plain data: {result.letters:,} letters, {result.pages:,} pages "
          f"(floor document: {len(pages):,} pages), {size:.1f} MB")
    print(f"  write_letters (layout + draw + save): {full:.1f} s = "
          f"{result.letters / full:,.0f} letters/s")
    print(f"  bare reportlab floor, same pages:     {floor:.1f} s = "
          f"{result.letters / floor:,.0f} letters/s")
    print(f"  ratio: {full / floor:.2f} × the floor (goal ≤ 3); layout alone took "
          f"{layout_seconds:.1f} s")


def fill_database(db: Database, count: int) -> int:
    """The demo municipality's dossiers through store_book, then four months of bookings per
    agreement on its due days, inserted in bulk (transactions and bookings)."""
    from app.models import (
        Agreement,
        BankAccount,
        BankTransaction,
        Booking,
        Direction,
        ImportedFile,
        Statement,
    )
    from app.schedule import Schedule, due_dates
    from app.services.accounts import add_municipal_account
    from app.services.bulk import insert_rows
    from app.services.dossier_import import store_book

    data = generate_demo(count, seed=1, today=date(2026, 7, 1))
    add_municipal_account(db.unit_of_work("benchmark"), "NL86INGB0002445588", "Gemeente")
    with db.unit_of_work("benchmark") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        store_book(uow.session, data.book, "benchmark")
        uow.record("benchmark", "demo", None)
        uow.commit()
    with db.unit_of_work("benchmark") as uow:
        uow.require((), "benchmarkgegevens")  # only the owner stores raw rows
        session = uow.session
        account = session.execute(select(BankAccount.id).where(
            BankAccount.is_municipal.is_(True))).scalar_one()
        imported = ImportedFile(file_name="bench", sha256="0" * 64, file_format="bench",
                                imported_by="benchmark")
        session.add(imported)
        session.flush()
        statement = Statement(file_id=imported.id, account_id=account)
        session.add(statement)
        session.flush()
        transactions, bookings = [], []
        first, last = date(2026, 7, 1), date(2026, 10, 31)
        next_id = 1
        now = datetime(2026, 11, 1, 8, 0)
        for agreement in session.scalars(select(Agreement)):
            sign = 1 if agreement.direction == Direction.INCOME else -1
            schedule = Schedule(agreement.frequency.value, agreement.day,
                                agreement.valid_from, agreement.valid_through)
            for day in due_dates(schedule, first, last):
                cents = sign * agreement.amount_cents
                transactions.append(dict(
                    id=next_id, statement_id=statement.id, account_id=account,
                    dedup_key=f"b{next_id}", booking_date=day, amount_cents=cents,
                    currency="EUR", reversal=False, occurrence=1, booked_cents=cents,
                    is_open=False, version=1))
                bookings.append(dict(
                    transaction_id=next_id, participant_id=agreement.participant_id,
                    agreement_id=agreement.id, category_id=agreement.category_id,
                    amount_cents=cents, booking_date=day, method="handmatig",
                    created_by="benchmark", created_at=now))
                next_id += 1
        insert_rows(session, BankTransaction.__table__, transactions)
        insert_rows(session, Booking.__table__, bookings)
        uow.record("benchmark", "bookings", None)
        uow.commit()
    return len(bookings)


def database_part(count: int, url: str | None, folder: Path) -> None:
    from app.services.overview import print_overviews

    url = url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(make_engine(url))
    db = Database.open(url)
    started = time.perf_counter()
    bookings = fill_database(db, count)
    print(f"database ({db.engine.dialect.name}): {count:,} dossiers, {bookings:,} bookings "
          f"(filled in {time.perf_counter() - started:.1f} s, not counted)")
    started = time.perf_counter()
    run = print_overviews(db.unit_of_work("benchmark"), MONTH, folder / "run.pdf",
                          everybody=True, today=TODAY)
    seconds = time.perf_counter() - started
    print(f"  print_overviews --alle: {run.letters:,} letters, {run.pages:,} pages, "
          f"{len(run.skipped)} skipped, {seconds:.1f} s = {run.letters / seconds:,.0f} letters/s")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--db", help="URL of an EMPTY database for part 2 (default: SQLite)")
    parser.add_argument("--no-db", action="store_true", help="only part 1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        pure_part(args.letters, folder)
        if not args.no_db:
            database_part(args.letters, args.db, folder)
    peak = peak_mb()
    print(f"peak memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()


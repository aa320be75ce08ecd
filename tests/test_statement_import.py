"""Storing statements on SQLite and PostgreSQL: each entry once, whole files or nothing,
balances checked, only registered municipal accounts, only euros."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from app.importers.statements import Entry, ReadResult, StatementData
from app.models import BankTransaction, Booking, BookingMethod, Category, ImportedFile, Statement
from app.reports.bookings_csv import write_bookings_csv
from app.services.accounts import add_municipal_account
from app.services.queries import booking_export_rows
from app.services.statement_import import StatementRefused, dedup_keys, store_statements
from tests.helpers import last_audit

OURS = "NL86INGB0002445588"
LEEFGELD = Entry(date(2026, 10, 5), -11500, counterparty_name="J. Jansen",
                 counterparty_iban="NL20INGB0001234567", description="Leefgeld week 41")
UWV = Entry(date(2026, 10, 5), 81240, counterparty_name="UWV",
            counterparty_iban="NL28INGB0000000001", description="WW 2610000123 okt",
            bank_reference="REF-UWV-1")


@pytest.fixture
def municipal(db):
    add_municipal_account(db.unit_of_work("beheer"), OURS, "Gemeente Utrecht")


def statement(entries, opening=100_000, *, first=date(2026, 10, 1), last=date(2026, 10, 31),
              closing=None, account=OURS) -> StatementData:
    total = sum(e.amount_cents for e in entries if e.status == "BOOK")
    return StatementData(account=account, period_from=first, period_through=last,
                         opening_balance_cents=opening, opening_date=first,
                         closing_balance_cents=opening + total if closing is None else closing,
                         closing_date=last, entries=list(entries))


def store(db, *statements, balances=True, force=False, name="afschrift.xml"):
    result = ReadResult("camt.053.001.02", list(statements), has_balances=balances)
    return store_statements(db.unit_of_work("clerk"), result, file_name=name, sha256="0" * 64,
                            force=force)


def stored_transactions(db) -> list[BankTransaction]:
    with db.read() as session:
        return list(session.scalars(select(BankTransaction).order_by(BankTransaction.id)))


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_new_statement_is_stored_whole_and_queued(db, municipal):
    outcome = store(db, statement([UWV, LEEFGELD]))
    assert (outcome.new_entries, outcome.duplicates) == (2, 0)
    assert outcome.statements[0].balance == "saldo klopt"
    assert outcome.statements[0].queued == 2
    rows = stored_transactions(db)
    assert [(t.amount_cents, t.is_open, t.booked_cents) for t in rows] == [
        (81240, True, 0), (-11500, True, 0)]
    assert rows[0].counterparty_name == "UWV" and rows[0].bank_reference == "REF-UWV-1"
    entry = last_audit(db)
    assert (entry.action, entry.actor) == ("bankafschrift geïmporteerd", "clerk")
    with db.read() as session:
        imported = session.scalar(select(ImportedFile))
        assert imported.file_name == "afschrift.xml" and '"new_entries": 2' in imported.result
        assert session.scalar(select(Statement.file_id)) == imported.id


def test_importing_the_same_file_twice_adds_nothing(db, municipal):
    store(db, statement([UWV, LEEFGELD]))
    again = store(db, statement([UWV, LEEFGELD]))
    assert (again.new_entries, again.duplicates) == (0, 2)
    assert again.statements[0].already_imported
    assert count(db, BankTransaction) == 2 and count(db, Statement) == 1


def test_identical_weekly_transfers_on_one_statement_are_both_kept_once(db, municipal):
    twice = statement([LEEFGELD, LEEFGELD])
    assert store(db, twice).new_entries == 2
    assert store(db, twice).new_entries == 0
    assert count(db, BankTransaction) == 2


def test_overlapping_monthly_and_daily_statements_store_each_entry_once(db, municipal):
    later = replace(UWV, booking_date=date(2026, 10, 20), bank_reference="REF-UWV-2")
    daily_leefgeld = replace(LEEFGELD, booking_date=date(2026, 10, 20))
    store(db, statement([UWV, later, daily_leefgeld]))  # the month
    daily = statement([later, daily_leefgeld], opening=100_000 + 81240,
                      first=date(2026, 10, 20), last=date(2026, 10, 20))
    outcome = store(db, daily, force=True)  # its balances belong to a different cut-off
    assert (outcome.new_entries, outcome.duplicates) == (0, 2)
    assert count(db, BankTransaction) == 3


def test_a_bank_changing_a_space_in_the_text_is_not_a_new_entry(db, municipal):
    store(db, statement([LEEFGELD]))
    respaced = replace(LEEFGELD, description="Leefgeld  week  41", counterparty_name="J.Jansen")
    assert store(db, statement([respaced])).new_entries == 0


def test_statement_that_does_not_add_up_is_refused_with_the_figures(db, municipal):
    wrong = statement([UWV, LEEFGELD], closing=170_000)
    with pytest.raises(StatementRefused) as caught:
        store(db, wrong)
    message = str(caught.value)
    assert "saldo klopt niet" in message
    assert "€ 1.000,00" in message and "€ 1.697,40" in message and "€ 1.700,00" in message
    assert count(db, BankTransaction) == 0 and count(db, Statement) == 0
    assert count(db, ImportedFile) == 0


def test_force_stores_a_statement_that_does_not_add_up_with_a_warning(db, municipal):
    outcome = store(db, statement([UWV], closing=1), force=True)
    assert outcome.new_entries == 1
    assert outcome.statements[0].balance.startswith("opgeslagen ondanks: saldo klopt niet")
    with db.read() as session:
        assert "saldo klopt niet" in session.scalar(select(Statement.warning))


def test_opening_must_follow_on_the_previous_closing(db, municipal):
    store(db, statement([UWV], first=date(2026, 9, 1), last=date(2026, 9, 30)))  # ends 1,812.40
    with pytest.raises(StatementRefused, match="sluit niet aan op het eindsaldo € 1.812,40"):
        store(db, statement([LEEFGELD], opening=100_000))
    outcome = store(db, statement([LEEFGELD], opening=181_240))
    assert outcome.statements[0].balance == "saldo klopt"


def test_unregistered_account_is_refused_naming_it(db, municipal):
    with pytest.raises(StatementRefused, match="NL91 ABNA 0417 1643 00.*geen geregistreerde"):
        store(db, statement([UWV], account="NL91ABNA0417164300"))
    assert count(db, BankTransaction) == 0


def test_domestic_account_number_finds_the_municipal_iban(db, municipal):
    # MT940 files of some banks give 0002445588 or 2445588 instead of the IBAN.
    assert store(db, statement([UWV], account="2445588")).new_entries == 1


def test_other_currency_is_refused(db, municipal):
    with pytest.raises(StatementRefused, match="CHF"):
        store(db, statement([replace(UWV, currency="CHF")]))
    swiss = statement([UWV])
    swiss.currency = "CHF"
    with pytest.raises(StatementRefused, match="alleen euro"):
        store(db, swiss)
    assert count(db, ImportedFile) == 0


def test_one_bad_statement_stores_nothing_of_the_file(db, municipal):
    good = statement([UWV])
    bad = statement([LEEFGELD], account="NL91ABNA0417164300")
    with pytest.raises(StatementRefused):
        store(db, good, bad)
    assert count(db, BankTransaction) == 0 and count(db, Statement) == 0


def test_pending_entries_are_not_stored(db, municipal):
    pending = replace(LEEFGELD, status="PDNG")
    outcome = store(db, statement([UWV, pending]))
    assert outcome.new_entries == 1
    assert "nog niet geboekt" in outcome.statements[0].warnings[0]


def test_csv_without_balances_is_stored_unchecked(db, municipal):
    csv_like = StatementData(account=OURS, entries=[UWV, LEEFGELD])
    outcome = store(db, csv_like, balances=False)
    assert outcome.new_entries == 2
    assert "niet gecontroleerd" in outcome.statements[0].balance


def test_an_entry_of_nothing_is_stored_done_and_never_waits_in_the_queue(db, municipal):
    """A bank may list a € 0,00 entry (a cancelled card payment, a notice): there is nothing
    to book, so it must not sit in the queue forever."""
    nothing = Entry(date(2026, 10, 6), 0, counterparty_name="Bank", description="Nulpost",
                    bank_reference="REF-NUL")
    outcome = store(db, statement([UWV, nothing]))
    assert outcome.new_entries == 2 and outcome.statements[0].queued == 1
    assert outcome.statements[0].warnings == [
        "1 posten van € 0,00 opgeslagen zonder boeking (er is niets te boeken)"]
    rows = {t.bank_reference: t for t in stored_transactions(db)}
    assert (rows["REF-NUL"].is_open, rows["REF-NUL"].booked_cents) == (False, 0)
    assert rows["REF-UWV-1"].is_open
    assert count(db, Booking) == 0


def test_dedup_keys_prefer_unique_bank_references():
    split = [replace(UWV, detail_index=1), replace(UWV, detail_index=2)]
    assert dedup_keys(split) == ["ref:REF-UWV-1/1", "ref:REF-UWV-1/2"]
    shared = [replace(UWV, amount_cents=1), replace(UWV, amount_cents=2)]  # reference reused
    keys = dedup_keys(shared)
    assert all(k.startswith("fp:") for k in keys) and keys[0] != keys[1]
    assert dedup_keys([LEEFGELD, LEEFGELD])[1].endswith("#2")


def test_export_bookings_has_open_rows_and_one_row_per_booked_part(db, municipal):
    store(db, statement([UWV, LEEFGELD]))
    with db.write_sessions() as session:  # a split booking, as the queue will make it
        uwv = session.scalar(select(BankTransaction).where(BankTransaction.amount_cents == 81240))
        category = session.scalar(select(Category.id).where(Category.name == "uitkering"))
        for part in (50_000, 20_000):
            session.add(Booking(transaction_id=uwv.id, category_id=category, amount_cents=part,
                                booking_date=uwv.booking_date, method=BookingMethod.MANUAL,
                                created_by="clerk"))
        session.commit()
    out = io.StringIO()
    with db.read() as session:
        write_bookings_csv(booking_export_rows(session), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "bank_referentie;datum;bedrag;tegenrekening;dossiernummer;rubriek;wijze"
    assert lines[1:] == [
        "REF-UWV-1;2026-10-05;500.00;NL28INGB0000000001;;uitkering;handmatig",
        "REF-UWV-1;2026-10-05;200.00;NL28INGB0000000001;;uitkering;handmatig",
        "REF-UWV-1;2026-10-05;112.40;NL28INGB0000000001;;;open",
        ";2026-10-05;-115.00;NL20INGB0001234567;;;open",
    ]

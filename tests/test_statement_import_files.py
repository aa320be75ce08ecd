"""Importing real files end to end: the command line, a kill half-way, a month of entries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.db import Database, make_engine, upgrade
from app.demo_camt import synthetic_statement, write_camt053
from app.importers import read_ahead
from app.importers.statements import read_statement_file
from app.models import BankTransaction, ImportedFile, Statement
from app.models.audit import AuditEntry
from app.services.accounts import add_municipal_account
from app.services.statement_import import dedup_keys, store_statements

OURS = "NL86INGB0002445588"
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).parent / "data" / "statements"


def camt_file(path: Path, entries: int, *, seed: int = 1, first=date(2026, 10, 1),
              opening: int = 1_000_000, closing_off_by: int = 0) -> Path:
    statement = synthetic_statement(OURS, entries, first, seed=seed, opening_cents=opening)
    statement.closing_balance_cents += closing_off_by
    write_camt053(path, [statement], message_id=f"M{seed}", created=datetime(2026, 11, 1, 6))
    return path


def counts(db_url) -> tuple[int, int, int]:
    database = Database.open(db_url)
    with database.read() as session:
        result = tuple(session.scalar(select(func.count()).select_from(m))
                       for m in (Statement, BankTransaction, ImportedFile))
    database.dispose()
    return result


@pytest.fixture
def municipal_db(db_url):
    database = Database.open(db_url)
    add_municipal_account(database.unit_of_work("beheer"), OURS, "Gemeente Utrecht")
    database.dispose()
    return db_url


def test_a_month_imports_whole_and_a_second_import_adds_nothing(capsys, municipal_db, tmp_path):
    month = camt_file(tmp_path / "oktober.xml", 2_700)
    assert main(["--db", municipal_db, "import", str(month)]) == 0
    out = capsys.readouterr().out
    assert "2700 nieuw, 0 al bekend, saldo klopt" in out
    assert main(["--db", municipal_db, "import", str(month)]) == 0
    assert "0 nieuw, 2700 al bekend" in capsys.readouterr().out
    assert counts(municipal_db)[:2] == (1, 2_700)


def test_one_bad_file_does_not_stop_the_others(capsys, municipal_db, tmp_path):
    good = camt_file(tmp_path / "goed.xml", 20)
    wrong = camt_file(tmp_path / "fout.xml", 20, seed=2, first=date(2026, 11, 1),
                      closing_off_by=1)
    xxe = tmp_path / "xxe.xml"
    xxe.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;'
                   "</Document>")
    code = main(["--db", municipal_db, "import", str(wrong), str(xxe), str(good)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "goed.xml: camt.053.001.02" in out and "20 nieuw" in out
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("huishoudboekje: fout.xml") and "saldo klopt niet" in lines[0]
    assert "xxe.xml" in lines[1] and "root:" not in err
    assert counts(municipal_db) == (1, 20, 1)


def test_every_sample_file_can_be_imported_or_is_refused_in_one_line(capsys, tmp_path):
    """Against an empty database every sample is refused for its account, not for its format
    (except the deliberately broken one): the readers and the storing agree."""
    for path in sorted(p for p in SAMPLES.rglob("*") if p.suffix not in (".golden", ".md")
                       and p.is_file()):
        code = main(["--db", f"sqlite:///{tmp_path / 'leeg.db'}", "import", str(path)])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1, (path.name, err)
        assert "Traceback" not in err


def test_killing_an_import_half_way_leaves_nothing(municipal_db, tmp_path):
    big = camt_file(tmp_path / "groot.xml", 20_000)
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import app.services.matching as matching
        import app.services.statement_import as importing
        from app.db import Database, make_engine, upgrade
        real_insert = matching.insert_rows
        inserted = 0

        def insert_then_wait(session, table, rows):
            global inserted
            real_insert(session, table, rows)
            if table.name == "bank_transactions":
                inserted += len(rows)
            if inserted >= 10_000:
                print("INSERTED", inserted, flush=True)
                time.sleep(60)  # killed here: half written, transaction not committed

        matching.insert_rows = insert_then_wait
        db = Database.open({municipal_db!r})
        importing.import_statement_file(db.unit_of_work("clerk"), {str(big)!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("INSERTED 10000"), line
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert counts(municipal_db) == (0, 0, 0)
    # and the database is fine: the same file imports whole afterwards
    assert main(["--db", municipal_db, "import", str(big)]) == 0
    assert counts(municipal_db) == (1, 20_000, 1)


# -- Big files a chunk at a time (issue 16) ---------------------------------------------------


def stored_rows(db_url) -> list[tuple]:
    database = Database.open(db_url)
    with database.read() as session:
        rows = [tuple(r) for r in session.execute(
            select(BankTransaction.dedup_key, BankTransaction.booking_date,
                   BankTransaction.amount_cents, BankTransaction.counterparty_iban,
                   BankTransaction.description, BankTransaction.is_open)
            .order_by(BankTransaction.dedup_key))]
    database.dispose()
    return rows


@pytest.mark.parametrize("second_process", [False, True], ids=["here", "read-ahead"])
def test_a_file_of_several_chunks_is_stored_as_if_read_whole(capsys, municipal_db, tmp_path,
                                                             monkeypatch, second_process):
    """Streamed in chunks of 5,000 entries (read in this process, or in a second one while
    this one stores), a file stores exactly what reading it whole stores (same identities,
    same facts), and importing it again adds nothing."""
    monkeypatch.setattr(read_ahead, "READ_AHEAD_BYTES", 1 if second_process else 10**12)
    month = camt_file(tmp_path / "groot.xml", 11_000)
    assert main(["--db", municipal_db, "import", str(month)]) == 0
    assert "11000 nieuw, 0 al bekend, saldo klopt" in capsys.readouterr().out
    streamed = stored_rows(municipal_db)
    assert main(["--db", municipal_db, "import", str(month)]) == 0
    assert "0 nieuw, 11000 al bekend" in capsys.readouterr().out

    whole_url = f"sqlite:///{tmp_path / 'heel.db'}"
    upgrade(make_engine(whole_url))
    whole = Database.open(whole_url)
    add_municipal_account(whole.unit_of_work("beheer"), OURS, "Gemeente Utrecht")
    store_statements(whole.unit_of_work("clerk"), read_statement_file(month),
                     file_name=month.name, sha256="0" * 64)
    whole.dispose()
    assert stored_rows(whole_url) == streamed


def test_a_bank_reference_repeated_in_a_later_chunk_reads_the_file_again_whole(
        capsys, municipal_db, tmp_path):
    """Whether a bank reference is unique in its statement is known only at the end: the
    import then reads the statement whole, so both entries keep the identities they would
    have had — and neither is lost as a 'duplicate' of the other."""
    statement = synthetic_statement(OURS, 8_000, date(2026, 10, 1), seed=3)
    first = statement.entries[0]
    statement.entries[5_500] = replace(statement.entries[5_500],
                                       bank_reference=first.bank_reference)
    path = tmp_path / "dubbel.xml"
    write_camt053(path, [statement], message_id="D", created=datetime(2026, 11, 1, 6))
    assert main(["--db", municipal_db, "import", str(path)]) == 0
    assert "8000 nieuw, 0 al bekend, saldo klopt" in capsys.readouterr().out
    keys = {row[0] for row in stored_rows(municipal_db)}
    assert keys == set(dedup_keys(statement.entries))
    assert f"ref:{first.bank_reference}" not in keys  # no longer unique: fingerprints
    assert main(["--db", municipal_db, "import", str(path)]) == 0
    assert "0 nieuw, 8000 al bekend" in capsys.readouterr().out


def test_an_amount_the_database_cannot_hold_is_refused_and_kept_in_the_history(
        capsys, municipal_db, tmp_path):
    path = tmp_path / "groot.940"
    path.write_text(":20:TEST\n:25:NL86INGB0002445588\n:28C:1/1\n:60F:C261001EUR100,00\n"
                    ":61:2610021002C99999999999999999999,99NTRFNONREF\n:86:/REMI/x\n"
                    ":62F:C261002EUR100,00\n-\n")
    assert main(["--db", municipal_db, "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "groter dan een bankafschrift kan bevatten" in err
    assert counts(municipal_db) == (0, 0, 0)
    database = Database.open(municipal_db)
    with database.read() as session:
        refused = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "bankafschrift geweigerd")).all()
    database.dispose()
    assert len(refused) == 1 and "groter dan een bankafschrift" in refused[0].after


def test_a_broken_big_file_read_ahead_is_refused_in_one_line_and_stores_nothing(
        capsys, municipal_db, tmp_path):
    """The reading process meets the break after the import has stored thousands of entries:
    the same one line as reading it here, and nothing stays."""
    whole = camt_file(tmp_path / "heel.xml", 12_000).read_bytes()
    path = tmp_path / "afgebroken.xml"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    assert path.stat().st_size > read_ahead.READ_AHEAD_BYTES
    assert main(["--db", municipal_db, "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "afgebroken of beschadigd" in err, err
    assert counts(municipal_db) == (0, 0, 0)


def test_a_cancel_half_way_stops_the_reading_process_at_once(municipal_db, tmp_path):
    """The clerk cancels (the progress callback raises) while a second process reads the
    file: nothing is stored and that process is gone before the import returns."""
    import multiprocessing

    from app.services.statement_import import import_statement_file

    path = camt_file(tmp_path / "groot.xml", 15_000)
    assert path.stat().st_size > read_ahead.READ_AHEAD_BYTES

    def cancel_after_the_first_chunk(message: str) -> None:
        if "posten verwerkt" in message:
            assert multiprocessing.active_children(), "the file is read in a second process"
            raise KeyboardInterrupt("geannuleerd")

    database = Database.open(municipal_db)
    with pytest.raises(KeyboardInterrupt):
        import_statement_file(database.unit_of_work("clerk"), path,
                              progress=cancel_after_the_first_chunk)
    assert multiprocessing.active_children() == []
    database.dispose()
    assert counts(municipal_db) == (0, 0, 0)

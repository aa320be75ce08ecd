"""The command line of DESIGN §7: exit status and one-line reasons, on both databases."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest
from lxml import etree
from sqlalchemy import select, text

from app.cli import main
from app.db import Database, head_revision
from app.models import BankAccount, Employee
from app.payments.pain001 import read_pain001
from tests.test_payouts import XSD, build


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_creates_the_schema_then_says_it_is_current(capsys, empty_db_url):
    code, out, _ = run(capsys, "--db", empty_db_url, "db", "upgrade")
    assert code == 0 and f"leeg → {head_revision()}" in out
    code, out, _ = run(capsys, "--db", empty_db_url, "db", "upgrade")
    assert code == 0 and "al bij" in out


def test_accounts_add_and_refusal(capsys, db_url):
    code, out, _ = run(capsys, "--db", db_url, "accounts", "add", "NL86INGB0002445588",
                       "--name", "Gemeente Utrecht")
    assert code == 0, out
    database = Database.open(db_url)
    with database.read() as session:
        assert session.scalar(select(BankAccount.holder_name)) == "Gemeente Utrecht"
    code, out, err = run(capsys, "--db", db_url, "accounts", "add", "NL86INGB0002445589",
                         "--name", "Fout")
    assert code == 1 and out == ""
    assert err == "huishoudboekje: Ongeldig IBAN: 'NL86INGB0002445589'\n"
    database.dispose()


def unique(name: str) -> str:
    """PostgreSQL logins belong to the whole test server: a name per test."""
    return f"{name}_{uuid.uuid4().hex[:6]}"


def test_users_add_disable_and_role(capsys, db_url, monkeypatch, backend):
    monkeypatch.setenv("HHB_NEW_PASSWORD", "een-lang-wachtwoord-2026")
    name = unique("fatma")
    code, out, _ = run(capsys, "--db", db_url, "users", "add", name, "--role", "teamleader",
                       "--full-name", "Fatma Öztürk")
    assert code == 0
    assert out.endswith("met een databaselogin\n") == (backend == "postgresql")
    database = Database.open(db_url)
    with database.read() as session:
        employee = session.scalar(select(Employee))
    assert (employee.username, employee.name, employee.role.value) == (
        name, "Fatma Öztürk", "teamleader")
    assert run(capsys, "--db", db_url, "users", "role", name, "backoffice")[0] == 0
    assert run(capsys, "--db", db_url, "users", "disable", name)[0] == 0
    with database.read() as session:
        employee = session.scalar(select(Employee))
        assert (employee.role.value, employee.active) == ("backoffice", False)
        if backend == "postgresql":
            login = session.execute(text(
                "SELECT rolcanlogin, pg_has_role(:name, 'hhb_backoffice', 'MEMBER') AS back, "
                "pg_has_role(:name, 'hhb_teamleider', 'MEMBER') AS lead "
                "FROM pg_roles WHERE rolname = :name"), {"name": name}).one()
            assert (login.rolcanlogin, login.back, login.lead) == (False, True, False)
    database.dispose()
    code, _, err = run(capsys, "--db", db_url, "users", "disable", "niemand")
    assert code == 1 and err == "huishoudboekje: Medewerker 'niemand' bestaat niet\n"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_users_add_asks_the_password_and_never_takes_it_as_an_argument(capsys, db_url,
                                                                       monkeypatch):
    monkeypatch.delenv("HHB_NEW_PASSWORD", raising=False)
    code, _, err = run(capsys, "--db", db_url, "users", "add", unique("anna"), "--role",
                       "backoffice")  # stdin is not a terminal under pytest
    assert code == 1 and "HHB_NEW_PASSWORD" in err and err.count("\n") == 1
    with pytest.raises(SystemExit):
        run(capsys, "--db", db_url, "users", "add", "anna", "--role", "backoffice",
            "--password", "x")
    monkeypatch.setenv("HHB_NEW_PASSWORD", "kort")
    code, _, err = run(capsys, "--db", db_url, "users", "add", unique("anna"), "--role",
                       "backoffice")
    assert code == 1 and "minstens 12 tekens" in err


def test_audit_verify(capsys, db_url, monkeypatch):
    monkeypatch.setenv("HHB_NEW_PASSWORD", "een-lang-wachtwoord-2026")
    run(capsys, "--db", db_url, "users", "add", unique("anna"), "--role", "backoffice")
    code, out, _ = run(capsys, "--db", db_url, "audit", "verify")
    assert code == 0 and "1 rijen" in out


@pytest.mark.parametrize("backend", ["postgresql"])
def test_shared_database_without_schema_gives_one_line(capsys, empty_db_url):
    code, _, err = run(capsys, "--db", empty_db_url, "users", "add", "anna", "--role",
                       "backoffice")
    assert code == 1
    assert err.count("\n") == 1 and "db upgrade" in err


def test_environment_variable_chooses_the_database(capsys, monkeypatch, tmp_path):
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("HHB_DATABASE_URL", f"sqlite:///{path}")
    code, _, _ = run(capsys, "db", "upgrade")
    assert code == 0 and path.exists()


def test_unsupported_and_unreachable_databases_give_one_line(capsys):
    code, _, err = run(capsys, "--db", "mysql://x@localhost/db", "db", "upgrade")
    assert code == 1 and "wordt niet ondersteund" in err and err.count("\n") == 1
    code, _, err = run(capsys, "--db", "postgresql://nobody@127.0.0.1:1/none", "db", "version")
    assert code == 1 and "Kan de database niet openen" in err and err.count("\n") == 1


def test_installed_command_shows_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--db", f"sqlite:///{tmp_path / 'x.db'}",
         "accounts", "add", "geen-iban", "--name", "X"],
        capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert done.stderr == "huishoudboekje: Ongeldig IBAN: 'geen-iban'\n"
    assert "Traceback" not in done.stdout + done.stderr


def test_dossiers_import_loads_300_participants_but_one_bad_bsn_stores_nothing(
    capsys, db_url, tmp_path
):
    from dataclasses import replace
    from datetime import date

    from sqlalchemy import func

    from app.demo import generate_demo
    from app.importers.workbook import write_workbook
    from app.models import Agreement, Organisation, Participant

    book = generate_demo(300, seed=3, today=date(2026, 11, 1)).book
    spoiled = replace(book, participants=list(book.participants))
    victim = spoiled.participants[149]
    spoiled.participants[149] = replace(victim, bsn="123456789")
    write_workbook(spoiled, tmp_path / "fout.xlsx")
    write_workbook(book, tmp_path / "goed.xlsx")

    code, out, err = run(capsys, "--db", db_url, "dossiers", "import",
                         str(tmp_path / "fout.xlsx"))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "huishoudboekje: Werkmap geweigerd: 1 fout, niets opgeslagen"
    assert lines[1:] == [f"  Deelnemers rij {victim.row}: Ongeldig BSN ******789: voldoet "
                         "niet aan de 11-proef"]
    database = Database.open(db_url)
    with database.read() as session:
        for model in (Participant, Organisation, Agreement, Employee):
            assert session.scalar(select(func.count()).select_from(model)) == 0

    code, out, _ = run(capsys, "--db", db_url, "dossiers", "import", str(tmp_path / "goed.xlsx"))
    assert code == 0 and "goed.xlsx" in out
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 300
        assert session.scalar(select(func.count()).select_from(Agreement)) == len(book.agreements)
    database.dispose()


def test_payouts_writes_a_valid_batch_and_says_each_warning_on_one_line(capsys, db_url,
                                                                         tmp_path):
    database = Database.open(db_url)
    build(database)
    database.dispose()
    # The month after today's (the command plans as of today).
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    out = tmp_path / "betaalopdracht.xml"
    code, stdout, err = run(capsys, "--db", db_url, "payouts", "--from", first.isoformat(),
                            "--to", last.isoformat(), "--out", str(out))
    assert code == 0, err
    written = out.read_bytes()
    assert XSD.validate(etree.fromstring(written))
    transfers = read_pain001(written).transfers
    # Anna: her Mondays' leefgeld and the rent; Bram: his monthly leefgeld (his rent is his).
    assert len(transfers) == sum(1 for d in range((last - first).days + 1)
                                 if (first + timedelta(days=d)).weekday() == 0) + 2
    assert "geschreven naar" in stdout and str(out) in stdout
    lines = err.splitlines()
    assert lines and all(line.startswith("waarschuwing: ") for line in lines)
    assert any("inboedelverzekering: betaalwijze onbekend" in line for line in lines)
    # Everything of the month is in that file now: a second run writes nothing.
    again = tmp_path / "nogmaals.xml"
    code, stdout, err = run(capsys, "--db", db_url, "payouts", "--from", first.isoformat(),
                            "--to", last.isoformat(), "--out", str(again))
    assert code == 1 and not again.exists()
    reason = err.splitlines()[-1]
    assert reason.startswith("huishoudboekje: Geen betalingen om te maken van ")

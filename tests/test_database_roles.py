"""What PostgreSQL itself enforces (issue 15), with one real login per role on a demo database:
plain SQL that a role may not run is refused by the database, the program still works for the
role that may, a disabled employee cannot connect, and the BSN is read only through the logged
functions. PostgreSQL only: on SQLite the roles are the program's alone."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from app.db import Database
from app.errors import ForbiddenError, ValidationError
from app.models import Agreement, AuditEntry, BankTransaction, Booking, Employee, Participant, Role
from app.services import bookings, employees, participants
from app.services.audit import verify
from app.services.bookings import BookingPart
from app.services.bsn import search_bsn
from app.services.permissions import standing_of
from app.services.queries import ParticipantFilter, participant_ids
from tests import ui_support
from tests.helpers import VALID_BSNS

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url

PASSWORD = "een-lang-wachtwoord-2026"
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def logins(demo_url):
    """One employee with a login per role (the owner creates them through the program)."""
    owner = Database.open(demo_url)
    suffix = uuid.uuid4().hex[:6]
    names = {}
    try:
        for role in Role:
            name = f"{role.value[:5]}_{suffix}"
            employees.add_employee(owner.unit_of_work(), name, role, name=f"Test {role.value}",
                                   password=PASSWORD)
            names[role] = name
    finally:
        owner.dispose()
    return names


def connect_as(url: str, login: str) -> Database:
    return Database.open(make_url(url).set(username=login).render_as_string(hide_password=False))


@pytest.fixture
def as_role(demo_url, logins):
    opened: list[Database] = []

    def open_as(role: Role) -> Database:
        db = connect_as(demo_url, logins[role])
        opened.append(db)
        return db

    yield open_as
    for db in opened:
        db.dispose()


def refused(db: Database, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value.orig)


def test_every_login_reads_its_role_from_the_database(as_role, logins):
    for role in Role:
        db = as_role(role)
        standing = standing_of(db, db.default_actor())
        assert standing.roles == {role} and not standing.owner
        assert standing.name == f"Test {role.value}"


def test_plain_sql_of_a_frontoffice_login_is_refused_by_the_database(as_role):
    front = as_role(Role.FRONTOFFICE)
    assert "permission denied" in refused(front, "UPDATE bookings SET amount_cents = 1")
    assert "permission denied" in refused(front, "DELETE FROM audit_log")
    assert "permission denied" in refused(front, "TRUNCATE audit_log")
    assert "permission denied" in refused(front, "UPDATE audit_head SET last_id = 0")
    assert "permission denied" in refused(
        front, "INSERT INTO bank_transactions (statement_id, amount_cents) VALUES (1, 100)")
    assert "permission denied" in refused(front, "SELECT bsn FROM participants")
    assert "permission denied" in refused(front, "SELECT * FROM participants")
    assert "must be owner" in refused(front, "DROP TABLE participants")
    assert "permission denied" in refused(front, "SELECT * FROM hhb_bsns_among(ARRAY['1'])")
    assert "permission denied" in refused(
        front, "SELECT hhb_login_create('mallory', 'SCRAM-SHA-256$x', 'hhb_beheerder')")
    # What the frontoffice may do it can do: read a dossier without its BSN.
    with front.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(bsn_tail) FROM participants")) == 50


def test_no_login_but_the_owner_can_rewrite_the_audit_trail(as_role):
    for role in Role:
        db = as_role(role)
        assert "permission denied" in refused(db, "UPDATE audit_log SET action = 'x'")
        assert "permission denied" in refused(db, "DELETE FROM audit_log WHERE id = 1")


def test_an_audit_row_cannot_name_another_login_or_carry_its_own_hash(as_role, logins):
    front = as_role(Role.FRONTOFFICE)
    with front.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, entity, role, host, result) "
                          "VALUES ('tkorkmaz', 'vervalst', 'participants', 'beheerder', 'x', "
                          "'gedaan')"))
    with pytest.raises(DBAPIError, match="permission denied"), front.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, entity, db_user, prev_hash, "
                          "hash) VALUES ('a', 'b', 'c', 'postgres', 'x', 'y')"))
    with front.read() as session:
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (row.action, row.db_user) == ("vervalst", logins[Role.FRONTOFFICE])
        assert verify(session).ok  # the database chained it; the forgery names its login


def test_a_backoffice_login_books_and_undoes_through_the_program(as_role, logins):
    back = as_role(Role.BACKOFFICE)
    with back.read() as session:
        transaction = session.scalars(select(BankTransaction).where(BankTransaction.is_open)
                                      .order_by(BankTransaction.id)).first()
        agreement = session.scalars(select(Agreement).order_by(Agreement.id)).first()
    part = BookingPart(agreement_id=agreement.id)  # the whole amount
    bookings.book_transaction(back.unit_of_work(), transaction.id, [part])
    with back.read() as session:
        assert session.scalar(select(func.count()).select_from(Booking).where(
            Booking.transaction_id == transaction.id)) == 1
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (row.db_user, row.role, row.result) == (logins[Role.BACKOFFICE], "backoffice",
                                                        "gedaan")
    bookings.undo_bookings(back.unit_of_work(), transaction.id)
    with back.read() as session:
        assert session.scalar(select(func.count()).select_from(Booking).where(
            Booking.transaction_id == transaction.id)) == 0
        assert verify(session).ok


def test_the_frontoffice_is_refused_a_booking_by_the_program_and_it_is_logged(as_role, logins):
    front = as_role(Role.FRONTOFFICE)
    with front.read() as session:
        transaction_id = session.scalar(select(BankTransaction.id).where(BankTransaction.is_open))
    with pytest.raises(ForbiddenError, match="Geen rechten"):
        bookings.undo_bookings(front.unit_of_work(), transaction_id)
    with front.read() as session:
        row = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (row.result, row.db_user) == ("geweigerd", logins[Role.FRONTOFFICE])


def test_the_bsn_is_read_only_through_the_logged_functions(as_role, logins, demo_url):
    front = as_role(Role.FRONTOFFICE)
    owner = Database.open(demo_url)
    try:
        with owner.engine.connect() as conn:
            pid, bsn = conn.execute(text("SELECT id, bsn FROM participants ORDER BY id")).first()
    finally:
        owner.dispose()
    assert participants.reveal_bsn(front.unit_of_work(), pid) == bsn
    assert search_bsn(front.unit_of_work(), bsn) == [pid]
    assert pid in search_bsn(front.unit_of_work(), bsn[-5:])
    with front.read() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
        assert [r.action for r in rows] == ["gezocht op BSN", "gezocht op BSN", "BSN getoond"]
        assert all(r.db_user == logins[Role.FRONTOFFICE] for r in rows)
        assert bsn not in (rows[0].after + rows[1].after)  # the log holds only the last digits
        assert rows[1].after.count("*") == 6
        # The participant list finds the dossier by its last three digits without the BSN.
        ids = participant_ids(session, ParticipantFilter(search=bsn[-3:]))
        assert pid in ids
        assert verify(session).ok


def test_a_beheerder_adds_changes_and_disables_an_employee_and_their_login(as_role, demo_url):
    admin = as_role(Role.ADMIN)
    name = f"nieuw_{uuid.uuid4().hex[:6]}"
    employees.add_employee(admin.unit_of_work(), name, Role.FRONTOFFICE, password=PASSWORD)
    newcomer = connect_as(demo_url, name)
    try:
        assert standing_of(newcomer, name).roles == {Role.FRONTOFFICE}
        with admin.read() as session:
            employee_id = session.scalar(select(Employee.id).where(Employee.username == name))
        employees.update_employee(admin.unit_of_work(), employee_id, role=Role.BACKOFFICE)
        assert standing_of(newcomer, name).roles == {Role.BACKOFFICE}
        employees.set_employee_active(admin.unit_of_work(), employee_id, False)
        newcomer.dispose()
        with pytest.raises(OperationalError, match="not permitted to log in"), \
                newcomer.engine.connect():
            pass
        employees.set_employee_active(admin.unit_of_work(), employee_id, True)
        with newcomer.engine.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) == name
    finally:
        newcomer.dispose()


def test_a_frontoffice_login_cannot_add_a_beheerder(as_role):
    front = as_role(Role.FRONTOFFICE)
    with pytest.raises(ForbiddenError, match="Geen rechten"):
        employees.add_employee(front.unit_of_work(), "mallory", Role.ADMIN, password=PASSWORD)
    with front.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = 'mallory'")) == 0


def test_the_command_line_says_no_rights_in_one_line(as_role, demo_url, logins, tmp_path, capsys):
    from app.cli import main

    url = make_url(demo_url).set(username=logins[Role.FRONTOFFICE]).render_as_string(
        hide_password=False)
    assert main(["--db", url, "users", "add", "mallory", "--role", "beheerder"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("huishoudboekje: Geen rechten") and err.count("\n") == 1
    assert main(["--db", url, "accounts", "add", "NL91ABNA0417164300", "--name", "x"]) == 1
    assert "Geen rechten" in capsys.readouterr().err
    out = tmp_path / "boekingen.csv"
    assert main(["--db", url, "export", "bookings", "--out", str(out)]) == 1
    assert "Geen rechten" in capsys.readouterr().err and not out.exists()
    back = make_url(demo_url).set(username=logins[Role.BACKOFFICE]).render_as_string(
        hide_password=False)
    assert main(["--db", back, "export", "bookings", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n") > 100
    # A statement PostgreSQL refuses on its own (no service in between) is one line too.
    engine = create_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(text("SELECT bsn FROM participants"))
    finally:
        engine.dispose()
    from app.errors import as_user_error

    assert str(as_user_error(caught.value)) == "Geen rechten op deze database: vraag de beheerder"


def test_the_frontoffice_creates_a_dossier_with_a_bsn_it_cannot_read_back(as_role):
    front = as_role(Role.FRONTOFFICE)
    pid = participants.create_participant(front.unit_of_work(), bsn=VALID_BSNS[3],
                                          last_name="Tesfay", first_name="Selam")
    participants.change_status(front.unit_of_work(), pid, "intake", date.today())
    with pytest.raises(ValidationError, match=r"BSN \*\*\*\*\*\*990 is al in gebruik"):
        participants.create_participant(front.unit_of_work(), bsn=VALID_BSNS[3],
                                        last_name="Ander")
    with front.read() as session:
        assert session.get(Participant, pid).bsn_tail == "990"
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(3)).all()
        assert [(r.action, r.result) for r in rows] == [
            ("BSN al in gebruik", "geweigerd"), ("status intake", "gedaan"),
            ("deelnemer aangemaakt", "gedaan")]
        assert VALID_BSNS[3] not in "".join(r.after or "" for r in rows)

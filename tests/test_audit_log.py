"""The Logboek's queries and export (app.services.audit_log) on SQLite and PostgreSQL: each
filter narrows to exactly the rows it should (employee by login or name, participant by id or
dossier number including what belongs to it, action exact or in part, result with the rows of
before 0009, a period in local days across its boundaries in winter and summer time), rows come
back in the order asked, the detail parses before/after, and the export writes the rows and its
own audit row — for a teamleader, not for a frontoffice employee."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, text, update
from sqlalchemy.engine import make_url

from app.db import Database
from app.errors import ForbiddenError, NotFoundError
from app.models import AuditEntry
from app.security import MAINTENANCE_FLAG
from app.services import agreements, participants
from app.services.audit import verify
from app.services.audit_log import (
    EXPORTED,
    AuditFilter,
    action_choices,
    audit_entry,
    audit_ids,
    audit_rows,
    export_audit,
    find_participant,
)
from app.services.employees import add_employee, needs_password
from app.services.organisations import create_organisation
from tests.helpers import VALID_BSNS, audit_json
from tests.helpers import audit_rows as stored_rows

PASSWORD = "een-lang-wachtwoord-2026"


@dataclass
class History:
    anna: int  # participant HHB-00001
    bram: int  # participant HHB-00002
    agreement: int  # anna's
    marloes: str  # an employee's login (name Marloes Vink)
    refused_id: int
    edit_id: int  # "deelnemer gewijzigd" of anna


@contextmanager
def owner_transaction(db) -> Iterator[Connection]:
    """The owner's own transaction on the trail (PostgreSQL: with the maintenance flag)."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL {MAINTENANCE_FLAG} = 'aan'"))
        yield conn


def login_name(prefix: str) -> str:
    """PostgreSQL logins live in the whole server: unique per test."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def new_employee(db, prefix: str, role: str, name: str) -> str:
    username = login_name(prefix)
    add_employee(db.unit_of_work("beheer"), username, role, name=name,
                 password=PASSWORD if needs_password(db.unit_of_work("beheer")) else None)
    return username


def last_id(db) -> int:
    return stored_rows(db)[-1].id


def make_history(db) -> History:
    marloes = new_employee(db, "mvink", "backoffice", "Marloes Vink")
    portaal = create_organisation(db.unit_of_work(marloes), name="Stichting Portaal",
                                  kind="vaste_last")
    anna = participants.create_participant(
        db.unit_of_work("kees"), bsn=VALID_BSNS[0], first_name="Anna", last_name="Jansen",
        city="Utrecht")
    bram = participants.create_participant(
        db.unit_of_work("lotte"), bsn=VALID_BSNS[1], first_name="Bram", last_name="de Vries",
        city="Zeist")
    agreement = agreements.create_agreement(
        db.unit_of_work("lotte"), anna, organisation_id=portaal, direction="uitgave",
        amount_cents=812_40, day=1, category="huur", frequency="maand",
        valid_from=date(2026, 1, 1))
    participants.update_participant(db.unit_of_work("kees"), anna, city="Houten")
    edit_id = last_id(db)
    participants.open_dossier(db.unit_of_work("lotte"), bram)
    db.unit_of_work("kees").refuse("deelnemer wijzigen", "participants", bram,
                                   reason="rol frontoffice")
    return History(anna, bram, agreement, marloes, last_id(db), edit_id)


def ids_where(db, keep) -> list[int]:
    """The expected answer, worked out in Python from every stored row (newest first)."""
    return [row.id for row in reversed(stored_rows(db)) if keep(row)]


def query(db, **where) -> list[int]:
    with db.read() as session:
        return audit_ids(session, AuditFilter(**where))


@pytest.fixture
def history(db) -> History:
    return make_history(db)


def test_without_a_filter_every_row_newest_first(db, history):
    every = ids_where(db, lambda row: True)
    assert query(db) == every
    assert every == sorted(every, reverse=True) and len(every) >= 8
    with db.read() as session:
        assert audit_ids(session, AuditFilter(), limit=3) == every[:3]


def test_employee_by_login_or_by_name(db, history):
    kees = query(db, employee="KEE")
    assert kees == ids_where(db, lambda row: row.actor == "kees")
    assert len(kees) == 3  # created anna, changed anna, refused
    by_name = query(db, employee="vink")  # Marloes Vink, login mvink…: both ways
    assert by_name == ids_where(db, lambda row: row.actor == history.marloes) != []
    assert query(db, employee="Marloes") == by_name
    assert query(db, employee="niemand") == []
    assert query(db, employee="%") == []  # a LIKE wildcard is just a character


def test_participant_by_id_and_dossier_number_with_what_belongs_to_it(db, history):
    anna = query(db, participant_id=history.anna)

    def about_anna(row) -> bool:
        return (row.entity, row.entity_id) in {("participants", str(history.anna)),
                                               ("agreements", str(history.agreement))}

    assert anna == ids_where(db, about_anna)
    with db.read() as session:
        actions = [line.action for line in audit_rows(session, anna)]
    assert actions == ["deelnemer gewijzigd", "afspraak aangemaakt", "deelnemer aangemaakt"]
    assert query(db, dossier="HHB-00001") == anna
    assert query(db, dossier="hhb-00001") == anna
    assert query(db, dossier="1") == anna
    bram = query(db, dossier="HHB-00002")
    assert bram == ids_where(db, lambda row: row.entity == "participants"
                             and row.entity_id == str(history.bram))
    assert history.refused_id in bram and not set(bram) & set(anna)
    with db.read() as session:
        assert find_participant(session, "2") == history.bram
        with pytest.raises(NotFoundError, match="Dossier HHB-00099 bestaat niet"):
            audit_ids(session, AuditFilter(dossier="HHB-00099"))


def test_action_exactly_or_in_part(db, history):
    assert query(db, action="deelnemer gewijzigd") == [history.edit_id]
    assert query(db, action="gewijzigd") == []  # exactly: no such action
    made = query(db, action="AANGEMAAKT", action_contains=True)
    assert made == ids_where(db, lambda row: "aangemaakt" in row.action)
    assert len(made) == 4  # organisation, two participants, agreement
    assert query(db, action="geopend", action_contains=True) == ids_where(
        db, lambda row: row.action == "dossier geopend")
    assert query(db, action="bestaat niet", action_contains=True) == []
    with db.read() as session:
        choices = action_choices(session)
    assert choices == sorted({row.action for row in stored_rows(db)}, key=str.casefold)


def test_result_done_includes_rows_from_before_0009(db, history):
    with owner_transaction(db) as conn:  # a row from before 0009 has no result
        conn.execute(update(AuditEntry).where(AuditEntry.id == history.edit_id)
                     .values(result=None))
    refused = query(db, result="geweigerd")
    assert refused == [history.refused_id]
    done = query(db, result="gedaan")
    assert history.edit_id in done and history.refused_id not in done
    assert sorted(done + refused) == sorted(query(db))
    with db.read() as session:
        line = audit_rows(session, [history.edit_id])[0]
    assert line.result == "gedaan" and not line.refused


def test_period_in_local_days_with_its_boundaries(db, history):
    # Amsterdam is UTC+1 in winter and UTC+2 in summer; the stored time is UTC.
    moments = {
        "14 jan 23:59:59": datetime(2025, 1, 14, 22, 59, 59, tzinfo=UTC),
        "15 jan 00:00:00": datetime(2025, 1, 14, 23, 0, 0, tzinfo=UTC),
        "30 jun 23:59:59": datetime(2025, 6, 30, 21, 59, 59, 999_999, tzinfo=UTC),
        "1 jul 00:00:00": datetime(2025, 6, 30, 22, 0, 0, tzinfo=UTC),
    }
    every = query(db)
    old = dict(zip(moments, sorted(every)[:4], strict=True))
    with owner_transaction(db) as conn:
        for key, moment in moments.items():
            conn.execute(update(AuditEntry).where(AuditEntry.id == old[key]).values(at=moment))
    recent = [i for i in every if i not in old.values()]

    def ids(*keys: str) -> list[int]:
        return sorted((old[key] for key in keys), reverse=True)

    assert query(db, date_from=date(2025, 1, 15), date_through=date(2025, 1, 15)) == \
        ids("15 jan 00:00:00")
    assert query(db, date_from=date(2025, 1, 14), date_through=date(2025, 1, 14)) == \
        ids("14 jan 23:59:59")
    assert query(db, date_from=date(2025, 1, 15), date_through=date(2025, 6, 30)) == \
        ids("15 jan 00:00:00", "30 jun 23:59:59")
    assert query(db, date_through=date(2025, 6, 30)) == \
        ids("14 jan 23:59:59", "15 jan 00:00:00", "30 jun 23:59:59")
    assert query(db, date_from=date(2025, 7, 1)) == sorted(
        [*recent, old["1 jul 00:00:00"]], reverse=True)
    assert query(db, date_from=date(2025, 7, 1), date_through=date(2025, 7, 1)) == \
        ids("1 jul 00:00:00")
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    assert set(query(db, date_from=today)) == set(recent)
    # Filters combine: and.
    assert query(db, date_from=date(2025, 7, 1), employee="kees",
                 action="deelnemer gewijzigd") == [history.edit_id] == ids_where(
        db, lambda row: row.id == history.edit_id)


def test_rows_in_the_order_asked_and_the_detail(db, history):
    with db.read() as session:
        every = audit_ids(session)
        lines = audit_rows(session, list(reversed(every[:5])))
        assert [line.id for line in lines] == list(reversed(every[:5]))
        refused = audit_rows(session, [history.refused_id])[0]
        detail = audit_entry(session, history.edit_id)
        created = audit_entry(session, every[-1])
        with pytest.raises(NotFoundError):
            audit_entry(session, 10**9)
    assert refused.refused and refused.subject == "deelnemer HHB-00002"
    assert refused.actor == "kees" and refused.at.tzinfo is not None
    line = detail.line
    assert (line.action, line.subject, line.actor) == ("deelnemer gewijzigd",
                                                        "deelnemer HHB-00001", "kees")
    assert detail.before == {"city": "Utrecht"} and detail.after == {"city": "Houten"}
    [change] = detail.fields()
    assert (change.field, change.before, change.after, change.changed) == (
        "city", "Utrecht", "Houten", True)
    assert created.before is None and created.after is not None
    assert not any(change.changed for change in created.fields())  # a creation: nothing "was"
    with db.read() as session:
        marloes = audit_rows(session, query(db, employee=history.marloes))[0]
    assert marloes.employee == f"Marloes Vink ({history.marloes})"


def test_export_writes_the_filtered_rows_and_its_own_audit_row(db, history, tmp_path):
    path = tmp_path / "uit" / "logboek.xlsx"
    wanted = query(db, employee="kees")
    progress: list[tuple[int, int]] = []
    count = export_audit(db.unit_of_work("beheer"), AuditFilter(employee="kees"), path,
                         progress=lambda done, total: progress.append((done, total)))
    assert count == len(wanted) == 3
    assert progress == [(0, 3), (3, 3)]
    book = load_workbook(path)
    sheet = book["Logboek"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("Nr", "Tijd", "Medewerker") and header[-2:] == ("Voor", "Na")
    assert [row[0] for row in rows[1:]] == wanted
    edit = next(row for row in rows[1:] if row[0] == history.edit_id)
    assert isinstance(edit[1], datetime) and sheet.cell(2, 2).number_format.startswith("DD-MM")
    assert edit[header.index("Voor")] == '{"city":"Utrecht"}'
    assert edit[header.index("Na")] == '{"city":"Houten"}'
    assert edit[header.index("Object")] == "deelnemer HHB-00001"
    refused = next(row for row in rows[1:] if row[0] == history.refused_id)
    assert refused[header.index("Resultaat")] == "geweigerd"
    assert sheet.column_dimensions["H"].width >= 20
    notes = dict(book["Toelichting"].iter_rows(values_only=True))
    assert notes["Filter: medewerker"] == "kees" and notes["Regels"] == "3"

    entry = stored_rows(db)[-1]
    assert (entry.action, entry.actor, entry.entity, entry.result) == (
        EXPORTED, "beheer", "audit_log", "gedaan")
    assert audit_json(entry, "after") == {"bestand": str(path), "rijen": 3,
                                          "medewerker": "kees"}
    assert not list(path.parent.glob(".logboek.xlsx.*"))  # no temporary file left
    with db.read() as session:
        assert verify(session).ok


def test_a_cancelled_export_leaves_no_file_and_no_audit_row(db, history, tmp_path):
    class Cancelled(Exception):
        pass

    def cancel_at_the_end(done: int, total: int) -> None:
        if done == total:
            raise Cancelled

    rows_before = len(stored_rows(db))
    folder = tmp_path / "uit"
    with pytest.raises(Cancelled):
        export_audit(db.unit_of_work("beheer"), AuditFilter(), folder / "logboek.xlsx",
                     progress=cancel_at_the_end)
    assert list(folder.iterdir()) == []  # not the workbook, nor its temporary file
    assert len(stored_rows(db)) == rows_before


def test_a_teamleader_may_export_a_frontoffice_employee_may_not(db, db_url, history,
                                                                tmp_path):
    leader = new_employee(db, "tl", "teamleader", "Tessa Leider")
    clerk = new_employee(db, "fo", "frontoffice", "Frank Front")
    opened = []

    def as_login(username: str) -> Database:
        """On PostgreSQL the employee's own login (its group is the role), on SQLite the
        same file (the role comes from the employees table by the actor's name)."""
        if db.engine.dialect.name != "postgresql":
            return db
        url = make_url(db_url).set(username=username).render_as_string(hide_password=False)
        opened.append(Database.open(url))
        return opened[-1]

    try:
        path = tmp_path / "geweigerd.xlsx"
        with pytest.raises(ForbiddenError, match="logboek exporteren is voor beheerder of "
                                                 "teamleider; u bent frontoffice"):
            export_audit(as_login(clerk).unit_of_work(clerk), AuditFilter(), path)
        assert not path.exists()
        entry = stored_rows(db)[-1]
        assert (entry.action, entry.actor, entry.result) == (
            "logboek exporteren", clerk, "geweigerd")
        assert json.loads(entry.after) == {"reden": "rol frontoffice"}

        allowed = tmp_path / "teamleider.xlsx"
        before = len(query(db))
        assert export_audit(as_login(leader).unit_of_work(leader),
                            AuditFilter(result="geweigerd"), allowed) == 2
        rows = list(load_workbook(allowed)["Logboek"].iter_rows(values_only=True))[1:]
        assert {row[0] for row in rows} == {history.refused_id, entry.id}
        last = stored_rows(db)[-1]
        assert (last.action, last.actor, len(query(db))) == (EXPORTED, leader, before + 1)
        if db.engine.dialect.name == "postgresql":
            assert (entry.db_user, last.db_user) == (clerk, leader)  # the database says who
    finally:
        for database in opened:
            database.dispose()

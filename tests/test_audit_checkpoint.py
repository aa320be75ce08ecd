"""Tamper evidence that survives the database owner: checkpoints of the audit trail kept
outside the database (app.services.audit), on SQLite and a real PostgreSQL.

The owner acts on ``db.engine`` directly: on PostgreSQL with ``SET LOCAL hhb.audit_onderhoud =
'aan'`` in the same transaction (the triggers refuse him otherwise), on SQLite with plain SQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Connection, bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from app.cli import main
from app.errors import ForbiddenError, ValidationError
from app.models import AuditEntry, AuditHead, Employee, Role
from app.security import MAINTENANCE_FLAG
from app.services import audit
from app.services.audit import (
    CheckpointError,
    daily_checkpoint,
    read_checkpoint,
    set_checkpoint_folder,
    verify,
    write_checkpoint,
)
from app.services.categories import add_category
from app.services.demo import create_demo
from app.services.unit_of_work import entry_hash

KEY = "geheim van de controller"


@pytest.fixture(autouse=True)
def no_key_from_the_environment(monkeypatch):
    monkeypatch.delenv(audit.KEY_VARIABLE, raising=False)


@pytest.fixture
def busy(db):
    """A demo municipality and a few more service calls: a trail of a dozen rows."""
    create_demo(db.unit_of_work(), 5)
    more_history(db, "anna", "bram")
    return db


def more_history(db, *names: str) -> None:
    for name in names:
        add_category(db.unit_of_work("beheer"), f"rubriek {name}", "vaste_last")


def check(db, checkpoint=None, **kwargs) -> audit.AuditReport:
    with db.read() as session:
        return verify(session, checkpoint, **kwargs)


def checkpoint_of(db, path, **kwargs) -> audit.Checkpoint:
    with db.read() as session:
        return write_checkpoint(session, path, **kwargs)


def last_id(db) -> int:
    with db.read() as session:
        return session.scalar(select(AuditHead.last_id))


def row_ids(db) -> list[int]:
    """The ids of the trail: on PostgreSQL a rolled-back insert leaves a gap in them."""
    with db.read() as session:
        return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


@contextmanager
def as_owner(db) -> Iterator[Connection]:
    """The database owner's own transaction, with the maintenance flag on PostgreSQL."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL {MAINTENANCE_FLAG} = 'aan'"))
        yield conn


def rewrite_chain(db, change) -> None:
    """The owner rewrites the whole chain consistently: ``change(entry)`` edits rows, then
    every hash is computed again with entry_hash and the head is set to the last one."""
    with as_owner(db) as conn:
        rows = conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).mappings()
        previous = audit.GENESIS
        changes = []
        for row in rows.all():
            entry = SimpleNamespace(**row)
            change(entry)
            entry.prev_hash = previous
            entry.hash = previous = entry_hash(entry)
            changes.append({"row_id": entry.id, "at": entry.at, "after": entry.after,
                            "result": entry.result, "prev_hash": entry.prev_hash,
                            "hash": entry.hash})
        conn.execute(update(AuditEntry).where(AuditEntry.id == bindparam("row_id")).values(
            at=bindparam("at"), after=bindparam("after"), result=bindparam("result"),
            prev_hash=bindparam("prev_hash"), hash=bindparam("hash")), changes)
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(
            last_id=changes[-1]["row_id"], last_hash=previous))


def remove_tail(db, count: int = 1) -> None:
    """The owner deletes the last rows and moves the head back to the row before them."""
    with as_owner(db) as conn:
        ids = conn.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(
            count + 1)).all()
        conn.execute(delete(AuditEntry).where(AuditEntry.id > ids[-1]))
        kept = conn.scalar(select(AuditEntry.hash).where(AuditEntry.id == ids[-1]))
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(
            last_id=ids[-1], last_hash=kept))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- the service ----------------------------------------------------------------------------


def test_busy_trail_verifies_and_reaches_its_checkpoint(busy, tmp_path):
    report = check(busy)
    assert report.ok and report.rows == len(row_ids(busy)) >= 9, report.problems
    point = checkpoint_of(busy, tmp_path / "cp.json")
    assert (point.last_id, point.rows, point.signed) == (last_id(busy), report.rows, False)
    stored = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    assert stored["ondertekend"] is False and "handtekening" not in stored
    assert stored["laatste_rij"] == point.last_id and len(stored["laatste_hash"]) == 64
    assert stored["database"] == busy.engine.url.set(password=None).render_as_string(
        hide_password=False)

    more_history(busy, "cem")  # the log grows on: the checkpoint stays behind, still reached
    report = check(busy, read_checkpoint(tmp_path / "cp.json"))
    assert report.ok, report.problems
    assert report.reached == point.last_id and report.rows == point.rows + 1
    assert report.summary() == (f"Logboek in orde: {point.rows + 1} rijen, bereikt "
                                f"controlepunt rij {point.last_id}")
    assert not (tmp_path / "cp.json.deel").exists()


def test_writing_a_checkpoint_leaves_no_audit_row(busy, tmp_path):
    before = last_id(busy)
    checkpoint_of(busy, tmp_path / "cp.json")
    assert last_id(busy) == before


def test_owner_changing_one_row_is_named(busy, tmp_path):
    point = checkpoint_of(busy, tmp_path / "cp.json")
    target = row_ids(busy)[-4]
    with as_owner(busy) as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == target).values(
            after='{"naam": "iemand anders"}'))
    for report in (check(busy), check(busy, point)):
        assert report.problems == [f"rij {target}: inhoud is gewijzigd"]
        assert report.first_broken == target
        assert report.summary().startswith(f"Logboek is geschonden vanaf rij {target} "
                                           "(1 probleem)")


def test_consistent_rewrite_passes_the_chain_but_not_an_earlier_checkpoint(busy, tmp_path):
    point = checkpoint_of(busy, tmp_path / "cp.json")
    target = row_ids(busy)[2]

    def forge(entry) -> None:
        if entry.id == target:
            entry.after = '{"bedrag": 1}'

    rewrite_chain(busy, forge)
    assert check(busy).ok  # the chain alone cannot tell
    report = check(busy, point)
    assert not report.ok and report.first_broken == point.last_id
    assert report.problems == [
        f"rij {point.last_id}: wijkt af van controlepunt cp.json: het logboek is herschreven "
        f"tot en met rij {point.last_id}"]
    assert report.reached is None


def test_two_checkpoints_narrow_down_where_the_rewrite_is(busy, tmp_path):
    early = checkpoint_of(busy, tmp_path / "logboek-2026-01-01.json")
    more_history(busy, "cem", "dilan", "eva")
    late = checkpoint_of(busy, tmp_path / "logboek-2026-01-02.json")
    ids = row_ids(busy)
    target = ids[ids.index(early.last_id) + 2]

    def forge(entry) -> None:
        if entry.id == target:
            entry.after = '{"rol": "beheerder"}'

    rewrite_chain(busy, forge)
    report = check(busy, audit.read_checkpoints(tmp_path))
    assert report.problems == [
        f"rij {late.last_id}: wijkt af van controlepunt logboek-2026-01-02.json: het logboek "
        f"is herschreven tussen rij {early.last_id + 1} en rij {late.last_id}"]
    assert report.reached == early.last_id and report.checkpoints == 2


def test_removed_tail_with_the_head_moved_back(busy, tmp_path):
    point = checkpoint_of(busy, tmp_path / "cp.json")
    remove_tail(busy)
    assert check(busy).ok  # the chain alone cannot tell
    report = check(busy, point)
    assert report.problems == [
        f"rij {point.last_id} ontbreekt: het logboek houdt op bij rij {last_id(busy)}, "
        f"controlepunt cp.json reikt tot rij {point.last_id}"]
    assert report.first_broken == point.last_id

    more_history(busy, "cem")  # new rows after the removal do not hide it
    report = check(busy, point)
    assert not report.ok and report.first_broken == point.last_id, report.problems
    assert check(busy).ok


def test_rows_from_before_the_result_column_still_verify(busy, tmp_path):
    """Rows written before migration 0009 have no result and hash without the newer fields."""

    def legacy(entry) -> None:
        if entry.id <= 4:
            entry.result = None

    rewrite_chain(busy, legacy)
    point = checkpoint_of(busy, tmp_path / "cp.json")
    report = check(busy, point)
    assert report.ok and report.reached == point.last_id, report.problems


def test_the_fast_walk_computes_what_entry_hash_does(busy, monkeypatch):
    """verify hashes the time as text itself; entry_hash is only asked about a mismatch."""

    def not_asked(entry):
        raise AssertionError(f"entry_hash asked about row {entry}")

    monkeypatch.setattr(audit, "entry_hash", not_asked)
    assert check(busy).ok


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_time_stored_without_microseconds_still_verifies(busy):
    """A row written by other means ('2026-01-05 10:00:00') takes entry_hash's own path."""
    with as_owner(busy) as conn:
        conn.execute(text("UPDATE audit_log SET at = '2026-01-05 10:00:00' WHERE id = 2"))
    assert check(busy).problems == ["rij 2: inhoud is gewijzigd"]
    rewrite_chain(busy, lambda entry: None)
    with busy.engine.connect() as conn:
        assert conn.scalar(text("SELECT at FROM audit_log WHERE id = 2")).startswith(
            "2026-01-05 10:00:00")
    assert check(busy).ok
    with as_owner(busy) as conn:
        conn.execute(text("UPDATE audit_log SET at = 'kapot' WHERE id = 3"))
    assert check(busy).problems == ["rij 3: inhoud is gewijzigd"]


def test_many_problems_are_counted_not_listed(busy, monkeypatch):
    monkeypatch.setattr(audit, "MAX_PROBLEMS", 2)
    with as_owner(busy) as conn:
        conn.execute(update(AuditEntry).values(actor="iemand"))
    report = check(busy)
    rows = report.rows
    first, second = row_ids(busy)[:2]
    assert report.problems == [f"rij {first}: inhoud is gewijzigd",
                               f"rij {second}: inhoud is gewijzigd"]
    assert report.more == rows - 2 and report.problem_count == rows


# -- signed checkpoints -----------------------------------------------------------------------


def test_signed_checkpoint(busy, tmp_path, monkeypatch):
    path = tmp_path / "cp.json"
    point = checkpoint_of(busy, path, key=KEY)
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["ondertekend"] is True and len(stored["handtekening"]) == 64
    assert check(busy, read_checkpoint(path), key=KEY).reached == point.last_id
    monkeypatch.setenv(audit.KEY_VARIABLE, KEY)  # the key from the environment
    assert check(busy, read_checkpoint(path)).ok

    # Whoever rewrote the chain fits the checkpoint to it; without the key the signature fails.
    def forge(entry) -> None:
        if entry.id == 2:
            entry.after = '{"bedrag": 1}'

    rewrite_chain(busy, forge)
    with busy.read() as session:
        forged_hash = session.scalar(select(AuditEntry.hash).where(
            AuditEntry.id == point.last_id))
    stored["laatste_hash"] = forged_hash
    path.write_text(json.dumps(stored), encoding="utf-8")
    report = check(busy, read_checkpoint(path))
    assert report.problems == ["controlepunt cp.json: de handtekening klopt niet (het bestand "
                               "is gewijzigd, of ondertekend met een andere sleutel)"]
    assert report.reached is None

    # ... and dropping the signature does not help while the verifier has a key.
    del stored["handtekening"]
    stored["ondertekend"] = False
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert "niet ondertekend" in check(busy, read_checkpoint(path)).problems[0]


def test_signed_checkpoint_needs_the_key_and_the_right_one(busy, tmp_path):
    path = tmp_path / "cp.json"
    checkpoint_of(busy, path, key=KEY)
    assert "HHB_AUDIT_KEY is niet gezet" in check(busy, read_checkpoint(path)).problems[0]
    assert "klopt niet" in check(busy, read_checkpoint(path), key="anders").problems[0]


# -- unreadable checkpoint files ------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    (None, "Kan controlepunt"),
    ("{niet: json", "geen geldig JSON-bestand"),
    ('{"soort": "iets anders"}', "geen controlepunt van het logboek"),
    ('{"soort": "huishoudboekje logboek-controlepunt", "versie": 1, "laatste_rij": "12", '
     '"laatste_hash": "' + "0" * 64 + '", "ondertekend": false}',
     "'laatste_rij' ontbreekt of is ongeldig"),
    ('{"soort": "huishoudboekje logboek-controlepunt", "versie": 1, "laatste_hash": "xyz"}',
     "'laatste_hash' is geen sha256"),
])
def test_unreadable_checkpoint_files(tmp_path, content, message):
    path = tmp_path / "cp.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CheckpointError, match=message) as caught:
        read_checkpoint(path)
    assert "\n" not in str(caught.value)


# -- the command line -----------------------------------------------------------------------


def test_cli_checkpoint_and_verify(capsys, busy, db_url, tmp_path):
    path = tmp_path / "cp.json"
    code, out, err = run(capsys, "--db", db_url, "audit", "checkpoint", "--out", str(path))
    point = read_checkpoint(path)
    assert code == 0 and err == ""
    assert out == (f"Controlepunt geschreven: rij {point.last_id}, {point.last_hash[:16]}… "
                   f"naar {path}\n")

    code, out, err = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint", str(path))
    assert code == 0 and err == ""
    assert out == (f"Logboek in orde: {point.rows} rijen, bereikt controlepunt rij "
                   f"{point.last_id}\n")

    remove_tail(busy, 2)
    code, out, _ = run(capsys, "--db", db_url, "audit", "verify")
    assert code == 0 and out == f"Logboek in orde: {point.rows - 2} rijen\n"
    code, out, err = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint", str(path))
    lines = err.splitlines()
    assert code == 1 and out == ""
    assert lines == [
        f"huishoudboekje: logboek is geschonden vanaf rij {point.last_id} (1 probleem)",
        f"  rij {point.last_id} ontbreekt: het logboek houdt op bij rij {last_id(busy)}, "
        f"controlepunt cp.json reikt tot rij {point.last_id}"]


def test_cli_checkpoint_folder_and_bad_files(capsys, busy, db_url, tmp_path):
    folder = tmp_path / "controlepunten"
    folder.mkdir()
    code, _, err = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint", str(folder))
    assert code == 1 and err.count("\n") == 1 and "Geen controlepunten" in err
    run(capsys, "--db", db_url, "audit", "checkpoint", "--out",
        str(folder / "logboek-2026-01-01.json"))
    code, out, _ = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint", str(folder))
    assert code == 0 and "bereikt controlepunt rij" in out

    (folder / "logboek-2026-01-02.json").write_text("kapot", encoding="utf-8")
    code, out, err = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint", str(folder))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("huishoudboekje: Controlepunt ") and "geen geldig JSON" in err
    code, _, err = run(capsys, "--db", db_url, "audit", "verify", "--checkpoint",
                       str(tmp_path / "weg.json"))
    assert code == 1 and err.count("\n") == 1 and "Kan controlepunt" in err
    assert "Traceback" not in err

    code, _, err = run(capsys, "--db", db_url, "audit", "checkpoint", "--out",
                       str(tmp_path / "geen-map" / "cp.json"))
    assert code == 1 and err.count("\n") == 1 and "bestaat niet" in err


def test_cli_changed_row_is_the_first_line(capsys, busy, db_url):
    target = row_ids(busy)[3]
    with as_owner(busy) as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == target).values(actor="iemand"))
    code, _, err = run(capsys, "--db", db_url, "audit", "verify")
    assert code == 1
    assert err.splitlines() == [f"huishoudboekje: logboek is geschonden vanaf rij {target} "
                                "(1 probleem)", f"  rij {target}: inhoud is gewijzigd"]


# -- the daily checkpoint -------------------------------------------------------------------


def test_daily_checkpoint_once_a_day(busy, tmp_path):
    assert daily_checkpoint(busy) is None  # no folder set: nothing
    folder = tmp_path / "controlepunten"
    folder.mkdir()
    assert set_checkpoint_folder(busy.unit_of_work(), str(folder)) == folder
    with busy.read() as session:
        setting_row = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert audit.checkpoint_folder(session) == folder
    assert setting_row.action == "controlepuntmap ingesteld"
    assert json.loads(setting_row.after) == {"map": str(folder)}

    today = date(2026, 3, 2)
    written = daily_checkpoint(busy, today)
    assert written == folder / "logboek-2026-03-02.json"
    first = written.read_text(encoding="utf-8")
    assert read_checkpoint(written).last_id == last_id(busy)
    more_history(busy, "cem")
    assert daily_checkpoint(busy, today) is None  # once a day: the file stays as it was
    assert written.read_text(encoding="utf-8") == first
    tomorrow = daily_checkpoint(busy, today + timedelta(days=1))
    assert tomorrow == folder / "logboek-2026-03-03.json"
    report = check(busy, audit.read_checkpoints(folder))
    assert report.ok and report.reached == last_id(busy) and report.checkpoints == 2

    assert set_checkpoint_folder(busy.unit_of_work(), "") is None  # off again
    assert daily_checkpoint(busy, today + timedelta(days=2)) is None
    assert sorted(p.name for p in folder.iterdir()) == [
        "logboek-2026-03-02.json", "logboek-2026-03-03.json"]


def test_daily_checkpoint_survives_a_folder_it_cannot_write(busy, tmp_path, caplog):
    folder = tmp_path / "share"
    folder.mkdir()
    set_checkpoint_folder(busy.unit_of_work(), folder)
    folder.rmdir()
    folder.write_text("geen map meer", encoding="utf-8")  # e.g. a share that went away
    with caplog.at_level(logging.WARNING, logger="app.services.audit"):
        assert daily_checkpoint(busy, date(2026, 3, 2)) is None
    assert "checkpoint not written" in caplog.text


def test_checkpoint_folder_must_exist_and_is_for_the_beheerder(busy, db_url, tmp_path):
    with pytest.raises(ValidationError, match="bestaat niet"):
        set_checkpoint_folder(busy.unit_of_work(), tmp_path / "nergens")
    if db_url.startswith("sqlite"):  # on PostgreSQL the role comes from the login, not the name
        with busy.read() as session:
            clerk = session.scalar(select(Employee.username).where(
                Employee.role == Role.BACKOFFICE, Employee.active).limit(1))
        with pytest.raises(ForbiddenError, match="controlepuntmap instellen"):
            set_checkpoint_folder(busy.unit_of_work(clerk), tmp_path)
        with busy.read() as session:
            refused = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert (refused.action, refused.result) == ("controlepuntmap instellen", "geweigerd")


# -- PostgreSQL: the owner needs the maintenance flag ---------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'iemand' WHERE id = 2",
    "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
    "TRUNCATE audit_log",
    "UPDATE audit_head SET last_id = 1",
    "TRUNCATE audit_head",
])
def test_owner_without_the_maintenance_flag_is_refused(busy, statement):
    before = check(busy)
    with pytest.raises(DBAPIError, match="Het logboek kan alleen worden aangevuld") as caught, \
            busy.engine.begin() as conn:
        conn.execute(text(statement))
    assert caught.value.orig.sqlstate == "42501"
    after = check(busy)
    assert after.ok and after.rows == before.rows


# -- Instellingen › Logboek -----------------------------------------------------------------


def test_settings_panel_sets_the_folder_and_checks(qtbot, busy, tmp_path):
    from app.ui.settings_screen import AuditTrailPanel

    panel = AuditTrailPanel(busy)
    qtbot.addWidget(panel)
    folder = tmp_path / "controlepunten"
    folder.mkdir()
    panel.save_folder(str(folder))
    qtbot.waitUntil(lambda: panel.folder.text() == str(folder), timeout=10_000)
    assert daily_checkpoint(busy, date(2026, 3, 2)) is not None

    with qtbot.waitSignal(panel.checked, timeout=10_000) as shown:
        panel.check()
    assert shown.args == [f"Logboek in orde: {len(row_ids(busy))} rijen, bereikt controlepunt "
                          f"rij {last_id(busy)}"]

    end = last_id(busy)
    remove_tail(busy)
    with qtbot.waitSignal(panel.checked, timeout=10_000) as shown:
        panel.check()
    assert shown.args[0].startswith(f"Logboek is geschonden vanaf rij {end} (1 probleem): "
                                    f"rij {end} ontbreekt")

    panel.save_folder(str(tmp_path / "nergens"))
    qtbot.waitUntil(lambda: not panel.error.isHidden(), timeout=10_000)
    assert "bestaat niet" in panel.error.text()

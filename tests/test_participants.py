"""Dossier services on SQLite and PostgreSQL: rules, status steps, audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ConflictError, NotFoundError, ValidationError
from app.models import BankAccount, ContactNote, Participant, ParticipantStatus, Role, Variant
from app.services import participants as svc
from app.services.employees import add_employee
from tests.helpers import VALID_BSNS, audit_json, audit_rows, bsn_of, last_audit

S = ParticipantStatus


def new_participant(db, **overrides) -> int:
    values = dict(bsn=VALID_BSNS[0], first_name="Fatma", last_name="Yılmaz",
                  street="Oudegracht", house_number="12A", postcode="3511ax", city="Utrecht",
                  birth_date=date(1968, 4, 2), registered_on=date(2025, 12, 1))
    values.update(overrides)
    return svc.create_participant(db.unit_of_work("tester"), **values)


def load(db, participant_id) -> Participant:
    with db.read() as session:
        participant = session.get(Participant, participant_id)
        _ = participant.status_changes, participant.accounts  # load before the session closes
        return participant


def test_create_participant_normalises_and_audits(db):
    pid = new_participant(db, iban="nl91 abna 0417 1643 00", infix="Van Der")
    p = load(db, pid)
    assert p.number == "HHB-00001"
    assert (p.house_number, p.house_number_suffix, p.postcode) == (12, "A", "3511 AX")
    assert p.infix == "van der"
    assert p.status is S.REGISTERED and p.variant is Variant.FULL
    assert p.buffer_limit_cents == 150_000
    assert [a.iban for a in p.accounts] == ["NL91ABNA0417164300"]
    assert [c.status for c in p.status_changes] == [S.REGISTERED]
    entry = last_audit(db)
    assert (entry.action, entry.entity, entry.entity_id, entry.actor) == (
        "deelnemer aangemaakt", "participants", str(pid), "tester")
    assert audit_json(entry, "after")["last_name"] == "Yılmaz"


def test_dossier_numbers_continue_from_the_highest(db):
    new_participant(db, number="HHB-00041")
    second = new_participant(db, bsn=VALID_BSNS[1])
    assert load(db, second).number == "HHB-00042"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bsn": "123456789"}, "11-proef"),
        ({"postcode": "0123 AB"}, "postcode"),
        ({"iban": "NL91ABNA0417164301"}, "IBAN"),
        ({"email": "geen-adres"}, "e-mailadres"),
        ({"house_number": "A"}, "huisnummer"),
        ({"birth_date": date(2099, 1, 1)}, "geboortedatum"),
        ({"last_name": " "}, "achternaam is verplicht"),
        ({"variant": "half"}, "variant"),
        ({"overview_language": "fr"}, "taal"),
        ({"allowance_frequency": "week", "allowance_day": 9}, "weekdag"),
        ({"buffer_limit_cents": -1}, "buffer"),
        ({"contact_employee_id": 999}, "Medewerker 999 bestaat niet"),
    ],
)
def test_invalid_dossier_is_refused_and_nothing_stored(db, overrides, message):
    with pytest.raises(ValidationError, match=message):
        new_participant(db, **overrides)
    with db.read() as session:
        assert session.scalars(select(Participant)).all() == []
    assert audit_rows(db) == []


def test_duplicate_dossier_number_and_bsn_are_refused(db):
    new_participant(db, number="HHB-00007")
    with pytest.raises(ValidationError, match="HHB-00007 is al in gebruik"):
        new_participant(db, number="hhb-00007", bsn=VALID_BSNS[1])
    with pytest.raises(ValidationError, match=r"BSN \*\*\*\*\*\*333 is al in gebruik"):
        new_participant(db, number="HHB-00008")


def test_iban_of_another_owner_is_refused_naming_the_owner(db):
    new_participant(db, number="HHB-00001", iban="NL91ABNA0417164300")
    with pytest.raises(ValidationError, match="deelnemer HHB-00001"):
        new_participant(db, number="HHB-00002", bsn=VALID_BSNS[1], iban="NL91ABNA0417164300")


def test_update_participant_audits_only_what_changed(db):
    pid = new_participant(db)
    svc.update_participant(db.unit_of_work("jan"), pid, phone="030-1234567",
                           paper_overview="ja", large_print=True)
    p = load(db, pid)
    assert (p.phone, p.paper_overview, p.large_print) == ("030-1234567", True, True)
    entry = last_audit(db)
    assert entry.action == "deelnemer gewijzigd" and entry.actor == "jan"
    assert audit_json(entry, "before") == {"phone": None, "paper_overview": False,
                                           "large_print": False}
    assert audit_json(entry, "after") == {"phone": "030-1234567", "paper_overview": True,
                                          "large_print": True}


def test_update_to_a_taken_bsn_is_refused(db):
    new_participant(db)
    second = new_participant(db, bsn=VALID_BSNS[1])
    with pytest.raises(ValidationError, match="al in gebruik"):
        svc.update_participant(db.unit_of_work("t"), second, bsn=VALID_BSNS[0])
    assert bsn_of(db, second) == VALID_BSNS[1]


def test_stale_edit_is_refused_instead_of_overwriting(db):
    pid = new_participant(db)
    shown_version = load(db, pid).version  # both clerks opened the dossier
    svc.update_participant(db.unit_of_work("b"), pid, expected_version=shown_version,
                           phone="0612345678")
    with pytest.raises(ConflictError, match="Iemand anders"):
        svc.update_participant(db.unit_of_work("a"), pid, expected_version=shown_version,
                               city="Zeist")
    p = load(db, pid)
    assert (p.city, p.phone) == ("Utrecht", "0612345678")


@pytest.mark.parametrize(
    "path",
    [
        [S.INTAKE, S.ACTIVE, S.CANCELLED, S.ENDED],
        [S.INTAKE, S.ENDED],
        [S.ENDED],
        [S.INTAKE, S.ACTIVE, S.CANCELLED, S.ACTIVE],
    ],
    ids=["full-path", "drop-out-after-intake", "drop-out-at-registration", "withdrawn-cancel"],
)
def test_allowed_status_paths(db, path):
    pid = new_participant(db)
    for step, status in enumerate(path, start=1):
        reason = "verhuisd naar Amersfoort" if status in svc.NEEDS_REASON else None
        svc.change_status(db.unit_of_work("t"), pid, status, date(2026, 1, step), reason)
        assert last_audit(db).action == f"status {status.value}"
    p = load(db, pid)
    assert p.status is path[-1]
    assert [c.status for c in p.status_changes] == [S.REGISTERED, *path]
    assert [c.date for c in p.status_changes][1:] == [date(2026, 1, i)
                                                     for i in range(1, len(path) + 1)]
    if S.ACTIVE in path:
        assert p.start_date == date(2026, 1, path.index(S.ACTIVE) + 1)
    if path[-1] is S.ENDED:
        assert p.end_date == date(2026, 1, len(path))
        assert p.exit_reason == "verhuisd naar Amersfoort"
    if path[-1] is S.ACTIVE:
        assert p.exit_reason is None


# How to reach each status, to try every step that is not allowed from it.
REACH = {S.REGISTERED: [], S.INTAKE: [S.INTAKE], S.ACTIVE: [S.INTAKE, S.ACTIVE],
         S.CANCELLED: [S.INTAKE, S.ACTIVE, S.CANCELLED], S.ENDED: [S.ENDED]}
REFUSED_STEPS = [(REACH[old], new) for old in S for new in S if new not in svc.TRANSITIONS[old]]


def test_the_allowed_steps_are_the_designed_ones():
    allowed = {(old, new) for old in S for new in svc.TRANSITIONS[old]}
    assert allowed == {(S.REGISTERED, S.INTAKE), (S.REGISTERED, S.ENDED), (S.INTAKE, S.ACTIVE),
                       (S.INTAKE, S.ENDED), (S.ACTIVE, S.CANCELLED), (S.CANCELLED, S.ACTIVE),
                       (S.CANCELLED, S.ENDED)}


@pytest.mark.parametrize(("path", "refused"), REFUSED_STEPS,
                         ids=[f"{(p or [S.REGISTERED])[-1]}->{r}" for p, r in REFUSED_STEPS])
def test_refused_status_steps(db, path, refused):
    pid = new_participant(db)
    for step, status in enumerate(path, start=1):
        svc.change_status(db.unit_of_work("t"), pid, status, date(2026, 1, step), "reden")
    with pytest.raises(ValidationError, match="kan niet naar"):
        svc.change_status(db.unit_of_work("t"), pid, refused, date(2026, 2, 1), "reden")
    assert load(db, pid).status is (path[-1] if path else S.REGISTERED)


def test_leaving_needs_a_reason_and_dates_do_not_go_back(db):
    pid = new_participant(db, registered_on=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="reden"):
        svc.change_status(db.unit_of_work("t"), pid, S.ENDED, date(2026, 3, 2), "  ")
    with pytest.raises(ValidationError, match="vóór de vorige stap"):
        svc.change_status(db.unit_of_work("t"), pid, S.INTAKE, date(2026, 2, 28))
    svc.end_participant(db.unit_of_work("t"), pid, date(2026, 3, 5), "geen interesse")
    assert load(db, pid).status is S.ENDED


def test_contact_note_is_logged_with_author(db):
    pid = new_participant(db)
    svc.add_contact_note(db.unit_of_work("marieke"), pid, "Gebeld over de huur.", "telefoon")
    with db.read() as session:
        [note] = session.scalars(select(ContactNote)).all()
    assert (note.author, note.text, note.kind.value) == ("marieke", "Gebeld over de huur.",
                                                          "telefoon")
    assert last_audit(db).action == "notitie toegevoegd"
    with pytest.raises(ValidationError, match="notitie is verplicht"):
        svc.add_contact_note(db.unit_of_work("marieke"), pid, "   ")


def test_opening_a_dossier_and_showing_the_bsn_are_logged(db):
    pid = new_participant(db)
    svc.open_dossier(db.unit_of_work("marieke"), pid)
    assert last_audit(db).action == "dossier geopend"
    assert svc.reveal_bsn(db.unit_of_work("marieke"), pid) == VALID_BSNS[0]
    entry = last_audit(db)
    assert (entry.action, entry.actor, entry.entity_id) == ("BSN getoond", "marieke", str(pid))
    assert VALID_BSNS[0] not in (entry.after or "")


def test_participant_account_and_unknown_participant(db):
    pid = new_participant(db)
    svc.add_participant_account(db.unit_of_work("t"), pid, "NL20INGB0001234567")
    with db.read() as session:
        account = session.scalar(select(BankAccount))
    assert (account.participant_id, account.holder_name) == (pid, "Fatma Yılmaz")
    assert last_audit(db).action == "rekening deelnemer toegevoegd"
    with pytest.raises(NotFoundError):
        svc.open_dossier(db.unit_of_work("t"), 999)


def test_contact_person_is_an_employee(db):
    employee_id = add_employee(db.unit_of_work("admin"), "marieke", Role.FRONTOFFICE,
                               name="Marieke de Vries")
    pid = new_participant(db, contact_employee_id=employee_id)
    with db.read() as session:
        assert session.get(Participant, pid).contact_employee.name == "Marieke de Vries"


# -- Search without accents -----------------------------------------------------------------------


def search(db, text: str) -> list[int]:
    from app.services.queries import ParticipantFilter, participant_ids

    with db.read() as session:
        return participant_ids(session, ParticipantFilter(search=text))


def test_search_ignores_accents_and_case(db):
    celik = new_participant(db, bsn=VALID_BSNS[0], first_name="Emre", last_name="Çelik")
    ozturk = new_participant(db, bsn=VALID_BSNS[1], first_name="Ayşe", last_name="Öztürk")
    bjorn = new_participant(db, bsn=VALID_BSNS[2], first_name="Bjørn", infix="van der",
                            last_name="Zee")
    yilmaz = new_participant(db, bsn=VALID_BSNS[3], first_name="Fatma", last_name="Yılmaz")
    assert search(db, "celik") == [celik]
    assert search(db, "ÇELİK") == [celik]
    assert search(db, "Çelik") == [celik]
    assert search(db, "ozturk") == search(db, "oztürk") == search(db, "ÖZTÜRK") == [ozturk]
    assert search(db, "ayse ozt") == [ozturk]
    assert search(db, "bjorn") == search(db, "Bjørn") == [bjorn]
    assert search(db, "van der zee") == [bjorn]
    assert search(db, "yilmaz") == search(db, "Yılmaz") == [yilmaz]
    assert search(db, "emre") == [celik]
    assert search(db, "e_r") == [] and search(db, "%") == []  # LIKE wildcards are plain text


def test_the_search_name_follows_an_edit_of_the_name(db):
    pid = new_participant(db, first_name="Jan", last_name="Jansen")
    svc.update_participant(db.unit_of_work("tester"), pid, last_name="Güneş")
    assert search(db, "gunes") == [pid]
    assert search(db, "jansen") == []
    assert load(db, pid).search_name == "jan gunes"
    entry = last_audit(db)
    assert audit_json(entry, "after") == {"last_name": "Güneş"}  # the derived column is no news


def test_the_migration_folds_the_names_of_existing_participants(empty_db_url):
    from alembic import command
    from sqlalchemy import text

    from app.db import Database, alembic_config, make_engine

    engine = make_engine(empty_db_url)
    command.upgrade(alembic_config(engine), "0003")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO participants (id, number, bsn, first_name, infix, last_name, status, "
            "variant, buffer_limit_cents, paper_overview, overview_delivery, overview_language, "
            "large_print, created_at, updated_at, version) VALUES (7, 'HHB-00007', '111222333', "
            "'Şükrü', NULL, 'Çelik', 'actief', 'volledig', 150000, false, 'post', 'nl', false, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"))
    command.upgrade(alembic_config(engine), "head")
    engine.dispose()
    db = Database.open(empty_db_url)
    try:
        assert search(db, "sukru celik") == [7]
    finally:
        db.dispose()

"""Instellingen: categories (add, rename, make inactive) and employees (edit, make inactive), on
SQLite and PostgreSQL, each one transaction with one audit row and a clear Dutch refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import AuditEntry, Category, Employee, Participant, Role
from app.services import agreements as agr
from app.services.categories import add_category, rename_category, set_category_active
from app.services.employees import add_employee, set_employee_active, update_employee
from app.services.participants import create_participant, update_participant
from app.services.queries import category_lines, dossier_view, employee_choices
from app.services.queue import list_categories
from tests.helpers import VALID_BSNS, audit_json, last_audit


def audit_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def category(db, name: str) -> Category:
    with db.read() as session:
        return session.scalar(select(Category).where(Category.name == name))


def test_add_rename_and_deactivate_a_category(db):
    cid = add_category(db.unit_of_work("beheer"), "  Kinderopvang ", "vaste_last")
    entry = last_audit(db)
    assert (entry.action, entry.actor) == ("rubriek toegevoegd", "beheer")
    assert audit_json(entry, "after")["name"] == "Kinderopvang"
    rename_category(db.unit_of_work("beheer"), cid, "kinderopvang (BSO)")
    entry = last_audit(db)
    assert entry.action == "rubriek hernoemd"
    assert (audit_json(entry, "before"), audit_json(entry, "after")) == (
        {"name": "Kinderopvang"}, {"name": "kinderopvang (BSO)"})
    set_category_active(db.unit_of_work("beheer"), cid, False)
    assert last_audit(db).action == "rubriek gedeactiveerd"
    with db.read() as session:
        lines = {line.name: line for line in category_lines(session)}
    assert lines["kinderopvang (BSO)"].active is False
    assert lines["huur"].active is True
    set_category_active(db.unit_of_work("beheer"), cid, True)
    assert category(db, "kinderopvang (BSO)").active


def test_category_refusals_are_clear_and_store_nothing(db):
    before = audit_count(db)
    with pytest.raises(ValidationError, match="Er is al een rubriek met de naam 'Huur'"):
        add_category(db.unit_of_work("t"), "Huur", "vaste_last")
    with pytest.raises(ValidationError, match="naam is verplicht"):
        add_category(db.unit_of_work("t"), "  ", "vaste_last")
    with pytest.raises(ValidationError, match="soort"):
        add_category(db.unit_of_work("t"), "Iets", "geen soort")
    water = category(db, "water").id
    with pytest.raises(ValidationError, match="Er is al een rubriek met de naam 'energie'"):
        rename_category(db.unit_of_work("t"), water, "energie")
    with pytest.raises(ValidationError, match="verplicht bij variant 'volledig'"):
        set_category_active(db.unit_of_work("t"), water, False)
    for name in ("leefgeld", "onbekend"):
        with pytest.raises(ValidationError, match="gebruikt het programma zelf"):
            rename_category(db.unit_of_work("t"), category(db, name).id, "iets anders")
        with pytest.raises(ValidationError, match="gebruikt het programma zelf"):
            set_category_active(db.unit_of_work("t"), category(db, name).id, False)
    assert audit_count(db) == before
    assert category(db, "water").active and category(db, "leefgeld").name == "leefgeld"


def test_a_category_in_use_is_made_inactive_not_deleted(db):
    pid = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[0], last_name="Jansen",
                             iban="NL20INGB0001234567")
    telephone = category(db, "telefoon").id
    agr.create_agreement(db.unit_of_work("t"), pid, direction="uitgave", amount_cents=2500,
                         frequency="maand", day=1, valid_from=date(2026, 1, 1),
                         category="telefoon")
    set_category_active(db.unit_of_work("t"), telephone, False)
    rename_category(db.unit_of_work("t"), telephone, "mobiele telefoon")
    with db.read() as session:
        view = dossier_view(session, pid)
    assert [a.category for a in view.agreements] == ["mobiele telefoon"]


def test_a_deactivated_category_is_no_longer_offered_but_old_agreements_keep_it(db):
    pid = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[2], last_name="Bakker",
                             iban="NL44RABO0123456789")
    agreement = agr.create_agreement(
        db.unit_of_work("t"), pid, direction="uitgave", amount_cents=2500, frequency="maand",
        day=1, valid_from=date(2026, 1, 1), category="telefoon")
    set_category_active(db.unit_of_work("t"), category(db, "telefoon").id, False)
    with db.read() as session:
        assert "telefoon" not in [c.name for c in list_categories(session)]  # queue pick list
    with pytest.raises(ValidationError, match="'telefoon' is niet meer in gebruik"):
        agr.create_agreement(db.unit_of_work("t"), pid, direction="uitgave", amount_cents=900,
                             frequency="maand", day=5, valid_from=date(2026, 2, 1),
                             category="telefoon")
    # Editing the old agreement keeps its category; choosing it for another one is refused.
    agr.update_agreement(db.unit_of_work("t"), agreement, amount_cents=2600, category="telefoon")
    other = agr.create_agreement(
        db.unit_of_work("t"), pid, direction="uitgave", amount_cents=900, frequency="maand",
        day=5, valid_from=date(2026, 2, 1), category="huur")
    with pytest.raises(ValidationError, match="niet meer in gebruik"):
        agr.update_agreement(db.unit_of_work("t"), other, category="telefoon")
    with db.read() as session:
        assert sorted(a.category for a in dossier_view(session, pid).agreements) == [
            "huur", "telefoon"]


def test_edit_an_employee_and_keep_one_admin(db):
    admin = add_employee(db.unit_of_work("t"), "anna", Role.ADMIN, name="Anna Admin")
    clerk = add_employee(db.unit_of_work("t"), "piet", "backoffice", name="Piet")
    update_employee(db.unit_of_work("anna"), clerk, name="Piet de Vries", role="teamleader",
                    phone="030 123 4567", email="piet@gemeente.example")
    entry = last_audit(db)
    assert entry.action == "medewerker gewijzigd"
    assert audit_json(entry, "before") == {"name": "Piet", "role": "backoffice",
                                           "phone": None, "email": None}
    with db.read() as session:
        piet = session.get(Employee, clerk)
        assert (piet.name, piet.role, piet.username) == ("Piet de Vries", Role.TEAMLEADER, "piet")
        assert piet.email == "piet@gemeente.example"
    before = audit_count(db)
    update_employee(db.unit_of_work("anna"), clerk, name="Piet de Vries")  # nothing changed
    assert audit_count(db) == before
    with pytest.raises(ValidationError, match="naam is verplicht"):
        update_employee(db.unit_of_work("anna"), clerk, name=" ")
    with pytest.raises(ValidationError, match="rol"):
        update_employee(db.unit_of_work("anna"), clerk, role="baas")
    with pytest.raises(ValidationError, match="enige actieve beheerder"):
        update_employee(db.unit_of_work("anna"), admin, role="backoffice")
    with pytest.raises(ValidationError, match="enige actieve beheerder"):
        set_employee_active(db.unit_of_work("anna"), admin, False)
    assert audit_count(db) == before
    update_employee(db.unit_of_work("anna"), clerk, role=Role.ADMIN)
    set_employee_active(db.unit_of_work("piet"), admin, False)  # now another admin is left
    assert last_audit(db).action == "medewerker gedeactiveerd"


def test_a_deactivated_employee_stays_on_the_dossiers_of_their_caseload(db):
    leaving = add_employee(db.unit_of_work("t"), "karin", "frontoffice", name="Karin Vertrek")
    staying = add_employee(db.unit_of_work("t"), "bram", "frontoffice", name="Bram Blijft")
    pid = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[1], last_name="Yilmaz",
                             contact_employee_id=leaving)
    set_employee_active(db.unit_of_work("t"), leaving, False)
    with pytest.raises(ValidationError, match="Karin Vertrek is al inactief"):
        set_employee_active(db.unit_of_work("t"), leaving, False)
    with db.read() as session:
        view = dossier_view(session, pid)
        assert view.contact_person == "Karin Vertrek"
        # offered on her own dossier (so saving it keeps her), not for new assignments
        assert (leaving, "Karin Vertrek") in view.employees
        assert employee_choices(session) == [(staying, "Bram Blijft")]
    update_participant(db.unit_of_work("t"), pid, city="Utrecht")
    with db.read() as session:
        assert session.get(Participant, pid).contact_employee_id == leaving
    set_employee_active(db.unit_of_work("t"), leaving, True)
    assert last_audit(db).action == "medewerker geactiveerd"

"""Organisations, accounts, employees and agreements on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import NotFoundError, ValidationError
from app.models import Agreement, BankAccount, Direction, Employee, Organisation, Role
from app.services import agreements as agr
from app.services.accounts import add_municipal_account
from app.services.employees import add_employee
from app.services.organisations import (
    add_organisation_account,
    create_organisation,
    update_organisation,
)
from app.services.participants import create_participant
from tests.helpers import VALID_BSNS, audit_json, last_audit

UWV_IBAN = "NL91ABNA0417164300"
PARTICIPANT_IBAN = "NL20INGB0001234567"


@pytest.fixture
def setup(db):
    org = create_organisation(db.unit_of_work("t"), name="UWV", kind="inkomen", kvk="33302047",
                              ibans=[UWV_IBAN])
    pid = create_participant(db.unit_of_work("t"), bsn=VALID_BSNS[0], last_name="Jansen",
                             iban=PARTICIPANT_IBAN)
    with db.read() as session:
        uwv_account = session.scalar(select(BankAccount.id).where(BankAccount.iban == UWV_IBAN))
        own_account = session.scalar(
            select(BankAccount.id).where(BankAccount.iban == PARTICIPANT_IBAN))
    return dict(org=org, pid=pid, uwv_account=uwv_account, own_account=own_account)


def uwv_agreement(db, setup, **overrides) -> int:
    values = dict(organisation_id=setup["org"], counter_account_id=setup["uwv_account"],
                  direction="inkomst", amount_cents=81240, frequency="maand", day=25,
                  valid_from=date(2026, 1, 1), category="uitkering",
                  search_terms=["261.000.012.3"], description="WW-uitkering")
    values.update(overrides)
    return agr.create_agreement(db.unit_of_work("t"), setup["pid"], **values)


def test_organisation_with_accounts_and_audit(db):
    org = create_organisation(db.unit_of_work("t"), name="Eneco", kind="vaste_last",
                              ibans=["NL02 ABNA 0123 4567 89"], postcode="3011ab")
    with db.read() as session:
        organisation = session.get(Organisation, org)
        assert [a.iban for a in organisation.accounts] == ["NL02ABNA0123456789"]
        assert organisation.postcode == "3011 AB"
    entry = last_audit(db)
    assert entry.action == "organisatie aangemaakt"
    assert audit_json(entry, "after")["ibans"] == ["NL02ABNA0123456789"]
    add_organisation_account(db.unit_of_work("t"), org, "NL44RABO0123456789")
    assert last_audit(db).action == "rekening toegevoegd"
    update_organisation(db.unit_of_work("t"), org, phone="0800-0223")
    assert audit_json(last_audit(db), "after") == {"phone": "0800-0223"}


def test_organisation_rules(db):
    create_organisation(db.unit_of_work("t"), name="Vitens")
    with pytest.raises(ValidationError, match="al een organisatie"):
        create_organisation(db.unit_of_work("t"), name="vitens")
    with pytest.raises(ValidationError, match="KvK"):
        create_organisation(db.unit_of_work("t"), name="X", kvk="12")
    with pytest.raises(ValidationError, match="soort"):
        create_organisation(db.unit_of_work("t"), name="Y", kind="bank")
    with pytest.raises(ValidationError, match="Ongeldig IBAN"):
        create_organisation(db.unit_of_work("t"), name="Z", ibans=["NL00XXXX0000000000"])


def test_municipal_account(db):
    add_municipal_account(db.unit_of_work("beheer"), "NL86 INGB 0002 4455 88", "Gemeente Utrecht")
    with db.read() as session:
        account = session.scalar(select(BankAccount))
    assert (account.iban, account.is_municipal) == ("NL86INGB0002445588", True)
    assert last_audit(db).action == "gemeentelijke rekening toegevoegd"
    with pytest.raises(ValidationError, match="al geregistreerd.*de gemeente"):
        add_municipal_account(db.unit_of_work("beheer"), "NL86INGB0002445588", "Nog eens")


def test_employee_roles(db):
    add_employee(db.unit_of_work("beheer"), "Marieke", "frontoffice", name="Marieke de Vries")
    with db.read() as session:
        employee = session.scalar(select(Employee))
    assert (employee.username, employee.role) == ("marieke", Role.FRONTOFFICE)
    assert last_audit(db).action == "medewerker toegevoegd"
    with pytest.raises(ValidationError, match="bestaat al"):
        add_employee(db.unit_of_work("beheer"), "marieke", "backoffice")
    with pytest.raises(ValidationError, match="kies uit backoffice"):
        add_employee(db.unit_of_work("beheer"), "piet", "directeur")


def test_create_agreement_with_search_terms(db, setup):
    aid = uwv_agreement(db, setup)
    with db.read() as session:
        agreement = session.get(Agreement, aid)
        assert agreement.direction is Direction.INCOME
        assert agreement.amount_cents == 81240
        assert agreement.tolerance_percent == Decimal("2.00")
        assert agreement.category.name == "uitkering" and not agreement.mandatory
        assert [(t.term, t.normalised) for t in agreement.search_terms] == [
            ("261.000.012.3", "2610000123")]
    assert last_audit(db).action == "afspraak aangemaakt"


def test_fixed_cost_categories_make_the_agreement_mandatory(db, setup):
    org = create_organisation(db.unit_of_work("t"), name="Portaal", kind="vaste_last")
    aid = agr.create_agreement(db.unit_of_work("t"), setup["pid"], organisation_id=org,
                               direction="uitgave", amount_cents=42410, frequency="maand",
                               day=1, valid_from=date(2026, 1, 1), category="Huur")
    with db.read() as session:
        assert session.get(Agreement, aid).mandatory is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_through": date(2025, 12, 31)}, "vóór de startdatum"),
        ({"amount_cents": 0}, "groter dan 0"),
        ({"amount_cents": 812.40}, "hele centen"),
        ({"direction": "in"}, "richting"),
        ({"frequency": "dagelijks"}, "frequentie"),
        ({"day": 32}, "dag van de maand"),
        ({"frequency": "week", "day": 8}, "weekdag"),
        ({"category": "loterij"}, "Onbekende rubriek"),
        ({"tolerance_percent": "150"}, "marge"),
        ({"search_terms": ["..--"]}, "Zoekterm zonder letters"),
    ],
)
def test_invalid_agreement_is_refused(db, setup, overrides, message):
    with pytest.raises(ValidationError, match=message):
        uwv_agreement(db, setup, **overrides)
    with db.read() as session:
        assert session.scalars(select(Agreement)).all() == []


def test_counter_account_must_belong_to_the_organisation_or_participant(db, setup):
    with pytest.raises(ValidationError, match="niet van de organisatie"):
        uwv_agreement(db, setup, counter_account_id=setup["own_account"])
    # leefgeld: no organisation, paid to the participant's own account
    aid = agr.create_agreement(db.unit_of_work("t"), setup["pid"],
                               counter_account_id=setup["own_account"], direction="uitgave",
                               amount_cents=11504, frequency="week", day=1,
                               valid_from=date(2026, 1, 5), category="leefgeld")
    assert aid
    with pytest.raises(ValidationError, match="niet van de deelnemer"):
        agr.create_agreement(db.unit_of_work("t"), setup["pid"],
                             counter_account_id=setup["uwv_account"], direction="uitgave",
                             amount_cents=11504, frequency="week",
                             valid_from=date(2026, 1, 5), category="leefgeld")


def test_update_and_end_agreement(db, setup):
    aid = uwv_agreement(db, setup)
    agr.update_agreement(db.unit_of_work("t"), aid, amount_cents=82000, category="bijstand")
    entry = last_audit(db)
    assert audit_json(entry, "before")["amount_cents"] == 81240
    assert audit_json(entry, "after")["amount_cents"] == 82000
    with pytest.raises(ValidationError, match="vóór de startdatum"):
        agr.end_agreement(db.unit_of_work("t"), aid, date(2025, 1, 1))
    agr.end_agreement(db.unit_of_work("t"), aid, date(2026, 6, 30))
    with db.read() as session:
        agreement = session.get(Agreement, aid)
        assert agreement.valid_through == date(2026, 6, 30)
        assert agreement.category.name == "bijstand"
        assert agreement.is_valid_on(date(2026, 6, 30))
        assert not agreement.is_valid_on(date(2026, 7, 1))
    assert last_audit(db).action == "afspraak beëindigd"


def test_search_terms_can_be_learned_and_forgotten(db, setup):
    aid = uwv_agreement(db, setup)
    term_id = agr.add_search_term(db.unit_of_work("t"), aid, "WW 2026-03", learned=True)
    with pytest.raises(ValidationError, match="al"):
        agr.add_search_term(db.unit_of_work("t"), aid, "2610000123")  # same once normalised
    agr.remove_search_term(db.unit_of_work("t"), term_id)
    entry = last_audit(db)
    assert entry.action == "zoekterm verwijderd"
    assert audit_json(entry, "before")["term"] == "WW 2026-03"
    with db.read() as session:
        assert [t.term for t in session.get(Agreement, aid).search_terms] == ["261.000.012.3"]
    with pytest.raises(NotFoundError):
        agr.remove_search_term(db.unit_of_work("t"), term_id)

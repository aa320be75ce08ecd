"""The dossier workbook import (DESIGN §7): a whole workbook is stored, or nothing of it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from schwifty import IBAN
from sqlalchemy import func, select

from app.importers.workbook import (
    AGREEMENT_COLUMNS,
    ORGANISATION_COLUMNS,
    PARTICIPANT_COLUMNS,
    AgreementRow,
    DossierBook,
    OrganisationRow,
    ParticipantRow,
    WorkbookError,
    read_workbook,
    write_workbook,
)
from app.models import (
    Agreement,
    AuditEntry,
    BankAccount,
    Category,
    Employee,
    Organisation,
    Participant,
    ParticipantStatus,
    Role,
    SearchTerm,
    StatusChange,
    Variant,
)
from app.services.dossier_import import ImportSummary, import_workbook
from tests.helpers import bsn_of

DATA = Path(__file__).parent / "data"


def bsn(n: int) -> str:
    """A BSN passing the 11-proef, made from an 8-digit start."""
    digits = f"{n:08d}"
    for last in range(10):
        total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) - last
        if total % 11 == 0:
            return digits + str(last)
    return bsn(n + 1)


def iban(n: int) -> str:
    return str(IBAN.generate("NL", bank_code="INGB", account_code=f"{n:010d}"))


UWV_1, UWV_2, WOONSTAD, ENECO = iban(9001), iban(9002), iban(9003), iban(9004)
JAN_IBAN, FATMA_IBAN = iban(1), iban(2)


def good_book() -> DossierBook:
    """Two organisations (UWV with two accounts), two participants, five agreements."""
    return DossierBook(
        organisations=[
            OrganisationRow(2, name="UWV", kvk="34567890", iban=UWV_1, kind="inkomen"),
            OrganisationRow(3, name="UWV", iban=UWV_2),
            OrganisationRow(4, name="Woonstad Rotterdam", iban=WOONSTAD, kind="vaste_last"),
            OrganisationRow(5, name="Eneco"),
        ],
        participants=[
            ParticipantRow(
                2, number="HHB-00001", bsn="111222333", first_name="Jan", infix="de",
                last_name="Vries", birth_date=date(1961, 4, 12), street="Kerkstraat",
                house_number="12a", postcode="3011ab", city="Rotterdam", phone="010-1234567",
                email="jan@example.nl", iban=JAN_IBAN, start_date=date(2024, 3, 1),
                variant="volledig", buffer="1.250,00", paper_overview="ja",
                contact_person="Sanne Bakker",
            ),
            ParticipantRow(
                3, number="HHB-00002", bsn="123456782", last_name="Yilmaz", first_name="Fatma",
                iban=FATMA_IBAN, variant="alleen_inkomsten", contact_person="sanne bakker",
            ),
        ],
        agreements=[
            AgreementRow(
                2, participant_number="HHB-00001", organisation="uwv", counter_iban=UWV_2,
                direction="inkomst", amount="1.234,56", description="WW-uitkering",
                category="uitkering", search_terms="261.000.012.3; ww 2024", day=23,
                frequency="maand", valid_from=date(2024, 3, 1),
            ),
            AgreementRow(
                3, participant_number="HHB-00001", organisation="Woonstad Rotterdam",
                counter_iban=WOONSTAD, direction="uitgave", amount=650, category="huur",
                search_terms="huurcontract 77-123", day=1, frequency="maand",
                valid_from=date(2024, 3, 1), valid_through=date(2026, 12, 31),
            ),
            AgreementRow(
                4, participant_number="HHB-00001", organisation="Eneco", counter_iban=ENECO,
                direction="uitgave", amount=98.5, category="energie", frequency="maand",
                valid_from=date(2024, 3, 1),
            ),
            AgreementRow(
                5, participant_number="HHB-00001", counter_iban=JAN_IBAN, direction="uitgave",
                amount=75, category="leefgeld", frequency="week", day=5,
                valid_from=date(2024, 3, 1),
            ),
            AgreementRow(
                6, participant_number="HHB-00002", organisation="UWV",
                direction="inkomst", amount=900, category="Wmo_eigen_bijdrage",
                frequency="4-weken", valid_from=date(2025, 1, 1),
            ),
        ],
    )


def write(tmp_path: Path, book: DossierBook, name: str = "dossiers.xlsx") -> Path:
    path = tmp_path / name
    write_workbook(book, path)
    return path


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def import_problems(uow, path: Path) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        import_workbook(uow, path)
    assert "\n" not in str(caught.value)
    return caught.value.problems


def assert_nothing_stored(db) -> None:
    for model in (Organisation, BankAccount, Participant, StatusChange, Agreement, SearchTerm,
                  Employee, AuditEntry):
        assert count(db, model) == 0, model.__name__


# --- a good workbook ---------------------------------------------------------------------------


def test_good_workbook_is_stored_whole(db, uow, tmp_path):
    path = write(tmp_path, good_book())

    summary = import_workbook(uow, path)

    assert summary == ImportSummary(organisations=3, accounts=6, participants=2, agreements=5,
                                    search_terms=3, employees=1)
    with db.read() as session:
        jan = session.scalars(select(Participant).where(Participant.number == "HHB-00001")).one()
        assert (jan.full_name, bsn_of(db, jan.id), jan.birth_date) == (
            "Jan de Vries", "111222333", date(1961, 4, 12))
        assert (jan.street, jan.house_number, jan.house_number_suffix) == ("Kerkstraat", 12, "A")
        assert (jan.postcode, jan.city) == ("3011 AB", "Rotterdam")
        assert jan.buffer_limit_cents == 125_000
        assert jan.paper_overview is True
        assert jan.variant is Variant.FULL
        assert jan.status is ParticipantStatus.ACTIVE
        assert [(s.status, s.date, s.changed_by) for s in jan.status_changes] == [
            (ParticipantStatus.ACTIVE, date(2024, 3, 1), "tester")
        ]
        assert [(a.iban, a.holder_name) for a in jan.accounts] == [(JAN_IBAN, "Jan de Vries")]

        # One new employee for both spellings of the contact person.
        sanne = session.scalars(select(Employee)).one()
        assert (sanne.name, sanne.username, sanne.role) == ("Sanne Bakker", "sanne.bakker",
                                                           Role.FRONTOFFICE)
        assert jan.contact_employee_id == sanne.id

        fatma = session.scalars(select(Participant).where(Participant.number == "HHB-00002")).one()
        assert fatma.status is ParticipantStatus.REGISTERED  # no start date yet
        assert fatma.buffer_limit_cents == 150_000
        assert fatma.paper_overview is False
        assert fatma.variant is Variant.INCOME_ONLY
        assert fatma.contact_employee_id == sanne.id
        assert [(s.status, s.date) for s in fatma.status_changes] == [
            (ParticipantStatus.REGISTERED, date.today())
        ]

        uwv = session.scalars(select(Organisation).where(Organisation.name == "UWV")).one()
        assert uwv.kvk == "34567890" and uwv.kind.value == "inkomen"
        assert sorted(a.iban for a in uwv.accounts) == sorted([UWV_1, UWV_2])
        eneco = session.scalars(select(Organisation).where(Organisation.name == "Eneco")).one()
        assert eneco.kind.value == "overig"
        assert [a.iban for a in eneco.accounts] == [ENECO]  # known only from the Afspraken sheet

        agreements = {a.category.name: a for a in jan.agreements}
        income = agreements["uitkering"]
        assert (income.amount_cents, income.direction.value, income.day) == (123_456, "inkomst", 23)
        assert income.organisation_id == uwv.id
        assert income.counter_account.iban == UWV_2
        assert income.description == "WW-uitkering"
        assert [(t.term, t.normalised, t.learned, t.created_by)
                for t in income.search_terms] == [
            ("261.000.012.3", "2610000123", False, "tester"),
            ("ww 2024", "WW2024", False, "tester"),
        ]
        rent = agreements["huur"]
        assert rent.mandatory is True and income.mandatory is False
        assert rent.valid_through == date(2026, 12, 31)
        assert agreements["energie"].amount_cents == 9_850
        allowance = agreements["leefgeld"]
        assert allowance.organisation_id is None
        assert allowance.counter_account.iban == JAN_IBAN
        assert allowance.frequency.value == "week"
        wmo = fatma.agreements[0]
        assert wmo.category.name == "Wmo eigen bijdrage"
        assert wmo.counter_account_id is None

        audit = session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.actor, audit.entity) == ("dossiers geïmporteerd", "tester",
                                                         "workbook")
    after = json.loads(audit.after)
    assert after["file_name"] == "dossiers.xlsx"
    assert after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert after["participants"] == 2 and after["agreements"] == 5


def test_workbook_typed_by_hand_in_excel(db, uow, tmp_path):
    """Headers in odd case with spaces, an extra column, numbers and dates as Excel cells, a BSN
    that lost its leading zero, a blank line in between."""
    wb = openpyxl.Workbook()
    orgs = wb.active
    orgs.title = " organisaties "
    orgs.append(["Naam", "IBAN", "Opmerking", "KvK"])
    orgs.append(["Gemeente Rotterdam", UWV_1, "bijstand", 24483471])
    people = wb.create_sheet("DEELNEMERS")
    people.append([" Dossiernummer", "BSN ", "Achternaam", "Voornaam", "Huisnummer", "Postcode",
                   "Geboortedatum", "StartDatum", "Buffer", "Papieren Overzicht", "notitie"])
    people.append([42, 10000008, "Bos", "Anna", 7, "3011 AB", datetime(1958, 2, 3),
                   datetime(2024, 1, 1), 2500, "JA", "belt liever niet"])
    people.append([])
    people.append([43, bsn(2_000_000), "Smit", "Piet", "101-2", None, None, None, 0, "nee",
                   None])
    deals = wb.create_sheet("Afspraken")
    deals.append(["DOSSIERNUMMER", "Organisatie", "Tegenrekening", "Richting", "Bedrag",
                  "Rubriek", "Zoektermen", "Dag_van_maand", "Frequentie", "Startdatum",
                  "Einddatum", "extra"])
    deals.append([42, "gemeente rotterdam", UWV_1, "Inkomst", 1123.4, "Bijstand",
                  "BUS 12.345; ;", 25.0, "Maand", datetime(2024, 1, 1), None, "x"])
    deals.append([43, "Gemeente Rotterdam", None, "inkomst", 800, "bijstand", None, None,
                  "maand", datetime(2030, 1, 1), datetime(2030, 12, 31), None])
    path = tmp_path / "met de hand.xlsx"
    wb.save(path)

    summary = import_workbook(uow, path)

    assert (summary.participants, summary.agreements, summary.search_terms) == (2, 2, 1)
    with db.read() as session:
        anna = session.scalars(select(Participant).where(Participant.number == "42")).one()
        assert bsn_of(db, anna.id) == "010000008"
        assert (anna.house_number, anna.birth_date) == (7, date(1958, 2, 3))
        assert anna.buffer_limit_cents == 250_000 and anna.paper_overview is True
        deal = anna.agreements[0]
        assert (deal.amount_cents, deal.day, deal.valid_from) == (112_340, 25, date(2024, 1, 1))
        assert [t.normalised for t in deal.search_terms] == ["BUS12345"]
        piet = session.scalars(select(Participant).where(Participant.number == "43")).one()
        assert (piet.house_number, piet.house_number_suffix) == (101, "2")
        assert piet.buffer_limit_cents == 0
        organisation = session.scalars(select(Organisation)).one()
        assert organisation.kvk == "24483471"


def test_contact_person_and_organisation_already_in_the_database(db, uow, tmp_path):
    import_workbook(uow, write(tmp_path, good_book(), "eerste.xlsx"))
    more = DossierBook(
        participants=[ParticipantRow(2, number="HHB-00003", bsn="010000008", last_name="Dekker",
                                     contact_person="SANNE.BAKKER")],
        agreements=[
            AgreementRow(2, participant_number="hhb-00003", organisation="UWV",
                         counter_iban=UWV_1, direction="inkomst", amount=10,
                         category="uitkering", frequency="maand", valid_from=date(2025, 1, 1)),
            AgreementRow(3, participant_number="HHB-00001", organisation="Woonstad Rotterdam",
                         counter_iban=WOONSTAD, direction="uitgave", amount=20,
                         category="water", frequency="kwartaal", valid_from=date(2025, 1, 1)),
        ],
    )

    summary = import_workbook(db.unit_of_work("tester"), write(tmp_path, more, "tweede.xlsx"))

    assert (summary.participants, summary.agreements, summary.organisations) == (1, 2, 0)
    assert (summary.employees, summary.accounts) == (0, 0)
    with db.read() as session:
        dekker = session.scalars(select(Participant).where(Participant.number == "HHB-00003")
                                 ).one()
        assert dekker.contact_employee.username == "sanne.bakker"
        jan = session.scalars(select(Participant).where(Participant.number == "HHB-00001")).one()
        assert len(jan.agreements) == 5
    assert count(db, AuditEntry) == 2


def test_contact_person_gets_a_unique_ascii_user_name(db, uow, tmp_path):
    with db.unit_of_work("beheer") as setup:
        setup.session.add(Employee(username="jose.garcia", name="José García (oud)",
                                   role=Role.BACKOFFICE))
        setup.record("medewerker toegevoegd", "employees", None, after={})
        setup.permitted = True  # test set-up straight into the tables, not a service
        setup.commit()
    book = DossierBook(participants=[
        ParticipantRow(2, number="A1", bsn="111222333", last_name="X", contact_person="José García")
    ])

    assert import_workbook(uow, write(tmp_path, book)).employees == 1

    with db.read() as session:
        usernames = set(session.scalars(select(Employee.username)))
    assert usernames == {"jose.garcia", "jose.garcia2"}


# --- every rule gives its row-numbered message -------------------------------------------------


def _org(book, i, **changes):
    book.organisations[i] = replace(book.organisations[i], **changes)


def _person(book, i, **changes):
    book.participants[i] = replace(book.participants[i], **changes)


def _deal(book, i, **changes):
    book.agreements[i] = replace(book.agreements[i], **changes)


RULES = [
    (lambda b: _org(b, 0, name=None), "Organisaties rij 2: naam is verplicht"),
    (lambda b: _org(b, 2, iban="NL00INGB0000000000"),
     "Organisaties rij 4: Ongeldig IBAN: 'NL00INGB0000000000'"),
    (lambda b: _org(b, 0, kvk="12ab"),
     "Organisaties rij 2: Ongeldig KvK-nummer: '12ab' (8 cijfers)"),
    (lambda b: _org(b, 3, kind="leverancier"),
     "Organisaties rij 5: Ongeldige soort: 'leverancier' (kies uit inkomen | vaste_last | overig)"),
    (lambda b: _org(b, 1, kvk="11111111"),
     "Organisaties rij 3: KvK-nummer 11111111 van UWV verschilt van rij 2 (34567890)"),
    (lambda b: (_person(b, 1, number=None), b.agreements.pop()),
     "Deelnemers rij 3: dossiernummer is verplicht"),
    (lambda b: _person(b, 1, bsn=None), "Deelnemers rij 3: bsn is verplicht"),
    (lambda b: _person(b, 1, last_name=" "), "Deelnemers rij 3: achternaam is verplicht"),
    (lambda b: _person(b, 1, bsn="123456789"),
     "Deelnemers rij 3: Ongeldig BSN ******789: voldoet niet aan de 11-proef"),
    (lambda b: _person(b, 1, iban="NL91 ABNA 0417 1643 01"),
     "Deelnemers rij 3: Ongeldig IBAN: 'NL91 ABNA 0417 1643 01'"),
    (lambda b: _person(b, 0, postcode="301 AB"),
     "Deelnemers rij 2: Ongeldige postcode: '301 AB' (verwacht 1234 AB)"),
    (lambda b: _person(b, 0, house_number="zonder"),
     "Deelnemers rij 2: Ongeldig huisnummer: 'zonder'"),
    (lambda b: _person(b, 0, birth_date="31-02-1960"),
     "Deelnemers rij 2: Ongeldige geboortedatum: '31-02-1960' (verwacht dd-mm-jjjj)"),
    (lambda b: _person(b, 0, start_date="morgen"),
     "Deelnemers rij 2: Ongeldige startdatum: 'morgen' (verwacht dd-mm-jjjj)"),
    (lambda b: _person(b, 0, variant="half"),
     "Deelnemers rij 2: Ongeldige variant: 'half' (kies uit volledig | alleen_inkomsten)"),
    (lambda b: _person(b, 0, buffer="-100"),
     "Deelnemers rij 2: Ongeldig buffer: '-100' (mag niet negatief zijn)"),
    (lambda b: _person(b, 0, paper_overview="misschien"),
     "Deelnemers rij 2: Ongeldige waarde voor papieren_overzicht: 'misschien' (ja of nee)"),
    (lambda b: _person(b, 0, email="jan@"), "Deelnemers rij 2: Ongeldig e-mailadres: 'jan@'"),
    (lambda b: _person(b, 0, phone="bel maar"),
     "Deelnemers rij 2: Ongeldig telefoonnummer: 'bel maar'"),
    (lambda b: _person(b, 1, iban=UWV_1),
     f"Deelnemers rij 3: IBAN {IBAN(UWV_1).formatted} is al bekend als rekening van "
     "organisatie UWV (Organisaties rij 2)"),
    (lambda b: _deal(b, 1, participant_number="HHB-00099"),
     "Afspraken rij 3: Dossiernummer HHB-00099 bestaat niet (niet op het werkblad Deelnemers "
     "en niet in de database)"),
    (lambda b: _deal(b, 1, participant_number=None), "Afspraken rij 3: dossiernummer is verplicht"),
    (lambda b: _deal(b, 1, organisation="Vestia"),
     "Afspraken rij 3: Organisatie 'Vestia' bestaat niet (niet op het werkblad Organisaties en "
     "niet in de database)"),
    (lambda b: _deal(b, 1, counter_iban="NL12"), "Afspraken rij 3: Ongeldig IBAN: 'NL12'"),
    (lambda b: _deal(b, 1, counter_iban=UWV_1),
     f"Afspraken rij 3: Tegenrekening {IBAN(UWV_1).formatted} hoort bij organisatie UWV, niet "
     "bij organisatie Woonstad Rotterdam"),
    (lambda b: _deal(b, 3, counter_iban=FATMA_IBAN),
     f"Afspraken rij 5: Tegenrekening {IBAN(FATMA_IBAN).formatted} hoort bij deelnemer "
     "HHB-00002, niet bij deelnemer HHB-00001"),
    (lambda b: _deal(b, 3, counter_iban=iban(5555)),
     f"Afspraken rij 5: Tegenrekening {IBAN(iban(5555)).formatted} is onbekend: vul de "
     "organisatie in, of zet het IBAN bij de deelnemer op het werkblad Deelnemers"),
    (lambda b: _deal(b, 0, direction="in"),
     "Afspraken rij 2: Ongeldige richting: 'in' (kies uit inkomst | uitgave)"),
    (lambda b: _deal(b, 0, direction=None), "Afspraken rij 2: richting is verplicht"),
    (lambda b: _deal(b, 0, amount=0),
     "Afspraken rij 2: Ongeldig bedrag: 0 (moet groter dan 0 zijn)"),
    (lambda b: _deal(b, 0, amount=12.345),
     "Afspraken rij 2: Ongeldig bedrag: 12.345 (hooguit 2 decimalen)"),
    (lambda b: _deal(b, 0, amount=None), "Afspraken rij 2: bedrag is verplicht"),
    (lambda b: _deal(b, 0, category="boodschappen"), "Afspraken rij 2: Onbekende rubriek: "
     "'boodschappen'"),
    (lambda b: _deal(b, 0, category=None), "Afspraken rij 2: rubriek is verplicht"),
    (lambda b: _deal(b, 0, day=32),
     "Afspraken rij 2: Ongeldige dag_van_maand: 32 (een geheel getal van 1 tot en met 31)"),
    (lambda b: _deal(b, 0, amount="-1.234,56"),
     "Afspraken rij 2: Ongeldig bedrag: '-1.234,56' (moet groter dan 0 zijn)"),
    (lambda b: _deal(b, 0, frequency="dagelijks"),
     "Afspraken rij 2: Ongeldige frequentie: 'dagelijks' (kies uit week | 4-weken | maand | "
     "kwartaal | jaar)"),
    (lambda b: _deal(b, 0, frequency=None), "Afspraken rij 2: frequentie is verplicht"),
    (lambda b: _deal(b, 0, valid_from=None), "Afspraken rij 2: startdatum is verplicht"),
    (lambda b: _deal(b, 1, valid_through=date(2024, 2, 1)),
     "Afspraken rij 3: De afspraak eindigt (01-02-2024) vóór de startdatum (01-03-2024)"),
]


def test_exported_signs_and_inapplicable_days_are_read_sensibly(db, uow, tmp_path):
    """Payments exported as negative amounts are payments; a day of the month on a weekly
    agreement does not apply and does not stop a migration."""
    book = good_book()
    _deal(book, 1, amount="-650,00")  # huur, richting uitgave
    _deal(book, 2, amount=-98.5)  # energie, richting uitgave
    _deal(book, 3, day=15)  # leefgeld, weekly
    import_workbook(uow, write(tmp_path, book))
    with db.read() as session:
        deals = {a.category.name: a for a in session.scalars(select(Agreement))}
    assert deals["huur"].amount_cents == 65_000
    assert deals["energie"].amount_cents == 9_850
    assert deals["leefgeld"].day is None


# dag_van_maand on a weekly agreement (good_book's leefgeld, Afspraken rij 5): 1-7 is the
# weekday, blank, 0 and any whole number above 7 mean no weekday.
WEEKLY_DAYS = [
    (None, None),
    (" ", None),
    (0, None),
    ("0", None),
    (8, None),
    (31, None),
    (40, None),
    (3, 3),
    ("7", 7),
]


@pytest.mark.parametrize(("cell", "weekday"), WEEKLY_DAYS, ids=[repr(c) for c, _ in WEEKLY_DAYS])
def test_day_on_a_weekly_agreement_is_a_weekday_or_none(db, uow, tmp_path, cell, weekday):
    book = good_book()
    _deal(book, 3, day=cell)

    import_workbook(uow, write(tmp_path, book))

    with db.read() as session:
        allowance = session.scalars(select(Agreement).join(Agreement.category)
                                    .where(Category.name == "leefgeld")).one()
        assert (allowance.frequency.value, allowance.day) == ("week", weekday)


DAY_REFUSALS = [
    (3, "abc", "Afspraken rij 5: Ongeldige dag_van_maand: 'abc' (een geheel getal van 1 tot en "
     "met 31)"),
    (3, 2.5, "Afspraken rij 5: Ongeldige dag_van_maand: 2.5 (een geheel getal van 1 tot en met "
     "31)"),
    (3, "-1", "Afspraken rij 5: Ongeldige dag_van_maand: '-1' (een geheel getal van 1 tot en met "
     "31)"),
    (0, 0, "Afspraken rij 2: Ongeldige dag_van_maand: 0 (een geheel getal van 1 tot en met 31)"),
    (0, "abc", "Afspraken rij 2: Ongeldige dag_van_maand: 'abc' (een geheel getal van 1 tot en "
     "met 31)"),
    (4, 0, "Afspraken rij 6: Ongeldige dag_van_maand: 0 (een geheel getal van 1 tot en met 31)"),
]


@pytest.mark.parametrize(("index", "cell", "message"), DAY_REFUSALS,
                         ids=[f"{i}-{c!r}" for i, c, _ in DAY_REFUSALS])
def test_day_that_is_no_whole_number_or_no_day_of_the_month_is_refused(
        db, uow, tmp_path, index, cell, message):
    """Only a weekly agreement is lenient, and only about whole numbers; rij 2 is monthly,
    rij 6 four-weekly."""
    book = good_book()
    _deal(book, index, day=cell)

    assert import_problems(uow, write(tmp_path, book)) == [message]
    assert_nothing_stored(db)


def test_day_problem_is_listed_in_column_order_before_a_frequency_problem(db, uow, tmp_path):
    book = good_book()
    _deal(book, 3, day="abc", frequency="wekelijks")

    assert import_problems(uow, write(tmp_path, book)) == [
        "Afspraken rij 5: Ongeldige dag_van_maand: 'abc' (een geheel getal van 1 tot en met 31)",
        "Afspraken rij 5: Ongeldige frequentie: 'wekelijks' (kies uit week | 4-weken | maand | "
        "kwartaal | jaar)",
    ]


def test_leefgeld_without_organisation_goes_to_the_participants_own_account(db, uow, tmp_path):
    """The README's example: leefgeld names no organisation, its tegenrekening is the IBAN of
    the participant on the Deelnemers sheet."""
    wb = openpyxl.Workbook()
    wb.active.title = "Organisaties"
    wb.active.append(["naam", "kvk", "iban", "soort"])
    people = wb.create_sheet("Deelnemers")
    people.append(["dossiernummer", "bsn", "voornaam", "achternaam", "iban", "startdatum"])
    people.append(["HHB-00001", "111222333", "Jan", "de Vries", IBAN(JAN_IBAN).formatted,
                   "01-03-2024"])
    deals = wb.create_sheet("Afspraken")
    deals.append(["dossiernummer", "organisatie", "tegenrekening", "richting", "bedrag",
                  "omschrijving", "rubriek", "zoektermen", "dag_van_maand", "frequentie",
                  "startdatum", "einddatum"])
    deals.append(["HHB-00001", None, IBAN(JAN_IBAN).formatted, "uitgave", "75,00", "leefgeld",
                  "leefgeld", None, 5, "week", "01-03-2024", None])
    path = tmp_path / "leefgeld.xlsx"
    wb.save(path)

    summary = import_workbook(uow, path)

    assert (summary.participants, summary.agreements, summary.organisations) == (1, 1, 0)
    assert summary.accounts == 1  # the participant's own account, not a second one
    with db.read() as session:
        jan = session.scalars(select(Participant)).one()
        allowance = session.scalars(select(Agreement)).one()
        assert allowance.participant_id == jan.id
        assert allowance.category.name == "leefgeld"
        assert allowance.organisation_id is None
        assert allowance.counter_account.iban == JAN_IBAN
        assert allowance.counter_account.participant_id == jan.id
        assert allowance.counter_account.organisation_id is None
        assert (allowance.direction.value, allowance.amount_cents) == ("uitgave", 7_500)
        assert (allowance.frequency.value, allowance.day) == ("week", 5)


@pytest.mark.parametrize(("spoil", "message"), RULES, ids=[m for _, m in RULES])
def test_each_rule_refuses_the_workbook_with_sheet_and_row(db, uow, tmp_path, spoil, message):
    book = good_book()
    spoil(book)

    assert import_problems(uow, write(tmp_path, book)) == [message]
    assert_nothing_stored(db)


def test_all_problems_are_listed_at_once(db, uow, tmp_path):
    book = good_book()
    _person(book, 0, bsn="123456789", postcode="x")
    _deal(book, 0, amount=-5)  # negative income

    with pytest.raises(WorkbookError) as caught:
        import_workbook(uow, write(tmp_path, book))

    assert str(caught.value) == "Werkmap geweigerd: 3 fouten, niets opgeslagen"
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "Deelnemers rij 2", "Deelnemers rij 2", "Afspraken rij 2"
    ]


def test_one_bad_bsn_among_many_rows_stores_nothing(db, uow, tmp_path):
    book = DossierBook(organisations=[OrganisationRow(2, name="UWV", iban=UWV_1)])
    for i in range(200):
        number = f"HHB-{i:05d}"
        book.participants.append(ParticipantRow(
            i + 2, number=number, bsn=bsn(30_000_000 + i * 7), last_name=f"Deelnemer {i}",
            iban=iban(100 + i), start_date=date(2024, 1, 1), contact_person=f"Medewerker {i % 3}",
        ))
        book.agreements.append(AgreementRow(
            i + 2, participant_number=number, organisation="UWV", counter_iban=UWV_1,
            direction="inkomst", amount=800 + i, category="uitkering", search_terms=f"U{i:06d}",
            frequency="maand", valid_from=date(2024, 1, 1),
        ))
    book.participants[136].bsn = "111222334"

    with pytest.raises(WorkbookError) as caught:
        import_workbook(uow, write(tmp_path, book))

    assert str(caught.value) == "Werkmap geweigerd: 1 fout, niets opgeslagen"
    assert caught.value.problems == [
        "Deelnemers rij 138: Ongeldig BSN ******334: voldoet niet aan de 11-proef"
    ]
    assert_nothing_stored(db)


# --- duplicates ------------------------------------------------------------------------------


def test_duplicate_number_or_bsn_within_the_workbook(db, uow, tmp_path):
    book = good_book()
    book.participants.append(ParticipantRow(4, number="hhb-00001", bsn="010000008",
                                            last_name="Dubbel"))
    book.participants.append(ParticipantRow(5, number="HHB-00005", bsn="123 456 782",
                                            last_name="Dubbel"))

    assert import_problems(uow, write(tmp_path, book)) == [
        "Deelnemers rij 4: Dossiernummer hhb-00001 staat ook op rij 2",
        "Deelnemers rij 5: BSN ******782 staat ook op rij 3",
    ]
    assert_nothing_stored(db)


def test_duplicate_number_or_bsn_against_the_database(db, uow, tmp_path):
    import_workbook(uow, write(tmp_path, good_book(), "eerste.xlsx"))
    book = DossierBook(participants=[
        ParticipantRow(2, number="HHB-00002", bsn="010000008", last_name="Nieuw"),
        ParticipantRow(3, number="HHB-00003", bsn="111222333", last_name="Nieuw"),
        ParticipantRow(4, number="HHB-00004", bsn="999999990", last_name="Nieuw",
                       iban=WOONSTAD),
    ])

    problems = import_problems(db.unit_of_work("tester"), write(tmp_path, book, "tweede.xlsx"))

    assert problems == [
        "Deelnemers rij 2: Dossiernummer HHB-00002 bestaat al in de database",
        "Deelnemers rij 3: BSN ******333 hoort al bij een ander dossier in de database",
        f"Deelnemers rij 4: IBAN {IBAN(WOONSTAD).formatted} is al bekend als rekening van "
        "organisatie Woonstad Rotterdam",
    ]
    assert count(db, Participant) == 2
    assert count(db, AuditEntry) == 1


# --- files that are not a dossier workbook --------------------------------------------------


def test_missing_sheet(tmp_path):
    path = write(tmp_path, good_book())
    wb = openpyxl.load_workbook(path)
    del wb["Afspraken"]
    wb.save(path)

    with pytest.raises(WorkbookError, match=r"^Werkblad 'Afspraken' ontbreekt in dossiers.xlsx$"):
        read_workbook(path)


def test_missing_required_column(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Organisaties"
    wb.active.append(["naam", "iban"])
    wb.create_sheet("Deelnemers").append(["dossiernummer", "achternaam", "voornaam"])
    wb.create_sheet("Afspraken").append(list(AGREEMENT_COLUMNS))
    path = tmp_path / "zonder bsn.xlsx"
    wb.save(path)

    with pytest.raises(WorkbookError) as caught:
        read_workbook(path)

    assert str(caught.value) == "Werkblad 'Deelnemers' mist de kolom bsn in de kopregel (rij 1)"


def _truncated(tmp_path: Path) -> bytes:
    return write(tmp_path, good_book(), "heel.xlsx").read_bytes()[:3000]


def _not_a_workbook_zip(tmp_path: Path) -> bytes:
    path = tmp_path / "archief.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("leesmij.txt", "geen werkmap")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda _: b"", "is leeg"),
        (lambda _: bytes(range(256)) * 4, "is geen Excel-werkmap (.xlsx)"),
        (lambda _: b"dossiernummer;bsn\nHHB-1;111222333\n", "maar tekst (CSV?)"),
        (_truncated, "is beschadigd"),
        (_not_a_workbook_zip, "geen Excel-werkmap"),
        (lambda _: (DATA / "wachtwoord-geheim.xlsx").read_bytes(), "met een wachtwoord beveiligd"),
    ],
    ids=["empty", "garbage", "csv", "truncated", "other-zip", "password"],
)
def test_unreadable_file_gives_one_line(tmp_path, content, reason):
    path = tmp_path / "dossiers.xlsx"
    path.write_bytes(content(tmp_path))

    with pytest.raises(WorkbookError) as caught:
        read_workbook(path)

    message = str(caught.value)
    assert reason in message and message.startswith("dossiers.xlsx ")
    assert "\n" not in message and "Traceback" not in message


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookError, match="Bestand niet gevonden"):
        read_workbook(tmp_path / "weg.xlsx")


def test_unreadable_file_leaves_the_database_alone(db, uow, tmp_path):
    path = tmp_path / "dossiers.xlsx"
    path.write_bytes(b"\x00garbage")

    with pytest.raises(WorkbookError, match="geen Excel-werkmap"):
        import_workbook(uow, path)

    assert_nothing_stored(db)


# --- the reader ------------------------------------------------------------------------------


def test_written_workbook_has_the_dutch_headers_and_reads_back(tmp_path):
    book = good_book()
    path = write(tmp_path, book)

    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Organisaties", "Deelnemers", "Afspraken"]
    for sheet, columns in (("Organisaties", ORGANISATION_COLUMNS),
                           ("Deelnemers", PARTICIPANT_COLUMNS), ("Afspraken", AGREEMENT_COLUMNS)):
        assert next(wb[sheet].iter_rows(values_only=True)) == tuple(columns)
    wb.close()

    back = read_workbook(path)
    assert back.organisations == book.organisations
    first = back.participants[0]
    assert (first.row, first.number, first.birth_date) == (2, "HHB-00001", date(1961, 4, 12))
    assert [a.row for a in back.agreements] == [2, 3, 4, 5, 6]


def test_reader_skips_empty_rows_but_keeps_excel_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Organisaties"
    wb.active.append(["naam"])
    people = wb.create_sheet("Deelnemers")
    people.append(["dossiernummer", "bsn", "achternaam", "onbekend"])
    people.append(["A1", "111222333", "Een", None])
    people.append([None, "  ", None, "alleen een opmerking"])
    people.append([])
    people.append(["A2", "123456782", " Twee ", None])
    wb.create_sheet("Afspraken").append(list(AGREEMENT_COLUMNS))
    path = tmp_path / "gaten.xlsx"
    wb.save(path)

    book = read_workbook(path)

    assert [(p.row, p.number, p.last_name) for p in book.participants] == [
        (2, "A1", "Een"), (5, "A2", "Twee")
    ]
    assert book.organisations == [] and book.agreements == []


def test_status_is_registered_when_the_start_date_lies_ahead(db, uow, tmp_path):
    ahead = date.today() + timedelta(days=30)
    book = DossierBook(participants=[
        ParticipantRow(2, number="A1", bsn="111222333", last_name="Later", start_date=ahead)
    ])

    import_workbook(uow, write(tmp_path, book))

    with db.read() as session:
        person = session.scalars(select(Participant)).one()
        assert (person.status, person.start_date) == (ParticipantStatus.REGISTERED, ahead)
        assert [(s.status, s.date) for s in person.status_changes] == [
            (ParticipantStatus.REGISTERED, date.today())
        ]


def test_categories_match_ignoring_case_spaces_and_underscores(db, uow, tmp_path):
    with db.read() as session:
        names = list(session.scalars(select(Category.name)))
    book = good_book()
    book.agreements = [
        AgreementRow(i + 2, participant_number="HHB-00002", direction="uitgave", amount=1,
                     category=name.upper().replace(" ", "_"), frequency="jaar",
                     valid_from=date(2025, 1, 1))
        for i, name in enumerate(names)
    ]

    assert import_workbook(uow, write(tmp_path, book)).agreements == len(names)


@pytest.mark.parametrize(("cell", "language"), [
    (None, "nl"), ("ar", "ar"), (" TI ", "ti"), ("uk", "uk"), ("fr", None)],
    ids=["blank", "arabic", "tigrinya-spaced", "ukrainian", "unknown"])
def test_the_column_taal_chooses_the_language_of_the_paper_overview(db, uow, tmp_path, cell,
                                                                     language):
    book = DossierBook(participants=[
        ParticipantRow(2, number="T1", bsn="111222333", last_name="Haddad", language=cell)])
    path = write(tmp_path, book)
    if language is None:
        with pytest.raises(WorkbookError) as refused:
            import_workbook(uow, path)
        assert "Ongeldige taal 'fr' (kies uit nl, en, ar, tr, pl, ti, uk)" in "\n".join(
            refused.value.problems)
        assert count(db, Participant) == 0
        return
    import_workbook(uow, path)
    with db.read() as session:
        assert session.scalars(select(Participant.overview_language)).one() == language

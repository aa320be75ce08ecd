"""The golden three-month participant of the Utrecht team's talk, built through the services:
dossier, organisations, agreements, statements of the municipal account, and every booking
made by hand through the booking core (``book_transaction``), as a clerk would.

August–October 2026 (M = October). Figures: saldo before August -85,36 (a rent arrear booked
on 31 July); August -195,81 → -281,17; September +1,40 → -279,77; October +553,49 → +273,72.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from app.demo import nl_iban
from app.importers.statements import Entry, ReadResult, StatementData
from app.models import BankTransaction
from app.services import agreements as agr
from app.services.accounts import add_municipal_account
from app.services.bookings import BookingPart, book_transaction
from app.services.employees import add_employee
from app.services.organisations import create_organisation
from app.services.participants import change_status, create_participant
from app.services.statement_import import store_statements
from tests.helpers import VALID_BSNS

MUNICIPAL = nl_iban("BNGH", "0285093174")
OWN_IBAN = nl_iban("INGB", "0001234567")
MONTH = date(2026, 10, 1)
TODAY = date(2026, 11, 3)
ORGANISATIONS = {  # name: (kind, iban)
    "UWV": ("inkomen", nl_iban("INGB", "0000000001")),
    "Eneco": ("vaste_last", nl_iban("ABNA", "0123456789")),
    "Vitens": ("vaste_last", nl_iban("RABO", "0123456789")),
    "Portaal": ("vaste_last", nl_iban("INGB", "0009876543")),
    "Zorg & Zekerheid": ("vaste_last", nl_iban("ABNA", "0987654321")),
}
AGREEMENTS = {  # key: (organisation or None, category, direction, amount, day, description)
    "uwv": ("UWV", "uitkering", "inkomst", 45734, 1, "WW-uitkering"),
    "eneco": ("Eneco", "energie", "uitgave", 17100, 15, "Energie"),
    "vitens": ("Vitens", "water", "uitgave", 2621, 3, "Water"),
    "portaal": ("Portaal", "huur", "uitgave", 42410, 1, "Huur"),
    "zz": ("Zorg & Zekerheid", "zorgverzekering", "uitgave", 18315, 28, "Zorgverzekering"),
    "leefgeld": (None, "leefgeld", "uitgave", 46016, 2, "Leefgeld"),
}
# (day, agreement, cents): the talk's figures, booked on plausible days; 1st and last days on
# purpose (31 July, 1 and 31 August, 1 and 30 September, 1 and 31 October).
BOOKINGS = [
    (date(2026, 7, 31), "portaal", -8536),  # the arrear before the period
    (date(2026, 8, 1), "uwv", 45734), (date(2026, 8, 1), "portaal", -42410),
    (date(2026, 8, 3), "vitens", -2621), (date(2026, 8, 4), "leefgeld", -46016),
    (date(2026, 8, 15), "eneco", -17100), (date(2026, 8, 25), "uwv", 63768),
    (date(2026, 8, 28), "zz", -18315), (date(2026, 8, 31), "vitens", -2621),
    (date(2026, 9, 1), "uwv", 45734), (date(2026, 9, 1), "portaal", -42410),
    (date(2026, 9, 2), "leefgeld", -46016), (date(2026, 9, 3), "vitens", -2621),
    (date(2026, 9, 18), "eneco", 73750), (date(2026, 9, 21), "leefgeld", -73750),
    (date(2026, 9, 25), "uwv", 63768), (date(2026, 9, 30), "zz", -18315),
    (date(2026, 10, 1), "uwv", 45734), (date(2026, 10, 1), "portaal", -42410),
    (date(2026, 10, 2), "leefgeld", -46016), (date(2026, 10, 12), "uwv", 22328),
    (date(2026, 10, 15), "eneco", -17100), (date(2026, 10, 19), "uwv", 20560),
    (date(2026, 10, 23), "uwv", 26800), (date(2026, 10, 26), "uwv", 63768),
    (date(2026, 10, 31), "zz", -18315),
]
SALDO_BEFORE = -8536
MONTH_FIGURES = [(-8536, -19581, -28117), (-28117, 140, -27977), (-27977, 55349, 27372)]
BSN = VALID_BSNS[1]


@dataclass
class Scenario:
    participant_id: int
    agreements: dict[str, int]
    transactions: list[int]  # in BOOKINGS order
    employee_id: int


def build(db, *, number: str = "HHB-00042", bsn: str = BSN, own_iban: str = OWN_IBAN,
          first_name: str = "Ayşe", last_name: str = "Yılmaz-Çelik", with_orgs: bool = True,
          municipal: bool = True, **participant) -> Scenario:
    uow = db.unit_of_work
    if municipal:
        add_municipal_account(uow("beheer"), MUNICIPAL, "Gemeente Utrecht")
    employee = add_employee(uow("beheer"), f"contact{number[-3:]}", "frontoffice",
                            name="Joke de Vries", phone="030 286 0000")
    if with_orgs:
        for name, (kind, iban) in ORGANISATIONS.items():
            create_organisation(uow("t"), name=name, kind=kind, ibans=[iban])
    values = dict(street="Kerkstraat", house_number=12, house_number_suffix="a",
                  postcode="3511ab", city="Utrecht", paper_overview=True,
                  contact_employee_id=employee, allowance_cents=None)
    values.update(participant)
    pid = create_participant(uow("t"), number=number, bsn=bsn, first_name=first_name,
                             last_name=last_name, iban=own_iban, registered_on=date(2026, 6, 1),
                             **values)
    change_status(uow("t"), pid, "intake", date(2026, 6, 2))
    change_status(uow("t"), pid, "actief", date(2026, 7, 1))
    organisations = _organisation_ids(db)
    accounts = _account_ids(db)
    agreement_ids = {}
    for key, (org, category, direction, amount, day, text) in AGREEMENTS.items():
        counter = accounts[ORGANISATIONS[org][1]] if org else accounts[own_iban]
        agreement_ids[key] = agr.create_agreement(
            uow("t"), pid, organisation_id=organisations.get(org), counter_account_id=counter,
            category=category, direction=direction, amount_cents=amount, frequency="maand",
            day=day, valid_from=date(2026, 7, 1), description=text)
    transactions = store_bookings(db, BOOKINGS, prefix=number)
    for (_, key, _), tid in zip(BOOKINGS, transactions, strict=True):
        book_transaction(uow("clerk"), tid, [BookingPart(agreement_id=agreement_ids[key])])
    return Scenario(pid, agreement_ids, transactions, employee)


@pytest.fixture(name="two")
def two_participants(db):
    """The golden participant, and one without an address (and without the paper letter):
    the print run's and the Overzichten screen's setup (import it as a fixture)."""
    first = build(db)
    second = build(db, number="HHB-00043", bsn=VALID_BSNS[2],
                   own_iban=nl_iban("INGB", "0007654321"), with_orgs=False,
                   municipal=False, first_name="Zoë", last_name="Öztürk", street=None,
                   house_number=None, house_number_suffix=None, postcode=None, city=None,
                   paper_overview=False)
    return first, second


# The mail room's run: participants in seven postcodes and house numbers, in four languages,
# one without an address; dossier-number order is not postcode order. (number, first name,
# last name, language, street, house number, addition, postcode, city); no bookings needed.
MAIL_ROOM = [
    ("HHB-00101", "Sanne", "Bakker", "nl", "Oudegracht", 10, None, "3512 AB", "Zeist"),
    ("HHB-00102", "Fatima", "Haddad", "ar", "Damstraat", 2, None, "1011 AA", "Amsterdam"),
    ("HHB-00103", "Senait", "Tesfay", "ti", "Oudegracht", 2, None, "3512 AB", "Zeist"),
    ("HHB-00104", "Oliver", "Hughes", "en", "Oudegracht", 2, "B", "3512 AB", "Zeist"),
    ("HHB-00105", "Kees", "Visser", "nl", "Oudegracht", 2, "a", "3512 AB", "Zeist"),
    ("HHB-00106", "Piet", "Zonderadres", "nl", None, None, None, None, None),
    ("HHB-00107", "Jan", "Mulder", "nl", "Vismarkt", 1, None, "9711 AA", "Groningen"),
]
# By postcode, then house number (2 before 10), then addition (a before B), then number.
MAIL_ROOM_BY_POSTCODE = ["HHB-00102", "HHB-00103", "HHB-00105", "HHB-00104", "HHB-00101",
                         "HHB-00107"]
MAIL_ROOM_BY_NUMBER = ["HHB-00101", "HHB-00102", "HHB-00103", "HHB-00104", "HHB-00105",
                       "HHB-00107"]


@pytest.fixture(name="mail_room")
def mail_room_participants(db) -> dict[str, int]:
    """The MAIL_ROOM participants, active and wanting their overview on paper: number → id."""
    from app.demo import bsn_check_digit

    ids = {}
    for index, (number, first, last, language, street, house, suffix, postcode, city) in \
            enumerate(MAIL_ROOM):
        head = 31415900 + 10 * index
        while bsn_check_digit(str(head)) is None:
            head += 1
        bsn = f"{head}{bsn_check_digit(str(head))}"
        pid = create_participant(
            db.unit_of_work("t"), number=number, bsn=bsn, first_name=first, last_name=last,
            registered_on=date(2026, 6, 1), street=street, house_number=house,
            house_number_suffix=suffix, postcode=postcode, city=city, paper_overview=True,
            overview_language=language)
        change_status(db.unit_of_work("t"), pid, "intake", date(2026, 6, 2))
        change_status(db.unit_of_work("t"), pid, "actief", date(2026, 7, 1))
        ids[number] = pid
    return ids


def store_bookings(db, bookings, *, prefix: str = "X") -> list[int]:
    """Statements of the municipal account holding one entry per booking (no IBAN, no
    reference a matcher knows: they wait in the queue for the clerk)."""
    entries = [
        Entry(day, cents, bank_reference=f"{prefix}-{index}", counterparty_name="Betaler",
              description=f"betaling {prefix} {index}")
        for index, (day, _, cents) in enumerate(bookings)
    ]
    months = sorted({(e.booking_date.year, e.booking_date.month) for e in entries})
    statements, balance = [], 1_000_000
    for year, month in months:
        own = [e for e in entries if (e.booking_date.year, e.booking_date.month) == (year, month)]
        first = date(year, month, 1)
        last = max(e.booking_date for e in own)
        total = sum(e.amount_cents for e in own)
        statements.append(StatementData(
            account=MUNICIPAL, period_from=first, period_through=last,
            opening_balance_cents=balance, opening_date=first,
            closing_balance_cents=balance + total, closing_date=last, entries=own))
        balance += total
    result = ReadResult("camt.053.001.02", statements, has_balances=True)
    store_statements(db.unit_of_work("clerk"), result, file_name=f"{prefix}.xml",
                     sha256="0" * 64, force=True)
    refs = [e.bank_reference for e in entries]
    with db.read() as session:
        found = dict(session.execute(select(BankTransaction.bank_reference, BankTransaction.id)
                                     .where(BankTransaction.bank_reference.in_(refs))).all())
    return [found[r] for r in refs]


def _organisation_ids(db) -> dict[str, int]:
    from app.models import Organisation

    with db.read() as session:
        return dict(session.execute(select(Organisation.name, Organisation.id)).all())


def _account_ids(db) -> dict[str, int]:
    from app.models import BankAccount

    with db.read() as session:
        return dict(session.execute(select(BankAccount.iban, BankAccount.id)).all())


def sample_overview(**overrides):
    """The same golden participant as plain data, without a database (for the pure tests of
    the letter and the Excel file)."""
    from app.reports.overview_data import (
        Address,
        AllowanceDate,
        BookedAmount,
        Contact,
        MonthSaldo,
        OverviewData,
        period_months,
    )

    names = {"uwv": ("UWV", "WW-uitkering", "inkomen"),
             "eneco": ("Eneco", "Energie", "vaste_last"),
             "vitens": ("Vitens", "Water", "vaste_last"),
             "portaal": ("Portaal", "Huur", "vaste_last"),
             "zz": ("Zorg & Zekerheid", "Zorgverzekering", "vaste_last"),
             "leefgeld": ("leefgeld", "Leefgeld", "leefgeld")}
    bookings = tuple(BookedAmount(day, cents, *names[key])
                     for day, key, cents in BOOKINGS if day >= date(2026, 8, 1))
    months = period_months(MONTH)
    values = dict(
        number="HHB-00042",
        address=Address("Ayşe Yılmaz-Çelik", "Kerkstraat", 12, "a", "3511 AB", "Utrecht"),
        month=MONTH, as_of=date(2026, 10, 31),
        saldos=tuple(MonthSaldo(m, begin, end)
                     for m, (begin, _, end) in zip(months, MONTH_FIGURES, strict=True)),
        bookings=bookings,
        next_allowances=(AllowanceDate(date(2026, 12, 2), 46016),),
        contact=Contact("Joke de Vries", "030 286 0000"),
    )
    values.update(overrides)
    return OverviewData(**values)


def shifted(data, cents: int):
    """The same overview with every saldo ``cents`` lower (a participant in the red)."""
    from dataclasses import replace

    from app.reports.overview_data import MonthSaldo

    return replace(data, saldos=tuple(MonthSaldo(s.month, s.begin_cents - cents,
                                                 s.end_cents - cents) for s in data.saldos))

"""The overview's data and its three-month table, on SQLite and PostgreSQL: the golden figures
of the Utrecht team's talk, from bookings made through the booking core."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.errors import ValidationError
from app.models import Signal, SignalKind, SignalStatus
from app.reports.overview_data import Address, period_months
from app.reports.overview_table import BALANCE, SALDO_BEGIN, SALDO_END, month_table
from app.services.bookings import undo_bookings
from app.services.overview import overview_data, parse_month, select_participants
from app.services.participants import update_participant
from app.services.saldo import saldo_cents
from app.services.signals import set_signal_status
from tests import overview_scenario as golden


@pytest.fixture
def scenario(db):
    return golden.build(db)


def read(db, scenario, month=golden.MONTH, today=golden.TODAY):
    with db.read() as session:
        return overview_data(session, scenario.participant_id, month, today=today)


def test_golden_three_months(db, scenario):
    data = read(db, scenario)
    table = month_table(data)
    august, september, october = period_months(golden.MONTH)
    assert table.months == [august, september, october]
    cells = {group: dict(zip(table.months, amounts, strict=True))
             for group, _label, amounts in table.rows()}
    assert list(cells) == ["UWV", "Eneco", "Portaal", "Vitens", "Zorg & Zekerheid", "leefgeld"]
    assert cells["UWV"] == {august: (45734, 63768), september: (45734, 63768),
                            october: (45734, 22328, 20560, 26800, 63768)}
    assert cells["Eneco"] == {august: (-17100,), september: (73750,), october: (-17100,)}
    assert cells["Vitens"] == {august: (-2621, -2621), september: (-2621,), october: ()}
    assert cells["leefgeld"] == {august: (-46016,), september: (-46016, -73750),
                                 october: (-46016,)}
    assert cells["Portaal"] == dict.fromkeys(table.months, (-42410,))
    assert cells["Zorg & Zekerheid"] == dict.fromkeys(table.months, (-18315,))
    footer = [[int(table.footer.at[row, m]) for row in (SALDO_BEGIN, BALANCE, SALDO_END)]
              for m in table.months]
    assert footer == [list(figures) for figures in golden.MONTH_FIGURES]
    assert data.saldo_cents == 27372 == saldo_cents_on(db, scenario, date(2026, 10, 31))
    assert data.as_of == date(2026, 10, 31)


def saldo_cents_on(db, scenario, day):
    with db.read() as session:
        return saldo_cents(session, scenario.participant_id, day)


def test_this_month_list_leefgeld_and_next_dates(db, scenario):
    data = read(db, scenario)
    assert [(b.booking_date.day, b.amount_cents) for b in data.this_month] == [
        (1, 45734), (1, -42410), (2, -46016), (12, 22328), (15, -17100), (19, 20560),
        (23, 26800), (26, 63768), (31, -18315)]
    assert data.allowance_paid_cents == 46016
    # No leefgeld fields on the dossier: the leefgeld agreement (monthly on the 2nd) tells.
    # Printed on 3 November, the 2nd has passed: the next one is in December.
    assert [(a.day, a.amount_cents) for a in data.next_allowances] == [
        (date(2026, 12, 2), 46016)]
    early = read(db, scenario, today=date(2026, 11, 1))
    assert [a.day for a in early.next_allowances] == [date(2026, 11, 2)]
    assert data.contact.name == "Joke de Vries" and data.contact.phone
    assert data.address == Address("Ayşe Yılmaz-Çelik", "Kerkstraat", 12, "a", "3511 AB",
                                   "Utrecht")
    assert data.address.lines() == ["Ayşe Yılmaz-Çelik", "Kerkstraat 12A", "3511 AB  UTRECHT"]


def test_weekly_leefgeld_from_the_dossier_fields(db, scenario):
    update_participant(db.unit_of_work("t"), scenario.participant_id, allowance_cents=11504,
                       allowance_frequency="week", allowance_day=5)
    data = read(db, scenario)
    assert [a.day for a in data.next_allowances] == [
        date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20), date(2026, 11, 27)]
    assert {a.amount_cents for a in data.next_allowances} == {11504}


def test_earlier_month_and_running_month(db, scenario):
    september = read(db, scenario, month=date(2026, 9, 1))
    assert september.saldo_cents == -27977
    assert [s.begin_cents for s in september.saldos] == [0, -8536, -28117]
    assert [s.end_cents for s in september.saldos] == [-8536, -28117, -27977]
    # Printed on 20 October for October: the saldo of today, not of a day still to come.
    running = read(db, scenario, today=date(2026, 10, 20))
    assert running.as_of == date(2026, 10, 20)
    assert running.saldo_cents == saldo_cents_on(db, scenario, date(2026, 10, 20)) == -27977 \
        + 45734 - 42410 - 46016 + 22328 - 17100 + 20560


def test_undone_booking_leaves_the_overview(db, scenario):
    eneco_refund = scenario.transactions[13]  # +737,50 on 18 September
    undo_bookings(db.unit_of_work("clerk"), eneco_refund)
    data = read(db, scenario)
    table = month_table(data)
    september = table.months[1]
    eneco = next(cells for group, _l, cells in table.rows() if group == "Eneco")
    assert eneco[1] == ()
    assert int(table.footer.at[BALANCE, september]) == 140 - 73750
    assert data.saldo_cents == 27372 - 73750


def test_open_signals_of_the_month_become_notices(db, scenario):
    # The scenario's own signals of October (evaluated by the imports and bookings): the
    # extra UWV payments and the second leefgeld are double, the water of 3 October missing.
    data = read(db, scenario)
    assert {(n.kind, n.organisation, n.expected_date) for n in data.notices} == {
        ("dubbele betaling", None, date(2026, 10, 2)),
        ("dubbele betaling", "UWV", date(2026, 10, 1)),
        ("betaling ontbreekt", "Vitens", date(2026, 10, 3)),
    }
    with db.read() as session:
        water = session.scalar(select(Signal).where(
            Signal.agreement_id == scenario.agreements["vitens"], Signal.active,
            Signal.expected_date == date(2026, 10, 3)))
    set_signal_status(db.unit_of_work("fo"), water.id, SignalStatus.RESOLVED,
                      "Vitens heeft de rekening verschoven")
    with db.unit_of_work("t") as uow:
        uow.session.add_all([
            Signal(participant_id=scenario.participant_id, kind=SignalKind.SALDO_NEGATIVE,
                   key="t:2", message="intern: saldo negatief", active=True),
            Signal(participant_id=scenario.participant_id, agreement_id=scenario.agreements["zz"],
                   kind=SignalKind.PAYMENT_MISSING, key="t:3", message="november",
                   expected_date=date(2026, 11, 28), active=True),
        ])
        uow.record("signalen aangemaakt", "signals", None)
        uow.permitted = True  # test set-up straight into the tables, not a service
        uow.commit()
    # Resolved by a person, internal, or of another month: not on this month's paper.
    assert {(n.kind, n.organisation) for n in read(db, scenario).notices} == {
        ("dubbele betaling", None), ("dubbele betaling", "UWV")}


def test_selection_by_paper_preference(db, scenario):
    other = golden.build(db, number="HHB-00043", bsn=golden.VALID_BSNS[2],
                         own_iban=golden.nl_iban("INGB", "0007654321"), with_orgs=False,
                         municipal=False, paper_overview=False)
    with db.read() as session:
        assert select_participants(session) == [scenario.participant_id]
        assert select_participants(session, everybody=True) == [scenario.participant_id,
                                                                 other.participant_id]
        assert select_participants(session, dossier="hhb-00043") == [other.participant_id]


@pytest.mark.parametrize("text", ["2026-13", "oktober", "26-10", "2026/10"])
def test_month_must_be_yyyy_mm(text):
    with pytest.raises(ValidationError, match="JJJJ-MM"):
        parse_month(text, today=golden.TODAY)


def test_future_month_refused():
    assert parse_month("2026-11", today=golden.TODAY) == date(2026, 11, 1)
    with pytest.raises(ValidationError, match="nog niet begonnen"):
        parse_month("2026-12", today=golden.TODAY)

"""The participant list: searched as you type (name, dossier number, IBAN, last digits of the
BSN) and filtered in SQL, a lazy model that fetches rows a page at a time, and opening a
dossier from the keyboard. The queries run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.models import BankAccount, Participant, ParticipantStatus
from app.services.bsn import with_bsn_search
from app.services.participants import change_status
from app.services.queries import (
    ParticipantFilter,
    count_participants,
    current_user,
    list_participants,
    participant_ids,
    participant_rows,
    search_tokens,
)
from app.services.saldo import saldos_cents
from app.ui.participants_screen import ParticipantsScreen, ParticipantTableModel
from app.ui.widgets import CENTS_ROLE, DEBIT_COLOR
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_rows, bsn_of
from tests.ui_support import settle

# Demo databases shared by the desktop-client tests (tests/ui_support.py).
demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def someone(db) -> Participant:
    with db.read() as session:
        return session.scalars(select(Participant).order_by(Participant.number).offset(7)).first()


def ids_for(db, **filters) -> list[int]:
    """As the list does it: the logged BSN search first, then the query."""
    where = with_bsn_search(db, ParticipantFilter(**filters))
    with db.read() as session:
        return participant_ids(session, where)


# -- the queries, on both databases ---------------------------------------------------------------


def test_search_finds_a_participant_by_each_of_the_four_keys(demo_db):
    person = someone(demo_db)
    with demo_db.read() as session:
        iban = session.scalar(select(BankAccount.iban).where(
            BankAccount.participant_id == person.id))
    assert ids_for(demo_db, search=person.number) == [person.id]
    assert ids_for(demo_db, search=person.number[-3:].lstrip("0") or "0")  # '42' finds HHB-00042
    assert person.id in ids_for(demo_db, search=person.last_name.upper())  # case does not matter
    assert person.id in ids_for(demo_db, search=f"{person.first_name} {person.last_name}")
    bsn = bsn_of(demo_db, person.id)
    assert person.id in ids_for(demo_db, search=bsn[-3:])  # the stored tail, not logged
    assert not audit_rows(demo_db, "gezocht op BSN")
    assert person.id in ids_for(demo_db, search=bsn[-4:])
    assert ids_for(demo_db, search=bsn) == [person.id]
    searched = audit_rows(demo_db, "gezocht op BSN")
    assert len(searched) == 2 and bsn not in "".join(r.after for r in searched)
    assert person.id in ids_for(demo_db, search=iban[-6:])
    grouped = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))  # as people type it
    assert ids_for(demo_db, search=grouped) == [person.id]
    assert ids_for(demo_db, search="zzzqqq") == []


def test_search_terms_keep_a_typed_iban_together():
    assert search_tokens("  NL91 ABNA 0417 1643 00 ") == ["NL91ABNA0417164300"]
    assert search_tokens("jan van  der berg") == ["jan", "van", "der", "berg"]
    assert search_tokens("100%_x") == ["100%_x"]


def test_like_wildcards_typed_by_a_clerk_are_taken_literally(demo_db):
    assert ids_for(demo_db, search="%") == []
    assert ids_for(demo_db, search="_") == []


def test_filters_status_mine_and_negative_saldo(demo_db):
    person = someone(demo_db)
    change_status(demo_db.unit_of_work("t"), person.id, ParticipantStatus.CANCELLED,
                  date.today(), "verhuisd")
    assert ids_for(demo_db, status=ParticipantStatus.CANCELLED) == [person.id]
    mine = ids_for(demo_db, contact_employee_id=person.contact_employee_id)
    assert person.id in mine and 0 < len(mine) < 50
    with demo_db.read() as session:
        saldos = saldos_cents(session, date.today())
    negative = ids_for(demo_db, negative_saldo=True)
    assert negative == sorted((pid for pid, cents in saldos.items() if cents < 0),
                              key=ids_for(demo_db).index)
    assert negative, "the demo has participants below zero"


def test_rows_carry_the_saldo_of_the_one_saldo_function(demo_db):
    with demo_db.read() as session:
        ids = participant_ids(session)[:10]
        rows = participant_rows(session, ids)
        saldos = saldos_cents(session, date.today(), ids)
    assert [r.id for r in rows] == ids
    assert {r.id: r.saldo_cents for r in rows} == saldos
    assert all(r.contact_person for r in rows)


def test_sorting_in_sql(demo_db):
    with demo_db.read() as session:
        by_name = participant_rows(session, participant_ids(session, sort="name"))
        by_number_desc = participant_ids(session, sort="number", descending=True)
    last_names = [name.split()[-1].lower() for name in (r.name for r in by_name)]
    assert len(by_name) == 50 and last_names[0] <= last_names[-1]
    assert by_number_desc == list(reversed(ids_for(demo_db)))


def test_the_old_list_and_count_calls_still_work(demo_db):
    with demo_db.read() as session:
        rows = list_participants(session, limit=5)
        assert count_participants(session) == 50
        assert count_participants(session, ParticipantFilter(search="zzzqqq")) == 0
    assert [r.number for r in rows] == [f"HHB-{n:05d}" for n in range(1, 6)]


# -- the screen -----------------------------------------------------------------------------------


def open_screen(qtbot, db, user=None) -> ParticipantsScreen:
    screen = ParticipantsScreen(db, user)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    with qtbot.waitSignal(screen.list.loaded, timeout=10_000):
        screen.activate()
    return screen


def type_search(qtbot, screen, text: str) -> None:
    screen.list.search.clear()
    qtbot.keyClicks(screen.list.search, text)
    with qtbot.waitSignal(screen.list.loaded, timeout=10_000):
        screen.list.search.flush()


def test_typing_narrows_the_list_and_says_how_many(qtbot, demo_db, backend):
    person = someone(demo_db)
    screen = open_screen(qtbot, demo_db)
    assert screen.list.model.rowCount() == 50
    type_search(qtbot, screen, person.last_name[:4])
    model = screen.list.model
    shown = [model.index(r, 1).data() for r in range(model.rowCount())]
    assert person.full_name in shown
    assert screen.list.count_label.text() == f"{model.rowCount()} van 50 deelnemers"
    screen.grab().save(str(ARTIFACTS / f"participants_search_{backend}.png"))
    qtbot.keyClick(screen.list.search, Qt.Key.Key_Escape)
    settle()
    assert model.rowCount() == 50


def test_typing_without_accents_finds_the_name_with_them(qtbot, demo_db, backend):
    from app.services.participants import update_participant

    person = someone(demo_db)
    update_participant(demo_db.unit_of_work("tester"), person.id, first_name="Bjørn",
                       last_name="Çelik-Öztürk")
    from app.models.participant import search_fold

    renamed = " ".join(p for p in ("Bjørn", person.infix, "Çelik-Öztürk") if p)
    screen = open_screen(qtbot, demo_db)
    for typed in ("celik", "ozturk", "bjorn cel"):
        type_search(qtbot, screen, typed)
        model = screen.list.model
        shown = [model.index(r, 1).data() for r in range(model.rowCount())]
        assert renamed in shown, typed
        assert all(word in search_fold(name) for name in shown for word in typed.split())
    screen.grab().save(str(ARTIFACTS / f"participants_search_accents_{backend}.png"))


def test_negative_saldo_filter_shows_red_amounts(qtbot, demo_db):
    screen = open_screen(qtbot, demo_db)
    with qtbot.waitSignal(screen.list.loaded, timeout=10_000):
        screen.list.negative.setChecked(True)
    model = screen.list.model
    assert 0 < model.rowCount() < 50
    for row in range(model.rowCount()):
        index = model.index(row, 3)
        assert index.data(CENTS_ROLE) < 0
        assert index.data().startswith("€ -")
        assert index.data(Qt.ItemDataRole.ForegroundRole) == DEBIT_COLOR


def test_my_participants(qtbot, demo_db):
    with demo_db.read() as session:
        user = current_user(session, "lvink")
    screen = open_screen(qtbot, demo_db, user)
    with qtbot.waitSignal(screen.list.loaded, timeout=10_000):
        screen.list.mine.setChecked(True)
    model = screen.list.model
    assert 0 < model.rowCount() < 50
    assert {model.index(r, 4).data() for r in range(model.rowCount())} == {"Lucas Vink"}


def test_the_model_passes_qt_model_checks(qtmodeltester, demo_db):
    model = ParticipantTableModel(demo_db)
    model.set_ids(ids_for(demo_db))
    qtmodeltester.check(model)


def test_rows_are_fetched_a_page_at_a_time_and_an_edit_does_not_reset(qtbot, demo_db,
                                                                       monkeypatch):
    monkeypatch.setattr(ParticipantTableModel, "PAGE", 10)
    model = ParticipantTableModel(demo_db)
    model.set_ids(ids_for(demo_db))
    assert model.page_fetches == 0  # the ids alone: no rows read yet
    assert model.index(0, 0).data() == "HHB-00001"
    assert model.index(9, 0).data() == "HHB-00010"
    assert model.page_fetches == 1
    assert model.index(45, 0).data() == "HHB-00046"
    assert model.page_fetches == 2
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged):
        model.refresh_rows([model.participant_id(45)])
    assert model.index(45, 0).data() == "HHB-00046"
    assert model.page_fetches == 3 and resets == []


def test_enter_opens_the_dossier_and_escape_goes_back(qtbot, demo_db):
    screen = open_screen(qtbot, demo_db)
    table = screen.list.table
    table.setFocus()
    table.selectRow(2)
    pid = screen.list.model.participant_id(2)
    before = len(audit_rows(demo_db, "dossier geopend"))
    with qtbot.waitSignal(screen.dossier.loaded, timeout=10_000):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert screen.stack.currentWidget() is screen.dossier
    assert screen.dossier.title.text().startswith("HHB-00003")
    opened = audit_rows(demo_db, "dossier geopend")
    assert len(opened) == before + 1 and opened[-1].entity_id == str(pid)
    qtbot.keyClick(screen.dossier.tabs, Qt.Key.Key_Escape)
    assert screen.stack.currentWidget() is screen.list


@pytest.mark.parametrize("key", [Qt.Key.Key_Down])
def test_arrow_down_from_the_search_field_goes_to_the_list(qtbot, demo_db, key):
    screen = open_screen(qtbot, demo_db)
    screen.list.focus_search()
    qtbot.keyClick(screen.list.search, key)
    assert screen.list.table.hasFocus() or screen.list.table.currentIndex().row() == 0

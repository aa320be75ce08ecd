"""The Signalen screen on the demo municipality (which evaluates its signals as of today): the
team's open signals, filters that narrow them, Enter opening the dossier on the signal's tab,
resolving with a note (audited, the sidebar count follows), and a frontoffice clerk's own
participants first."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt

from app.models import Employee, Role, SignalKind, SignalStatus
from app.services.queries import CurrentUser, current_user
from app.services.signals import list_signals, open_signal_count
from app.ui.main_window import MainWindow
from app.ui.signals_screen import SignalsScreen
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_rows, last_audit
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def admin(db) -> CurrentUser:
    with db.read() as session:
        return current_user(session, "tkorkmaz")  # the demo's beheerder


def open_screen(qtbot, db, user) -> SignalsScreen:
    screen = SignalsScreen(db, user)
    qtbot.addWidget(screen)
    screen.resize(1400, 700)
    screen.show()
    screen.refresh()
    settle()
    return screen


def open_window(qtbot, db) -> MainWindow:
    window = MainWindow(db, admin(db))
    qtbot.addWidget(window)
    window.show()
    settle()
    return window


def column(screen: SignalsScreen, name: str) -> list[str]:
    index = [screen.table.horizontalHeaderItem(c).text()
             for c in range(screen.table.columnCount())].index(name)
    return [screen.table.item(r, index).text() for r in range(screen.table.rowCount())]


def test_the_team_sees_every_open_signal_and_a_filter_narrows_them(qtbot, demo_db, backend):
    with demo_db.read() as session:
        total = open_signal_count(session)
        kinds = Counter(s.kind for s in list_signals(session))
    assert total > 10 and len(kinds) >= 6  # the demo's realistic handful
    screen = open_screen(qtbot, demo_db, admin(demo_db))
    assert screen.table.rowCount() == total
    assert f"{total} getoond" in screen.count_label.text()
    assert set(column(screen, "Soort")) == {k.value for k in kinds}
    screen.grab().save(str(ARTIFACTS / f"signals_{backend}.png"))

    missing = SignalKind.PAYMENT_MISSING
    screen.kind_filter.setCurrentIndex(screen.kind_filter.findData(missing))
    settle()
    assert screen.table.rowCount() == kinds[missing]
    assert set(column(screen, "Soort")) == {missing.value}
    # A missing payment names what was expected, when and how much.
    assert all(column(screen, "Verwacht op")) and all(column(screen, "Verwacht bedrag"))

    screen.kind_filter.setCurrentIndex(0)
    screen.status_filter.setCurrentIndex(screen.status_filter.findText("Afgehandeld"))
    settle()
    assert set(column(screen, "Status")) <= {"afgehandeld"}


def test_enter_opens_the_dossier_on_the_tab_of_the_signal(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    screen = window.show_page("signals")
    settle()
    assert window.items["signals"].text() == f"Signalen ({screen.table.rowCount()})"
    amount = screen.kind_filter.findData(SignalKind.AMOUNT_OFF)
    screen.kind_filter.setCurrentIndex(amount)
    settle()
    signal = screen.rows[0]
    assert signal.tab == "boekingen"
    screen.table.setFocus()
    screen.table.selectRow(0)
    with qtbot.waitSignal(screen.dossier_requested) as emitted:
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert emitted.args == [signal.participant_id, "boekingen"]
    settle()
    participants = window.page("participants")
    assert window.current_key() == "participants"
    dossier = participants.dossier
    assert participants.stack.currentWidget() is dossier
    assert dossier.participant_id == signal.participant_id
    assert dossier.tabs.tabText(dossier.tabs.currentIndex()) == "Boekingen"


def test_resolving_a_signal_needs_a_note_is_audited_and_lowers_the_count(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    screen = window.show_page("signals")
    settle()
    before = screen.table.rowCount()
    screen.table.selectRow(0)
    signal = screen.selected()
    screen.ask_note = lambda status, row: None  # Annuleren: nothing changes
    screen.resolve_button.click()
    settle()
    assert screen.table.rowCount() == before and not audit_rows(demo_db, "signaal afgehandeld")

    screen.ask_note = lambda status, row: "Gebeld met de verhuurder: huur is verhoogd."
    screen.resolve_button.click()
    settle()
    assert screen.table.rowCount() == before - 1
    assert signal.id not in {s.id for s in screen.rows}
    assert window.items["signals"].text() == f"Signalen ({before - 1})"
    entry = last_audit(demo_db)
    assert entry.action == "signaal afgehandeld" and "verhuurder" in (entry.after or "")
    screen.status_filter.setCurrentIndex(screen.status_filter.findText("Afgehandeld"))
    settle()
    resolved = next(s for s in screen.rows if s.id == signal.id)
    assert resolved.status == SignalStatus.RESOLVED
    assert resolved.status_note == "Gebeld met de verhuurder: huur is verhoogd."
    screen.table.selectRow(screen.rows.index(resolved))
    assert "verhuurder" in screen.detail.text() and not screen.resolve_button.isEnabled()


def test_the_note_dialog_refuses_to_resolve_without_a_note(qtbot, demo_db):
    from app.ui.widgets import NoteDialog

    dialog = NoteDialog("Signaal afhandelen", "Hoe is het afgehandeld?", True,
                        missing="Schrijf kort op hoe het signaal is afgehandeld.")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.save()
    assert dialog.isVisible() and dialog.error.text().startswith("Schrijf kort op")
    dialog.note.setPlainText("Afgesproken met de werkgever.")
    dialog.save()
    assert dialog.result() == NoteDialog.DialogCode.Accepted


def test_a_frontoffice_clerk_sees_their_own_participants_first(qtbot, demo_db, backend):
    with demo_db.read() as session:
        rows = list_signals(session)
        contacts = Counter(s.contact_employee_id for s in rows if s.contact_employee_id)
        employee_id = min(contacts, key=lambda e: (contacts[e] == len(rows), -contacts[e]))
        employee = session.get(Employee, employee_id)
        clerk = CurrentUser(employee.username, employee.name, Role.FRONTOFFICE, employee.id)
    own = contacts[employee_id]
    assert 0 < own < len(rows)
    screen = open_screen(qtbot, demo_db, clerk)
    assert screen.table.rowCount() == len(rows)
    contact_names = column(screen, "Contactpersoon")
    assert contact_names[:own] == [employee.name] * own
    assert employee.name not in contact_names[own:]
    assert screen.table.item(0, 0).font().bold()
    assert not screen.table.item(own, 0).font().bold()
    screen.grab().save(str(ARTIFACTS / f"signals_frontoffice_{backend}.png"))

    # The employee filter: only this employee's participants.
    screen.employee_filter.setCurrentIndex(screen.employee_filter.findData(employee_id))
    settle()
    assert set(column(screen, "Contactpersoon")) == {employee.name}


def test_the_first_start_of_the_day_evaluates_everyone_once(qtbot, demo_db):
    from app.models import Setting
    from app.services.signals import EVALUATED_ON_KEY

    with demo_db.unit_of_work("tester") as uow:  # as if the demo was evaluated yesterday
        uow.session.get(Setting, EVALUATED_ON_KEY).value = "2000-01-01"
        uow.record("test", "settings", EVALUATED_ON_KEY)
        uow.permitted = True  # test set-up straight into the tables, not a service
        uow.commit()
    window = open_window(qtbot, demo_db)
    window.evaluate_signals_daily()
    settle()
    assert len(audit_rows(demo_db, "signalen geëvalueerd")) == 2  # the demo's and today's
    assert "Signalen bijgewerkt" in window.statusBar().currentMessage()
    window.evaluate_signals_daily()  # the second start of the day does nothing
    settle()
    assert len(audit_rows(demo_db, "signalen geëvalueerd")) == 2

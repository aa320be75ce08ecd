"""The Logboek screen on the demo municipality with some history of clerks: every row newest
first, refused rows marked, the filters (medewerker, dossiernummer, actie exactly or in part,
resultaat, a period, a date that does not exist), a selected row's before and after side by
side, the export through the file dialog with its own audit row, and the page in the main
window for the teamleader only."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.models import Employee, Participant, Role
from app.services import participants
from app.services.audit_log import EXPORTED
from app.services.permissions import EVERYONE
from app.services.queries import current_user
from app.ui import audit_screen
from app.ui.audit_screen import REFUSED_BACKGROUND, AuditScreen, AuditTableModel
from app.ui.main_window import MainWindow
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_rows
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def usernames(db) -> dict[Role, str]:
    with db.read() as session:
        employees = session.scalars(select(Employee).order_by(Employee.id)).all()
    found: dict[Role, str] = {}
    for employee in employees:
        found.setdefault(employee.role, employee.username)
    return found


def add_history(db) -> dict[str, int]:
    """A morning of clerks' work: dossiers opened and changed, a refusal."""
    names = usernames(db)
    front, back = names[Role.FRONTOFFICE], names[Role.BACKOFFICE]
    with db.read() as session:
        first, second = session.scalars(select(Participant.id).order_by(Participant.id)
                                        .limit(2)).all()
        city = session.get(Participant, first).city
    participants.open_dossier(db.unit_of_work(front), first)
    participants.update_participant(db.unit_of_work(front), first, city="Houten",
                                    phone="030 123 45 67")
    edit = audit_rows(db)[-1].id
    participants.open_dossier(db.unit_of_work(back), second)
    participants.add_contact_note(db.unit_of_work(front), first, "Gebeld over de huur")
    db.unit_of_work(back).refuse("medewerker toevoegen", "rechten", reason="rol backoffice")
    refused = audit_rows(db)[-1].id
    participants.open_dossier(db.unit_of_work(front), second)
    return {"first": first, "second": second, "edit": edit, "refused": refused,
            "city": city, "front": front, "back": back}


def open_screen(qtbot, db) -> AuditScreen:
    screen = AuditScreen(db)
    qtbot.addWidget(screen)
    screen.resize(1400, 900)
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.activate()
    settle()
    return screen


def apply(qtbot, screen: AuditScreen, change) -> None:
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        change()
        screen.reload()
    settle()


def shown_ids(screen: AuditScreen) -> list[int]:
    return screen.model.ids()


def select_id(qtbot, screen: AuditScreen, audit_id: int) -> None:
    row = screen.model.row_of(audit_id)
    assert row is not None
    with qtbot.waitSignal(screen.detail_shown, timeout=10_000):
        screen.table.selectRow(row)
    settle()


def test_the_log_filters_and_shows_before_and_after(qtbot, demo_db, backend):
    history = add_history(demo_db)
    every = [row.id for row in reversed(audit_rows(demo_db))]
    screen = open_screen(qtbot, demo_db)
    assert shown_ids(screen) == every
    assert screen.result_line.text() == f"{len(every)} regel(s)"
    assert "deelnemer gewijzigd" in [screen.filters.action.itemText(i)
                                     for i in range(screen.filters.action.count())]

    # Refused rows are marked: red on pink, the result in bold.
    model = screen.model
    row = model.row_of(history["refused"])
    index = model.index(row, AuditTableModel.RESULT)
    assert index.data() == "geweigerd"
    assert index.data(Qt.ItemDataRole.BackgroundRole) == REFUSED_BACKGROUND
    assert index.data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None

    # A changed dossier: per field the value before and after, side by side.
    select_id(qtbot, screen, history["edit"])
    fields = screen.fields
    table = {fields.item(r, 0).text(): (fields.item(r, 1).text(), fields.item(r, 2).text())
             for r in range(fields.rowCount())}
    assert table["Woonplaats"] == (history["city"] or "(leeg)", "Houten")
    assert table["Telefoon"][1] == "030 123 45 67"
    assert fields.item(0, 0).toolTip() in ("city", "phone")  # the stored key
    assert "deelnemer gewijzigd" in screen.detail_title.text()
    assert history["front"] in screen.detail_who.text()
    edit_row = model.row_of(history["edit"])
    assert model.index(edit_row, AuditTableModel.SUBJECT).data().startswith("deelnemer HHB-")
    time_text = model.index(edit_row, AuditTableModel.TIME).data()
    assert len(time_text) == 19 and time_text[2] == "-" and time_text[13] == ":"
    screen.grab().save(str(ARTIFACTS / f"audit_screen_{backend}.png"))
    if backend == "sqlite":
        screen.grab().save(str(ARTIFACTS / "audit_screen.png"))

    # Medewerker, in part; then also a dossier number.
    apply(qtbot, screen, lambda: screen.filters.employee.setText(history["front"]))
    front_rows = [r.id for r in reversed(audit_rows(demo_db)) if r.actor == history["front"]]
    assert shown_ids(screen) == front_rows and len(front_rows) == 4
    with demo_db.read() as session:
        second_number = session.get(Participant, history["second"]).number
    apply(qtbot, screen, lambda: screen.filters.dossier.setText(second_number))
    assert len(shown_ids(screen)) == 1  # the front clerk opened the second dossier once
    apply(qtbot, screen, lambda: screen.filters.dossier.setText("HHB-99999"))
    assert shown_ids(screen) == []
    assert "Dossier HHB-99999 bestaat niet" in screen.problems.text()
    assert "Geen regels" in screen.result_line.text()
    apply(qtbot, screen, screen.filters.clear)
    assert shown_ids(screen) == every and screen.problems.isHidden()

    # Actie: chosen from the list (exactly) or typed in part; resultaat.
    apply(qtbot, screen, lambda: screen.filters.action.setEditText("dossier geopend"))
    opened = [r.id for r in reversed(audit_rows(demo_db)) if r.action == "dossier geopend"]
    assert shown_ids(screen) == opened and len(opened) == 3
    apply(qtbot, screen, lambda: screen.filters.action.setEditText("GEOPEND"))
    assert shown_ids(screen) == opened
    apply(qtbot, screen, lambda: (screen.filters.action.setEditText(""),
                                  screen.filters.result.setCurrentIndex(
                                      screen.filters.result.findData("geweigerd"))))
    assert shown_ids(screen) == [history["refused"]]
    assert screen.detail is not None and screen.detail.line.refused
    assert "GEWEIGERD" in screen.detail_title.text()
    assert screen.no_fields.isVisible() is False  # the refusal's reason is its one field
    apply(qtbot, screen, lambda: screen.filters.result.setCurrentIndex(0))

    # A period: today holds everything; a day that does not exist is named and left out.
    today = date.today().strftime("%d-%m-%Y")
    apply(qtbot, screen, lambda: (screen.filters.date_from.setText(today),
                                  screen.filters.date_to.setText(today)))
    assert shown_ids(screen) == every
    apply(qtbot, screen, lambda: screen.filters.date_to.setText("01-01-2000"))
    assert "ligt vóór 'van'" in screen.problems.text()
    apply(qtbot, screen, lambda: (screen.filters.date_from.setText("31-02-2026"),
                                  screen.filters.date_to.clear()))
    assert "De datum van 31-02-2026 bestaat niet" in screen.problems.text()
    assert "border" in screen.filters.date_from.styleSheet()
    assert shown_ids(screen) == every  # the unreadable date does not filter
    apply(qtbot, screen, lambda: screen.filters.date_from.setText("01-01-2000"))
    assert shown_ids(screen) == every and screen.problems.isHidden()
    apply(qtbot, screen, lambda: screen.filters.date_to.setText("31-12-2000"))
    assert shown_ids(screen) == []


def test_the_export_goes_through_the_file_dialog_and_is_logged(qtbot, demo_db, tmp_path,
                                                                monkeypatch):
    history = add_history(demo_db)
    screen = open_screen(qtbot, demo_db)
    apply(qtbot, screen, lambda: screen.filters.employee.setText(history["front"]))
    wanted = shown_ids(screen)
    chosen = tmp_path / "logboek"  # without .xlsx: the screen adds it
    asked = []

    def save_name(parent, title, suggested, filters):
        asked.append((title, suggested, filters))
        return str(chosen), filters

    monkeypatch.setattr(audit_screen.QFileDialog, "getSaveFileName", staticmethod(save_name))
    with qtbot.waitSignal(screen.exported, timeout=20_000) as exported:
        screen.export_button.click()
    settle()
    assert exported.args == [len(wanted)]
    assert asked and asked[0][1].startswith("logboek-") and "xlsx" in asked[0][2]
    path = tmp_path / "logboek.xlsx"
    rows = list(load_workbook(path)["Logboek"].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == wanted
    assert "geëxporteerd naar" in screen.result_line.text()
    entry = audit_rows(demo_db)[-1]
    assert entry.action == EXPORTED and f'"rijen": {len(wanted)}' in entry.after
    assert screen.export_button.isEnabled()


def test_an_export_error_is_shown_not_raised(qtbot, demo_db, tmp_path, monkeypatch):
    screen = open_screen(qtbot, demo_db)
    shown = []
    monkeypatch.setattr(audit_screen, "show_error",
                        lambda parent, exc, detail="": shown.append(str(exc)))
    blocked = tmp_path / "bestand"
    blocked.write_text("geen map")
    screen.export(blocked / "logboek.xlsx")  # a folder that is a file
    settle()
    assert shown and "Kan" in shown[0] and "niet schrijven" in shown[0]
    assert screen.export_button.isEnabled()
    assert audit_rows(demo_db)[-1].action != EXPORTED


@pytest.mark.parametrize("role, sees", [(Role.TEAMLEADER, True), (Role.FRONTOFFICE, False)])
def test_the_page_is_for_the_teamleader_and_the_beheerder(qtbot, demo_db, role, sees):
    username = usernames(demo_db)[role]
    with demo_db.read() as session:
        user = current_user(session, username)
    window = MainWindow(demo_db, user)
    qtbot.addWidget(window)
    window.show()
    settle()
    assert ("audit" in window.visible) is sees
    screen = window.show_page("audit")
    settle()
    if sees:
        assert isinstance(screen, AuditScreen)
        assert window.items["audit"].text().startswith("Logboek")
        assert screen.model.rowCount() == len(audit_rows(demo_db))
    else:
        assert screen is None


def test_a_long_log_is_read_a_page_at_a_time_and_capped(qtbot, demo_db, monkeypatch):
    uow = demo_db.unit_of_work("bulk")
    uow.require(EVERYONE, "test")
    with uow:  # 250 rows in one go
        for n in range(250):
            uow.record("dossier geopend", "participants", n + 1)
        uow.commit()
    total = len(audit_rows(demo_db))
    screen = open_screen(qtbot, demo_db)
    model = screen.model
    assert model.rowCount() == total > 2 * AuditTableModel.PAGE
    assert model.page_fetches == 1  # the first page came with the ids
    last = model.index(total - 1, AuditTableModel.ACTION)
    assert last.data() is None  # not read yet: asked for off the GUI thread
    settle()
    assert last.data() == "demodata aangemaakt"
    assert model.page_fetches == 2  # only the page of the last row, not those between
    screen.table.scrollToBottom()
    settle()
    assert not model.loading()

    monkeypatch.setattr(audit_screen, "SHOWN", 40)
    apply(qtbot, screen, lambda: None)
    assert model.rowCount() == 40
    assert screen.result_line.text().startswith("De nieuwste 40 regels; er zijn er meer")

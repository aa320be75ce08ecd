"""The Caseload screen on the demo municipality: a row per employee and the team, a click on a
number lists the participants behind it, Enter opens the dossier, the three charts, Voortgang,
and the Excel export."""

from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt

from app.services.caseload import caseload
from app.services.queries import current_user
from app.ui.caseload_screen import COLUMNS, CaseloadScreen
from app.ui.main_window import MainWindow
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def open_screen(qtbot, db) -> CaseloadScreen:
    screen = CaseloadScreen(db)
    qtbot.addWidget(screen)
    screen.resize(1400, 900)
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.refresh()
    settle()
    return screen


def column_of(key: str) -> int:
    return 1 + [k for k, _t in COLUMNS].index(key)


def test_the_table_shows_the_team_and_a_number_lists_its_participants(qtbot, demo_db,
                                                                      backend):
    with demo_db.read() as session:
        expected = caseload(session)
    screen = open_screen(qtbot, demo_db)
    table = screen.table
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == [row.name for row in expected.employees] + ["Team"]
    assert len(names) >= 4  # the demo's frontoffice employees and the team
    team = table.rowCount() - 1
    assert table.item(team, column_of("participants")).text() == \
        str(len(expected.total.participants))
    assert table.item(team, 0).font().bold()
    charts = screen.findChildren(QChartView)
    assert len(charts) == 3 and all(view.chart().series() for view in charts)
    assert screen.progress_table.rowCount() == 9
    screen.grab().save(str(ARTIFACTS / f"caseload_{backend}.png"))

    # The first employee with a negative saldo among their participants: click that number.
    row = next(r for r, load in enumerate(expected.employees) if load.count("negative"))
    wanted = expected.employees[row].participants_behind("negative")
    table.setCurrentCell(row, column_of("negative"))
    settle()
    assert sorted(screen.drill_ids) == wanted
    assert screen.drill_table.rowCount() == len(wanted)
    saldos = [screen.drill_table.item(r, 4).text() for r in range(len(wanted))]
    assert all(s.startswith("€ -") for s in saldos), saldos
    assert expected.employees[row].name in screen.drill_label.text()


def test_enter_on_a_participant_opens_the_dossier(qtbot, demo_db):
    with demo_db.read() as session:
        user = current_user(session, "tkorkmaz")
    window = MainWindow(demo_db, user)
    qtbot.addWidget(window)
    window.show()
    settle()
    screen = window.show_page("caseload")
    settle()
    screen.table.setCurrentCell(0, column_of("participants"))
    settle()
    first = screen.drill_ids[0]
    screen.drill_table.setFocus()
    screen.drill_table.selectRow(0)
    with qtbot.waitSignal(screen.participant_requested) as emitted:
        qtbot.keyClick(screen.drill_table, Qt.Key.Key_Return)
    assert emitted.args == [first]
    settle()
    assert window.current_key() == "participants"
    assert window.page("participants").dossier.participant_id == first


def test_the_excel_export_of_the_screen(qtbot, demo_db, tmp_path):
    screen = open_screen(qtbot, demo_db)
    out = tmp_path / "caseload.xlsx"
    screen.export(out)
    settle()
    assert "geschreven naar" in screen.drill_label.text()
    book = load_workbook(out)
    assert book.sheetnames[0] == "Caseload" and len(book.sheetnames) == screen.table.rowCount()

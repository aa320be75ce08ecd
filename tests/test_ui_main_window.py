"""The main window on a demo database, driven offscreen with pytest-qt: every screen opens,
the sidebar follows the role, the status bar says where and who, the window and the columns are
remembered, and the keyboard reaches every screen."""

from __future__ import annotations

import sys
import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.db import head_revision
from app.models import Role
from app.services.employees import add_employee
from app.services.queries import CurrentUser, current_user
from app.ui.main_window import PAGES, MainWindow, optional_screen, visible_pages
from app.ui.widgets import PlaceholderPage, save_columns
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.ui_support import settle

# Demo databases shared by the desktop-client tests (tests/ui_support.py).
demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def open_window(qtbot, db, user=None, *, size=(1280, 800)) -> MainWindow:
    window = MainWindow(db, user)
    qtbot.addWidget(window)
    if size:
        window.resize(*size)
    window.show()
    settle()
    return window


def admin(db) -> CurrentUser:
    with db.read() as session:
        return current_user(session, "tkorkmaz")  # the demo's beheerder


def test_every_screen_opens_on_demo_data_and_is_saved_as_a_screenshot(qtbot, demo_db, backend):
    window = open_window(qtbot, demo_db, admin(demo_db))
    assert window.current_key() == "participants"
    participants = window.page("participants")
    assert participants.list.model.rowCount() == 50
    assert participants.list.count_label.text() == "50 deelnemers"
    window.grab().save(str(ARTIFACTS / f"screen_participants_{backend}.png"))
    for spec in PAGES:
        screen = window.show_page(spec.key)
        settle()
        assert screen is not None and window.stack.currentWidget() is screen
        assert window.items[spec.key].isSelected()
        window.grab().save(str(ARTIFACTS / f"screen_{spec.key}_{backend}.png"))
    assert window.page("settings").organisations_table.rowCount() > 10
    assert window.page("import").history.rowCount() == 3  # the demo's three months


def test_the_queue_entry_shows_the_open_count(qtbot, demo_db):
    from sqlalchemy import func, select

    from app.models import BankTransaction

    with demo_db.read() as session:
        open_count = session.scalar(select(func.count()).where(BankTransaction.is_open))
    window = open_window(qtbot, demo_db, admin(demo_db))
    assert open_count > 0
    assert window.items["queue"].text() == f"Wachtrij ({open_count})"


def test_status_bar_names_database_user_role_and_schema(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    text = window.status_label.text()
    assert f"Database: {demo_db.describe()}" in text
    assert f"Gebruiker: {demo_db.default_actor()}" in text
    assert f"Schemaversie: {head_revision()}" in text
    assert "password" not in text.lower()


def test_status_bar_of_an_employee_shows_name_and_role(qtbot, demo_db):
    with demo_db.read() as session:
        user = current_user(session, "mvink")
    window = open_window(qtbot, demo_db, user)
    assert "Gebruiker: Marloes Vink (mvink)" in window.status_label.text()
    assert "Rol: backoffice" in window.status_label.text()


@pytest.mark.parametrize("role, expected", [
    (Role.FRONTOFFICE, ["participants", "signals", "overviews"]),
    (Role.BACKOFFICE, ["participants", "import", "queue", "payouts", "signals"]),
    (Role.TEAMLEADER, ["participants", "import", "queue", "payouts", "signals", "overviews",
                       "caseload", "audit"]),
    (Role.ADMIN, [spec.key for spec in PAGES]),
    (None, ["participants", "signals"]),
])
def test_what_a_role_may_not_use_is_not_offered(role, expected):
    assert visible_pages(role) == expected


def test_a_frontoffice_clerk_sees_no_import_queue_or_settings(qtbot, demo_db):
    add_employee(demo_db.unit_of_work("beheer"), "fclerk", Role.FRONTOFFICE, name="F. Clerk")
    with demo_db.read() as session:
        user = current_user(session, "fclerk")
    window = open_window(qtbot, demo_db, user)
    shown = [key for key, item in window.items.items() if not item.isHidden()]
    assert shown == ["participants", "signals", "overviews"]
    assert window.show_page("settings") is None
    assert window.show_page("import") is None
    assert "queue" not in window.pages and "settings" not in window.pages
    assert window.page("participants").list.mine.isEnabled()


def test_the_embedded_database_is_managed_by_whoever_runs_it(qtbot, demo_db, backend):
    unknown = CurrentUser("somebody", "somebody", None, None)
    window = open_window(qtbot, demo_db, unknown)
    if backend == "sqlite":
        assert window.role == Role.ADMIN
        assert "Rol: beheerder (ingebouwde database)" in window.status_label.text()
    else:  # a shared database: not an employee, only what everyone may use
        assert window.role is None
        assert window.visible == ["participants", "signals"]
        assert "Rol: geen medewerker" in window.status_label.text()


def test_keyboard_shortcuts_reach_every_screen(qtbot, demo_db):
    window = open_window(qtbot, demo_db, admin(demo_db))
    window.activateWindow()
    for spec in PAGES:
        number = spec.shortcut.removeprefix("Ctrl+")
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{number}"),
                       Qt.KeyboardModifier.ControlModifier)
        assert window.current_key() == spec.key
    window.find_participant()
    settle()
    assert window.current_key() == "participants"
    assert QApplication.focusWidget() is window.page("participants").list.search


def test_window_size_page_and_column_widths_are_remembered(qtbot, demo_db):
    window = open_window(qtbot, demo_db, admin(demo_db))
    window.resize(711, 533)  # within the offscreen screen (800 x 600)
    window.show_page("import")
    header = window.page("participants").list.table.horizontalHeader()
    header.resizeSection(0, 211)
    save_columns(header, "participants")
    size = (window.width(), window.height())
    assert size != (1280, 800)
    window.close()
    again = open_window(qtbot, demo_db, admin(demo_db), size=None)
    assert (again.width(), again.height()) == size
    assert again.current_key() == "import"
    again.show_page("participants")
    assert again.page("participants").list.table.horizontalHeader().sectionSize(0) == 211


def test_a_missing_screen_module_gives_a_placeholder_page(qtbot, db):
    page = optional_screen("app.ui.no_such_screen", "NoSuchScreen", db, "Iets")
    qtbot.addWidget(page)
    assert isinstance(page, PlaceholderPage)
    assert "volgende versie" in page.message.text()


def test_a_broken_screen_module_does_not_stop_the_window(qtbot, db, monkeypatch):
    module = types.ModuleType("app.ui.broken_screen_for_test")

    class Broken:
        def __init__(self, db):
            raise RuntimeError("kapot")

    module.BrokenScreen = Broken
    module.__spec__ = types.SimpleNamespace(name=module.__name__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    page = optional_screen(module.__name__, "BrokenScreen", db, "Kapot")
    qtbot.addWidget(page)
    assert isinstance(page, PlaceholderPage)
    assert "kon niet worden geladen: kapot" in page.message.text()


def test_qt_s_own_buttons_and_formats_are_dutch(qtbot):
    """What Qt itself draws (a dialog's Cancel/Save buttons, a date field) speaks Dutch once
    the program has started, as our own texts do."""
    from PySide6.QtCore import QDate, QLocale
    from PySide6.QtWidgets import QDialogButtonBox

    from app.ui.app import install_dutch

    app = QApplication.instance()
    before = QLocale()
    installed = install_dutch(app)
    try:
        assert installed is not None, "qtbase_nl.qm ships with PySide6 and must load"
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        qtbot.addWidget(buttons)
        texts = {buttons.button(b).text().replace("&", "")
                 for b in (QDialogButtonBox.StandardButton.Save,
                           QDialogButtonBox.StandardButton.Cancel)}
        assert texts == {"Opslaan", "Annuleren"}
        assert QLocale().toString(QDate(2026, 11, 23), "d MMMM yyyy") == "23 november 2026"
    finally:
        if installed is not None:
            app.removeTranslator(installed)
        QLocale.setDefault(before)

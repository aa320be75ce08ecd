"""Instellingen on a demo database, driven offscreen: organisations and their IBANs, municipal
accounts, employees (add, edit the role, deactivate) and categories (add, rename, deactivate),
through the real screen and its dialogs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Category, Employee, Role
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


@pytest.fixture
def screen(qtbot, demo_db):
    from app.ui.settings_screen import SettingsScreen

    screen = SettingsScreen(demo_db)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.activate()
    return screen


def rows(table, column: int = 0) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def select_row(table, text: str, column: int = 0) -> None:
    table.selectRow(rows(table, column).index(text))


def test_add_rename_and_deactivate_a_category(qtbot, screen, demo_db):
    screen.tabs.setCurrentIndex(1)
    table = screen.categories_table
    screen.category_name.setText("kinderopvang")
    screen.category_kind.setCurrentIndex(screen.category_kind.findData("vaste_last"))
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.add_category()
    assert "kinderopvang" in rows(table)
    assert screen.category_name.text() == ""  # ready for the next one

    screen.category_name.setText("Huur")  # taken: refused under the form, list unchanged
    screen.add_category()
    settle()
    assert screen.category_error.isVisible()
    assert screen.category_error.text() == "Er is al een rubriek met de naam 'Huur'"

    select_row(table, "kinderopvang")
    dialog = screen.rename_category()
    dialog.name.setText("energie")
    dialog.save()
    settle()
    assert dialog.isVisible() and dialog.error.text() == ("Er is al een rubriek met de naam "
                                                          "'energie'")
    dialog.name.setText("kinderopvang en BSO")
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        dialog.save()
    assert "kinderopvang en BSO" in rows(table) and "kinderopvang" not in rows(table)

    select_row(table, "telefoon")
    assert screen.category_active_button.text() == "Deactiveren"
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.toggle_category_active()
    row = rows(table).index("telefoon")
    assert table.item(row, 3).text() == "nee"
    assert table.currentRow() == row  # still selected: the button now offers the way back
    assert screen.category_active_button.text() == "Activeren"
    with demo_db.read() as session:
        assert session.scalar(select(Category.active).where(Category.name == "telefoon")) is False
        assert session.scalar(select(Category.kind).where(
            Category.name == "kinderopvang en BSO")).value == "vaste_last"
    screen.grab().save(str(ARTIFACTS / "settings_categories.png"))


def test_edit_an_employee_role_and_deactivate(qtbot, screen, demo_db):
    screen.tabs.setCurrentIndex(3)
    table = screen.employees_table
    with demo_db.read() as session:
        clerk = session.scalars(select(Employee).where(Employee.role == Role.BACKOFFICE)
                                .order_by(Employee.name)).first()
    select_row(table, clerk.username)
    dialog = screen.edit_employee()
    assert dialog.name.text() == clerk.name
    dialog.role.setCurrentIndex(dialog.role.findData("teamleader"))
    dialog.email.setText("geen-adres")
    dialog.save()
    settle()
    assert dialog.isVisible() and "e-mail" in dialog.error.text().lower()
    dialog.email.setText("")
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        dialog.save()
    row = rows(table).index(clerk.username)
    assert table.item(row, 2).text() == "teamleader"

    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.toggle_employee_active()
    row = rows(table).index(clerk.username)
    assert table.item(row, 5).text() == "nee"
    assert table.item(row, 6).text() == str(next(
        e.participants for e in screen.employees if e.id == clerk.id))  # caseload kept
    with demo_db.read() as session:
        saved = session.get(Employee, clerk.id)
        assert (saved.role, saved.active) == (Role.TEAMLEADER, False)
    screen.grab().save(str(ARTIFACTS / "settings_employees.png"))


def test_settings_add_an_organisation_with_its_iban_and_refuse_a_bad_one(qtbot, screen,
                                                                          demo_db):
    from app.ui.settings_screen import OrganisationDialog

    before = screen.organisations_table.rowCount()
    dialog = screen.edit_organisation(new=True)
    assert isinstance(dialog, OrganisationDialog)
    dialog.name.setText("Woonstichting De Kleine Sprong")
    dialog.kind.setCurrentIndex(dialog.kind.findData("vaste_last"))
    dialog.ibans.setText("NL00 FOUT 1234")
    dialog.save()
    settle()
    assert dialog.error.text() == "Ongeldig IBAN: 'NL00 FOUT 1234'"
    dialog.ibans.setText("NL91 ABNA 0417 1643 00")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.save()
    settle()
    table = screen.organisations_table
    assert table.rowCount() == before + 1
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).text() == "Woonstichting De Kleine Sprong")
    assert table.item(row, 4).text() == "NL91 ABNA 0417 1643 00"


def test_settings_register_a_municipal_account_and_an_employee(qtbot, screen):
    screen = screen
    screen.municipal_iban.setText("NL91 ABNA 0417 1643 00")
    screen.municipal_name.setText("Gemeente Utrecht budgetbeheer 2")
    screen.add_municipal_account()
    settle()
    assert "NL91 ABNA 0417 1643 00" in [screen.municipal_table.item(r, 0).text()
                                        for r in range(screen.municipal_table.rowCount())]
    screen.municipal_iban.setText("NL91 ABNA 0417 1643 00")
    screen.municipal_name.setText("nog eens")
    screen.add_municipal_account()
    settle()
    assert screen.municipal_error.text().startswith("IBAN NL91 ABNA 0417 1643 00 is al "
                                                    "geregistreerd")
    screen.employee_username.setText("nieuwe.collega")
    screen.employee_name.setText("Nieuwe Collega")
    screen.employee_role.setCurrentIndex(screen.employee_role.findData("frontoffice"))
    screen.add_employee()
    settle()
    names = [screen.employees_table.item(r, 1).text()
             for r in range(screen.employees_table.rowCount())]
    assert "Nieuwe Collega" in names
    assert screen.categories_table.rowCount() > 10
    assert screen.letters_panel.municipality.text()  # the letter settings, filled in
    for index in range(screen.tabs.count()):
        screen.tabs.setCurrentIndex(index)
        screen.grab().save(str(ARTIFACTS / f"settings_{index}.png"))


def test_the_signal_thresholds_are_shown_saved_and_a_bad_one_refused(qtbot, screen, demo_db):
    from app.models import SignalKind
    from app.services.signals import list_signals, load_thresholds
    from tests.helpers import audit_rows

    panel = screen.signals_panel
    screen.tabs.setCurrentWidget(panel)
    settle()
    assert panel.margins["maand"].text() == "7" and panel.margins["jaar"].text() == "61"
    assert panel.fields["tolerance_percent"].text() == "10"
    screen.grab().save(str(ARTIFACTS / "settings_signals.png"))

    def amount_signals() -> int:
        with demo_db.read() as session:
            return len(list_signals(session, kinds=[SignalKind.AMOUNT_OFF]))

    before = amount_signals()
    assert before > 0
    panel.fields["tolerance_percent"].setText("veel")
    panel.save_button.click()
    settle()
    assert panel.error.isVisible() and "afwijking" in panel.error.text()
    assert not audit_rows(demo_db, "signaaldrempels gewijzigd") and amount_signals() == before

    panel.fields["tolerance_percent"].setText("100")  # nothing is off by more than all of it
    panel.save_button.click()
    settle()
    assert not panel.error.isVisible() and panel.result.text().startswith("Opgeslagen.")
    assert "opgelost" in panel.result.text()
    with demo_db.read() as session:
        assert load_thresholds(session).tolerance_percent == 100
    assert len(audit_rows(demo_db, "signaaldrempels gewijzigd")) == 1
    assert amount_signals() < before

"""Instellingen › Brieven › Teksten van de brief, driven offscreen on SQLite and PostgreSQL: pick
a text, edit it with a live preview, save it (stored, audited, printed), a refused text shown
as the service's one line, terug naar standaardtekst, and another language. Who may not
change the texts sees them read-only."""

from __future__ import annotations

import getpass

import pytest
from PySide6.QtGui import QTextCursor
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.db import Database
from app.models import AuditEntry, LetterText, Role
from app.reports.letter_texts import DUTCH, ENGLISH, LANGUAGES
from app.services.employees import add_employee
from app.services.letter_templates import texts_for_print
from app.ui.letter_templates_panel import LetterTemplatesPanel
from tests.conftest import ARTIFACTS
from tests.test_service_audit import logins  # noqa: F401 - the fixture
from tests.ui_support import settle

SALDO = "Op {day} is uw saldo {amount}. Dat is wat u nu heeft."


@pytest.fixture
def screen(qtbot, db):
    from app.ui.settings_screen import SettingsScreen

    screen = SettingsScreen(db)
    qtbot.addWidget(screen)
    screen.resize(1200, 760)
    screen.show()
    with qtbot.waitSignal(screen.templates_panel.loaded, timeout=10_000):
        screen.activate()
    settle()
    screen.tabs.setCurrentIndex(screen.tabs.indexOf(
        screen.letters_tabs.parentWidget()))
    screen.letters_tabs.setCurrentWidget(screen.templates_panel)
    return screen


def test_edit_preview_save_refuse_and_reset_a_sentence(qtbot, screen, db, backend):
    panel = screen.templates_panel
    assert panel.editable and panel.save_button.isVisible()
    assert panel.selected_language() == "nl"
    assert panel.items()["saldo_line"].text(0) == "Zin over het saldo"
    assert panel.items()["notices.dubbele betaling"].text(0) == "Melding: dubbele betaling"

    panel.choose("saldo_line")
    assert panel.editor.toPlainText() == DUTCH.saldo_line
    assert panel.items()["saldo_line"].text(1) == "standaard"
    assert [panel.placeholder_row.itemAt(i).widget().text()
            for i in range(panel.placeholder_row.count())] == ["{day}", "{amount}"]
    assert not panel.reset_button.isEnabled()  # it is the standaardtekst already

    panel.editor.setPlainText(SALDO)  # the preview follows the typing
    assert panel.preview.text() == SALDO.format(day=DUTCH.day(_as_of()),
                                                amount=DUTCH.money(123456))
    assert panel.items()["saldo_line"].text(1) == "niet opgeslagen"
    with qtbot.waitSignal(panel.saved, timeout=10_000):
        panel.save()
    assert panel.message.text() == "Opgeslagen."
    assert panel.items()["saldo_line"].text(1) == "eigen tekst"
    assert panel.state.text().startswith("Eigen tekst, gewijzigd door ")
    assert panel.reset_button.isEnabled()
    with db.read() as session:
        assert texts_for_print(session)["nl"].saldo_line == SALDO
        row = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "brieftekst gewijzigd")).one()
    assert SALDO in row.after and DUTCH.saldo_line in row.before

    # A sentence without the saldo: the preview says why at once, Opslaan is refused in one line
    panel.editor.setPlainText("Op {day} ziet u hier uw saldo.")
    assert panel.preview.text() == "De zin over het saldo moet het saldo noemen: {amount}"
    assert panel.preview_card.tone == "bad"
    panel.save()
    settle()
    assert panel.error.isVisible()
    assert panel.error.text() == "De zin over het saldo moet het saldo noemen: {amount}"
    panel.editor.setPlainText("Uw saldo: {bedrag}")
    panel.save()
    settle()
    assert panel.error.text() == "Onbekend invulveld {bedrag}: mogelijk zijn {day}, {amount}"
    with db.read() as session:
        assert texts_for_print(session)["nl"].saldo_line == SALDO  # unchanged
    panel.editor.setPlainText("Uw saldo op {day}: ")
    panel.editor.moveCursor(QTextCursor.MoveOperation.End)
    panel.insert("amount")  # the placeholder button
    assert panel.editor.toPlainText() == "Uw saldo op {day}: {amount}"
    assert not panel.error.isVisible() and panel.preview_card.tone == "normal"
    panel.editor.setPlainText("Op {day} ziet u hier uw saldo.")
    screen.grab().save(str(ARTIFACTS / f"letter_templates_{backend}.png"))

    with qtbot.waitSignal(panel.saved, timeout=10_000):
        panel.reset()
    assert panel.editor.toPlainText() == DUTCH.saldo_line
    assert panel.items()["saldo_line"].text(1) == "standaard"
    assert panel.message.text() == "Opgeslagen: de brief gebruikt de standaardtekst."
    with db.read() as session:
        assert session.scalars(select(LetterText)).all() == []

    # Another language: its own texts
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.language.setCurrentIndex(panel.language.findData("en"))
    panel.choose("notices.dubbele betaling")
    assert panel.editor.toPlainText() == ENGLISH.notices["dubbele betaling"]
    panel.editor.setPlainText("{organisation} paid us twice. We will sort it out.")
    assert panel.preview.text() == "Eneco paid us twice. We will sort it out."
    with qtbot.waitSignal(panel.saved, timeout=10_000):
        panel.save()
    with db.read() as session:
        printed = texts_for_print(session)
    assert printed["en"].notices["dubbele betaling"] == (
        "{organisation} paid us twice. We will sort it out.")
    assert printed["nl"] is DUTCH
    screen.grab().save(str(ARTIFACTS / f"letter_templates_en_{backend}.png"))

    if "ar" in LANGUAGES:  # right to left: the editor and the preview follow the text
        with qtbot.waitSignal(panel.loaded, timeout=10_000):
            panel.language.setCurrentIndex(panel.language.findData("ar"))
        panel.choose("below_zero")
        assert panel.editor.toPlainText() == LANGUAGES["ar"].below_zero
        assert "\u2068030 286 00 00\u2069" in panel.preview.text()
        settle()
        screen.grab().save(str(ARTIFACTS / f"letter_templates_ar_{backend}.png"))


def test_a_frontoffice_employee_sees_the_texts_read_only(qtbot, request, backend, db):
    if backend == "sqlite":  # the employee the program runs as
        add_employee(db.unit_of_work("tester"), getpass.getuser(), Role.FRONTOFFICE,
                     name="Front Office")
        seen_as = db
    else:  # a login in the frontoffice group
        names = request.getfixturevalue("logins")
        url = make_url(db.engine.url.render_as_string(hide_password=False))
        seen_as = Database.open(url.set(username=names[Role.FRONTOFFICE]).render_as_string(
            hide_password=False))
    try:
        panel = LetterTemplatesPanel(seen_as)
        qtbot.addWidget(panel)
        panel.resize(1000, 600)
        panel.show()
        with qtbot.waitSignal(panel.loaded, timeout=10_000):
            panel.load()
        assert panel.editable is False
        assert panel.read_only_note.isVisible()
        assert panel.editor.isReadOnly()
        assert not panel.save_button.isVisible() and not panel.reset_button.isVisible()
        panel.choose("contact")
        assert panel.editor.toPlainText() == DUTCH.contact
        assert panel.preview.text().startswith("Uw contactpersoon is Sanne de Vries.")
        panel.save()  # nothing happens: no service call
        settle()
        panel.grab().save(str(ARTIFACTS / f"letter_templates_read_only_{backend}.png"))
    finally:
        if seen_as is not db:
            seen_as.dispose()


def _as_of():
    from app.services.letter_templates import EXAMPLE_AS_OF

    return EXAMPLE_AS_OF

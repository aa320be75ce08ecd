"""The dossier screen on a demo database: editing with the validation messages a clerk reads,
the BSN masked until asked (and logged), status steps, agreements with visible search terms,
accounts, the saldo and its chart, bookings per month and a note in two keystrokes."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox
from sqlalchemy import select

from app.models import Agreement, ContactNote, Participant
from app.services.saldo import saldo_cents
from app.ui.dossier_screen import AgreementDialog, DossierScreen
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_json, audit_rows, bsn_of
from tests.ui_support import settle

# Demo databases shared by the desktop-client tests (tests/ui_support.py).
demo_db, demo_url = ui_support.demo_db, ui_support.demo_url


def participant(db, number: str = "HHB-00004") -> Participant:
    with db.read() as session:
        return session.scalar(select(Participant).where(Participant.number == number))


@pytest.fixture
def dossier(qtbot, demo_db):
    screen = DossierScreen(demo_db)
    qtbot.addWidget(screen)
    screen.resize(1200, 820)
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.load(participant(demo_db).id)
    return screen


def set_text(form, key: str, text: str) -> None:
    widget = form.inputs[key]
    widget.setText(text)
    widget.editingFinished.emit()


def save(qtbot, dossier) -> None:
    dossier.save()
    settle()


def test_opening_a_dossier_is_logged_and_shows_its_saldo_and_chart(qtbot, dossier, demo_db,
                                                                    backend):
    person = participant(demo_db)
    opened = audit_rows(demo_db, "dossier geopend")
    assert opened and opened[-1].entity_id == str(person.id)
    with demo_db.read() as session:
        now = saldo_cents(session, person.id, date.today())
    view = dossier.view
    assert view.saldo_cents == now
    assert dossier.title.text() == f"HHB-00004  {person.full_name}"
    assert dossier.saldo.text().endswith(view and _euro(now))
    assert len(dossier.chart.months) == 12 and dossier.chart.months[-1].saldo_cents == now
    assert dossier.bookings.topLevelItemCount() >= 3  # three months of statements
    for index in range(dossier.tabs.count()):
        dossier.tabs.setCurrentIndex(index)
        settle()
        name = dossier.tabs.tabText(index).split(" ")[0].lower()
        dossier.grab().save(str(ARTIFACTS / f"dossier_{index}_{name}_{backend}.png"))


def test_leefgeld_paid_through_an_agreement_is_named_at_the_empty_field(dossier):
    """HHB-00004 gets leefgeld through a leefgeld agreement, not the dossier's own field: the
    header names the amount, and the empty field says where it comes from."""
    assert dossier.view.values.get("allowance_cents") is None
    field = dossier.form.inputs["allowance_cents"]
    assert field.text() == "" and field.placeholderText() == "via afspraak"
    assert field.toolTip().startswith("Leefgeld loopt via de afspraak 'leefgeld': € ")


def _euro(cents: int) -> str:
    from app.formatting import euro

    return euro(cents)


def test_the_bsn_is_masked_until_asked_and_asking_is_logged(qtbot, dossier, demo_db):
    person = participant(demo_db)
    bsn = bsn_of(demo_db, person.id)
    assert dossier.form.bsn.text() == "******" + bsn[-3:]
    assert bsn not in dossier.grab().toImage().text()  # not hidden in the pixels' text
    assert not audit_rows(demo_db, "BSN getoond")
    qtbot.mouseClick(dossier.form.reveal_button, Qt.MouseButton.LeftButton)
    settle()
    assert dossier.form.bsn.text() == bsn
    shown = audit_rows(demo_db, "BSN getoond")
    assert len(shown) == 1 and shown[0].entity_id == str(person.id)


def test_wrong_input_gives_clear_dutch_messages_and_nothing_is_saved(qtbot, dossier, demo_db):
    before = participant(demo_db)
    form = dossier.form
    set_text(form, "postcode", "12345")
    set_text(form, "email", "geen-adres")
    set_text(form, "last_name", "")
    set_text(form, "birth_date", "31-02-1990")
    set_text(form, "buffer_limit_cents", "veel")
    save(qtbot, dossier)
    errors = form.visible_errors()
    assert errors["postcode"] == "Ongeldige postcode: '12345' (verwacht 1234 AB)"
    assert errors["email"] == "Ongeldig e-mailadres: 'geen-adres'"
    assert errors["last_name"] == "Achternaam is verplicht"
    assert errors["birth_date"] == "Ongeldige geboortedatum: '31-02-1990' (verwacht dd-mm-jjjj)"
    assert errors["buffer_limit_cents"] == "Ongeldig buffer: 'veel'"
    assert "controleer de rood gemarkeerde velden" in dossier.form_message.text()
    after = participant(demo_db)
    assert (after.postcode, after.email, after.last_name, after.version) == \
        (before.postcode, before.email, before.last_name, before.version)
    dossier.tabs.setCurrentIndex(0)
    dossier.grab().save(str(ARTIFACTS / "dossier_validation_messages.png"))


def test_a_corrected_form_is_saved_in_one_change_with_its_audit_row(qtbot, dossier, demo_db):
    form = dossier.form
    set_text(form, "postcode", "3552wc")
    set_text(form, "house_number", "12a")
    set_text(form, "house_number_suffix", "")
    set_text(form, "phone", "06-12345678")
    set_text(form, "buffer_limit_cents", "2.000,00")
    set_text(form, "next_progress_talk", "15-01-2027")
    changed = []
    dossier.changed.connect(changed.append)
    save(qtbot, dossier)
    assert form.visible_errors() == {}
    assert dossier.form_message.text() == "Opgeslagen."
    after = participant(demo_db)
    assert (after.postcode, after.house_number, after.house_number_suffix, after.phone) == \
        ("3552 WC", 12, "A", "06-12345678")
    assert after.buffer_limit_cents == 200_000
    assert after.next_progress_talk == date(2027, 1, 15)
    assert changed == [after.id]
    edit = audit_rows(demo_db, "deelnemer gewijzigd")[-1]
    assert audit_json(edit, "after")["buffer_limit_cents"] == 200_000
    assert form.inputs["buffer_limit_cents"].text() == "2.000,00"


def test_a_dossier_number_that_is_taken_is_shown_at_the_field(qtbot, dossier):
    set_text(dossier.form, "number", "HHB-00001")
    save(qtbot, dossier)
    assert dossier.form.visible_errors()["number"] == \
        "Het dossiernummer HHB-00001 is al in gebruik (dossier HHB-00001)"


def test_a_note_in_two_keystrokes(qtbot, dossier, demo_db):
    dossier.activateWindow()
    dossier.setFocus()
    qtbot.keyClick(dossier, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert dossier.tabs.currentIndex() == 5
    assert QApplication.focusWidget() is dossier.note_text
    qtbot.keyClicks(dossier.note_text, "Belde over de huurtoeslag; teruggebeld.")
    qtbot.keyClick(dossier.note_text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle()
    with demo_db.read() as session:
        notes = list(session.scalars(select(ContactNote)))
    assert [n.text for n in notes] == ["Belde over de huurtoeslag; teruggebeld."]
    assert dossier.notes_table.rowCount() == 1
    assert dossier.notes_table.item(0, 3).text() == "Belde over de huurtoeslag; teruggebeld."
    assert dossier.tabs.tabText(5) == "Logboek (1)"
    assert dossier.note_text.toPlainText() == ""


def test_status_step_needs_a_reason_and_lands_in_the_history(qtbot, dossier, demo_db):
    dossier.tabs.setCurrentIndex(1)
    assert [dossier.next_status.itemText(i) for i in range(dossier.next_status.count())] == \
        ["opgezegd"]
    dossier.change_status()
    settle()
    assert dossier.status_error.text() == "Geef een reden bij 'opgezegd'"
    dossier.status_reason.setText("Verhuist naar Amersfoort")
    dossier.change_status()
    settle()
    assert participant(demo_db).status.value == "opgezegd"
    assert dossier.status_history.item(0, 1).text() == "opgezegd"
    assert dossier.status_history.item(0, 3).text() == "Verhuist naar Amersfoort"
    assert dossier.status_badge.text() == "opgezegd"


def test_agreements_add_edit_and_end_with_search_terms_visible(qtbot, dossier, demo_db):
    person = participant(demo_db)
    table = dossier.agreements_table
    count = table.rowCount()
    terms_column = 8
    assert any(table.item(r, terms_column).text() for r in range(count))  # demo terms shown

    dialog = dossier.agreement_dialog()
    qtbot.addWidget(dialog)
    dialog.organisation.setCurrentIndex(dialog.organisation.findText("Eneco"))
    dialog.category.setCurrentIndex(dialog.category.findText("energie"))
    dialog.direction.setCurrentIndex(dialog.direction.findText("uitgave"))
    dialog.amount.setText("0")
    dialog.save()
    settle()
    assert dialog.error.text() == "Ongeldig bedrag: '0' (moet groter dan 0 zijn)"
    dialog.amount.setText("112,50")
    dialog.day.setText("28")
    dialog.terms.setText("klantnummer 2610000123; contract 88-12")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.save()
    settle()
    with demo_db.read() as session:
        agreement = session.scalars(select(Agreement).where(
            Agreement.participant_id == person.id).order_by(Agreement.id.desc())).first()
        assert [t.term for t in agreement.search_terms] == ["klantnummer 2610000123",
                                                            "contract 88-12"]
    assert table.rowCount() == count + 1
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == agreement.id)
    assert table.item(row, terms_column).text() == "klantnummer 2610000123; contract 88-12"
    assert table.item(row, 2).text() == "€ -112,50"

    table.selectRow(row)
    edit = dossier.agreement_dialog(dossier.selected_agreement())
    qtbot.addWidget(edit)
    assert edit.amount.text() == "112,50"
    edit.amount.setText("120,00")
    edit.terms.setText("klantnummer 2610000123; meter 871687")
    with qtbot.waitSignal(edit.accepted, timeout=10_000):
        edit.save()
    settle()
    with demo_db.read() as session:
        agreement = session.get(Agreement, agreement.id)
        assert agreement.amount_cents == 12_000
        assert sorted(t.term for t in agreement.search_terms) == ["klantnummer 2610000123",
                                                                  "meter 871687"]

    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == agreement.id)
    table.selectRow(row)
    dossier.end_agreement(date.today())
    settle()
    with demo_db.read() as session:
        assert session.get(Agreement, agreement.id).valid_through == date.today()
    row = next(r for r in range(table.rowCount())
               if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == agreement.id)
    assert table.item(row, 6).text() == date.today().strftime("%d-%m-%Y")


def test_accounts_refuse_a_wrong_iban_and_add_a_right_one(qtbot, dossier, demo_db):
    dossier.tabs.setCurrentIndex(3)
    rows = dossier.accounts_table.rowCount()
    dossier.new_iban.setText("NL00 FOUT 0000 0000 00")
    dossier.add_account()
    settle()
    assert dossier.account_error.text().startswith("Ongeldig IBAN deelnemer")
    dossier.new_iban.setText("NL91 ABNA 0417 1643 00")
    dossier.add_account()
    settle()
    assert dossier.accounts_table.rowCount() == rows + 1
    assert "NL91 ABNA 0417 1643 00" in [dossier.accounts_table.item(r, 0).text()
                                        for r in range(rows + 1)]


def test_contact_person_choice_lists_the_employees(dossier):
    combo = dossier.form.inputs["contact_employee_id"]
    assert isinstance(combo, QComboBox)
    names = [combo.itemText(i) for i in range(combo.count())]
    assert "(geen)" in names and "Ingrid Mahabier" in names
    assert combo.currentText() == dossier.view.contact_person


def test_print_and_export_wait_for_the_overviews(dossier):
    assert not dossier.print_button.isEnabled() and not dossier.export_button.isEnabled()
    called = []
    dossier.print_handler = called.append
    dossier._update_actions()
    dossier.print_button.click()
    assert called == [dossier.view.id]


def test_agreement_dialog_offers_the_participants_own_account_for_leefgeld(qtbot, dossier):
    dialog: AgreementDialog = dossier.agreement_dialog()
    qtbot.addWidget(dialog)
    dialog.organisation.setCurrentIndex(0)
    ibans = [dialog.account.itemText(i) for i in range(dialog.account.count())]
    assert ibans[1:] == [a.iban for a in dossier.view.accounts]


def test_voortgang_nulmeting_now_talk_and_a_referral_with_its_outcome(qtbot, dossier, demo_db,
                                                                      backend):
    person = participant(demo_db)
    page = dossier.progress_page
    dossier.show_tab("voortgang")
    assert dossier.tabs.currentWidget() is page
    settle()

    # The nulmeting first; once recorded it is fixed until "Nulmeting corrigeren" is ticked.
    page.intake_self.setCurrentIndex(page.intake_self.findData("niet zelfredzaam"))
    page.intake_debt.setCurrentIndex(page.intake_debt.findData("problematische schulden"))
    page.save_intake()
    settle()
    assert not page.intake_self.isEnabled() and page.correct_intake.isVisible()
    page.now_self.setCurrentIndex(page.now_self.findData("matig zelfredzaam"))
    page.now_debt.setCurrentIndex(page.now_debt.findData("problematische schulden"))
    page.save_now()
    settle()
    assert (page.self_movement.text(), page.debt_movement.text()) == ("vooruit", "gelijk")
    page.correct_intake.setChecked(True)
    assert page.intake_self.isEnabled()
    page.intake_debt.setCurrentIndex(page.intake_debt.findData("kleine schulden"))
    page.save_intake()
    settle()
    assert page.debt_movement.text() == "achteruit"
    assert audit_rows(demo_db, "nulmeting gecorrigeerd")

    # A talk needs a note; it sets the next talk and lands in the contact log.
    page.start_talk()
    page.dialog.day.setText("01-12-2026")
    page.dialog.save()
    assert page.dialog.error.text() == "Schrijf kort op wat er besproken is."
    page.dialog.note.setPlainText("Budget besproken, gaat beter")
    page.dialog.save()
    settle()
    assert "01-06-2027" in page.next_talk.text()
    assert dossier.notes_table.item(0, 3).text() == \
        "Voortgangsgesprek 01-12-2026: Budget besproken, gaat beter"

    # A referral, then its outcome; a date in the future is refused in the dialog.
    page.start_referral()
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData("schuldhulp"))
    page.dialog.day.setText("02-12-2026")
    page.dialog.note.setPlainText("Warme overdracht Plangroep")
    page.dialog.save()
    settle()
    assert [page.referrals.item(0, c).text() for c in range(4)] == \
        ["schuldhulp", "02-12-2026", "loopt", ""]
    page.referrals.selectRow(0)
    page.start_outcome()
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData("hulp gestart"))
    page.dialog.day.setText(f"{date.today().year + 1}-01-01")
    page.dialog.save()
    settle()
    assert "ligt in de toekomst" in page.dialog.error.text()
    page.dialog.day.setText(date.today().strftime("%d-%m-%Y"))
    page.dialog.save()
    settle()
    assert page.referrals.item(0, 2).text() == "hulp gestart"
    page.referrals.selectRow(0)
    dossier.grab().save(str(ARTIFACTS / f"dossier_voortgang_{backend}.png"))
    with demo_db.read() as session:
        stored = session.get(Participant, person.id)
        assert (stored.intake_self_reliance, stored.intake_debt_situation, stored.self_reliance,
                stored.next_progress_talk) == ("niet zelfredzaam", "kleine schulden",
                                               "matig zelfredzaam", date(2027, 6, 1))
    assert audit_rows(demo_db, "uitkomst doorverwijzing vastgelegd")

"""The dossier's Status tab: repayment plans (agree one through the dialog, see it, end it; a
refusal of the service shown in the dialog) and the final settlement (live preview, paid out
or owed, the rules and the reason to deviate), on SQLite and PostgreSQL.

The world of tests/test_payouts.py: Anna (volledig, € 2.400,00 UWV income booked in November,
energy by direct debit) and Bram (alleen inkomsten, € 400,00 leefgeld a month, saldo zero).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.formatting import euro, short_date
from app.importers.statements import Entry
from app.models import Participant, ParticipantStatus, RepaymentPlan
from app.services.participants import change_status
from app.ui.dossier_screen import DossierScreen
from app.ui.repayments_box import EndPlanDialog, PlanDialog, SettlementDialog
from tests.conftest import ARTIFACTS
from tests.helpers import audit_rows
from tests.test_payouts import BRAM_OWN, World, build, import_entries
from tests.ui_support import settle

TODAY = date.today()
MAX_WIDTH = 600  # the Status tab; with the sidebar the window fits an 800 px screen


@pytest.fixture
def world(db) -> World:
    return build(db)


def open_dossier(qtbot, db, participant_id: int) -> DossierScreen:
    screen = DossierScreen(db)
    qtbot.addWidget(screen)
    screen.resize(640, 600)  # what is left of an 800 × 600 screen next to the sidebar
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.load(participant_id)
    screen.show_tab("status")
    settle()
    return screen


def status_of(db, participant_id: int) -> ParticipantStatus:
    with db.read() as session:
        return session.get(Participant, participant_id).status


def plan_count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(RepaymentPlan))


def row_texts(table, row: int = 0) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_a_plan_is_agreed_through_the_dialog_shown_and_ended(qtbot, db, world, backend):
    dossier = open_dossier(qtbot, db, world.bram)
    box = dossier.repayments
    assert box.table.isHidden() and box.empty.isVisible()
    assert box.agree_button.isEnabled() and not box.end_button.isEnabled()
    box.start_plan()
    dialog = box.dialog
    assert isinstance(dialog, PlanDialog) and dialog.isVisible()
    dialog.amount.setText("veel")
    dialog.save()
    assert dialog.error.text() == "Ongeldig aflossing: 'veel'"
    dialog.amount.setText("50,00")
    dialog.day.setText("01-01-2027")
    dialog.note.setPlainText("buffergebruik december")
    dialog.save()
    settle()
    assert box.dialog is None
    assert row_texts(box.table) == [
        "buffer", "€ 50,00", "01-01-2027", "",
        "€ 50,00 per leefgeldbetaling ingehouden zolang het saldo onder nul is; tot nu toe "
        "€ 0,00", "buffergebruik december"]
    assert box.table.item(0, 1).textAlignment() & 0x2  # money right-aligned
    assert [a.action for a in audit_rows(db, "aflossingsregeling afgesproken")]
    assert dossier.tab_pages["status"].minimumSizeHint().width() <= MAX_WIDTH
    dossier.grab().save(str(ARTIFACTS / f"dossier_status_repayments_{backend}.png"))

    # Ending it: the row's version goes along; the end date shows in the table.
    box.table.selectRow(0)
    assert box.end_button.isEnabled()
    box.start_end_plan()
    dialog = box.dialog
    assert isinstance(dialog, EndPlanDialog) and dialog.note.isHidden()
    dialog.day.setText("31-12-2026")  # before the start: the service refuses
    dialog.save()
    settle()
    assert dialog.error.text() == "De einddatum ligt vóór het begin van de regeling (01-01-2027)"
    assert dialog.isVisible()
    dialog.day.setText("31-01-2027")
    dialog.save()
    settle()
    assert row_texts(box.table)[3] == "31-01-2027"
    assert len(audit_rows(db, "aflossingsregeling beëindigd")) == 1


def test_a_too_large_instalment_shows_the_services_line_and_stores_nothing(qtbot, db, world,
                                                                           backend):
    box = open_dossier(qtbot, db, world.bram).repayments
    box.start_plan()
    dialog = box.dialog
    dialog.amount.setText("200,01")
    dialog.save()
    settle()
    assert dialog.isVisible() and box.dialog is dialog
    assert dialog.error.text() == (
        "De aflossing (€ 200,01) mag hoogstens de helft van het leefgeld (€ 400,00) zijn: "
        "het leefgeld is waar de deelnemer van leeft")
    assert plan_count(db) == 0 and box.table.isHidden()
    dialog.grab().save(str(ARTIFACTS / f"repayment_plan_dialog_refused_{backend}.png"))
    dialog.reject()


def test_the_final_settlement_pays_out_a_positive_saldo_and_ends_the_dossier(qtbot, db, world):
    change_status(db.unit_of_work("t"), world.anna, "opgezegd", TODAY - timedelta(days=40),
                  "gaat het zelf doen")
    dossier = open_dossier(qtbot, db, world.anna)
    box = dossier.repayments
    assert box.settle_button.isEnabled()
    box.start_settlement()
    settle()
    dialog = box.dialog
    assert isinstance(dialog, SettlementDialog)
    assert dialog.day.text() == short_date(TODAY)
    assert dialog.preview.text() == (
        f"Saldo op {short_date(TODAY)}: € 2.400,00; nog onderweg: € 0,00.\nEindbedrag "
        "€ 2.400,00: wordt uitbetaald op de eigen rekening van de deelnemer.")
    assert dialog.problems.isHidden() and dialog.override.isHidden()
    assert dialog.owed_row.isHidden()
    dialog.save()  # no reason: the service's line, in the dialog
    settle()
    assert dialog.error.text() == "Geef een reden voor het einde van de deelname"
    assert status_of(db, world.anna) == ParticipantStatus.CANCELLED
    dialog.reason.setText("gaat het zelf doen")
    dialog.save()
    settle()
    assert status_of(db, world.anna) == ParticipantStatus.ENDED
    number = dossier.view.number
    assert box.message.text() == (
        f"Eindafrekening {number} op {short_date(TODAY)}: € 2.400,00 wordt uitbetaald aan de "
        "deelnemer; 5 afspraken beëindigd, 0 betalingen na de einddatum geschrapt.")
    assert box.message.informativeText() == "Zeg de incasso's op bij: Eneco."
    assert dossier.status_badge.text() == "beëindigd"
    assert dossier.status_history.item(0, 1).text() == "beëindigd"
    assert not box.settle_button.isEnabled() and not box.agree_button.isEnabled()
    box.message.close()


def test_with_problems_the_settlement_waits_for_a_reason_to_deviate(qtbot, db, world,
                                                                     backend):
    box = open_dossier(qtbot, db, world.bram).repayments  # active, never cancelled
    box.start_settlement()
    dialog = box.dialog
    # The preview follows the typed date: too early also breaks the minimum duration.
    dialog.day.setText("01-02-2026")
    dialog.refresh_preview()
    settle()
    assert "Saldo op 01-02-2026: € 0,00" in dialog.preview.text()
    assert dialog.problems.text().splitlines() == [
        "De deelname duurt minstens 6 maanden: gestart op 05-01-2026, dus einde op zijn "
        "vroegst op 05-07-2026.",
        "De deelname is niet opgezegd: zeg eerst op (opzegtermijn 1 maand)."]
    dialog.day.setText("31-02-2026")
    dialog.refresh_preview()
    assert dialog.preview.text() == "Ongeldige einddatum: '31-02-2026' (verwacht dd-mm-jjjj)"
    assert dialog.problems.isHidden()
    dialog.day.setText(short_date(TODAY))
    dialog.refresh_preview()
    settle()
    assert dialog.problems.text() == \
        "De deelname is niet opgezegd: zeg eerst op (opzegtermijn 1 maand)."
    assert dialog.problems.isVisible() and dialog.override.isVisible()
    assert "er valt niets uit te betalen of terug te betalen" in dialog.preview.text()
    dialog.reason.setText("overleden")
    dialog.grab().save(str(ARTIFACTS / f"settlement_dialog_problems_{backend}.png"))
    dialog.save()
    settle()
    assert dialog.error.text().startswith("Geef een reden om af te wijken")
    assert dialog.isVisible() and status_of(db, world.bram) == ParticipantStatus.ACTIVE
    dialog.override.setText("overleden")
    dialog.save()
    settle()
    assert status_of(db, world.bram) == ParticipantStatus.ENDED
    assert "het saldo is nul" in box.message.text()
    assert box.message.informativeText() == ""
    box.message.close()


def test_an_amount_owed_needs_a_monthly_instalment_and_its_day(qtbot, db, world, backend):
    # The leefgeld went out without income: Bram owes € 400,00.
    import_entries(db, [Entry(TODAY - timedelta(days=20), -400_00, counterparty_name="B. de Vries",
                              counterparty_iban=BRAM_OWN, bank_reference="LG-1",
                              description="Leefgeld")],
                   TODAY - timedelta(days=21), TODAY - timedelta(days=20))
    change_status(db.unit_of_work("t"), world.bram, "opgezegd", TODAY - timedelta(days=40),
                  "verhuist")
    box = open_dossier(qtbot, db, world.bram).repayments
    box.start_settlement()
    settle()
    dialog = box.dialog
    assert dialog.preview.text().endswith(
        f"Eindbedrag {euro(-400_00)}: de deelnemer moet € 400,00 terugbetalen; spreek een "
        "aflossing per maand af.")
    assert dialog.owed_row.isVisible() and dialog.problems.isHidden()
    dialog.reason.setText("verhuist")
    dialog.save()
    assert dialog.error.text() == "Aflossing per maand is verplicht"
    dialog.instalment.setText("50,00")
    dialog.save()
    assert dialog.error.text() == "Dag van de aflossing is verplicht"
    dialog.instalment_day.setText("29")
    dialog.save()
    assert dialog.error.text() == \
        "Ongeldige dag van de aflossing: '29' (een geheel getal van 1 tot en met 28)"
    dialog.instalment_day.setText("5")
    dialog.grab().save(str(ARTIFACTS / f"settlement_dialog_owed_{backend}.png"))
    dialog.save()
    settle()
    assert status_of(db, world.bram) == ParticipantStatus.ENDED
    assert "€ 400,00 is de deelnemer verschuldigd" in box.message.text()
    box.message.close()
    settle()
    assert row_texts(box.table)[:2] == ["eindafrekening", "€ 50,00"]
    assert "€ 400,00 schuld bij de eindafrekening, € 50,00 per maand" in row_texts(box.table)[4]

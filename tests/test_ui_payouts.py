"""The Betaalopdrachten screen on the demo municipality, as a clerk uses it: plan next month
(leefgeld and fixed costs, some held past the buffer; planning again plans nothing new), review
(approve before release, hold, strike, change, a one-off), make the pain.001 file and cancel it,
and mistakes as one plain red line that changes nothing. The questions the screen asks (a
reason, a file name, a payment) are answered by replacing ``ask_text`` / ``ask_file`` /
``ask_payment``."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from lxml import etree
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import func, select, update

from app.formatting import euro, short_date
from app.models import Payout, PayoutBatch, PayoutKind
from app.services import payouts
from app.ui.payouts_screen import COLUMNS, PaymentDialog, PayoutsScreen
from app.ui.widgets import DEBIT_COLOR
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_json, audit_rows
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url

RED = f"color: {DEBIT_COLOR.name()};"
MAX_WIDTH = 620  # the window (sidebar and this page) fits an 800 px screen
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(__file__).resolve().parents[1] / "resources" / "xsd" / "pain.001.001.03.xsd"


def open_screen(qtbot, db) -> PayoutsScreen:
    screen = PayoutsScreen(db)
    qtbot.addWidget(screen)
    screen.resize(1090, 740)  # the page's size in a 1280 x 800 window
    screen.show()
    screen.activate()
    settle()
    return screen


def planned_screen(qtbot, db) -> PayoutsScreen:
    screen = open_screen(qtbot, db)
    screen.plan_button.click()
    settle()
    assert screen.rows, screen.message.text()
    return screen


def summary(screen: PayoutsScreen) -> str:
    return screen.summary.text().replace("\u00a0", " ")


def column(screen: PayoutsScreen, name: str, role=Qt.ItemDataRole.DisplayRole) -> list:
    """A column as the view gets it from the model."""
    index = COLUMNS.index(name)
    model = screen.table.model()
    return [model.index(r, index).data(role) for r in range(model.rowCount())]


def history(screen: PayoutsScreen, name: str, row: int = 0) -> str:
    header = [screen.history.horizontalHeaderItem(c).text()
              for c in range(screen.history.columnCount())]
    return screen.history.item(row, header.index(name)).text()


def db_rows(db, screen: PayoutsScreen) -> list[payouts.PayoutRow]:
    with db.read() as session:
        return payouts.payout_rows(session, *screen.period())


def stored(db, payout_id: int) -> Payout:
    with db.read() as session:
        return session.get(Payout, payout_id)


def select_payout(screen: PayoutsScreen, payout_id: int) -> int:
    index = [r.id for r in screen.rows].index(payout_id)
    screen.table.selectRow(index)
    assert screen.selected().id == payout_id
    return index


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()]


def assert_plain_red_line(screen: PayoutsScreen, *fragments: str) -> None:
    text = screen.message.text()
    assert screen.message.styleSheet() == RED, text
    assert "\n" not in text and "Traceback" not in text and "Error" not in text, text
    for fragment in fragments:
        assert fragment in text, text
    assert not message_boxes()


def fill_dialog(title: str, row, **texts: str) -> dict | None:
    """The real payment dialog, filled in and saved as a clerk would."""
    dialog = PaymentDialog(title, row)
    for name, text in texts.items():
        getattr(dialog, name).setText(text)
    dialog.save()
    values = dialog.values
    dialog.deleteLater()
    return values


def test_planning_a_month_fills_the_list_and_planning_again_plans_nothing_new(
        qtbot, demo_db, backend):
    screen = open_screen(qtbot, demo_db)
    first, last = screen.period()
    assert (first.day, first.month) == (1, (date.today().month % 12) + 1)  # next month
    assert screen.table.rowCount() == 0
    assert summary(screen) == "0 te betalen: € 0,00; 0 aangehouden"

    screen.plan_button.click()
    settle()
    stored_rows = db_rows(demo_db, screen)
    statuses = Counter(r.status for r in stored_rows)
    planned, held = statuses["gepland"], statuses["aangehouden"]
    assert set(statuses) == {"gepland", "aangehouden"}
    assert planned > 100 and held >= 1  # the demo: everyone's leefgeld and rent, a few held
    assert screen.message.text() == \
        f"{planned + held} betalingen gepland ({held} aangehouden), 0 waren al gepland."
    assert screen.message.styleSheet() == ""
    assert screen.table.rowCount() == planned + held
    assert column(screen, "Dossier") == [r.number for r in stored_rows]
    assert Counter(column(screen, "Soort")) == Counter(r.kind for r in stored_rows)
    assert set(column(screen, "Soort")) == {"leefgeld", "vaste last"}
    assert {"leefgeld", "huur"} <= set(column(screen, "Rubriek"))
    amounts = column(screen, "Bedrag")
    assert amounts == [euro(r.amount_cents) for r in stored_rows]
    due = sum(r.amount_cents for r in stored_rows if r.status == "gepland")
    assert summary(screen) == f"{planned} te betalen: {euro(due)}; {held} aangehouden"
    # Paid on working days, never after the day they are due.
    for r, row in enumerate(stored_rows):
        day = datetime.strptime(column(screen, "Uitvoerdatum")[r], "%d-%m-%Y").date()
        assert day == row.execution_date and day.weekday() < 5 and day <= row.due_date
    # A row held past the buffer: in red, with its reason and the saldo it would leave.
    status = column(screen, "Status")
    r = status.index("aangehouden: voorbij de buffer: wacht op goedkeuring")
    assert column(screen, "Status", Qt.ItemDataRole.ForegroundRole)[r] == DEBIT_COLOR
    assert column(screen, "Status", Qt.ItemDataRole.ForegroundRole)[
        status.index("gepland")] is None
    assert column(screen, "Bedrag", Qt.ItemDataRole.TextAlignmentRole)[r] == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    assert "voorbij de buffer van € " in column(screen, "Waarschuwingen")[r]
    screen.grab().save(str(ARTIFACTS / f"payouts_planned_{backend}.png"))
    # At its narrowest (a small screen) the period still shows whole dates.
    narrowest = screen.minimumSizeHint()
    assert narrowest.width() <= MAX_WIDTH
    screen.resize(narrowest.width(), 600)
    settle()
    for field in (screen.first, screen.last):
        assert field.width() > field.fontMetrics().horizontalAdvance(field.text())
    screen.grab().save(str(ARTIFACTS / f"payouts_narrow_{backend}.png"))

    screen.plan_button.click()
    settle()
    assert screen.message.text() == \
        f"0 betalingen gepland (0 aangehouden), {planned + held} waren al gepland."
    assert len(db_rows(demo_db, screen)) == planned + held == screen.table.rowCount()
    runs = [audit_json(e, "after") for e in audit_rows(demo_db, "betalingen gepland")]
    assert [(a["gepland"], a["al gepland"]) for a in runs] == [(planned + held, 0),
                                                               (0, planned + held)]


def test_a_payment_past_the_buffer_is_approved_before_it_goes(qtbot, demo_db):
    screen = planned_screen(qtbot, demo_db)
    row = next(r for r in screen.rows if r.needs_approval)
    index = select_payout(screen, row.id)
    assert screen.buttons["approve"].isEnabled() and not screen.buttons["hold"].isEnabled()
    held_before = summary(screen)

    screen.buttons["release"].click()
    settle()
    assert_plain_red_line(screen, "keur haar goed")
    assert stored(demo_db, row.id).status == "aangehouden"
    assert column(screen, "Status")[index].startswith("aangehouden")
    assert summary(screen) == held_before

    screen.buttons["approve"].click()
    settle()
    approved = stored(demo_db, row.id)
    assert (approved.status, approved.approved_by) == ("gepland", demo_db.default_actor())
    index = select_payout(screen, row.id)  # still selected after the list is read again
    assert column(screen, "Status")[index] == "gepland"
    assert screen.message.text() == f"Goedgekeurd: {row.number} {row.participant}, " \
        f"{row.category} {euro(row.amount_cents)}."
    assert screen.message.styleSheet() == ""  # the earlier refusal is gone
    assert not screen.buttons["approve"].isEnabled()
    assert screen.buttons["hold"].isEnabled() and not screen.buttons["release"].isEnabled()
    assert audit_rows(demo_db, "betaling goedgekeurd")[-1].actor == demo_db.default_actor()


def test_hold_strike_and_change_one_payment(qtbot, demo_db):
    screen = planned_screen(qtbot, demo_db)
    leefgeld = [r for r in screen.rows if r.kind == "leefgeld" and r.status == "gepland"]
    first, second, third = leefgeld[:3]
    asked = []

    def answer(reply):
        def ask(prompt, row):
            asked.append((prompt, row.id if row else None))
            return reply
        return ask

    # Aanhouden with a reason, then Vrijgeven (no approval needed).
    select_payout(screen, first.id)
    screen.ask_text = answer("deelnemer belt eerst")
    screen.buttons["hold"].click()
    settle()
    assert asked == [("Waarom aanhouden?", first.id)]
    held = stored(demo_db, first.id)
    assert (held.status, held.hold_reason) == ("aangehouden", "deelnemer belt eerst")
    index = select_payout(screen, first.id)
    assert column(screen, "Status")[index] == "aangehouden: deelnemer belt eerst"
    assert screen.message.text().startswith(f"Aangehouden: {first.number}")
    screen.buttons["release"].click()
    settle()
    assert (stored(demo_db, first.id).status, stored(demo_db, first.id).hold_reason) == \
        ("gepland", None)

    # Schrappen: Annuleren in the question changes nothing; with a reason the week is gone.
    rows_before = screen.table.rowCount()
    select_payout(screen, second.id)
    screen.ask_text = answer(None)
    screen.buttons["strike"].click()
    settle()
    assert stored(demo_db, second.id).status == "gepland" and \
        not audit_rows(demo_db, "betaling geschrapt")
    screen.ask_text = answer("vakantie, vooraf betaald")
    screen.buttons["strike"].click()
    settle()
    assert stored(demo_db, second.id).status == "geschrapt"
    assert screen.table.rowCount() == rows_before - 1
    assert second.id not in {r.id for r in screen.rows}
    screen.show_filter.setCurrentIndex(screen.show_filter.findText("Alle betalingen"))
    settle()
    index = [r.id for r in screen.rows].index(second.id)
    assert column(screen, "Status")[index] == "geschrapt: vakantie, vooraf betaald"
    screen.plan_button.click()  # planning again does not bring the struck week back
    settle()
    assert screen.message.text().startswith("0 betalingen gepland")
    assert stored(demo_db, second.id).status == "geschrapt"

    # Wijzigen through the real dialog: only the amount. The date it shows has passed in the
    # meantime (planned earlier): the change is still taken, the date left as it was.
    yesterday = date.today() - timedelta(days=1)
    with demo_db.unit_of_work("test") as uow:
        uow.session.execute(update(Payout).where(Payout.id == third.id)
                            .values(execution_date=yesterday))
        uow.record("test", "payouts", third.id)
        uow.permitted = True  # test set-up straight into the tables, not a service
        uow.commit()
    screen.refresh()
    settle()
    index = select_payout(screen, third.id)
    total_before = sum(r.amount_cents for r in screen.rows if r.status == "gepland")
    screen.ask_payment = lambda title, row: fill_dialog(title, row, amount="123,45")
    screen.buttons["change"].click()
    settle()
    changed = stored(demo_db, third.id)
    assert (changed.amount_cents, changed.execution_date) == (123_45, yesterday)
    assert screen.message.styleSheet() == "", screen.message.text()
    assert screen.message.text().endswith(": nu € 123,45.")
    index = select_payout(screen, third.id)
    assert column(screen, "Bedrag")[index] == "€ 123,45"
    total = sum(r.amount_cents for r in screen.rows if r.status == "gepland")
    assert total == total_before - third.amount_cents + 123_45


def test_a_one_off_payment_for_the_selected_participant(qtbot, demo_db):
    screen = planned_screen(qtbot, demo_db)
    first, last = screen.period()

    def one_offs() -> list[Payout]:
        with demo_db.read() as session:
            return list(session.scalars(select(Payout).where(Payout.kind == PayoutKind.ONE_OFF)))

    screen.ask_payment = lambda title, row: fill_dialog(title, row, amount="150,00")
    screen.one_off_button.click()  # nobody chosen: for whom?
    settle()
    assert_plain_red_line(screen, "Kies eerst een betaling")

    leefgeld = next(r for r in screen.rows if r.kind == "leefgeld" and r.status == "gepland")
    select_payout(screen, leefgeld.id)
    day = first + timedelta(days=14)
    titles = []

    def ask(title, row, **texts):
        titles.append((title, row))
        values = {"amount": "150,00", "iban": leefgeld.creditor_iban,
                  "name": leefgeld.creditor_name, "remittance": "Voorschot wasmachine",
                  "day": short_date(day)} | texts
        return fill_dialog(title, row, **values)

    screen.ask_payment = lambda title, row: ask(title, row, iban="NL00INGB0000000000")
    screen.one_off_button.click()
    settle()
    assert_plain_red_line(screen, "IBAN")
    assert not one_offs()

    screen.ask_payment = ask
    screen.one_off_button.click()
    settle()
    assert titles[-1] == (f"Eenmalige betaling voor {leefgeld.participant}", None)
    [added] = one_offs()
    assert (added.participant_id, added.amount_cents, added.due_date, added.remittance) == (
        leefgeld.participant_id, 150_00, day, "Voorschot wasmachine")
    assert screen.message.text() == f"Eenmalige betaling van € 150,00 aan " \
        f"{leefgeld.creditor_name} toegevoegd ({short_date(day)})."
    index = [r.id for r in screen.rows].index(added.id)
    assert (column(screen, "Soort")[index], column(screen, "Deelnemer")[index],
            column(screen, "Bedrag")[index]) == ("eenmalig", leefgeld.participant, "€ 150,00")
    assert column(screen, "Status")[index].startswith(added.status.value)

    # Dated today, before the period shown: the clerk is told where it went.
    select_payout(screen, leefgeld.id)
    screen.ask_payment = lambda title, row: ask(title, row, day=short_date(date.today()),
                                                amount="25,00")
    screen.one_off_button.click()
    settle()
    assert len(one_offs()) == 2
    assert "valt buiten de getoonde periode" in screen.message.text()
    assert all(r.amount_cents != 25_00 or r.kind != "eenmalig" for r in screen.rows)


def test_the_payment_dialog_shows_the_payment_and_refuses_a_wrong_amount(qtbot, demo_db):
    screen = planned_screen(qtbot, demo_db)
    row = max(screen.rows, key=lambda r: r.amount_cents)  # a thousands separator
    assert row.amount_cents >= 1000_00
    dialog = PaymentDialog("Betaling wijzigen", row)
    qtbot.addWidget(dialog)
    assert (dialog.amount.text(), dialog.iban.text(), dialog.day.text()) == (
        euro(row.amount_cents).removeprefix("€ "), row.creditor_iban,
        short_date(row.execution_date))
    assert not dialog.name.isEnabled()
    dialog.save()
    assert dialog.values["amount_cents"] == row.amount_cents
    assert dialog.values["execution_date"] == row.execution_date
    dialog.values = None
    dialog.amount.setText("twaalf")
    dialog.save()
    assert dialog.values is None and dialog.error.text().startswith("Ongeldig bedrag")


def test_the_batch_file_the_history_and_cancelling_it(qtbot, demo_db, backend, tmp_path,
                                                      monkeypatch):
    # The clerk sits in the Netherlands: the history shows their time, also on SQLite.
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    try:
        batch_and_cancel(qtbot, demo_db, backend, tmp_path)
    finally:
        monkeypatch.undo()
        time.tzset()


def batch_and_cancel(qtbot, demo_db, backend, tmp_path) -> None:
    screen = planned_screen(qtbot, demo_db)
    first, last = screen.period()
    due = [r for r in db_rows(demo_db, screen) if r.status == "gepland"]
    held = [r for r in db_rows(demo_db, screen) if r.status == "aangehouden"]
    suggested = []

    def ask_file(name: str) -> Path:
        suggested.append(name)
        return tmp_path / name

    screen.ask_file = ask_file
    before = datetime.now().astimezone()
    screen.batch_button.click()
    settle()
    after = datetime.now().astimezone()
    name = f"betaalopdracht-{first:%Y-%m-%d}-{last:%Y-%m-%d}.xml"
    assert suggested == [name]
    path = tmp_path / name
    document = etree.parse(str(path))
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(document)
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == str(len(due))
    total = sum(r.amount_cents for r in due)
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == \
        f"{total // 100}.{total % 100:02d}"
    message_id = document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)
    assert screen.message.text() == (
        f"Betaalopdracht {message_id}: {len(due)} betalingen, {euro(total)}, opgeslagen als "
        f"{path}. Lever het bestand aan bij de bank.")
    with demo_db.read() as session:
        batch = session.scalar(select(PayoutBatch))
        assert (batch.message_id, batch.count, batch.file_name) == (message_id, len(due), name)
        assert batch.xml.encode() == path.read_bytes()
    # The list keeps only what is still to pay: the held ones.
    assert sorted(r.id for r in screen.rows) == sorted(r.id for r in held)
    assert summary(screen) == f"0 te betalen: € 0,00; {len(held)} aangehouden"
    assert screen.history.rowCount() == 1
    assert (history(screen, "Bericht"), history(screen, "Betalingen"), history(screen, "Totaal"),
            history(screen, "Status"), history(screen, "Gezien"), history(screen, "Periode")) == (
        message_id, str(len(due)), euro(total), "aangemaakt", f"0 van {len(due)}",
        f"{short_date(first)} – {short_date(last)}")
    assert history(screen, "Gemaakt") in {m.strftime("%d-%m-%Y %H:%M") for m in (before, after)}
    assert screen.minimumSizeHint().width() <= MAX_WIDTH  # the long file name wraps
    screen.grab().save(str(ARTIFACTS / f"payouts_batch_{backend}.png"))

    # Nothing left to pay: one red line, and no second file.
    screen.ask_file = lambda name: tmp_path / "tweede.xml"
    screen.batch_button.click()
    settle()
    assert_plain_red_line(screen, "Geen betalingen om te maken")
    assert not (tmp_path / "tweede.xml").exists()

    # The file again, byte for byte.
    screen.history.selectRow(0)
    assert screen.save_button.isEnabled() and screen.cancel_button.isEnabled()
    screen.ask_file = lambda name: tmp_path / "opnieuw.xml"
    screen.save_button.click()
    settle()
    assert (tmp_path / "opnieuw.xml").read_bytes() == path.read_bytes()
    assert screen.message.text() == f"Opgeslagen als {tmp_path / 'opnieuw.xml'}"

    # Cancel: first Annuleren in the question (nothing changes), then with a reason.
    screen.history.selectRow(0)
    screen.ask_text = lambda prompt, row: None
    screen.cancel_button.click()
    settle()
    assert history(screen, "Status") == "aangemaakt"
    screen.history.selectRow(0)
    screen.ask_text = lambda prompt, row: "verkeerde periode aangeleverd"
    screen.cancel_button.click()
    settle()
    assert screen.message.text() == \
        f"Betaalopdracht {message_id} geannuleerd: {len(due)} betalingen weer gepland."
    assert history(screen, "Status") == "geannuleerd"
    screen.history.selectRow(0)
    assert screen.save_button.isEnabled() and not screen.cancel_button.isEnabled()
    statuses = Counter(r.status for r in db_rows(demo_db, screen))
    assert statuses == Counter({"gepland": len(due), "aangehouden": len(held)})
    assert screen.table.rowCount() == len(due) + len(held)
    assert audit_json(audit_rows(demo_db, "betaalopdracht geannuleerd")[-1], "after")[
        "reden"] == "verkeerde periode aangeleverd"


def test_the_columns_fit_their_contents_and_the_clerks_own_widths_are_kept(qtbot, demo_db):
    empty = open_screen(qtbot, demo_db)  # next month, nothing planned yet
    assert empty.table.rowCount() == 0
    qtbot.wait(600)  # long enough for column widths to be saved
    empty.close()
    screen = planned_screen(qtbot, demo_db)
    header, metrics = screen.table.horizontalHeader(), screen.table.fontMetrics()
    for name in ("Deelnemer", "Rubriek", "Rekening"):
        widest = max(metrics.horizontalAdvance(text) for text in column(screen, name))
        assert header.sectionSize(COLUMNS.index(name)) > widest, name
    header.resizeSection(COLUMNS.index("Deelnemer"), 211)
    qtbot.wait(600)
    screen.close()
    again = planned_screen(qtbot, demo_db)
    assert again.table.horizontalHeader().sectionSize(COLUMNS.index("Deelnemer")) == 211


def test_mistakes_give_one_plain_red_line_and_change_nothing(qtbot, demo_db, tmp_path):
    screen = open_screen(qtbot, demo_db)

    def payout_count() -> int:
        with demo_db.read() as session:
            return session.scalar(select(func.count()).select_from(Payout))

    audits = len(audit_rows(demo_db))
    asked = []
    screen.ask_file = lambda name: asked.append(name) or tmp_path / name
    screen.first.setText("31-02-2027")
    for button in (screen.plan_button, screen.batch_button):
        button.click()
        settle()
        assert_plain_red_line(screen, "Ongeldige begindatum: '31-02-2027' (verwacht dd-mm-jjjj)")
    screen.refresh()  # F5 with the wrong date: the same line, the list as it was
    settle()
    assert_plain_red_line(screen, "Ongeldige begindatum")
    assert not asked  # no file asked for a period that does not exist

    screen.first.setText("31-03-2027")
    screen.last.setText("01-03-2027")
    screen.plan_button.click()
    settle()
    assert_plain_red_line(screen, "De einddatum (01-03-2027) ligt vóór de begindatum "
                                  "(31-03-2027)")
    screen.first.setText("01-01-2027")
    screen.last.setText("31-12-2027")
    screen.plan_button.click()
    settle()
    assert_plain_red_line(screen, "Plan hoogstens een kwartaal tegelijk")

    # A batch before anything is planned: the file is not written.
    screen.last.setText("31-01-2027")
    screen.batch_button.click()
    settle()
    assert_plain_red_line(screen, "Geen betalingen om te maken van 01-01-2027 tot en met "
                                  "31-01-2027")
    assert asked == ["betaalopdracht-2027-01-01-2027-01-31.xml"]
    assert not (tmp_path / asked[0]).exists()
    assert payout_count() == 0 and len(audit_rows(demo_db)) == audits
    assert screen.table.rowCount() == 0 and screen.history.rowCount() == 0

"""The queue screen, driven with the keyboard on a real database (SQLite and PostgreSQL):
book (Enter, 1–9, participant search), split, undo, remember with its preview, forget, bulk,
a colleague who was first; the queue count follows every step. The table model passes Qt's
model checks, and a screenshot with realistic demo data is saved to tests/artifacts."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMessageBox
from sqlalchemy import select

from app.db import Database
from app.errors import ValidationError
from app.models import Agreement, Booking
from app.services.bookings import BookingPart, book_transaction
from app.services.demo import create_demo
from app.services.queue import QueueFilter
from app.ui.operations import wait_for_operations
from app.ui.queue_dialogs import LearnedTermsModel
from app.ui.queue_model import QueueTableModel
from app.ui.queue_screen import QueueScreen
from tests import queue_data
from tests.conftest import ARTIFACTS
from tests.queue_data import TODAY, set_suggestions, transaction

# A fresh copy of the queue world per test (tests/queue_data.py).
world_db, db, world = queue_data.world_db, queue_data.db, queue_data.world

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def screen(qtbot, db, world):
    widget = QueueScreen(db, today=TODAY, typing_pause_ms=5)  # setText, not key by key
    qtbot.addWidget(widget)
    widget.resize(1500, 900)
    widget.show()
    widget.activateWindow()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(widget.isActiveWindow)
    settle(qtbot, widget)
    yield widget
    wait_for_operations()


def settle(qtbot, screen: QueueScreen) -> None:
    """Wait until the screen's background work is done and the detail pane is current."""
    def ready() -> bool:
        current = screen.current_id()
        detail = screen.detail.detail
        return screen.is_idle() and (current is None or (detail is not None
                                                         and detail.id == current))
    qtbot.waitUntil(ready, timeout=15_000)


def type_keys(qtbot, text: str) -> None:
    """Type as on a keyboard: each key goes to whatever has the focus at that moment."""
    for char in text:
        qtbot.keyClick(QApplication.focusWidget(), char)


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def refs_in_table(screen: QueueScreen, world) -> list[str]:
    by_id = {v: k for k, v in world.tx.items()}
    return [by_id[i] for i in screen.model.ids()]


def current_ref(screen: QueueScreen, world) -> str:
    return {v: k for k, v in world.tx.items()}[screen.current_id()]


def go_to(qtbot, screen: QueueScreen, world, ref: str) -> None:
    """↓ (or ↑) until the row is selected, as a clerk would."""
    screen.focus_table()
    target = screen.model.row_of(world.tx[ref])
    while screen.table.currentIndex().row() != target:
        key = Qt.Key.Key_Down if screen.table.currentIndex().row() < target else Qt.Key.Key_Up
        qtbot.keyClick(screen.table, key)
    settle(qtbot, screen)


def bookings(db, transaction_id: int) -> list[Booking]:
    with db.read() as session:
        return list(session.scalars(select(Booking).where(
            Booking.transaction_id == transaction_id).order_by(Booking.id)))


def test_enter_books_the_top_suggestion_and_moves_on_and_ctrl_z_undoes(qtbot, db, world,
                                                                      screen):
    assert refs_in_table(screen, world) == ["UWV-1", "UWV-2", "RENT-1", "GIFT-1", "UWV-3",
                                            "COSTS-1"]
    assert screen.windowTitle() == "Wachtrij (6)" and screen.count_label.text() == "6 open"
    go_to(qtbot, screen, world, "RENT-1")
    assert screen.detail.suggestions.count() == 2  # Anna (amount fits), then Bram
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 5):
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    settle(qtbot, screen)
    assert bookings(db, world.tx["RENT-1"])[0].agreement_id == world.anna_rent
    assert "RENT-1" not in refs_in_table(screen, world)
    assert current_ref(screen, world) == "GIFT-1"  # the next open item, not the top
    assert screen.windowTitle() == "Wachtrij (5)"
    assert screen.message.text().startswith("Geboekt: HHB-00001 Anna Jansen — huur")

    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 6):
        qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)
    settle(qtbot, screen)
    assert transaction(db, world.tx["RENT-1"]).is_open and not bookings(db, world.tx["RENT-1"])
    assert current_ref(screen, world) == "RENT-1"  # back in the queue, ready to book again
    assert screen.detail.suggestions.count() == 2  # with its suggestions: Enter works again
    assert screen.message.text().startswith("Ongedaan gemaakt")


def test_a_digit_picks_that_suggestion(qtbot, db, world, screen):
    go_to(qtbot, screen, world, "RENT-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_2)
    settle(qtbot, screen)
    assert bookings(db, world.tx["RENT-1"])[0].agreement_id == world.bram_rent
    qtbot.keyClick(screen.table, Qt.Key.Key_9)  # GIFT-1 has no ninth suggestion
    settle(qtbot, screen)
    assert "geen voorstel 9" in screen.message.text() and screen.open_count == 5


def test_enter_without_a_suggestion_says_what_to_do(qtbot, db, world, screen):
    go_to(qtbot, screen, world, "GIFT-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert "Geen voorstel" in screen.message.text() and screen.open_count == 6


def test_participant_search_and_split_by_keyboard(qtbot, db, world, screen):
    go_to(qtbot, screen, world, "UWV-1")  # € 1.261,10: partly benefit, partly to refund
    qtbot.keyClick(screen.table, Qt.Key.Key_F, CTRL)
    assert screen.detail.search.hasFocus()
    qtbot.keyClicks(screen.detail.search, "anna")
    qtbot.keyClick(screen.detail.search, Qt.Key.Key_Return)
    settle(qtbot, screen)
    agreements = screen.detail.agreements
    qtbot.waitUntil(agreements.hasFocus)  # one participant found: straight to her agreements
    texts = [agreements.item(i).text() for i in range(agreements.count())]
    assert texts[0].startswith("huur — Stichting Portaal") and "uitkering — UWV" in texts[1]
    qtbot.keyClick(agreements, Qt.Key.Key_Down)
    qtbot.keyClick(agreements, Qt.Key.Key_Plus)  # a part: Anna's benefit, the whole amount
    split = screen.detail.split
    assert split.table.hasFocus() and split.remaining.text() == "Nog te verdelen: € 0,00"
    type_keys(qtbot, "1000,00")
    assert split.table.state() == QAbstractItemView.State.EditingState
    press(qtbot, Qt.Key.Key_Return, CTRL)  # book at once: the typed amount counts, and then
    assert split.remaining.text() == (  # the parts do not add up: nothing is booked
        "De delen tellen niet op tot het bedrag: nog te verdelen € 261,10.")
    assert split.table.state() != QAbstractItemView.State.EditingState
    settle(qtbot, screen)
    assert not bookings(db, world.tx["UWV-1"]) and screen.open_count == 6
    assert current_ref(screen, world) == "UWV-1" and split.table.rowCount() == 1
    assert not split.book_button.isEnabled()
    other = screen.detail.other_category
    other.setFocus()
    qtbot.keyClick(other, Qt.Key.Key_Down)  # bankkosten → onbekend — terugstorten
    assert other.currentText() == "onbekend — terugstorten"
    qtbot.keyClick(other, Qt.Key.Key_Plus)
    assert split.remaining.text() == "Nog te verdelen: € 0,00" and split.book_button.isEnabled()
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 5):
        qtbot.keyClick(split.table, Qt.Key.Key_Return, CTRL)
    settle(qtbot, screen)
    parts = bookings(db, world.tx["UWV-1"])
    assert [(b.agreement_id, b.participant_id, b.amount_cents) for b in parts] == [
        (world.anna_benefit, world.anna, 1_000_00), (None, None, 261_10)]
    assert screen.message.text().startswith("Geboekt: gesplitst over 2 delen")
    assert screen.table.hasFocus() and current_ref(screen, world) == "UWV-2"


def test_remember_shows_a_preview_then_links_and_forget_removes(qtbot, db, world, screen):
    go_to(qtbot, screen, world, "UWV-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)  # the benefit, to Anna's agreement
    settle(qtbot, screen)
    assert screen.open_count == 5
    qtbot.keyClick(screen.table, Qt.Key.Key_R, CTRL)
    dialog = screen.remember_dialog
    qtbot.waitUntil(dialog.ok.isEnabled, timeout=15_000)
    assert dialog.current_term() == "2619999999"
    assert dialog.status.text().startswith(
        "Met deze zoekterm worden 2 andere transactie(s) uit de wachtrij aan deze afspraak "
        "gekoppeld")
    lines = [dialog.links.item(i).text() for i in range(dialog.links.count())]
    assert len(lines) == 2 and all("uitkeringsnr 2619999999" in line for line in lines)
    assert screen.open_count == 5 and transaction(db, world.tx["UWV-2"]).is_open
    dialog.grab().save(str(ARTIFACTS / "queue_remember_preview.png"))
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 3):
        qtbot.keyClick(dialog.term.lineEdit(), Qt.Key.Key_Return)
    settle(qtbot, screen)
    assert not dialog.isVisible()
    assert "2 transactie(s) uit de wachtrij gekoppeld" in screen.message.text()
    assert refs_in_table(screen, world) == ["RENT-1", "GIFT-1", "COSTS-1"]

    screen.terms_button.click()
    terms = screen.terms_dialog
    qtbot.waitUntil(lambda: terms.model.rowCount() == 1 and screen.is_idle())
    assert terms.model.index(0, 3).data() == "2619999999"
    qtbot.keyClick(terms.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: terms.model.rowCount() == 0 and screen.is_idle())
    assert "vergeten" in terms.status.text()
    terms.close()


def test_bulk_accepts_high_scores_with_a_summary_and_undo(qtbot, db, world, screen):
    tx = world.tx
    set_suggestions(db, tx["UWV-1"], [(world.anna_benefit, 95)])
    set_suggestions(db, tx["UWV-2"], [(world.anna_benefit, 92)])
    set_suggestions(db, tx["RENT-1"], [(world.anna_rent, 85), (world.bram_rent, 80)])
    qtbot.keyClick(screen.table, Qt.Key.Key_F5)
    settle(qtbot, screen)
    screen.focus_table()
    qtbot.keyClick(screen.table, Qt.Key.Key_A, CTRL)
    assert len(screen.selected_ids()) == 6
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 4):
        qtbot.keyClick(screen.table, Qt.Key.Key_B, CTRL)
    settle(qtbot, screen)
    summary = screen.summary_box.text()
    assert summary == ("Voorstellen accepteren (vanaf score 80): 2 geboekt; overgeslagen: "
                       "2× geen voorstel, 1× twee voorstellen bijna even goed, "
                       "1× score onder 80.")
    assert isinstance(screen.summary_box, QMessageBox) and screen.summary_box.isVisible()
    screen.summary_box.close()
    qtbot.waitUntil(screen.table.hasFocus)  # the keyboard is back in the queue
    assert refs_in_table(screen, world) == ["RENT-1", "GIFT-1", "UWV-3", "COSTS-1"]
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 6):
        qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)
    settle(qtbot, screen)
    assert not bookings(db, tx["UWV-1"]) and not bookings(db, tx["UWV-2"])


def test_bulk_on_rows_further_down_moves_on_not_back_to_the_top(qtbot, db, world, screen):
    set_suggestions(db, world.tx["GIFT-1"], [(world.anna_benefit, 95)])
    set_suggestions(db, world.tx["UWV-3"], [(world.anna_benefit, 95)])
    qtbot.keyClick(screen.table, Qt.Key.Key_F5)
    settle(qtbot, screen)
    go_to(qtbot, screen, world, "GIFT-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(screen.selected_ids()) == 2
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 4):
        qtbot.keyClick(screen.table, Qt.Key.Key_B, CTRL)
    settle(qtbot, screen)
    screen.summary_box.close()
    assert refs_in_table(screen, world) == ["UWV-1", "UWV-2", "RENT-1", "COSTS-1"]
    assert current_ref(screen, world) == "COSTS-1"  # where the booked rows were


def test_a_colleague_was_first_the_clerk_is_told_and_the_queue_refreshed(qtbot, db, world,
                                                                          screen):
    go_to(qtbot, screen, world, "RENT-1")
    book_transaction(db.unit_of_work("collega"), world.tx["RENT-1"],
                     [BookingPart(agreement_id=world.bram_rent)])
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "intussen al geboekt" in screen.message.text(), timeout=15_000)
    settle(qtbot, screen)
    qtbot.waitUntil(lambda: "RENT-1" not in refs_in_table(screen, world))
    assert screen.open_count == 5 and screen.windowTitle() == "Wachtrij (5)"
    [booking] = bookings(db, world.tx["RENT-1"])
    assert booking.agreement_id == world.bram_rent and booking.created_by == "collega"
    for box in screen.findChildren(QMessageBox):
        box.close()


def test_a_refused_booking_or_failed_undo_leaves_the_clerk_where_they_were(
        qtbot, db, world, screen, monkeypatch):
    import app.ui.queue_screen as queue_screen

    go_to(qtbot, screen, world, "RENT-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    settle(qtbot, screen)
    assert screen.open_count == 5 and current_ref(screen, world) == "GIFT-1"

    def connection_lost(*_args, **_kwargs):
        raise RuntimeError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr(queue_screen, "undo_bookings", connection_lost)
        qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)
        settle(qtbot, screen)
    assert screen.message.text() == "Er ging iets mis; er is niets half opgeslagen."
    assert screen.open_count == 5 and len(screen.undo_stack) == 1  # Ctrl+Z can try again
    close_message_boxes(screen)
    screen.focus_table(activate=True)
    qtbot.waitUntil(screen.table.hasFocus)  # the keyboard is back in the queue
    with qtbot.waitSignal(screen.countChanged, check_params_cb=lambda n: n == 6):
        qtbot.keyClick(screen.table, Qt.Key.Key_Z, CTRL)
    settle(qtbot, screen)
    assert current_ref(screen, world) == "RENT-1" and not screen.undo_stack

    def refused(*_args, **_kwargs):
        raise ValidationError("De afspraak is beëindigd op 28-02-2026")

    with monkeypatch.context() as patch:
        patch.setattr(queue_screen, "accept_suggestion", refused)
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
        settle(qtbot, screen)
    assert screen.message.text() == "De afspraak is beëindigd op 28-02-2026"
    assert current_ref(screen, world) == "RENT-1"  # back on it, not on the next one
    assert screen.open_count == 6 and "RENT-1" in refs_in_table(screen, world)
    assert not screen.model.is_pending(world.tx["RENT-1"])
    close_message_boxes(screen)


def close_message_boxes(screen: QueueScreen) -> None:
    for box in screen.findChildren(QMessageBox):
        box.close()


def test_booking_to_a_participant_offers_to_create_the_agreement(qtbot, db, world, screen):
    go_to(qtbot, screen, world, "GIFT-1")
    qtbot.keyClick(screen.table, Qt.Key.Key_F, CTRL)
    qtbot.keyClicks(screen.detail.search, "HHB-00001")
    qtbot.keyClick(screen.detail.search, Qt.Key.Key_Return)
    settle(qtbot, screen)
    qtbot.waitUntil(lambda: screen.detail.agreements.count() == 2)
    screen.detail.category.setCurrentText("overige vaste last")
    screen.detail.book_participant.click()
    offer = screen.offer_box
    assert "Een afspraak aanmaken" in offer.text()
    create = next(b for b in offer.buttons() if b.text() == "Afspraak aanmaken…")
    create.click()
    qtbot.waitUntil(lambda: getattr(screen, "agreement_dialog", None) is not None
                    and screen.agreement_dialog.isVisible())
    dialog = screen.agreement_dialog
    assert dialog.amount.text() == "50,00" and dialog.direction.currentText() == "inkomst"
    assert dialog.valid_from.text() == "01-03-2026" and dialog.day.value() == 12
    dialog.description.setText("Bijdrage familie")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.open_count == 5, timeout=15_000)
    settle(qtbot, screen)
    [booking] = bookings(db, world.tx["GIFT-1"])
    with db.read() as session:
        agreement = session.get(Agreement, booking.agreement_id)
        assert (agreement.participant_id, agreement.description, agreement.amount_cents) == (
            world.anna, "Bijdrage familie", 50_00)


def test_filters_narrow_the_table_and_the_count_says_so(qtbot, db, world, screen):
    qtbot.keyClicks(screen.filters.text, "uitkering")
    settle(qtbot, screen)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3)
    assert screen.count_label.text() == "6 open · 3 getoond"
    screen.filters.amount_min.setText("12,3x")
    settle(qtbot, screen)
    assert "border" in screen.filters.amount_min.styleSheet()  # unreadable: marked, ignored
    screen.filters.clear()
    screen.filters.counterparty.setText("portaal")
    settle(qtbot, screen)
    qtbot.waitUntil(lambda: refs_in_table(screen, world) == ["RENT-1"])
    screen.filters.clear()
    settle(qtbot, screen)
    screen.table.sortByColumn(QueueTableModel.AMOUNT, Qt.SortOrder.DescendingOrder)
    settle(qtbot, screen)
    qtbot.waitUntil(lambda: refs_in_table(screen, world)[-1] == "RENT-1")
    amount = screen.model.index(screen.model.row_of(world.tx["RENT-1"]), QueueTableModel.AMOUNT)
    assert amount.data() == "€ -812,40"
    assert amount.data(Qt.ItemDataRole.ForegroundRole).name() == "#b3261e"  # debits red


def test_a_date_that_does_not_exist_is_named_not_ignored(qtbot, db, world, screen):
    screen.filters.date_from.setText("31-02-2026")
    settle(qtbot, screen)
    assert screen.message.text() == ("De datum van 31-02-2026 bestaat niet; dit filter telt "
                                      "niet mee.")
    assert "border" in screen.filters.date_from.styleSheet()
    assert screen.model.rowCount() == 6 and screen.count_label.text() == "6 open"
    screen.filters.date_from.setText("01-03-2026")  # corrected: the message goes, it filters
    settle(qtbot, screen)
    assert screen.message.text() == "" and screen.filters.date_from.styleSheet() == ""
    assert refs_in_table(screen, world) == ["RENT-1", "GIFT-1", "UWV-3", "COSTS-1"]
    assert screen.count_label.text() == "6 open · 4 getoond"
    screen.filters.date_to.setText("01-02-2026")  # before 'van': said, left out
    settle(qtbot, screen)
    assert "De datum 'tot' ligt vóór 'van'" in screen.message.text()
    assert screen.model.rowCount() == 4
    screen.filters.date_to.setText("1-2-26")  # not a date at all
    settle(qtbot, screen)
    assert screen.message.text() == ("Ongeldige datum tot: '1-2-26' (verwacht dd-mm-jjjj); dit "
                                      "filter telt niet mee.")
    screen.filters.date_to.setText("15-03-2026")
    settle(qtbot, screen)
    assert refs_in_table(screen, world) == ["RENT-1", "GIFT-1"] and not screen.message.text()


def test_queue_model_passes_qt_model_checks_and_pages(qtmodeltester, db, world):
    model = QueueTableModel(db, today=TODAY, page_size=2)
    model.load()
    qtmodeltester.check(model)
    fresh = QueueTableModel(db, today=TODAY, page_size=2)
    fresh.load()
    assert fresh.index(0, QueueTableModel.DATE).data() == "23-01-2026"
    assert fresh.pages_fetched == 1
    assert fresh.index(1, QueueTableModel.AMOUNT).data() == "€ 1.261,10"
    assert fresh.pages_fetched == 1  # same page
    assert fresh.index(5, QueueTableModel.TEXT).data() == "Kosten betalingsverkeer maart 2026"
    assert fresh.pages_fetched == 2
    fresh.remove_ids([world.tx["UWV-2"]])
    assert fresh.rowCount() == 5 and fresh.index(1, QueueTableModel.DATE).data() == "02-03-2026"
    fresh.queue_filter = QueueFilter(text="Huur")
    fresh.load()
    assert fresh.rowCount() == 1


def test_learned_terms_model_passes_qt_model_checks(qtmodeltester):
    from app.services.queue import LearnedTermRow

    rows = [LearnedTermRow(1, "2619999999", 3, "HHB-00001", "Anna Jansen", "uitkering — UWV",
                           "clerk", date(2026, 4, 1))]
    qtmodeltester.check(LearnedTermsModel(rows))


@pytest.fixture
def demo_db(db_url):
    """An empty database (not the queue world) for the demo municipality."""
    database = Database.open(db_url)
    yield database
    database.dispose()


def test_screenshot_with_realistic_demo_data(qtbot, demo_db, backend):
    db = demo_db
    create_demo(db.unit_of_work("demo"), 40, today=date(2026, 4, 15))
    widget = QueueScreen(db, today=date(2026, 4, 15))
    qtbot.addWidget(widget)
    widget.resize(1600, 900)
    widget.show()
    qtbot.waitExposed(widget)
    settle(qtbot, widget)
    assert widget.open_count == widget.model.rowCount() > 0
    with_suggestion = next(r for r in range(widget.model.rowCount())
                           if widget.model.row_at(r).score is not None)
    widget.select_row(with_suggestion)
    settle(qtbot, widget)
    assert widget.detail.suggestions.count() >= 1
    QApplication.processEvents()
    widget.grab().save(str(ARTIFACTS / f"queue_screen_{backend}.png"))
    wait_for_operations()

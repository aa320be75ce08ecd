"""The manual matching queue (wachtrij): what the matcher left, booked by hand.

Left the table of open transactions (only ids in memory, rows fetched in pages, filters and
sorting in SQL); right the detail pane of the selected one: full text and references, the
ranked suggestions with their reasons, a participant search with the participant's agreements,
booking to a participant + category or to a non-participant category, and a split editor.

Keyboard: ↑/↓ move, Enter accepts the top suggestion, 1–9 pick a suggestion, Ctrl+F searches
a participant (Enter → results, Enter → agreements, Enter books, + adds a part to the split),
Ctrl+Enter books the split, Ctrl+Z undoes the last booking, Ctrl+R remembers a search term of
the last booking, Ctrl+B accepts the top suggestions of the selected rows, Esc goes back to
the table. After a booking the selection moves to the next open item, never back to the top.

All database work runs off the GUI thread (``run_operation``) except the page fetch of the
table model, one small query per hundred rows. A booking somebody else made first is refused
with a clear message and the queue is read again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.db import Database
from app.errors import ConflictError, NotFoundError, UserError
from app.formatting import euro, short_date
from app.services import validation
from app.services.bookings import (
    BULK_MIN_SCORE,
    Booked,
    BookingPart,
    BulkOutcome,
    accept_suggestion,
    accept_top_suggestions,
    book_transaction,
    book_with_new_agreement,
    undo_bookings,
    undo_many,
)
from app.services.queue import (
    AgreementView,
    CategoryView,
    QueueFilter,
    QueueStatus,
    TransactionDetail,
    count_open,
    list_categories,
    participant_agreements,
    propose_agreement,
    propose_terms,
    queue_ids,
    search_participants,
    transaction_detail,
)
from app.ui.operations import run_operation, show_error
from app.ui.queue_dialogs import (
    LearnedTermsDialog,
    NewAgreementDialog,
    RememberDialog,
    _html,
    _plain_amount,
)
from app.ui.queue_model import QueueTableModel

RED = "#b3261e"
PART_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class UndoEntry:
    label: str
    versions: dict[int, int]  # transaction id → its version right after our booking


@dataclass
class LastBooking:
    """The last manual booking to one agreement: what Ctrl+R can remember a term for."""

    transaction_id: int
    agreement_id: int
    title: str
    terms: list[str]


class QueueTable(QTableView):
    """The table, with the queue's keys: Enter accepts, 1–9 pick a suggestion."""

    acceptTop = Signal()  # noqa: N815 - Qt signal naming
    pick = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        key = event.key()
        if modifiers == Qt.KeyboardModifier.NoModifier:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.acceptTop.emit()
                return
            if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
                self.pick.emit(key - Qt.Key.Key_0)
                return
        super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:  # noqa: N802 - Qt API
        pass  # typing letters must not page through 100,000 rows looking for a match


class KeyList(QListWidget):
    """A list that books with Enter and adds a split part with +."""

    enter = Signal()
    plus = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.enter.emit()
            return
        if event.key() == Qt.Key.Key_Plus or event.text() == "+":
            self.plus.emit()
            return
        super().keyPressEvent(event)


class KeyCombo(QComboBox):
    """A category choice where + adds a split part."""

    plus = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Plus or event.text() == "+":
            self.plus.emit()
            return
        super().keyPressEvent(event)


class SplitEditor(QGroupBox):
    """The parts of a split: destination and amount; books only when they add up exactly."""

    bookRequested = Signal(list, str)  # noqa: N815 - [BookingPart], description

    def __init__(self) -> None:
        super().__init__("Splitsen")
        self.amount_cents = 0
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Bestemming", "Bedrag (€)"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setMinimumHeight(90)
        self.table.itemChanged.connect(self._update)
        self.remaining = QLabel()
        self.remove_button = QPushButton("Deel verwijderen")
        self.remove_button.clicked.connect(self.remove_current)
        self.book_button = QPushButton("Gesplitst boeken (Ctrl+Enter)")
        self.book_button.clicked.connect(self.book)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.remove_current,
                  context=Qt.ShortcutContext.WidgetShortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remaining, 1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.book_button)
        hint = QLabel("Voeg delen toe met + in de voorstellen of afspraken, of met 'Als deel'. "
                      "De delen moeten precies optellen tot het bedrag.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.reset(0)

    def reset(self, amount_cents: int) -> None:
        self.amount_cents = amount_cents
        self.table.setRowCount(0)
        self._update()

    def add_part(self, part: BookingPart, title: str) -> None:
        left = self._left()
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        target = QTableWidgetItem(title)
        target.setData(PART_ROLE, part)
        target.setFlags(target.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 0, target)
        amount = QTableWidgetItem(_plain_amount(left) if left and abs(left) <= abs(
            self.amount_cents) and _same_sign(left, self.amount_cents) else "")
        amount.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, 1, amount)
        self.table.blockSignals(False)
        self.table.setCurrentCell(row, 1)
        self.table.setFocus()  # type the amount at once; Enter keeps it
        self._update()

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._update()

    def parts(self) -> list[BookingPart]:
        """The parts with signed amounts; raises ValidationError naming the bad one."""
        sign = -1 if self.amount_cents < 0 else 1
        parts = []
        for row in range(self.table.rowCount()):
            part: BookingPart = self.table.item(row, 0).data(PART_ROLE)
            text = (self.table.item(row, 1) or QTableWidgetItem("")).text()
            cents = validation.cents(text, f"bedrag van deel {row + 1}")
            parts.append(BookingPart(part.agreement_id, part.participant_id, part.category_id,
                                     sign * cents))
        return parts

    def book(self) -> None:
        if self.table.state() == QAbstractItemView.State.EditingState:
            self.table.setCurrentIndex(self.table.currentIndex())  # commit the open editor
        try:
            parts = self.parts()
        except UserError as exc:
            self.remaining.setText(str(exc))
            return
        if not parts:
            return
        titles = [self.table.item(r, 0).text() for r in range(self.table.rowCount())]
        self.bookRequested.emit(parts, f"gesplitst over {len(parts)} delen: "
                                       + "; ".join(titles))

    def _left(self) -> int:
        try:
            return self.amount_cents - sum(p.amount_cents for p in self.parts())
        except UserError:
            return 0

    def _update(self, *_args) -> None:
        try:
            parts = self.parts()
        except UserError as exc:
            self.remaining.setText(str(exc))
            self.remaining.setStyleSheet(f"color: {RED}")
            self.book_button.setEnabled(False)
            return
        left = self.amount_cents - sum(p.amount_cents for p in parts)
        self.remaining.setText(f"Nog te verdelen: {euro(left)}")
        self.remaining.setStyleSheet("" if left == 0 else f"color: {RED}")
        self.book_button.setEnabled(bool(parts) and left == 0)


class DetailPane(QScrollArea):
    """The selected transaction and every way to book it."""

    acceptRequested = Signal(int)  # noqa: N815 - agreement id of a suggestion
    bookRequested = Signal(list, str, object)  # noqa: N815 - parts, description, LastBooking
    newAgreementRequested = Signal(int, int)  # noqa: N815 - participant id, category id
    undoRequested = Signal()  # noqa: N815
    backToTable = Signal()  # noqa: N815

    def __init__(self, screen: QueueScreen):
        super().__init__()
        self.screen = screen
        self.detail: TransactionDetail | None = None
        self.participant: tuple[int, str] | None = None
        self._agreements: list[AgreementView] = []
        self._search_sequence = 0
        self._focus_results = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(420)
        content = QWidget()
        layout = QVBoxLayout(content)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.counterparty = QLabel()
        self.counterparty.setWordWrap(True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setStyleSheet("font-size: 11pt; padding: 4px; background: palette(base);")
        self.references = QLabel()
        self.references.setTextFormat(Qt.TextFormat.RichText)
        self.references.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.references.setWordWrap(True)
        for widget in (self.header, self.counterparty, self.text, self.references):
            layout.addWidget(widget)

        self.bookings_box = QGroupBox("Geboekt")
        self.bookings_label = QLabel()
        self.bookings_label.setWordWrap(True)
        self.undo_button = QPushButton("Boekingen ongedaan maken")
        self.undo_button.clicked.connect(self.undoRequested)
        box = QVBoxLayout(self.bookings_box)
        box.addWidget(self.bookings_label)
        box.addWidget(self.undo_button)
        layout.addWidget(self.bookings_box)

        suggestions_box = QGroupBox("Voorstellen (Enter = 1, of kies 1–9)")
        self.suggestions = KeyList()
        self.suggestions.setWordWrap(True)
        self.suggestions.setMinimumHeight(170)
        self.suggestions.enter.connect(self._accept_selected_suggestion)
        self.suggestions.plus.connect(self._split_selected_suggestion)
        QVBoxLayout(suggestions_box).addWidget(self.suggestions)
        layout.addWidget(suggestions_box)

        search_box = QGroupBox("Deelnemer zoeken (Ctrl+F)")
        self.search = QLineEdit()
        self.search.setPlaceholderText("naam, dossiernummer, IBAN of laatste cijfers BSN")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self._run_search(focus_results=True))
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textEdited.connect(lambda _t: self._search_timer.start())
        self.participants = KeyList()
        self.participants.setMaximumHeight(110)
        self.participants.enter.connect(lambda: self._choose_participant(focus=True))
        self.participants.itemDoubleClicked.connect(lambda _i: self._choose_participant(True))
        self.agreements_label = QLabel("Afspraken van de deelnemer (Enter boekt, + = deel)")
        self.agreements = KeyList()
        self.agreements.setMaximumHeight(130)
        self.agreements.enter.connect(self._book_selected_agreement)
        self.agreements.plus.connect(self._split_selected_agreement)
        self.agreements.itemDoubleClicked.connect(lambda _i: self._book_selected_agreement())
        self.category = KeyCombo()
        self.category.plus.connect(self._split_participant_category)
        self.book_participant = QPushButton("Boek op deelnemer…")
        self.book_participant.clicked.connect(self._book_participant_category)
        self.part_participant = QPushButton("Als deel")
        self.part_participant.clicked.connect(self._split_participant_category)
        grid = QGridLayout(search_box)
        grid.addWidget(self.search, 0, 0, 1, 3)
        grid.addWidget(self.participants, 1, 0, 1, 3)
        grid.addWidget(self.agreements_label, 2, 0, 1, 3)
        grid.addWidget(self.agreements, 3, 0, 1, 3)
        grid.addWidget(QLabel("Geen passende afspraak? Rubriek (+ = deel):"), 4, 0, 1, 3)
        grid.addWidget(self.category, 5, 0)
        grid.addWidget(self.book_participant, 5, 1)
        grid.addWidget(self.part_participant, 5, 2)
        grid.setColumnStretch(0, 1)
        layout.addWidget(search_box)

        other_box = QGroupBox("Niet van een deelnemer (+ = deel)")
        self.other_category = KeyCombo()
        self.other_category.plus.connect(self._split_other)
        self.book_other = QPushButton("Boek op rubriek")
        self.book_other.clicked.connect(self._book_other)
        self.part_other = QPushButton("Als deel")
        self.part_other.clicked.connect(self._split_other)
        row = QHBoxLayout(other_box)
        row.addWidget(self.other_category, 1)
        row.addWidget(self.book_other)
        row.addWidget(self.part_other)
        layout.addWidget(other_box)

        self.split = SplitEditor()
        self.split.bookRequested.connect(
            lambda parts, text: self.bookRequested.emit(parts, text, None))
        layout.addWidget(self.split)
        layout.addStretch(1)
        self.setWidget(content)
        for widget in (self.search, self.participants, self.agreements, self.suggestions,
                       self.split.table):
            QShortcut(QKeySequence(Qt.Key.Key_Escape), widget, self.backToTable.emit,
                      context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.split.book,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.split.book,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.show_detail(None)

    # -- filling -------------------------------------------------------------------------

    def set_categories(self, categories: list[CategoryView]) -> None:
        self.category.clear()
        self.other_category.clear()
        for category in categories:
            target = self.category if category.for_participants else self.other_category
            target.addItem(category.name, category.id)
        unknown = self.other_category.findText("onbekend")
        if unknown >= 0:
            self.other_category.setItemText(unknown, "onbekend — terugstorten")

    def show_detail(self, detail: TransactionDetail | None, loading: bool = False) -> None:
        self.detail = detail
        self.suggestions.clear()
        enabled = detail is not None and detail.is_open
        for widget in (self.book_participant, self.part_participant, self.book_other,
                       self.part_other, self.split, self.suggestions, self.agreements):
            widget.setEnabled(enabled)
        if detail is None:
            self.header.setText("<i>Laden…</i>" if loading else
                                "<i>Kies een transactie in de lijst.</i>")
            for label in (self.counterparty, self.text, self.references):
                label.clear()
            self.bookings_box.hide()
            self.split.reset(0)
            return
        colour = RED if detail.amount_cents < 0 else "palette(text)"
        state = "open" if detail.is_open else "geboekt"
        if detail.is_open and detail.booked_cents:
            state = f"deels geboekt, nog {euro(detail.left_cents)}"
        self.header.setText(
            f"<span style='font-size:16pt; font-weight:bold; color:{colour}'>"
            f"{_html(euro(detail.amount_cents))}</span>&nbsp;&nbsp;"
            f"{short_date(detail.booking_date)} · {detail.age_days} dagen · {state}")
        iban = validation.format_iban(detail.counterparty_iban) \
            if detail.counterparty_iban else "geen tegenrekening"
        owner = f" — bekend als {detail.counterparty_owner}" if detail.counterparty_owner \
            else " — onbekende rekening" if detail.counterparty_iban else ""
        self.counterparty.setText(f"{detail.counterparty_name or '(geen naam)'} · {iban}{owner}")
        self.text.setText(detail.description or "(geen omschrijving)")
        self.references.setText("<br>".join(
            f"<span style='color:gray'>{_html(label)}:</span> {_html(value)}"
            for label, value in detail.references))
        if detail.bookings:
            self.bookings_label.setText("\n".join(
                f"{euro(b.amount_cents)} → {b.target} ({b.method}, {b.created_by})"
                + (f"\n    {b.reason}" if b.reason else "") for b in detail.bookings))
            self.bookings_box.show()
        else:
            self.bookings_box.hide()
        for suggestion in detail.suggestions:
            warning = "" if suggestion.valid else "  ⚠ niet geldig op deze datum"
            amount = euro(suggestion.agreement_amount_cents)
            item = QListWidgetItem(
                f"{suggestion.rank}  {suggestion.title()} · {amount}"
                f" · score {suggestion.score}{warning}\n    {suggestion.reason}")
            item.setData(PART_ROLE, suggestion)
            self.suggestions.addItem(item)
        if not detail.suggestions:
            item = QListWidgetItem("Geen voorstellen: zoek een deelnemer (Ctrl+F) of kies een "
                                   "rubriek.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.suggestions.addItem(item)
        else:
            self.suggestions.setCurrentRow(0)
        self.split.reset(detail.left_cents)

    # -- participant search --------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _run_search(self, focus_results: bool = False) -> None:
        self._search_timer.stop()
        self._search_sequence += 1
        sequence, text = self._search_sequence, self.search.text()

        def work(_progress):
            with self.screen.db.read() as session:
                return search_participants(session, text)

        def done(hits) -> None:
            if sequence != self._search_sequence:
                return
            self.participants.clear()
            for hit in hits:
                born = f", geb. {short_date(hit.birth_date)}" if hit.birth_date else ""
                item = QListWidgetItem(f"{hit.number}  {hit.name} ({hit.city or '-'}{born})"
                                       f" — {hit.matched}")
                item.setData(PART_ROLE, hit)
                self.participants.addItem(item)
            if not hits:
                item = QListWidgetItem("Niemand gevonden.")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.participants.addItem(item)
                return
            self.participants.setCurrentRow(0)
            if len(hits) == 1:
                self._choose_participant(focus=focus_results)
            elif focus_results:
                self.participants.setFocus()

        self.screen.run(work, done)

    def _choose_participant(self, focus: bool = False) -> None:
        item = self.participants.currentItem()
        hit = item.data(PART_ROLE) if item is not None else None
        if hit is None:
            return
        self.participant = (hit.id, f"{hit.number} {hit.name}")

        def work(_progress):
            with self.screen.db.read() as session:
                return participant_agreements(session, hit.id)

        def done(agreements: list[AgreementView]) -> None:
            if self.participant is None or self.participant[0] != hit.id:
                return
            self._agreements = agreements
            self.agreements.clear()
            self.agreements_label.setText(f"Afspraken van {hit.number} {hit.name} "
                                          "(Enter boekt, + = deel)")
            day = self.detail.booking_date if self.detail else date.today()
            first_valid = None
            for agreement in agreements:
                valid = agreement.is_valid_on(day)
                terms = f" · zoektermen: {', '.join(agreement.search_terms)}" \
                    if agreement.search_terms else ""
                item = QListWidgetItem(
                    f"{agreement.title()} · {agreement.direction} {euro(agreement.amount_cents)}"
                    f" per {agreement.frequency}"
                    + ("" if valid else " · niet geldig op deze datum") + terms)
                item.setData(PART_ROLE, agreement)
                if not valid:
                    item.setForeground(Qt.GlobalColor.gray)
                elif first_valid is None:
                    first_valid = self.agreements.count()
                self.agreements.addItem(item)
            if not agreements:
                item = QListWidgetItem("Nog geen afspraken: boek op deelnemer met een rubriek.")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.agreements.addItem(item)
                if focus:
                    self.category.setFocus()
                return
            self.agreements.setCurrentRow(first_valid or 0)
            if focus:
                self.agreements.setFocus()

        self.screen.run(work, done)

    # -- booking intents -----------------------------------------------------------------

    def _selected_agreement(self) -> AgreementView | None:
        item = self.agreements.currentItem()
        return item.data(PART_ROLE) if item is not None else None

    def _book_selected_agreement(self) -> None:
        agreement = self._selected_agreement()
        if agreement is None or self.detail is None or self.participant is None:
            return
        title = f"{self.participant[1]} — {agreement.title()}"
        last = LastBooking(self.detail.id, agreement.id, title, self._terms())
        self.bookRequested.emit([BookingPart(agreement_id=agreement.id)], title, last)

    def _split_selected_agreement(self) -> None:
        agreement = self._selected_agreement()
        if agreement is not None and self.participant is not None:
            self.split.add_part(BookingPart(agreement_id=agreement.id),
                                f"{self.participant[1]} — {agreement.title()}")

    def _accept_selected_suggestion(self) -> None:
        item = self.suggestions.currentItem()
        suggestion = item.data(PART_ROLE) if item is not None else None
        if suggestion is not None:
            self.acceptRequested.emit(suggestion.agreement_id)

    def _split_selected_suggestion(self) -> None:
        item = self.suggestions.currentItem()
        suggestion = item.data(PART_ROLE) if item is not None else None
        if suggestion is not None:
            self.split.add_part(BookingPart(agreement_id=suggestion.agreement_id),
                                suggestion.title())

    def _participant_part(self) -> tuple[BookingPart, str] | None:
        if self.participant is None:
            self.screen.say("Zoek eerst een deelnemer (Ctrl+F).", error=True)
            return None
        return (BookingPart(participant_id=self.participant[0],
                            category_id=self.category.currentData()),
                f"{self.participant[1]} — {self.category.currentText()} (zonder afspraak)")

    def _book_participant_category(self) -> None:
        chosen = self._participant_part()
        if chosen is None or self.detail is None:
            return
        self.newAgreementRequested.emit(self.participant[0], self.category.currentData())

    def _split_participant_category(self) -> None:
        chosen = self._participant_part()
        if chosen is not None:
            self.split.add_part(*chosen)

    def _book_other(self) -> None:
        if self.detail is not None and self.other_category.currentData() is not None:
            self.bookRequested.emit(
                [BookingPart(category_id=self.other_category.currentData())],
                self.other_category.currentText(), None)

    def _split_other(self) -> None:
        if self.other_category.currentData() is not None:
            self.split.add_part(BookingPart(category_id=self.other_category.currentData()),
                                self.other_category.currentText())

    def _terms(self) -> list[str]:
        return list(self.detail.proposed_terms) if self.detail else []


class QueueScreen(QWidget):
    """The queue screen; the main window puts it in its sidebar and shows ``countChanged``."""

    countChanged = Signal(int)  # noqa: N815 - open transactions in the whole queue

    def __init__(self, db: Database, *, today: date | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.today = today
        self.open_count = 0
        self.undo_stack: list[UndoEntry] = []
        self.last_booking: LastBooking | None = None
        self.last_bulk: BulkOutcome | None = None
        self._in_flight: set[int] = set()
        self._operations = 0
        self._reload_sequence = 0
        self.reloads_applied = 0  # for tests and the benchmark: lists shown so far
        self._detail_sequence = 0
        self._pending_pick: tuple[int, int] | None = None
        self.categories: list[CategoryView] = []
        self.setWindowTitle("Wachtrij")

        self.model = QueueTableModel(db, today=today)
        self.model.reload_requested = self.reload
        self.table = QueueTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(QueueTableModel.TEXT, QHeaderView.ResizeMode.Stretch)
        for column, width in ((QueueTableModel.DATE, 84), (QueueTableModel.AMOUNT, 100),
                              (QueueTableModel.NAME, 140), (QueueTableModel.IBAN, 168),
                              (QueueTableModel.AGE, 48), (QueueTableModel.SUGGESTION, 210),
                              (QueueTableModel.SCORE, 46)):
            header.resizeSection(column, width)
        header.setSortIndicator(QueueTableModel.DATE, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.acceptTop.connect(self.accept_top)
        self.table.pick.connect(self.pick_suggestion)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        self.detail = DetailPane(self)
        self.detail.acceptRequested.connect(self._accept_agreement)
        self.detail.bookRequested.connect(self._book_parts)
        self.detail.newAgreementRequested.connect(self._offer_new_agreement)
        self.detail.undoRequested.connect(self.undo_selected)
        self.detail.backToTable.connect(self.focus_table)

        self.heading = QLabel("Wachtrij")
        self.heading.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.count_label = QLabel()
        self.count_label.setStyleSheet("font-size: 11pt;")
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.min_score = QSpinBox()
        self.min_score.setRange(1, 100)
        self.min_score.setValue(BULK_MIN_SCORE)
        self.min_score.setPrefix("vanaf score ")
        self.bulk_button = QPushButton("Voorstellen accepteren (Ctrl+B)")
        self.bulk_button.clicked.connect(self.bulk_accept)
        self.rematch_button = QPushButton("Opnieuw koppelen")
        self.rematch_button.clicked.connect(self.rematch)
        self.terms_button = QPushButton("Geleerde zoektermen…")
        self.terms_button.clicked.connect(self.show_learned_terms)
        for widget in (self.min_score, self.bulk_button, self.rematch_button, self.terms_button):
            top.addWidget(widget)

        self.filters = self._filter_bar()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setMinimumHeight(self.fontMetrics().height() * 2 + 6)

        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        shortcuts = (
            (QKeySequence.StandardKey.Find, self.detail.focus_search),
            (QKeySequence.StandardKey.Undo, self.undo_last),
            (QKeySequence("Ctrl+R"), self.remember),
            (QKeySequence("Ctrl+B"), self.bulk_accept),
            (QKeySequence("F5"), lambda: self.reload()),
        )
        for keys, slot in shortcuts:
            QShortcut(keys, self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._filter_timer = QTimer(self, singleShot=True, interval=250)
        self._filter_timer.timeout.connect(lambda: self.reload())
        self._detail_timer = QTimer(self, singleShot=True, interval=40)
        self._detail_timer.timeout.connect(self._load_detail)
        self.table.setFocus()
        self._load_categories()
        self.reload(select_first=True)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._sized:  # the table gets most of the width, the detail pane the rest
            self._sized = True
            width = max(self.splitter.width(), 1000)
            self.splitter.setSizes([int(width * 0.64), width - int(width * 0.64)])

    # -- running work off the GUI thread -------------------------------------------------

    def run(self, work: Callable, on_done: Callable[[Any], None] | None = None, *,
            on_error: Callable[[BaseException], None] | None = None,
            label: str | None = None) -> None:
        """``run_operation`` that the screen counts, so tests and the window know when the
        screen is idle."""
        self._operations += 1

        def done(result: Any) -> None:
            self._operations -= 1
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self._operations -= 1
            (on_error or self._failed)(exc)

        run_operation(self, work, on_done=done, on_error=failed, label=label)

    def is_idle(self) -> bool:
        return self._operations == 0 and not self._filter_timer.isActive() \
            and not self._detail_timer.isActive()

    def _failed(self, exc: BaseException) -> None:
        self.say(str(exc) if isinstance(exc, UserError) else
                 "Er ging iets mis; er is niets half opgeslagen.", error=True)
        show_error(self, exc)
        if isinstance(exc, ConflictError | NotFoundError):
            self.reload()  # an up-to-date queue

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {RED}; font-weight: bold;" if error else "")

    # -- filters and loading -------------------------------------------------------------

    def _filter_bar(self) -> QHBoxLayout:
        self.filter_text = QLineEdit()
        self.filter_text.setPlaceholderText("Zoek in tekst en kenmerken")
        self.filter_counterparty = QLineEdit()
        self.filter_counterparty.setPlaceholderText("Tegenpartij of IBAN")
        self.filter_amount_min = QLineEdit()
        self.filter_amount_min.setPlaceholderText("bedrag van")
        self.filter_amount_max = QLineEdit()
        self.filter_amount_max.setPlaceholderText("tot")
        self.filter_date_from = QLineEdit()
        self.filter_date_from.setPlaceholderText("datum van")
        self.filter_date_to = QLineEdit()
        self.filter_date_to.setPlaceholderText("tot")
        self.filter_age = QSpinBox()
        self.filter_age.setRange(0, 3650)
        self.filter_age.setPrefix("ouder dan ")
        self.filter_age.setSuffix(" dagen")
        self.filter_age.setSpecialValueText("elke leeftijd")
        self.filter_direction = QComboBox()
        for text, value in (("bij en af", None), ("bij", "in"), ("af", "uit")):
            self.filter_direction.addItem(text, value)
        self.filter_status = QComboBox()
        for text, value in (("open", QueueStatus.OPEN), ("geboekt", QueueStatus.BOOKED),
                            ("alle", QueueStatus.ALL)):
            self.filter_status.addItem(text, value)
        clear = QPushButton("Wissen")
        clear.clicked.connect(self.clear_filters)
        bar = QHBoxLayout()
        for widget, stretch in ((self.filter_text, 3), (self.filter_counterparty, 2),
                                (self.filter_amount_min, 1), (self.filter_amount_max, 1),
                                (self.filter_date_from, 1), (self.filter_date_to, 1),
                                (self.filter_age, 1), (self.filter_direction, 0),
                                (self.filter_status, 0), (clear, 0)):
            bar.addWidget(widget, stretch)
        for edit in (self.filter_text, self.filter_counterparty, self.filter_amount_min,
                     self.filter_amount_max, self.filter_date_from, self.filter_date_to):
            edit.textChanged.connect(lambda _t: self._filter_timer.start())
            edit.returnPressed.connect(self.focus_table)
        self.filter_age.valueChanged.connect(lambda _v: self._filter_timer.start())
        self.filter_direction.currentIndexChanged.connect(lambda _i: self._filter_timer.start())
        self.filter_status.currentIndexChanged.connect(lambda _i: self._filter_timer.start())
        return bar

    def clear_filters(self) -> None:
        for edit in (self.filter_text, self.filter_counterparty, self.filter_amount_min,
                     self.filter_amount_max, self.filter_date_from, self.filter_date_to):
            edit.clear()
        self.filter_age.setValue(0)
        self.filter_direction.setCurrentIndex(0)
        self.filter_status.setCurrentIndex(0)

    def current_filter(self) -> QueueFilter:
        """The filter as typed; a field that cannot be read is marked and ignored."""
        def read(edit: QLineEdit, parse: Callable[[str], Any]) -> Any:
            text = edit.text().strip()
            if not text:
                edit.setStyleSheet("")
                edit.setToolTip("")
                return None
            try:
                value = parse(text)
            except UserError as exc:
                edit.setStyleSheet(f"border: 1px solid {RED};")
                edit.setToolTip(str(exc))
                return None
            edit.setStyleSheet("")
            edit.setToolTip("")
            return value

        def amount(text: str) -> int:
            return validation.cents(text, "bedrag", allow_zero=True)

        def day(text: str) -> date:
            return validation.day_of(text, "datum")

        age = self.filter_age.value()
        return QueueFilter(
            text=self.filter_text.text(), counterparty=self.filter_counterparty.text(),
            amount_min_cents=read(self.filter_amount_min, amount),
            amount_max_cents=read(self.filter_amount_max, amount),
            date_from=read(self.filter_date_from, day), date_to=read(self.filter_date_to, day),
            min_age_days=age or None, direction=self.filter_direction.currentData(),
            status=QueueStatus(self.filter_status.currentData()))

    def reload(self, *, select_id: int | None = None, select_first: bool = False) -> None:
        """Read the ids again (filter and sort in SQL) and keep the clerk's place."""
        self._filter_timer.stop()
        queue_filter, sort, today = self.current_filter(), self.model.sort_spec, self.today
        self._reload_sequence += 1
        sequence = self._reload_sequence

        def work(_progress):
            with self.db.read() as session:
                return queue_ids(session, queue_filter, sort, today=today), count_open(session)

        def done(result) -> None:
            if sequence != self._reload_sequence:
                return
            ids, open_count = result
            current_id = self.current_id()
            current_row = max(self.table.currentIndex().row(), 0)
            self.model.queue_filter = queue_filter
            self.model.set_ids(ids)
            self.reloads_applied += 1
            self._set_count(open_count)
            wanted = select_id if select_id is not None else current_id
            row = self.model.row_of(wanted) if wanted is not None else None
            if row is None:
                row = 0 if select_first else min(current_row, self.model.rowCount() - 1)
            self.select_row(row)

        self.run(work, done)

    def _load_categories(self) -> None:
        def work(_progress):
            with self.db.read() as session:
                return list_categories(session)

        def done(categories: list[CategoryView]) -> None:
            self.categories = categories
            self.detail.set_categories(categories)

        self.run(work, done)

    def _set_count(self, open_count: int) -> None:
        self.open_count = open_count
        shown = self.model.rowCount()
        status = self.model.queue_filter.status
        text = f"{_thousands(open_count)} open"
        if self.model.queue_filter.is_narrowed() or status is not QueueStatus.OPEN:
            text += f" · {_thousands(shown)} getoond"
        self.count_label.setText(text)
        self.setWindowTitle(f"Wachtrij ({_thousands(open_count)})")
        self.countChanged.emit(open_count)

    # -- selection and detail ------------------------------------------------------------

    def current_id(self) -> int | None:
        return self.model.id_at(self.table.currentIndex().row())

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.detail.show_detail(None)
            return
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def focus_table(self, activate: bool = False) -> None:
        if activate:  # back from a dialog: the keyboard belongs to the queue again
            self.window().activateWindow()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _current_changed(self, *_args) -> None:
        self.detail.show_detail(None, loading=True)
        self._detail_timer.start()

    def _load_detail(self) -> None:
        transaction_id = self.current_id()
        if transaction_id is None:
            self.detail.show_detail(None)
            return
        self._detail_sequence += 1
        sequence, today = self._detail_sequence, self.today

        def work(_progress):
            with self.db.read() as session:
                return transaction_detail(session, transaction_id, today=today)

        def done(detail: TransactionDetail | None) -> None:
            if sequence != self._detail_sequence or self.current_id() != transaction_id:
                return
            self.detail.show_detail(detail)
            if self._pending_pick and self._pending_pick[0] == transaction_id:
                number = self._pending_pick[1]
                self._pending_pick = None
                self.pick_suggestion(number)

        self.run(work, done)

    def _loaded_detail(self) -> TransactionDetail | None:
        detail = self.detail.detail
        return detail if detail is not None and detail.id == self.current_id() else None

    # -- booking -------------------------------------------------------------------------

    def accept_top(self) -> None:
        """Enter: the top suggestion of the selected transaction."""
        row = self.model.row_at(self.table.currentIndex().row())
        if row is None:
            return
        if not row.is_open:
            self.say("Deze transactie is al geboekt (Ctrl+Z of 'Boekingen ongedaan maken' "
                     "maakt dat ongedaan).", error=True)
            return
        if row.suggestion_agreement_id is None:
            self.say("Geen voorstel voor deze transactie: zoek een deelnemer (Ctrl+F) of kies "
                     "een rubriek.", error=True)
            return
        self._accept(row.id, row.version, row.suggestion_agreement_id, row.suggestion or "",
                     propose_terms(row.description))

    def pick_suggestion(self, number: int) -> None:
        """1–9: suggestion number ``number`` of the selected transaction."""
        transaction_id = self.current_id()
        if transaction_id is None:
            return
        detail = self._loaded_detail()
        if detail is None:
            self._pending_pick = (transaction_id, number)  # as soon as the detail is there
            return
        if number > len(detail.suggestions):
            self.say(f"Er is geen voorstel {number} voor deze transactie.", error=True)
            return
        suggestion = detail.suggestions[number - 1]
        self._accept(detail.id, detail.version, suggestion.agreement_id, suggestion.title(),
                     detail.proposed_terms)

    def _accept_agreement(self, agreement_id: int) -> None:
        detail = self._loaded_detail()
        if detail is None:
            return
        title = next((s.title() for s in detail.suggestions if s.agreement_id == agreement_id),
                     "")
        self._accept(detail.id, detail.version, agreement_id, title, detail.proposed_terms)

    def _accept(self, transaction_id: int, version: int, agreement_id: int, title: str,
                terms: list[str]) -> None:
        last = LastBooking(transaction_id, agreement_id, title, terms)
        self._book(transaction_id, title, lambda uow: accept_suggestion(
            uow, transaction_id, agreement_id, expected_version=version), last)

    def _book_parts(self, parts: list[BookingPart], description: str,
                    last: LastBooking | None) -> None:
        detail = self._loaded_detail()
        if detail is None:
            return
        version = detail.version
        self._book(detail.id, description, lambda uow: book_transaction(
            uow, detail.id, parts, expected_version=version), last)

    def _book(self, transaction_id: int, description: str,
              action: Callable[[Any], Booked], last: LastBooking | None) -> None:
        """Run one booking off the GUI thread; the selection moves on at once."""
        if transaction_id in self._in_flight:
            return
        self._in_flight.add(transaction_id)
        self.model.set_pending(transaction_id, True)
        row = self.model.row_of(transaction_id)
        if row is not None and self.current_id() == transaction_id:
            self._move_past(row)
        self.focus_table()

        def work(_progress):
            booked = action(self.db.unit_of_work())
            with self.db.read() as session:
                return booked, count_open(session)

        def done(result) -> None:
            booked, open_count = result
            self._in_flight.discard(transaction_id)
            self.undo_stack.append(UndoEntry(description, {booked.transaction_id:
                                                           booked.version}))
            self.last_booking = last
            self._after_booking([transaction_id])
            self._set_count(open_count)
            hint = " · Ctrl+R onthoudt een zoekterm" if last is not None else ""
            self.say(f"Geboekt: {description}. Ctrl+Z maakt ongedaan{hint}.")

        def failed(exc: BaseException) -> None:
            self._in_flight.discard(transaction_id)
            self.model.set_pending(transaction_id, False)
            self._failed(exc)

        self.run(work, done, on_error=failed)

    def _move_past(self, row: int) -> None:
        """Select the next open item after ``row`` that is not being booked."""
        for candidate in range(row + 1, self.model.rowCount()):
            candidate_id = self.model.id_at(candidate)
            if candidate_id not in self._in_flight:
                self.select_row(candidate)
                return

    def _after_booking(self, transaction_ids: list[int]) -> None:
        if self.model.queue_filter.status is QueueStatus.OPEN:
            current = self.table.currentIndex().row()
            self.model.remove_ids(transaction_ids)
            if not self.table.currentIndex().isValid() and self.model.rowCount():
                self.select_row(min(current, self.model.rowCount() - 1))
        else:
            self.model.refresh_ids(transaction_ids)
            self._detail_timer.start()

    def _offer_new_agreement(self, participant_id: int, category_id: int) -> None:
        """Book to a participant with a category: first offer to create the agreement."""
        detail = self._loaded_detail()
        participant = self.detail.participant
        if detail is None or participant is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Boeken op deelnemer",
                          f"Er is geen afspraak gekozen voor {participant[1]}. Een afspraak "
                          "aanmaken op basis van deze transactie, zodat de volgende betaling "
                          "vanzelf gekoppeld wordt?", parent=self)
        create = box.addButton("Afspraak aanmaken…", QMessageBox.ButtonRole.AcceptRole)
        only = box.addButton("Alleen boeken", QMessageBox.ButtonRole.ActionRole)
        box.addButton("Annuleren", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(create)
        category = self.detail.category.currentText()

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is only:
                part = BookingPart(participant_id=participant_id, category_id=category_id)
                self._book_parts([part], f"{participant[1]} — {category} (zonder afspraak)",
                                 None)
            elif clicked is create:
                self._new_agreement_dialog(detail, participant, category_id)

        box.finished.connect(answered)
        self.offer_box = box
        box.open()

    def _new_agreement_dialog(self, detail: TransactionDetail, participant: tuple[int, str],
                              category_id: int) -> None:
        def work(_progress):
            with self.db.read() as session:
                return propose_agreement(session, detail.id, participant[0], category_id)

        def done(proposal) -> None:
            dialog = NewAgreementDialog(self, proposal, participant[1], self.categories)
            self.agreement_dialog = dialog

            def accepted() -> None:
                values = dict(dialog.values or {})
                category = values.pop("category")
                terms = values.pop("search_terms")
                self._book(detail.id, f"{participant[1]} — nieuwe afspraak",
                           lambda uow: book_with_new_agreement(
                               uow, detail.id, participant[0], category=category,
                               search_terms=terms, expected_version=detail.version,
                               **values)[1], None)

            dialog.accepted.connect(accepted)
            dialog.open()

        self.run(work, done)

    # -- undo ----------------------------------------------------------------------------

    def undo_last(self) -> None:
        """Ctrl+Z: undo the last booking made in this screen (a bulk action as a whole)."""
        if not self.undo_stack:
            self.say("Er is niets om ongedaan te maken.", error=True)
            return
        entry = self.undo_stack.pop()
        self._undo(entry.versions, f"Ongedaan gemaakt: {entry.label}.",
                   on_error_restore=entry)

    def undo_selected(self) -> None:
        """Undo the bookings of the selected transaction (automatic or manual)."""
        detail = self._loaded_detail()
        if detail is None or not detail.bookings:
            return
        self._undo({detail.id: detail.version},
                   f"Boekingen van {short_date(detail.booking_date)} "
                   f"{euro(detail.amount_cents)} ongedaan gemaakt.")

    def _undo(self, versions: dict[int, int], message: str,
              on_error_restore: UndoEntry | None = None) -> None:
        def work(_progress):
            uow = self.db.unit_of_work()
            if len(versions) == 1:
                [(transaction_id, version)] = versions.items()
                undo_bookings(uow, transaction_id, expected_version=version)
            else:
                undo_many(uow, versions)

        def done(_result) -> None:
            if self.last_booking is not None and self.last_booking.transaction_id in versions:
                self.last_booking = None
            self.say(message)
            self.reload(select_id=min(versions, key=lambda i: self.model.row_of(i) or 0))

        self.run(work, done)

    # -- remember, forget, bulk, re-match ------------------------------------------------

    def remember(self) -> None:
        """Ctrl+R: remember a reference of the last booking as the agreement's search term."""
        last = self.last_booking
        if last is None:
            self.say("Onthouden kan na een handmatige boeking op een afspraak.", error=True)
            return
        dialog = RememberDialog(self, self.db, self.run, agreement_id=last.agreement_id,
                                agreement_title=last.title, terms=last.terms, today=self.today)
        self.remember_dialog = dialog

        def remembered(outcome) -> None:
            linked = len(outcome.linked_transaction_ids)
            self.say(f"Zoekterm {dialog.current_term()!r} onthouden bij {last.title}; "
                     f"{linked} transactie(s) uit de wachtrij gekoppeld.")
            self.reload()

        dialog.remembered.connect(remembered)
        dialog.finished.connect(lambda _r: self.focus_table(activate=True))
        dialog.open()

    def show_learned_terms(self) -> None:
        dialog = LearnedTermsDialog(self, self.db, self.run)
        self.terms_dialog = dialog
        dialog.changed.connect(lambda: self.reload())
        dialog.open()

    def selected_ids(self) -> list[int]:
        ids: list[int] = []
        model_ids = self.model.ids()
        for selection in self.table.selectionModel().selection():
            ids.extend(model_ids[selection.top():selection.bottom() + 1])
        return ids

    def bulk_accept(self) -> None:
        """Ctrl+B: accept the top suggestion of every selected row whose score is high."""
        ids = self.selected_ids()
        if not ids:
            self.say("Selecteer eerst rijen (Shift+↓ of Ctrl+A).", error=True)
            return
        min_score = self.min_score.value()
        for transaction_id in ids:
            self.model.set_pending(transaction_id, True)

        def work(progress):
            outcome = accept_top_suggestions(self.db.unit_of_work(), ids, min_score=min_score,
                                             progress=progress)
            with self.db.read() as session:
                return outcome, count_open(session)

        def done(result) -> None:
            outcome, open_count = result
            self.last_bulk = outcome
            for transaction_id in ids:
                self.model.set_pending(transaction_id, False)
            booked = [b.transaction_id for b in outcome.booked]
            if booked:
                self.undo_stack.append(UndoEntry(f"{len(booked)} voorstellen geaccepteerd",
                                                 {b.transaction_id: b.version
                                                  for b in outcome.booked}))
            first_row = min((self.model.row_of(i) or 0) for i in ids)
            self._after_booking(booked)
            self._set_count(open_count)
            self.select_row(min(first_row, self.model.rowCount() - 1))
            summary = f"Voorstellen accepteren (vanaf score {min_score}): {outcome.summary()}."
            self.say(summary + (" Ctrl+Z maakt dit ongedaan." if booked else ""))
            box = QMessageBox(QMessageBox.Icon.Information, "Voorstellen accepteren", summary,
                              parent=self)
            self.summary_box = box
            box.finished.connect(lambda _r: self.focus_table(activate=True))
            box.open()

        def failed(exc: BaseException) -> None:
            for transaction_id in ids:
                self.model.set_pending(transaction_id, False)
            self._failed(exc)

        self.run(work, done, on_error=failed, label="Voorstellen accepteren…")

    def rematch(self) -> None:
        """Run the automatic matcher over the whole open queue again."""
        from app.services.matching import run_matcher

        def done(outcome) -> None:
            self.say(f"Opnieuw gekoppeld: {outcome.summary()}.")
            self.reload()

        self.run(lambda progress: run_matcher(self.db.unit_of_work(), progress=progress),
                 done, label="Opnieuw koppelen…")


def _same_sign(a: int, b: int) -> bool:
    return (a > 0) == (b > 0)


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


__all__ = ["QueueScreen"]

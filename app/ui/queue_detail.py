"""The detail pane of the queue: the selected transaction (amount, counterparty and whose
IBAN it is, full text, references, its bookings) and every way to book it — the ranked
suggestions with their reasons, a participant search with the participant's agreements, a
participant with a rubriek, a non-participant rubriek, and the split editor. It only says what
the clerk wants (signals); the screen books."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.formatting import euro, short_date
from app.services import validation
from app.services.bookings import BookingPart
from app.services.bsn import logged_search_digits, search_bsn
from app.services.queue import (
    AgreementView,
    CategoryView,
    TransactionDetail,
    participant_agreements,
    search_participants,
)
from app.ui.queue_split import SplitEditor
from app.ui.queue_widgets import PART_ROLE, RED, KeyCombo, KeyList

if TYPE_CHECKING:
    from app.ui.queue_screen import QueueScreen


@dataclass
class LastBooking:
    """The last manual booking to one agreement: what Ctrl+R can remember a term for."""

    transaction_id: int
    agreement_id: int
    title: str
    terms: list[str]



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

        self.bookings_box = QGroupBox(self.tr("Geboekt"))
        self.bookings_label = QLabel()
        self.bookings_label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Boekingen ongedaan maken"))
        self.undo_button.clicked.connect(self.undoRequested)
        box = QVBoxLayout(self.bookings_box)
        box.addWidget(self.bookings_label)
        box.addWidget(self.undo_button)
        layout.addWidget(self.bookings_box)

        suggestions_box = QGroupBox(self.tr("Voorstellen (Enter = 1, of kies 1–9)"))
        self.suggestions = KeyList()
        self.suggestions.setWordWrap(True)
        self.suggestions.setMinimumHeight(230)
        self.suggestions.enter.connect(self._accept_selected_suggestion)
        self.suggestions.plus.connect(self._split_selected_suggestion)
        QVBoxLayout(suggestions_box).addWidget(self.suggestions)
        layout.addWidget(suggestions_box)

        search_box = QGroupBox(self.tr("Deelnemer zoeken (Ctrl+F)"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("naam, dossiernummer, IBAN of laatste cijfers BSN"))
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self._run_search(focus_results=True))
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textEdited.connect(lambda _t: self._search_timer.start())
        self.participants = KeyList()
        self.participants.setMaximumHeight(110)
        self.participants.enter.connect(lambda: self._choose_participant(focus=True))
        self.participants.itemDoubleClicked.connect(lambda _i: self._choose_participant(True))
        self.agreements_label = QLabel(
            self.tr("Afspraken van de deelnemer (Enter boekt, + = deel)"))
        self.agreements = KeyList()
        self.agreements.setMaximumHeight(130)
        self.agreements.enter.connect(self._book_selected_agreement)
        self.agreements.plus.connect(self._split_selected_agreement)
        self.agreements.itemDoubleClicked.connect(lambda _i: self._book_selected_agreement())
        self.category, self.book_participant, self.part_participant = self._category_choice(
            self.tr("Boek op deelnemer…"), self._book_participant_category,
            self._split_participant_category)
        grid = QGridLayout(search_box)
        grid.addWidget(self.search, 0, 0, 1, 3)
        grid.addWidget(self.participants, 1, 0, 1, 3)
        grid.addWidget(self.agreements_label, 2, 0, 1, 3)
        grid.addWidget(self.agreements, 3, 0, 1, 3)
        for widget in (self.participants, self.agreements_label, self.agreements):
            widget.hide()  # shown once there is something to show: room for the suggestions
        grid.addWidget(QLabel(self.tr("Geen passende afspraak? Rubriek (+ = deel):")), 4, 0, 1, 3)
        grid.addWidget(self.category, 5, 0)
        grid.addWidget(self.book_participant, 5, 1)
        grid.addWidget(self.part_participant, 5, 2)
        grid.setColumnStretch(0, 1)
        layout.addWidget(search_box)

        other_box = QGroupBox(self.tr("Niet van een deelnemer (+ = deel)"))
        self.other_category, self.book_other, self.part_other = self._category_choice(
            self.tr("Boek op rubriek"), self._book_other, self._split_other)
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

    def _category_choice(self, book_text: str, book: Callable[[], None],
                         split: Callable[[], None]) -> tuple[KeyCombo, QPushButton, QPushButton]:
        """A rubriek choice (+ adds it as a split part) with its 'book' and 'Als deel'."""
        combo = KeyCombo()
        combo.plus.connect(split)
        book_button = QPushButton(book_text)
        book_button.clicked.connect(book)
        part_button = QPushButton(self.tr("Als deel"))
        part_button.clicked.connect(split)
        return combo, book_button, part_button

    # -- filling -------------------------------------------------------------------------

    def set_categories(self, categories: list[CategoryView]) -> None:
        self.category.clear()
        self.other_category.clear()
        for category in categories:
            target = self.category if category.for_participants else self.other_category
            target.addItem(category.name, category.id)
        unknown = self.other_category.findText("onbekend")
        if unknown >= 0:
            self.other_category.setItemText(unknown, self.tr("onbekend — terugstorten"))

    def show_detail(self, detail: TransactionDetail | None, loading: bool = False) -> None:
        self.detail = detail
        self.suggestions.clear()
        enabled = detail is not None and detail.is_open
        for widget in (self.book_participant, self.part_participant, self.book_other,
                       self.part_other, self.split, self.suggestions, self.agreements):
            widget.setEnabled(enabled)
        if detail is None:
            self.header.setText(self.tr("<i>Laden…</i>") if loading else
                                self.tr("<i>Kies een transactie in de lijst.</i>"))
            for label in (self.counterparty, self.text, self.references):
                label.clear()
            self.bookings_box.hide()
            self.split.reset(0)
            return
        colour = RED if detail.amount_cents < 0 else "palette(text)"
        state = self.tr("open") if detail.is_open else self.tr("geboekt")
        if detail.is_open and detail.booked_cents:
            state = self.tr("deels geboekt, nog {amount}").format(amount=euro(detail.left_cents))
        self.header.setText(
            f"<span style='font-size:16pt; font-weight:bold; color:{colour}'>"
            f"{escape(euro(detail.amount_cents))}</span>&nbsp;&nbsp;"
            + self.tr("{date} · {days} dagen · {state}").format(
                date=short_date(detail.booking_date), days=detail.age_days, state=state))
        iban = validation.format_iban(detail.counterparty_iban) \
            if detail.counterparty_iban else self.tr("geen tegenrekening")
        owner = self.tr(" — bekend als {owner}").format(owner=detail.counterparty_owner) \
            if detail.counterparty_owner \
            else self.tr(" — onbekende rekening") if detail.counterparty_iban else ""
        name = detail.counterparty_name or self.tr("(geen naam)")
        self.counterparty.setText(f"{name} · {iban}{owner}")
        self.text.setText(detail.description or self.tr("(geen omschrijving)"))
        self.references.setText("<br>".join(
            f"<span style='color:gray'>{escape(label)}:</span> {escape(value)}"
            for label, value in detail.references))
        if detail.bookings:
            self.bookings_label.setText("\n".join(
                f"{euro(b.amount_cents)} → {b.target} ({b.method}, {b.created_by})"
                + (f"\n    {b.reason}" if b.reason else "") for b in detail.bookings))
            self.bookings_box.show()
        else:
            self.bookings_box.hide()
        for suggestion in detail.suggestions:
            warning = "" if suggestion.valid else self.tr("  ⚠ niet geldig op deze datum")
            amount = euro(suggestion.agreement_amount_cents)
            item = QListWidgetItem(
                f"{suggestion.rank}  {suggestion.title()} · {amount}"
                f" · score {suggestion.score}{warning}\n    {suggestion.reason}"
                .replace("€ ", "€\u00a0"))  # an amount is not broken over two lines
            item.setData(PART_ROLE, suggestion)
            self.suggestions.addItem(item)
        if not detail.suggestions:
            item = QListWidgetItem(self.tr("Geen voorstellen: zoek een deelnemer (Ctrl+F) of "
                                           "kies een rubriek."))
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
            digits = logged_search_digits(text)  # "who has BSN X" is logged
            bsn_ids = search_bsn(self.screen.db.unit_of_work(), digits) if digits else ()
            with self.screen.db.read() as session:
                return search_participants(session, text, bsn_ids=bsn_ids)

        def done(hits) -> None:
            if sequence != self._search_sequence:
                return
            self.participants.clear()
            self.participants.show()
            for hit in hits:
                born = self.tr(", geb. {date}").format(date=short_date(hit.birth_date)) \
                    if hit.birth_date else ""
                item = QListWidgetItem(f"{hit.number}  {hit.name} ({hit.city or '-'}{born})"
                                       f" — {hit.matched}")
                item.setData(PART_ROLE, hit)
                self.participants.addItem(item)
            if not hits:
                item = QListWidgetItem(self.tr("Niemand gevonden."))
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
            self.agreements_label.show()
            self.agreements.show()
            self.agreements_label.setText(
                self.tr("Afspraken van {who} (Enter boekt, + = deel)").format(
                    who=f"{hit.number} {hit.name}"))
            day = self.detail.booking_date if self.detail else date.today()
            first_valid = None
            for agreement in agreements:
                valid = agreement.is_valid_on(day)
                terms = self.tr(" · zoektermen: {terms}").format(
                    terms=", ".join(agreement.search_terms)) if agreement.search_terms else ""
                item = QListWidgetItem(
                    f"{agreement.title()} · {agreement.direction} {euro(agreement.amount_cents)}"
                    + self.tr(" per {frequency}").format(frequency=agreement.frequency)
                    + ("" if valid else self.tr(" · niet geldig op deze datum")) + terms)
                item.setData(PART_ROLE, agreement)
                if not valid:
                    item.setForeground(Qt.GlobalColor.gray)
                elif first_valid is None:
                    first_valid = self.agreements.count()
                self.agreements.addItem(item)
            if not agreements:
                item = QListWidgetItem(
                    self.tr("Nog geen afspraken: boek op deelnemer met een rubriek."))
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
            self.screen.say(self.tr("Zoek eerst een deelnemer (Ctrl+F)."), error=True)
            return None
        return (BookingPart(participant_id=self.participant[0],
                            category_id=self.category.currentData()),
                self.tr("{who} — {category} (zonder afspraak)").format(
                    who=self.participant[1], category=self.category.currentText()))

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


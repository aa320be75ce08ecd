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

The widgets live in their own modules: the filter bar (queue_filters), the detail pane
(queue_detail), the split editor (queue_split), the keyboard-aware table and lists
(queue_widgets), the table model (queue_model) and the dialogs (queue_dialogs). This module
is the screen itself: booking, undo, remember, bulk and re-match, and the clerk's place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.db import Database
from app.errors import ConflictError, NotFoundError, UserError
from app.formatting import euro, short_date
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
    CategoryView,
    QueueStatus,
    TransactionDetail,
    count_open,
    list_categories,
    propose_agreement,
    propose_terms,
    queue_ids,
    transaction_detail,
)
from app.ui.operations import run_operation, show_error
from app.ui.queue_detail import DetailPane, LastBooking
from app.ui.queue_dialogs import LearnedTermsDialog, NewAgreementDialog, RememberDialog
from app.ui.queue_filters import FilterBar
from app.ui.queue_model import QueueTableModel
from app.ui.queue_widgets import RED, QueueTable, thousands


@dataclass
class UndoEntry:
    label: str
    versions: dict[int, int]  # transaction id → its version right after our booking


class QueueScreen(QWidget):
    """The queue screen; the main window puts it in its sidebar and shows ``countChanged``."""

    countChanged = Signal(int)  # noqa: N815 - open transactions in the whole queue

    def __init__(self, db: Database, *, today: date | None = None,
                 typing_pause_ms: int = 250, parent: QWidget | None = None):
        """``typing_pause_ms``: how long the filters wait for the typing to pause before the
        queue is read again (tests that type whole values at once use less)."""
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
        self.setWindowTitle(self.tr("Wachtrij"))

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

        self.heading = QLabel(self.tr("Wachtrij"))
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
        self.min_score.setPrefix(self.tr("vanaf score "))
        self.bulk_button = QPushButton(self.tr("Voorstellen accepteren (Ctrl+B)"))
        self.bulk_button.clicked.connect(self.bulk_accept)
        self.rematch_button = QPushButton(self.tr("Opnieuw koppelen"))
        self.rematch_button.clicked.connect(self.rematch)
        self.terms_button = QPushButton(self.tr("Geleerde zoektermen…"))
        self.terms_button.clicked.connect(self.show_learned_terms)
        for widget in (self.min_score, self.bulk_button, self.rematch_button, self.terms_button):
            top.addWidget(widget)

        self._filter_timer = QTimer(self, singleShot=True, interval=typing_pause_ms)
        self._filter_timer.timeout.connect(lambda: self.reload())
        self.filters = FilterBar()
        self.filters.edited.connect(self._filter_timer.start)
        self.filters.finished.connect(self.focus_table)
        self._filter_problems = False
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
        layout.addWidget(self.filters)
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
                 self.tr("Er ging iets mis; er is niets half opgeslagen."), error=True)
        show_error(self, exc)
        if isinstance(exc, ConflictError | NotFoundError):
            self.reload()  # an up-to-date queue

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {RED}; font-weight: bold;" if error else "")

    # -- loading -------------------------------------------------------------------------

    def reload(self, *, select_id: int | None = None, select_first: bool = False) -> None:
        """Read the ids again (filter and sort in SQL) and keep the clerk's place."""
        self._filter_timer.stop()
        queue_filter, problems = self.filters.read()
        sort, today = self.model.sort_spec, self.today
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
            self._show_filter_problems(problems)
            wanted = select_id if select_id is not None else current_id
            row = self.model.row_of(wanted) if wanted is not None else None
            if row is None:
                row = 0 if select_first else min(current_row, self.model.rowCount() - 1)
            self.select_row(row)

        self.run(work, done)

    def _show_filter_problems(self, problems: list[str]) -> None:
        """A filter field that cannot be read is named in the message line, not ignored
        silently; the message goes away once the filters are readable again."""
        if problems:
            self.say(" ".join(problems), error=True)
        elif self._filter_problems:
            self.say("")
        self._filter_problems = bool(problems)

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
        text = self.tr("{n} open").format(n=thousands(open_count))
        if self.model.queue_filter.is_narrowed() or status is not QueueStatus.OPEN:
            text += self.tr(" · {n} getoond").format(n=thousands(shown))
        self.count_label.setText(text)
        self.setWindowTitle(self.tr("Wachtrij ({n})").format(n=thousands(open_count)))
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
            self.say(self.tr("Deze transactie is al geboekt (Ctrl+Z of 'Boekingen ongedaan "
                             "maken' maakt dat ongedaan)."), error=True)
            return
        if row.suggestion_agreement_id is None:
            self.say(self.tr("Geen voorstel voor deze transactie: zoek een deelnemer (Ctrl+F) "
                             "of kies een rubriek."), error=True)
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
            self.say(self.tr("Er is geen voorstel {n} voor deze transactie.").format(n=number),
                     error=True)
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
        was_current = row is not None and self.current_id() == transaction_id
        if was_current:
            self._move_past(row)
        moved_to = self.current_id()
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
            hint = self.tr(" · Ctrl+R onthoudt een zoekterm") if last is not None else ""
            self.say(self.tr("Geboekt: {what}. Ctrl+Z maakt ongedaan{hint}.").format(
                what=description, hint=hint))

        def failed(exc: BaseException) -> None:
            self._in_flight.discard(transaction_id)
            self.model.set_pending(transaction_id, False)
            back = self.model.row_of(transaction_id)
            if was_current and back is not None and self.current_id() == moved_to \
                    and not isinstance(exc, ConflictError | NotFoundError):
                self.select_row(back)  # refused: back to it, so the clerk can put it right
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
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Boeken op deelnemer"),
                          self.tr("Er is geen afspraak gekozen voor {who}. Een afspraak "
                                  "aanmaken op basis van deze transactie, zodat de volgende "
                                  "betaling vanzelf gekoppeld wordt?").format(
                                      who=participant[1]), parent=self)
        create = box.addButton(self.tr("Afspraak aanmaken…"), QMessageBox.ButtonRole.AcceptRole)
        only = box.addButton(self.tr("Alleen boeken"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(self.tr("Annuleren"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(create)
        category = self.detail.category.currentText()

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is only:
                part = BookingPart(participant_id=participant_id, category_id=category_id)
                self._book_parts([part], self.tr("{who} — {category} (zonder afspraak)").format(
                    who=participant[1], category=category), None)
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
                self._book(detail.id, self.tr("{who} — nieuwe afspraak").format(
                    who=participant[1]),
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
            self.say(self.tr("Er is niets om ongedaan te maken."), error=True)
            return
        entry = self.undo_stack.pop()
        self._undo(entry.versions, self.tr("Ongedaan gemaakt: {what}.").format(what=entry.label),
                   on_error_restore=entry)

    def undo_selected(self) -> None:
        """Undo the bookings of the selected transaction (automatic or manual)."""
        detail = self._loaded_detail()
        if detail is None or not detail.bookings:
            return
        self._undo({detail.id: detail.version},
                   self.tr("Boekingen van {date} {amount} ongedaan gemaakt.").format(
                       date=short_date(detail.booking_date), amount=euro(detail.amount_cents)))

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

        def failed(exc: BaseException) -> None:
            if on_error_restore is not None and not isinstance(exc, ConflictError
                                                               | NotFoundError):
                self.undo_stack.append(on_error_restore)  # Ctrl+Z can be tried again
            self._failed(exc)

        self.run(work, done, on_error=failed)

    # -- remember, forget, bulk, re-match ------------------------------------------------

    def remember(self) -> None:
        """Ctrl+R: remember a reference of the last booking as the agreement's search term."""
        last = self.last_booking
        if last is None:
            self.say(self.tr("Onthouden kan na een handmatige boeking op een afspraak."),
                     error=True)
            return
        dialog = RememberDialog(self, self.db, self.run, agreement_id=last.agreement_id,
                                agreement_title=last.title, terms=last.terms, today=self.today)
        self.remember_dialog = dialog

        def remembered(outcome) -> None:
            linked = len(outcome.linked_transaction_ids)
            self.say(self.tr("Zoekterm '{term}' onthouden bij {title}; {n} transactie(s) uit de "
                             "wachtrij gekoppeld.").format(term=dialog.current_term(),
                                                           title=last.title, n=linked))
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
            self.say(self.tr("Selecteer eerst rijen (Shift+↓ of Ctrl+A)."), error=True)
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
                self.undo_stack.append(UndoEntry(self.tr("{n} voorstellen geaccepteerd").format(
                    n=len(booked)),
                                                 {b.transaction_id: b.version
                                                  for b in outcome.booked}))
            rows = [r for r in map(self.model.row_of, ids) if r is not None]
            first_row = min(rows, default=max(self.table.currentIndex().row(), 0))
            self._after_booking(booked)
            self._set_count(open_count)
            self.select_row(min(first_row, self.model.rowCount() - 1))
            summary = self.tr("Voorstellen accepteren (vanaf score {score}): {summary}.").format(
                score=min_score, summary=outcome.summary())
            self.say(summary + (self.tr(" Ctrl+Z maakt dit ongedaan.") if booked else ""))
            box = QMessageBox(QMessageBox.Icon.Information, self.tr("Voorstellen accepteren"),
                              summary,
                              parent=self)
            self.summary_box = box
            box.finished.connect(lambda _r: self.focus_table(activate=True))
            box.open()

        def failed(exc: BaseException) -> None:
            for transaction_id in ids:
                self.model.set_pending(transaction_id, False)
            self._failed(exc)

        self.run(work, done, on_error=failed, label=self.tr("Voorstellen accepteren…"))

    def rematch(self) -> None:
        """Run the automatic matcher over the whole open queue again."""
        from app.services.matching import run_matcher

        def done(outcome) -> None:
            self.say(self.tr("Opnieuw gekoppeld: {summary}.").format(summary=outcome.summary()))
            self.reload()

        self.run(lambda progress: run_matcher(self.db.unit_of_work(), progress=progress),
                 done, label=self.tr("Opnieuw koppelen…"))


__all__ = ["QueueScreen"]

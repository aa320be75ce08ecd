"""The split editor of the queue: the parts of one transaction (an agreement, a participant
with a rubriek, or a non-participant rubriek) with their amounts; it books only when the parts
add up exactly to the transaction."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.errors import UserError
from app.formatting import euro
from app.services import validation
from app.services.bookings import BookingPart
from app.ui.queue_widgets import PART_ROLE, RED, plain_amount
from app.ui.widgets import RIGHT


class SplitEditor(QGroupBox):
    """The parts of a split: destination and amount; books only when they add up exactly."""

    bookRequested = Signal(list, str)  # noqa: N815 - [BookingPart], description

    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Splitsen"))
        self.amount_cents = 0
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([self.tr("Bestemming"), self.tr("Bedrag (€)")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setMinimumHeight(90)
        self.table.itemChanged.connect(self._update)
        self.remaining = QLabel()
        self.remove_button = QPushButton(self.tr("Deel verwijderen"))
        self.remove_button.clicked.connect(self.remove_current)
        self.book_button = QPushButton(self.tr("Gesplitst boeken (Ctrl+Enter)"))
        self.book_button.clicked.connect(self.book)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.remove_current,
                  context=Qt.ShortcutContext.WidgetShortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remaining, 1)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.book_button)
        hint = QLabel(self.tr("Voeg delen toe met + in de voorstellen of afspraken, of met "
                              "'Als deel'. De delen moeten precies optellen tot het bedrag."))
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
        fits = left and abs(left) <= abs(self.amount_cents) \
            and (left > 0) == (self.amount_cents > 0)
        amount = QTableWidgetItem(plain_amount(left) if fits else "")  # the rest, prefilled
        amount.setTextAlignment(RIGHT)
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
            cents = validation.cents(text, self.tr("bedrag van deel {n}").format(n=row + 1))
            parts.append(BookingPart(part.agreement_id, part.participant_id, part.category_id,
                                     sign * cents))
        return parts

    def book(self) -> None:
        """Ctrl+Enter or the button: book the parts, but only when they add up exactly."""
        self.commit_editor()
        try:
            parts = self.parts()
        except UserError as exc:
            self.remaining.setText(str(exc))
            return
        if not parts:
            return
        left = self.amount_cents - sum(p.amount_cents for p in parts)
        if left:  # the button is disabled then, but Ctrl+Enter is not
            self.remaining.setText(self.tr("De delen tellen niet op tot het bedrag: nog te "
                                           "verdelen {amount}.").format(amount=euro(left)))
            return
        titles = [self.table.item(r, 0).text() for r in range(self.table.rowCount())]
        self.bookRequested.emit(parts, self.tr("gesplitst over {n} delen: {titles}").format(
            n=len(parts), titles="; ".join(titles)))

    def commit_editor(self) -> None:
        """The amount being typed counts, also when Ctrl+Enter comes before Enter."""
        if self.table.state() != QAbstractItemView.State.EditingState:
            return
        editor = QApplication.focusWidget()
        if editor is not None and self.table.viewport().isAncestorOf(editor):
            self.table.commitData(editor)
            self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

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
        self.remaining.setText(self.tr("Nog te verdelen: {amount}").format(amount=euro(left)))
        self.remaining.setStyleSheet("" if left == 0 else f"color: {RED}")
        self.book_button.setEnabled(bool(parts) and left == 0)


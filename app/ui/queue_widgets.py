"""Small pieces the queue screens share: the table and lists that know the queue's keys
(Enter books, 1–9 picks a suggestion, + adds a split part), the red of debits and errors,
and amounts as a clerk types them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QListWidget, QTableView

from app.ui.widgets import DEBIT_COLOR

RED = DEBIT_COLOR.name()  # debits, and messages that need the clerk's attention
PART_ROLE = Qt.ItemDataRole.UserRole  # the object behind a list item (suggestion, part, …)


def is_plus(event: QKeyEvent) -> bool:
    return event.key() == Qt.Key.Key_Plus or event.text() == "+"


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
        if is_plus(event):
            self.plus.emit()
            return
        super().keyPressEvent(event)


class KeyCombo(QComboBox):
    """A category choice where + adds a split part."""

    plus = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if is_plus(event):
            self.plus.emit()
            return
        super().keyPressEvent(event)


def plain_amount(cents: int) -> str:
    """Cents as the clerk types them: 1234,56 (no sign: the direction says which way)."""
    cents = abs(cents)
    return f"{cents // 100},{cents % 100:02d}"


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")

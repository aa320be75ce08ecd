"""Small shared pieces of the desktop client: money and dates as a clerk reads them, a search
field that waits for the typing to pause, remembered column widths, page headings, cards."""

from __future__ import annotations

import gc
from datetime import date, datetime

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.formatting import euro, short_date

ORGANISATION = APP = "Huishoudboekje"
CENTS_ROLE = Qt.ItemDataRole.UserRole + 7  # an item's amount in integer cents
DEBIT_COLOR = QColor("#b3261e")  # debits and negative saldi: red, readable on white
CREDIT_COLOR = QColor("#1b5e20")
MUTED_COLOR = QColor("#5f6368")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def settings() -> QSettings:
    """This workstation's settings (never a password). Tests point them at a temp folder with
    ``QSettings.setPath(IniFormat, UserScope, folder)``."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APP)


class GuiThreadGarbageCollector(QObject):
    """Python's cycle collector runs in whichever thread happens to allocate; a widget caught in
    a reference cycle (a slot that refers to its own widget) would then be destroyed on a
    worker thread of ``run_operation`` — Qt crashes on that. So automatic collection is off and
    this timer collects on the GUI thread instead, by the same thresholds (calibre's remedy)."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(self.INTERVAL_MS)

    def check(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 > self.threshold[0]:
            gc.collect(0)
            if count1 > self.threshold[1]:
                gc.collect(1)
                if count2 > self.threshold[2]:
                    gc.collect(2)


# -- Money and dates ------------------------------------------------------------------------------


def sentence(message: str) -> str:
    """A message as a sentence: 'achternaam is verplicht' → 'Achternaam is verplicht'."""
    return message[:1].upper() + message[1:]


def money_text(cents: int | None) -> str:
    return "" if cents is None else euro(cents)


def money_color(cents: int | None) -> QColor | None:
    return DEBIT_COLOR if cents is not None and cents < 0 else None


def date_text(day: date | datetime | None) -> str:
    """23-11-2026; a moment also gets its local time: 23-11-2026 14:05."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        return day.astimezone().strftime("%d-%m-%Y %H:%M") if day.tzinfo else \
            day.strftime("%d-%m-%Y %H:%M")
    return short_date(day)


class MoneyDelegate(QStyledItemDelegate):
    """Shows the cents in CENTS_ROLE as € 1.234,56, right-aligned, debits in red."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt API
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        cents = index.data(CENTS_ROLE)
        if isinstance(cents, int):
            option.text = euro(cents)
            option.displayAlignment = RIGHT
            if cents < 0:
                option.palette.setColor(QPalette.ColorRole.Text, DEBIT_COLOR)
                option.palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffd7d4"))


class DateDelegate(QStyledItemDelegate):
    """Shows a date as 23-11-2026 whatever the model hands over."""

    def displayText(self, value, locale) -> str:  # noqa: N802 - Qt API
        if isinstance(value, date | datetime):
            return date_text(value)
        return super().displayText(value, locale)


def money_item(cents: int | None) -> QTableWidgetItem:
    """A read-only table cell with an amount: formatted, right-aligned, red when negative."""
    item = QTableWidgetItem(money_text(cents))
    item.setData(CENTS_ROLE, cents)
    item.setTextAlignment(RIGHT)
    if (color := money_color(cents)) is not None:
        item.setForeground(color)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


def text_item(value: object, *, tooltip: str | None = None) -> QTableWidgetItem:
    if isinstance(value, date | datetime):
        value = date_text(value)
    item = QTableWidgetItem("" if value is None else str(value))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tooltip:
        item.setToolTip(tooltip)
    return item


# -- Search ---------------------------------------------------------------------------------------


class SearchLineEdit(QLineEdit):
    """Search as you type: ``search_requested`` fires when the typing pauses (``delay_ms``),
    at once on Enter; Escape empties the field."""

    search_requested = QtSignal(str)

    def __init__(self, placeholder: str = "", delay_ms: int = 120, parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._fire)
        self.textChanged.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self._fire)

    def _fire(self) -> None:
        self._timer.stop()
        self.search_requested.emit(self.text().strip())

    def flush(self) -> None:
        """Fire now if a search is waiting (tests, and Enter)."""
        if self._timer.isActive():
            self._fire()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            self._fire()
            return
        super().keyPressEvent(event)


# -- Remembered column widths ---------------------------------------------------------------------


def remember_columns(header: QHeaderView, key: str) -> None:
    """Restore the column widths and order saved under ``key``; save them when they change."""
    stored = settings().value(f"columns/{key}")
    restored = isinstance(stored, QByteArray | bytes) and bool(stored) \
        and header.restoreState(QByteArray(stored))
    header.setProperty("hhb_restored", bool(restored))
    timer = QTimer(header)
    timer.setSingleShot(True)
    timer.setInterval(400)
    timer.timeout.connect(lambda: save_columns(header, key))
    header.sectionResized.connect(lambda *_: timer.start())
    header.sectionMoved.connect(lambda *_: timer.start())


def fit_columns_once(table) -> None:
    """Size the columns to their contents the first time a table is filled, unless the
    clerk's own widths were restored."""
    header = table.horizontalHeader()
    if header.property("hhb_restored") or table.property("hhb_fitted"):
        return
    if table.rowCount():
        table.resizeColumnsToContents()
        header.setStretchLastSection(True)
        table.setProperty("hhb_fitted", True)


def save_columns(header: QHeaderView, key: str) -> None:
    store = settings()
    store.setValue(f"columns/{key}", header.saveState())
    store.sync()


# -- Page furniture -------------------------------------------------------------------------------


def heading(text: str, size: int = 16) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"font-size: {size}pt; font-weight: 600; padding: 2px 0 6px 0;")
    return label


def muted(text: str, *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setStyleSheet(f"color: {MUTED_COLOR.name()};")
    return label


ERROR_STYLE = f"color: {DEBIT_COLOR.name()};"


def error_label() -> QLabel:
    """A red message line under a form or a field: hidden until there is something to say."""
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


class Card(QFrame):
    """A framed block with a title, for results and summaries."""

    TONES = {
        "normal": ("#c8ccd2", "#ffffff"),
        "good": ("#7cb342", "#f4f9ef"),
        "warning": ("#f0a202", "#fff8e6"),
        "bad": ("#d93025", "#fdecea"),
    }

    def __init__(self, title: str = "", parent: QWidget | None = None, *, tone: str = "normal"):
        super().__init__(parent)
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(12, 8, 12, 10)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 12pt; font-weight: 600; border: none;")
        self.title.setWordWrap(True)
        self.body.addWidget(self.title)
        self.set_title(title)
        self.set_tone(tone)

    def set_title(self, title: str) -> None:
        self.title.setText(title)
        self.title.setVisible(bool(title))

    def set_tone(self, tone: str) -> None:
        self.tone = tone
        border, background = self.TONES[tone]
        self.setStyleSheet(
            f"QFrame#card {{ border: 1px solid {border}; border-left: 5px solid {border};"
            f" border-radius: 4px; background: {background}; }}"
        )


class PlaceholderPage(QWidget):
    """A page whose screen is not built yet, or could not be loaded."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(title))
        self.message = muted(text)
        layout.addWidget(self.message)
        layout.addStretch(1)


def save_cancel_buttons(dialog) -> QDialogButtonBox:
    """Opslaan / Annuleren for an edit dialog: Opslaan calls ``dialog.save()`` (which checks
    and stores, then accepts), Annuleren rejects."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(dialog.tr("Opslaan"))
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(dialog.tr("Annuleren"))
    buttons.accepted.connect(dialog.save)
    buttons.rejected.connect(dialog.reject)
    return buttons


class NoteDialog(QDialog):
    """Asks for a note with an action (resolving a signal, holding a payment); ``required``
    refuses an empty one with ``missing``."""

    def __init__(self, title: str, prompt: str, required: bool, parent: QWidget | None = None,
                 *, missing: str = "Vul een toelichting in."):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.required, self.missing = required, missing
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        self.note = QPlainTextEdit()
        self.note.setObjectName("note")
        self.note.setTabChangesFocus(True)
        layout.addWidget(self.note)
        self.error = error_label()
        layout.addWidget(self.error)
        layout.addWidget(save_cancel_buttons(self))
        self.resize(460, 220)

    def text(self) -> str:
        return self.note.toPlainText().strip()

    def save(self) -> None:
        if self.required and not self.text():
            self.error.setText(self.missing)
            self.error.show()
            return
        self.accept()


class OrderedIds:
    """Mixin of the big tables' models: they keep only the ordered ids of their rows and fetch
    the rows a page at a time (the model sets ``self._ids``)."""

    _ids: list[int]

    def ids(self) -> list[int]:
        return list(self._ids)

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, row_id: int) -> int | None:
        try:  # a scan of the ids (~1 ms for 50,000); cheaper than a dict per reload
            return self._ids.index(row_id)
        except ValueError:
            return None

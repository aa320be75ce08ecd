"""The filter bar of the queue: text, counterparty or IBAN, amount range, date range, age,
bij/af and status (open, geboekt, alle). It reads what the clerk typed into a ``QueueFilter``;
a field it cannot read (a date such as 31-02-2026, an amount such as 12,3x, a range that ends
before it starts) is marked red and named in a message, and left out of the filter."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QWidget

from app.errors import UserError
from app.services import validation
from app.services.queue import QueueFilter, QueueStatus
from app.ui.queue_widgets import RED

DAY_SHAPE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$|^\d{4}-\d{1,2}-\d{1,2}$")


class FilterBar(QWidget):
    """The queue's filters; ``edited`` on every change, ``finished`` on Enter in a field."""

    edited = Signal()
    finished = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = self._edit(self.tr("Zoek in tekst en kenmerken"))
        self.counterparty = self._edit(self.tr("Tegenpartij of IBAN"))
        self.amount_min = self._edit(self.tr("bedrag van"))
        self.amount_max = self._edit(self.tr("bedrag tot"))
        self.date_from = self._edit(self.tr("datum van"))
        self.date_to = self._edit(self.tr("datum tot"))
        for edit in (self.date_from, self.date_to):
            edit.setToolTip(self.tr("dd-mm-jjjj"))
        self.age = QSpinBox()
        self.age.setRange(0, 3650)
        self.age.setPrefix(self.tr("ouder dan "))
        self.age.setSuffix(self.tr(" dagen"))
        self.age.setSpecialValueText(self.tr("elke leeftijd"))
        self.age.valueChanged.connect(lambda _v: self.edited.emit())
        self.direction = QComboBox()
        for text, value in ((self.tr("bij en af"), None), (self.tr("bij"), "in"),
                            (self.tr("af"), "uit")):
            self.direction.addItem(text, value)
        self.direction.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.status = QComboBox()
        for text, value in ((self.tr("open"), QueueStatus.OPEN),
                            (self.tr("geboekt"), QueueStatus.BOOKED),
                            (self.tr("alle"), QueueStatus.ALL)):
            self.status.addItem(text, value)
        self.status.currentIndexChanged.connect(lambda _i: self.edited.emit())
        clear = QPushButton(self.tr("Wissen"))
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.text, 3), (self.counterparty, 2), (self.amount_min, 1),
                                (self.amount_max, 1), (self.date_from, 1), (self.date_to, 1),
                                (self.age, 1), (self.direction, 0), (self.status, 0),
                                (clear, 0)):
            bar.addWidget(widget, stretch)

    def _edit(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda _t: self.edited.emit())
        edit.returnPressed.connect(self.finished)
        return edit

    def _edits(self) -> tuple[QLineEdit, ...]:
        return (self.text, self.counterparty, self.amount_min, self.amount_max, self.date_from,
                self.date_to)

    def clear(self) -> None:
        for edit in self._edits():
            edit.clear()
        self.age.setValue(0)
        self.direction.setCurrentIndex(0)
        self.status.setCurrentIndex(0)

    def read(self) -> tuple[QueueFilter, list[str]]:
        """The filter as typed, and one Dutch line per field that could not be read (that
        field is marked and left out)."""
        problems: list[str] = []

        def mark(edit: QLineEdit, problem: str | None) -> None:
            edit.setStyleSheet(f"border: 1px solid {RED};" if problem else "")
            edit.setToolTip(problem or (self.tr("dd-mm-jjjj") if edit in (
                self.date_from, self.date_to) else ""))
            if problem:
                problems.append(problem)

        def read(edit: QLineEdit, parse: Callable[[str, str], Any], label: str) -> Any:
            text = edit.text().strip()
            value, problem = None, None
            if text:
                try:
                    value = parse(text, label)
                except UserError as exc:
                    problem = self.tr("{problem}; dit filter telt niet mee.").format(
                        problem=str(exc))
            mark(edit, problem)
            return value

        def amount(text: str, label: str) -> int:
            return validation.cents(text, label, allow_zero=True)

        def day(text: str, label: str) -> date:
            try:
                return validation.day_of(text, label)
            except UserError:
                if DAY_SHAPE.match(text):  # the shape is right, the day is not: 31-02-2026
                    raise UserError(self.tr("De {label} {text} bestaat niet").format(
                        label=label, text=text)) from None
                raise

        def read_range(low: QLineEdit, high: QLineEdit, parse: Callable[[str, str], Any],
                       labels: tuple[str, str], backwards: str) -> tuple[Any, Any]:
            start, end = read(low, parse, labels[0]), read(high, parse, labels[1])
            if start is not None and end is not None and end < start:
                end = None
                mark(high, backwards)
            return start, end

        amount_min, amount_max = read_range(
            self.amount_min, self.amount_max, amount,
            (self.tr("bedrag van"), self.tr("bedrag tot")),
            self.tr("Het bedrag 'tot' is kleiner dan 'van'; dit filter telt niet mee."))
        date_from, date_to = read_range(
            self.date_from, self.date_to, day, (self.tr("datum van"), self.tr("datum tot")),
            self.tr("De datum 'tot' ligt vóór 'van'; dit filter telt niet mee."))
        queue_filter = QueueFilter(
            text=self.text.text(), counterparty=self.counterparty.text(),
            amount_min_cents=amount_min, amount_max_cents=amount_max,
            date_from=date_from, date_to=date_to, min_age_days=self.age.value() or None,
            direction=self.direction.currentData(),
            status=QueueStatus(self.status.currentData()))
        return queue_filter, problems

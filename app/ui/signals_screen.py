"""Signalen: the open signals of the team, for the frontoffice their own participants first.

A table of the signals (filters: soort, status, leeftijd, medewerker); below it the whole
explanation and who last changed the status. Enter or a double-click opens the participant's
dossier on the tab the signal is about (``dossier_requested``); "In behandeling nemen…" and
"Afhandelen…" ask for a note and make one audited service call. The signals themselves are
kept by the service (app.services.signals): the screen only reads them and sets a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.db import Database
from app.errors import UserError, first_line
from app.models import Role, SignalKind, SignalStatus
from app.services.queries import CurrentUser, employee_choices, signed_in_user
from app.services.signals import (
    OPEN_STATES,
    SignalRow,
    list_signals,
    open_signal_count,
    set_signal_status,
)
from app.ui.operations import run_operation
from app.ui.widgets import (
    NoteDialog,
    date_text,
    error_label,
    fit_columns_once,
    heading,
    money_item,
    muted,
    remember_columns,
    sentence,
    text_item,
)

STATUS_FILTERS = (
    ("Open en in behandeling", OPEN_STATES),
    ("Open", (SignalStatus.OPEN,)),
    ("In behandeling", (SignalStatus.IN_PROGRESS,)),
    ("Afgehandeld", (SignalStatus.RESOLVED,)),
    ("Alle", None),
)
AGE_FILTERS = (("Elke leeftijd", None), ("Ouder dan 7 dagen", 8), ("Ouder dan 30 dagen", 31))
SHOWN_KINDS = [k for k in SignalKind if k not in (SignalKind.SALDO_FALLING, SignalKind.OTHER)]
COLUMNS = ("Dossier", "Deelnemer", "Soort", "Afspraak", "Verwacht op", "Verwacht bedrag",
           "Gevonden", "Status", "Contactpersoon", "Dagen", "Toelichting")


@dataclass(frozen=True)
class Filters:
    kinds: tuple[SignalKind, ...] | None
    statuses: tuple[SignalStatus, ...] | None
    min_age_days: int | None
    employee_id: int | None


@dataclass(frozen=True)
class Loaded:
    rows: list[SignalRow]
    open_count: int
    employees: list[tuple[int, str]]


class SignalsScreen(QWidget):
    dossier_requested = Signal(int, str)  # participant id, dossier tab key
    open_count_changed = Signal(int)

    def __init__(self, db: Database, user: CurrentUser | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        if user is None:
            user = signed_in_user(db)
        self.user = user
        # The frontoffice sees their own participants first; everyone else all in one list.
        self.own_first = user.role == Role.FRONTOFFICE and user.employee_id is not None
        self.rows: list[SignalRow] = []
        self.loading = self._again = False
        self.ask_note = self._ask_note  # replaced in tests

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Signalen")))
        intro = self.tr("Wat aandacht vraagt: ontbrekende of afwijkende betalingen, een saldo "
                        "onder nul of voorbij de buffer, een voortgangsgesprek. Enter opent "
                        "het dossier.")
        if self.own_first:
            intro += " " + self.tr("Uw eigen deelnemers staan bovenaan, vetgedrukt.")
        layout.addWidget(muted(intro))

        bar = QHBoxLayout()
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(self.tr("Alle soorten"), None)
        for kind in SHOWN_KINDS:
            self.kind_filter.addItem(kind.value, kind)
        self.status_filter = QComboBox()
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(self.tr(label), statuses)
        self.age_filter = QComboBox()
        for label, days in AGE_FILTERS:
            self.age_filter.addItem(self.tr(label), days)
        self.employee_filter = QComboBox()
        self.employee_filter.addItem(self.tr("Alle medewerkers"), None)
        for combo, name in ((self.kind_filter, "kind"), (self.status_filter, "status"),
                            (self.age_filter, "age"), (self.employee_filter, "employee")):
            combo.setObjectName(f"{name}_filter")
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
            bar.addWidget(combo)
        bar.addStretch(1)
        self.count_label = QLabel()
        bar.addWidget(self.count_label)
        layout.addLayout(bar)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("signals")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.itemSelectionChanged.connect(self._show_selected)
        remember_columns(self.table.horizontalHeader(), "signals")
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.open_selected)
        layout.addWidget(self.table, 1)

        self.detail = QLabel()
        self.detail.setObjectName("detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(48)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.detail)
        self.error = error_label()
        layout.addWidget(self.error)

        buttons = QHBoxLayout()
        self.open_button = QPushButton(self.tr("Dossier openen"))
        self.open_button.clicked.connect(self.open_selected)
        self.progress_button = QPushButton(self.tr("In behandeling nemen…"))
        self.progress_button.clicked.connect(lambda: self.change_status(
            SignalStatus.IN_PROGRESS))
        self.resolve_button = QPushButton(self.tr("Afhandelen…"))
        self.resolve_button.clicked.connect(lambda: self.change_status(SignalStatus.RESOLVED))
        for button in (self.open_button, self.progress_button, self.resolve_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._show_selected()

    # -- loading ------------------------------------------------------------------------------

    def filters(self) -> Filters:
        kind = self.kind_filter.currentData()
        return Filters((kind,) if kind is not None else None, self.status_filter.currentData(),
                       self.age_filter.currentData(), self.employee_filter.currentData())

    def activate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        if self.loading:  # a filter changed while loading: load again when that is done
            self._again = True
            return
        self.loading, self._again = True, False
        filters = self.filters()
        first = self.user.employee_id if self.own_first else None

        def work(_progress) -> Loaded:
            with self.db.read() as session:
                return Loaded(
                    list_signals(session, kinds=filters.kinds, statuses=filters.statuses,
                                 employee_id=filters.employee_id,
                                 min_age_days=filters.min_age_days,
                                 first_employee_id=first),
                    open_signal_count(session), employee_choices(session))

        run_operation(self, work, on_done=self._loaded, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        self.error.setText(first_line(exc) if isinstance(exc, UserError) else self.tr(
            "De signalen konden niet worden gelezen: {reason}").format(reason=exc))
        self.error.show()

    def _loaded(self, loaded: Loaded) -> None:
        self.loading = False
        if self._again:
            self.refresh()
            return
        self._fill_employees(loaded.employees)
        selected = self.selected()
        self.rows = loaded.rows
        self._fill_table(selected.id if selected else None)
        self.count_label.setText(self.tr("{shown} getoond · {open} open in totaal").format(
            shown=len(self.rows), open=loaded.open_count))
        self.open_count_changed.emit(loaded.open_count)

    def _fill_employees(self, employees: list[tuple[int, str]]) -> None:
        combo = self.employee_filter
        wanted = [(None, self.tr("Alle medewerkers"))] + employees
        if [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())] == wanted:
            return
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for employee_id, name in wanted:
            combo.addItem(name, employee_id)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _fill_table(self, keep_id: int | None) -> None:
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(self.rows))
        today = date.today()
        bold = QFont(table.font())
        bold.setBold(True)
        for row, signal in enumerate(self.rows):
            cells = [
                text_item(signal.number),
                text_item(signal.participant_name),
                text_item(signal.kind.value),
                text_item(signal.agreement_label or ""),
                text_item(signal.expected_date),
                money_item(signal.expected_cents),
                money_item(signal.found_cents),
                text_item(signal.status.value, tooltip=signal.status_note),
                text_item(signal.contact_name or ""),
                text_item(signal.age_days(today)),
                text_item(signal.message, tooltip=signal.message),
            ]
            own = self.own_first and signal.contact_employee_id == self.user.employee_id
            for column, item in enumerate(cells):
                if own:
                    item.setFont(bold)
                table.setItem(row, column, item)
        fit_columns_once(table)
        index = next((i for i, s in enumerate(self.rows) if s.id == keep_id), 0)
        if self.rows:
            table.selectRow(index)
        self._show_selected()

    # -- the selected signal ----------------------------------------------------------------

    def selected(self) -> SignalRow | None:
        row = self.table.currentRow()
        selected = self.table.selectionModel().selectedRows()
        if not selected or not 0 <= row < len(self.rows):
            return None
        return self.rows[row]

    def _show_selected(self) -> None:
        signal = self.selected()
        for button in (self.open_button, self.progress_button, self.resolve_button):
            button.setEnabled(signal is not None)
        if signal is None:
            self.detail.setText(self.tr("Geen signaal gekozen."))
            return
        self.progress_button.setEnabled(signal.status == SignalStatus.OPEN)
        self.resolve_button.setEnabled(signal.status != SignalStatus.RESOLVED)
        lines = [f"{signal.number} {signal.participant_name} — {signal.kind.value}: "
                 f"{signal.message}"]
        if signal.status_by and signal.status_at:
            lines.append(self.tr("{status} sinds {at} door {by}").format(
                status=sentence(signal.status.value), at=date_text(signal.status_at),
                by=signal.status_by) + (f": {signal.status_note}" if signal.status_note else ""))
        self.detail.setText("\n".join(lines))

    def open_selected(self) -> None:
        signal = self.selected()
        if signal is not None:
            self.dossier_requested.emit(signal.participant_id, signal.tab)

    def _ask_note(self, status: SignalStatus, signal: SignalRow) -> str | None:
        if status == SignalStatus.RESOLVED:
            title, prompt = self.tr("Signaal afhandelen"), self.tr(
                "Hoe is het afgehandeld? (verplicht)")
        else:
            title, prompt = self.tr("Signaal in behandeling nemen"), self.tr(
                "Notitie (bijv. wat u gaat doen):")
        dialog = NoteDialog(title, f"{signal.number} {signal.participant_name} — "
                            f"{signal.kind.value}\n{prompt}", status == SignalStatus.RESOLVED,
                            self, missing=self.tr("Schrijf kort op hoe het signaal is "
                                                  "afgehandeld."))
        return dialog.text() if dialog.exec() else None

    def change_status(self, status: SignalStatus) -> None:
        signal = self.selected()
        if signal is None:
            return
        note = self.ask_note(status, signal)
        if note is None:
            return
        self.error.hide()

        def work(_progress) -> None:
            set_signal_status(self.db.unit_of_work(), signal.id, status, note)

        run_operation(self, work, on_done=lambda _r: self.refresh(), on_error=self._failed)

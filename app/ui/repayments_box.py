"""The dossier's repayments and the end of a participation, under the status history on the
Status tab: the participant's repayment plans (aflossingsregelingen: a buffer instalment kept
back from the leefgeld, or what is owed after the final settlement), "Aflossing afspreken…",
"Regeling beëindigen…" and "Eindafrekening…".

Every action is one service call (app.services.repayments, app.services.leaving) run off the
GUI thread; a refusal is shown in the dialog as the service's Dutch line, and after a change
``changed`` makes the dossier read itself again (this box with it). The settlement dialog
reads a preview (saldo on the end date, payments still on their way, what the rules say
against that date) as the date is typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.formatting import euro, short_date
from app.services import leaving, repayments, validation
from app.services.leaving import SettlementPreview
from app.services.repayments import RepaymentRow
from app.ui.operations import open_store_dialog, run_operation
from app.ui.progress_page import DayNoteDialog
from app.ui.widgets import error_label, money_item, muted, save_cancel_buttons, sentence, text_item

PLAN_COLUMNS = ("Soort", "Bedrag", "Vanaf", "Tot en met", "Stand", "Toelichting")
IN_SERVICE = frozenset(status.value for status in repayments.IN_SERVICE)
PREVIEW_DELAY_MS = 250  # the preview waits for the typing of the end date to pause


class PlanDialog(DayNoteDialog):
    """Aflossing afspreken: the amount kept back per leefgeld payment, from when, and why."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(self.tr("Aflossing afspreken"), self.tr("Ingangsdatum"), parent=parent)
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText(self.tr("bijv. 50,00"))
        self.form.insertRow(0, self.tr("Bedrag per leefgeldbetaling (€)"), self.amount)
        self.form.labelForField(self.note).setText(self.tr("Toelichting"))
        self.layout().insertWidget(0, muted(self.tr(
            "Dit bedrag wordt van elke leefgeldbetaling ingehouden zolang het saldo onder nul "
            "is; hoogstens de helft van het leefgeld.")))
        self.cents: int | None = None

    def save(self) -> None:
        try:
            self.cents = validation.cents(self.amount.text(), "aflossing")
        except ValidationError as exc:
            self.show_error(sentence(str(exc)))
            return
        super().save()


class EndPlanDialog(DayNoteDialog):
    """Regeling beëindigen: only the last day (the note row is hidden: end_plan keeps none)."""

    def __init__(self, plan: RepaymentRow, parent: QWidget | None = None):
        super().__init__(self.tr("Regeling beëindigen"), self.tr("Laatste dag"), parent=parent)
        self.form.setRowVisible(self.note, False)
        self.layout().insertWidget(0, muted(self.tr(
            "{kind}: {description}. Na de laatste dag wordt niets meer ingehouden.").format(
            kind=sentence(plan.kind), description=plan.description)))
        self.resize(460, 150)


class SettlementDialog(QDialog):
    """Eindafrekening: the end date (default today), the reason, a live preview of the money
    and of the rules; an amount owed needs a monthly instalment and its day, a rule set aside
    needs a reason to deviate. ``save`` checks the fields; the owner runs settle_exit."""

    def __init__(self, db, participant_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.participant_id = db, participant_id
        self.setWindowTitle(self.tr("Eindafrekening"))
        self.day = QLineEdit(short_date(date.today()))
        self.day.setObjectName("day")
        self.day.setMaximumWidth(130)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(self.tr("bijv. verhuisd, gaat het zelf doen"))
        self.preview = QLabel()
        self.preview.setObjectName("preview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.instalment = QLineEdit()
        self.instalment.setObjectName("instalment")
        self.instalment.setPlaceholderText(self.tr("bijv. 50,00"))
        self.instalment_day = QLineEdit()
        self.instalment_day.setObjectName("instalment_day")
        self.instalment_day.setPlaceholderText("1–28")
        self.instalment_day.setMaximumWidth(60)
        owed = QWidget()
        owed_row = QHBoxLayout(owed)
        owed_row.setContentsMargins(0, 0, 0, 0)
        owed_row.addWidget(self.instalment, 1)
        owed_row.addWidget(QLabel(self.tr("op dag")))
        owed_row.addWidget(self.instalment_day)
        owed_row.addWidget(QLabel(self.tr("van de maand")))
        self.owed_row = owed
        self.problems = error_label()
        self.problems.setObjectName("problems")
        self.override = QLineEdit()
        self.override.setObjectName("override")
        self.override.setPlaceholderText(self.tr("bijv. verhuisd naar het buitenland"))
        self.form = QFormLayout()
        self.form.addRow(self.tr("Einddatum"), self.day)
        self.form.addRow(self.tr("Reden"), self.reason)
        self.form.addRow(self.tr("Afrekening"), self.preview)
        self.form.addRow(self.tr("Aflossing per maand (€)"), owed)
        self.form.addRow(self.problems)
        self.form.addRow(self.tr("Reden om af te wijken"), self.override)
        self.error = error_label()
        buttons = save_cancel_buttons(self)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(
            self.tr("Afrekenen en beëindigen"))
        layout = QVBoxLayout(self)
        layout.addWidget(muted(self.tr(
            "De deelname eindigt op de einddatum: latere betalingen worden geschrapt, de "
            "afspraken en een aflossing op het leefgeld beëindigd, en het saldo afgerekend.")))
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

        self.shown: SettlementPreview | None = None  # the preview of the date in the field
        self._asked: date | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.refresh_preview)
        self.day.textChanged.connect(lambda _text: self._timer.start())
        self._show_rows(owes=False, problems=False)
        self.end: date | None = None
        self.instalment_cents: int | None = None
        self.day_of_month = 1
        self.reason_text = ""
        self.override_text: str | None = None
        self.refresh_preview()

    # -- the preview ------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        """Read the preview of the typed date now (the timer calls this when typing pauses)."""
        self._timer.stop()
        try:
            end = validation.day_of(self.day.text(), "einddatum")
        except ValidationError as exc:
            self._asked, self.shown = None, None
            self.preview.setText(sentence(str(exc)))
            self._show_rows(owes=False, problems=False)
            return
        if self.shown is not None and self.shown.end == end:
            return
        self._asked, self.shown = end, None
        self.preview.setText(self.tr("Berekenen…"))
        db, participant_id = self.db, self.participant_id

        def work(_progress) -> SettlementPreview:
            with db.read() as session:
                return leaving.settlement_preview(session, participant_id, end)

        run_operation(self, work, on_done=self._previewed)

    def _previewed(self, preview: SettlementPreview) -> None:
        if preview.end != self._asked:
            return  # the date changed meanwhile: a newer preview is on its way
        self.shown = preview
        final = preview.final_cents
        if final > 0:
            outcome = self.tr("wordt uitbetaald op de eigen rekening van de deelnemer.")
        elif final < 0:
            outcome = self.tr("de deelnemer moet {owed} terugbetalen; spreek een aflossing "
                              "per maand af.").format(owed=euro(-final))
        else:
            outcome = self.tr("er valt niets uit te betalen of terug te betalen.")
        self.preview.setText(self.tr(
            "Saldo op {day}: {saldo}; nog onderweg: {on_its_way}.\nEindbedrag {final}: "
            "{outcome}").format(day=short_date(preview.end), saldo=euro(preview.saldo_cents),
                                on_its_way=euro(preview.on_its_way_cents), final=euro(final),
                                outcome=outcome))
        self.problems.setText("\n".join(f"{sentence(p)}." for p in preview.problems))
        self._show_rows(owes=final < 0, problems=bool(preview.problems))

    def _show_rows(self, *, owes: bool, problems: bool) -> None:
        self.form.setRowVisible(self.owed_row, owes)
        self.form.setRowVisible(self.problems, problems)
        self.form.setRowVisible(self.override, problems)
        self._fit()

    def _fit(self) -> None:
        """As tall as the wrapped lines need at this width (rows come and go with the date)."""
        layout = self.layout()
        layout.activate()
        self.resize(self.width(), layout.totalHeightForWidth(self.width()))

    # -- checking ---------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.error.setText(sentence(message))
        self.error.show()
        self._fit()

    def save(self) -> None:
        """Check what the preview asks for; the service checks the rest (and again)."""
        try:
            self.end = validation.day_of(self.day.text(), "einddatum")
            self.instalment_cents, self.day_of_month = None, 1
            preview = self.shown if self.shown is not None and self.shown.end == self.end \
                else None
            if preview is not None and preview.final_cents < 0:
                for field, label in ((self.instalment, "aflossing per maand"),
                                     (self.instalment_day, "dag van de aflossing")):
                    validation.required(field.text(), label)
                self.instalment_cents = validation.cents(self.instalment.text(),
                                                         "aflossing per maand")
                self.day_of_month = validation.whole_number(
                    self.instalment_day.text(), "dag van de aflossing", 1, 28)
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        if preview is not None and preview.problems and not self.override.text().strip():
            self.show_error(self.tr("Geef een reden om af te wijken van wat hierboven in het "
                                    "rood staat, of kies een andere einddatum."))
            return
        self.reason_text = self.reason.text()
        self.override_text = self.override.text().strip() or None
        self.error.hide()
        self.accept()

    def settle(self) -> leaving.FinalSettlement:
        """The service call (on the worker thread) with the plain values ``save`` kept."""
        assert self.end is not None
        return leaving.settle_exit(
            self.db.unit_of_work(), self.participant_id, self.end, self.reason_text,
            instalment_cents=self.instalment_cents, instalment_day=self.day_of_month,
            override=self.override_text)


def settlement_message(outcome: leaving.FinalSettlement) -> tuple[str, str]:
    """(the outcome, what the clerk still has to do) for the message after a settlement."""
    lines = [sentence(note) + "." for note in outcome.notes]
    if outcome.direct_debits:
        lines.append("Zeg de incasso's op bij: " + ", ".join(outcome.direct_debits) + ".")
    return outcome.summary() + ".", "\n".join(lines)


class RepaymentsBox(QGroupBox):
    """The repayment plans of one participant and the end of the participation."""

    changed = Signal()  # something was stored: the dossier reads itself again
    loaded = Signal()

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("Aflossingsregelingen"))
        self.db = db
        self.participant_id: int | None = None
        self.status: str | None = None
        self.rows: list[RepaymentRow] = []
        self.dialog: QDialog | None = None  # the open dialog (tests fill it in)
        self.message: QMessageBox | None = None  # the outcome of the last settlement

        self.table = QTableWidget(0, len(PLAN_COLUMNS))
        self.table.setObjectName("plans")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in PLAN_COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.empty = muted(self.tr("Geen aflossingsregelingen."))
        self.agree_button = QPushButton(self.tr("Aflossing afspreken…"))
        self.agree_button.clicked.connect(self.start_plan)
        self.end_button = QPushButton(self.tr("Regeling beëindigen…"))
        self.end_button.clicked.connect(self.start_end_plan)
        self.settle_button = QPushButton(self.tr("Eindafrekening…"))
        self.settle_button.clicked.connect(self.start_settlement)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agree_button)
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        buttons.addWidget(self.settle_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self._show_rows([])

    # -- loading ----------------------------------------------------------------------------

    def load(self, participant_id: int, status: str) -> None:
        self.participant_id, self.status = participant_id, status
        self._enable()
        db = self.db

        def work(_progress):
            with db.read() as session:
                return participant_id, repayments.repayment_rows(session, participant_id,
                                                                 date.today())

        run_operation(self, work, on_done=self._loaded)

    def _loaded(self, result: tuple[int, list[RepaymentRow]]) -> None:
        participant_id, rows = result
        if participant_id != self.participant_id:
            return
        self._show_rows(rows)
        self.loaded.emit()

    def _show_rows(self, rows: list[RepaymentRow]) -> None:
        self.rows = rows
        table = self.table
        table.setRowCount(0)
        for plan in reversed(rows):  # the newest first, like the status history above
            row = table.rowCount()
            table.insertRow(row)
            for column, item in enumerate((
                    text_item(plan.kind), money_item(plan.instalment_cents),
                    text_item(plan.start_date), text_item(plan.end_date),
                    text_item(plan.description, tooltip=plan.description),
                    text_item(plan.note, tooltip=plan.note))):
                item.setData(Qt.ItemDataRole.UserRole, plan.id)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        table.setColumnWidth(4, min(table.columnWidth(4), 320))
        table.resizeRowsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        # Without plans the box keeps to its buttons and the status history takes the room.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred if rows
                           else QSizePolicy.Policy.Maximum)
        self._enable()

    def selected(self) -> RepaymentRow | None:
        item = self.table.item(self.table.currentRow(), 0)
        if item is None:
            return None
        plan_id = item.data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.rows if r.id == plan_id), None)

    def _enable(self) -> None:
        in_service = self.status in IN_SERVICE
        why = "" if in_service else self.tr("Alleen bij een lopende deelname (actief of "
                                            "opgezegd)")
        for button in (self.agree_button, self.settle_button):
            button.setEnabled(in_service and self.participant_id is not None)
            button.setToolTip(why)
        plan = self.selected()
        self.end_button.setEnabled(plan is not None and (
            plan.end_date is None or plan.end_date > date.today()))

    # -- actions ----------------------------------------------------------------------------

    def _open(self, dialog: QDialog, store: Callable[[Any], Any],
              then: Callable[[Any], None] | None = None) -> None:
        self.dialog = dialog

        def stored(result) -> None:
            self.dialog = None
            if then is not None:
                then(result)
            self.changed.emit()  # the dossier reads itself again, this box included

        open_store_dialog(self, dialog, store, stored)

    def start_plan(self) -> None:
        if self.participant_id is None:
            return
        participant_id, db = self.participant_id, self.db
        self._open(PlanDialog(self), lambda d: repayments.agree_buffer_plan(
            db.unit_of_work(), participant_id, d.cents, d.value, d.note_text))

    def start_end_plan(self) -> None:
        plan = self.selected()
        if plan is None:
            return
        db = self.db
        self._open(EndPlanDialog(plan, self), lambda d: repayments.end_plan(
            db.unit_of_work(), plan.id, d.value, expected_version=plan.version))

    def start_settlement(self) -> None:
        if self.participant_id is None or self.status not in IN_SERVICE:
            return
        self._open(SettlementDialog(self.db, self.participant_id, self),
                   lambda d: d.settle(), then=self._settled)

    def _settled(self, outcome: leaving.FinalSettlement) -> None:
        text, todo = settlement_message(outcome)
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Eindafrekening"), text,
                          QMessageBox.StandardButton.Ok, self)
        if todo:
            box.setInformativeText(todo)
        self.message = box
        box.open()

"""The dossier's Voortgang tab: the nulmeting next to the situation now (zelfredzaamheid,
schuldsituatie), the next progress talk and "Gesprek gehouden…", and the referrals (warme
overdracht) with their outcomes.

Every action is one service call of app.services.progress, run off the GUI thread; then the
page tells the dossier (``changed``), which reads itself again (its header and contact log
show the talk too) and this page with it.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.formatting import short_date
from app.models import DebtSituation, ReferralKind, ReferralOutcome, SelfReliance
from app.services import progress, validation
from app.services.progress import ProgressView, ReferralRow
from app.ui.operations import open_store_dialog, run_operation, show_error
from app.ui.widgets import (
    CREDIT_COLOR,
    DEBIT_COLOR,
    date_text,
    error_label,
    muted,
    save_cancel_buttons,
    text_item,
)

# Worst first (the enums go from best to worst), so "a step up the list" is progress.
SELF_RELIANCE_ORDER = tuple(reversed(SelfReliance))
DEBT_ORDER = tuple(reversed(DebtSituation))
REFERRAL_COLUMNS = ("Soort", "Verwezen op", "Uitkomst", "Datum uitkomst", "Notitie", "Door")


def _combo(order, name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.addItem("— niet vastgelegd —", None)
    for member in order:
        combo.addItem(member.value, member.value)
    return combo


def _choose(combo: QComboBox, value) -> None:
    index = combo.findData(value.value if value is not None else None)
    combo.setCurrentIndex(max(index, 0))


def movement(order, before, now) -> tuple[str, str | None]:
    """'vooruit' / 'achteruit' / 'gelijk' between the nulmeting and now, with its colour."""
    if before is None or now is None:
        return "", None
    step = order.index(now) - order.index(before)
    if step > 0:
        return "vooruit", CREDIT_COLOR.name()
    if step < 0:
        return "achteruit", DEBIT_COLOR.name()
    return "gelijk", None


class DayNoteDialog(QDialog):
    """A date (default today), optionally a choice, and a note: the three progress dialogs."""

    def __init__(self, title: str, day_label: str, *, choices: tuple[str, tuple[str, ...]]
                 | None = None, note_required: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.note_required = note_required
        self.form = form = QFormLayout()
        self.choice: QComboBox | None = None
        if choices is not None:
            label, values = choices
            self.choice = QComboBox()
            self.choice.setObjectName("choice")
            for value in values:
                self.choice.addItem(value, value)
            form.addRow(label, self.choice)
        self.day = QLineEdit(short_date(date.today()))
        self.day.setObjectName("day")
        form.addRow(day_label, self.day)
        self.note = QPlainTextEdit()
        self.note.setObjectName("note")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(90)
        form.addRow(self.tr("Notitie") + (" *" if note_required else ""), self.note)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(save_cancel_buttons(self))
        self.resize(460, 240)
        # What save() read from the fields, as plain values for the service on the worker
        # thread (widgets belong to the GUI thread).
        self.value: date | None = None
        self.note_text: str | None = None
        self.choice_value: str | None = None

    def text(self) -> str:
        return self.note.toPlainText().strip()

    def chosen(self) -> str | None:
        return self.choice.currentData() if self.choice is not None else None

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def save(self) -> None:
        try:
            self.value = validation.day_of(self.day.text(), "datum")
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        if self.note_required and not self.text():
            self.show_error(self.tr("Schrijf kort op wat er besproken is."))
            return
        self.note_text, self.choice_value = self.text() or None, self.chosen()
        self.accept()


class ProgressPage(QWidget):
    changed = Signal()  # something was recorded: the dossier reads itself again
    loaded = Signal()

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.view: ProgressView | None = None
        self.participant_id: int | None = None
        self.dialog: DayNoteDialog | None = None  # the open dialog (tests fill it in)

        self.intake_self = _combo(SELF_RELIANCE_ORDER, "intake_self_reliance")
        self.intake_debt = _combo(DEBT_ORDER, "intake_debt_situation")
        self.now_self = _combo(SELF_RELIANCE_ORDER, "self_reliance")
        self.now_debt = _combo(DEBT_ORDER, "debt_situation")
        self.self_movement, self.debt_movement = QLabel(), QLabel()
        self.correct_intake = QCheckBox(self.tr("Nulmeting corrigeren"))
        self.correct_intake.setToolTip(self.tr(
            "De nulmeting is de situatie bij de start; wijzig haar alleen als zij verkeerd is "
            "vastgelegd (dit wordt gelogd)."))
        self.correct_intake.toggled.connect(self._enable_intake)
        self.intake_button = QPushButton(self.tr("Nulmeting vastleggen"))
        self.intake_button.clicked.connect(self.save_intake)
        self.now_button = QPushButton(self.tr("Situatie nu opslaan"))
        self.now_button.clicked.connect(self.save_now)
        self.assessment_error = error_label()
        grid = QGridLayout()
        for column, title in enumerate(("", self.tr("Nulmeting"), self.tr("Nu"), "")):
            grid.addWidget(muted(title, wrap=False), 0, column)
        for row, (label, intake, now, moved) in enumerate((
                (self.tr("Zelfredzaamheid"), self.intake_self, self.now_self,
                 self.self_movement),
                (self.tr("Schuldsituatie"), self.intake_debt, self.now_debt,
                 self.debt_movement)), start=1):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(intake, row, 1)
            grid.addWidget(now, row, 2)
            grid.addWidget(moved, row, 3)
        grid.addWidget(self.intake_button, 3, 1)
        grid.addWidget(self.now_button, 3, 2)
        grid.addWidget(self.correct_intake, 4, 1)
        grid.setColumnStretch(4, 1)
        assessment = QGroupBox(self.tr("Zelfredzaamheid en schulden"))
        assessment_layout = QVBoxLayout(assessment)
        assessment_layout.addLayout(grid)
        assessment_layout.addWidget(self.assessment_error)

        self.next_talk = QLabel()
        self.next_talk.setTextFormat(Qt.TextFormat.PlainText)
        talk_button = QPushButton(self.tr("Gesprek gehouden…"))
        talk_button.clicked.connect(self.start_talk)
        talk = QGroupBox(self.tr("Voortgangsgesprek"))
        talk_layout = QHBoxLayout(talk)
        talk_layout.addWidget(self.next_talk, 1)
        talk_layout.addWidget(talk_button)

        self.referrals = QTableWidget(0, len(REFERRAL_COLUMNS))
        self.referrals.setObjectName("referrals")
        self.referrals.setHorizontalHeaderLabels([self.tr(c) for c in REFERRAL_COLUMNS])
        self.referrals.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.referrals.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.referrals.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.referrals.verticalHeader().hide()
        self.referrals.setAlternatingRowColors(True)
        self.referrals.horizontalHeader().setStretchLastSection(True)
        self.referrals.itemSelectionChanged.connect(self._enable_outcome)
        self.referrals.doubleClicked.connect(lambda _index: self.start_outcome())
        refer_button = QPushButton(self.tr("Doorverwijzen…"))
        refer_button.clicked.connect(self.start_referral)
        self.outcome_button = QPushButton(self.tr("Uitkomst vastleggen…"))
        self.outcome_button.clicked.connect(self.start_outcome)
        buttons = QHBoxLayout()
        buttons.addWidget(refer_button)
        buttons.addWidget(self.outcome_button)
        buttons.addStretch(1)
        referrals = QGroupBox(self.tr("Doorverwijzingen"))
        referrals_layout = QVBoxLayout(referrals)
        # Wrapped on a line of its own: unwrapped it set the whole window's minimum width.
        referrals_layout.addWidget(muted(self.tr("Warme overdracht: naar wie is de deelnemer "
                                                 "verwezen, en is de hulp gestart?")))
        referrals_layout.addLayout(buttons)
        referrals_layout.addWidget(self.referrals, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(assessment)
        layout.addWidget(talk)
        layout.addWidget(referrals, 1)
        self._enable_outcome()

    # -- loading ----------------------------------------------------------------------------

    def load(self, participant_id: int) -> None:
        self.participant_id = participant_id

        def work(_progress):
            with self.db.read() as session:
                return progress.progress_view(session, participant_id)

        run_operation(self, work, on_done=self._loaded)

    def _loaded(self, view: ProgressView) -> None:
        if view.participant_id != self.participant_id:
            return
        self.view = view
        _choose(self.intake_self, view.intake_self_reliance)
        _choose(self.intake_debt, view.intake_debt_situation)
        _choose(self.now_self, view.self_reliance)
        _choose(self.now_debt, view.debt_situation)
        for label, order, before, now in (
                (self.self_movement, SELF_RELIANCE_ORDER, view.intake_self_reliance,
                 view.self_reliance),
                (self.debt_movement, DEBT_ORDER, view.intake_debt_situation,
                 view.debt_situation)):
            text, colour = movement(order, before, now)
            label.setText(text)
            label.setStyleSheet(f"color: {colour}; font-weight: 600;" if colour else "")
        self.correct_intake.setChecked(False)
        self.correct_intake.setVisible(self.intake_recorded)
        self._enable_intake()
        self.assessment_error.hide()
        self.next_talk.setText(self._talk_text(view.next_progress_talk))
        self._show_referrals(view.referrals)
        self.loaded.emit()

    @property
    def intake_recorded(self) -> bool:
        view = self.view
        return view is not None and (view.intake_self_reliance is not None
                                     or view.intake_debt_situation is not None)

    def _talk_text(self, day: date | None) -> str:
        if day is None:
            return self.tr("Nog geen datum voor het volgende voortgangsgesprek.")
        days = (day - date.today()).days
        if days < 0:
            return self.tr("Volgend voortgangsgesprek: {day} — {n} dagen te laat.").format(
                day=date_text(day), n=-days)
        return self.tr("Volgend voortgangsgesprek: {day} (over {n} dagen).").format(
            day=date_text(day), n=days)

    def _show_referrals(self, rows: list[ReferralRow]) -> None:
        table = self.referrals
        table.setRowCount(0)
        for referral in rows:
            row = table.rowCount()
            table.insertRow(row)
            for column, value in enumerate((
                    referral.kind.value, referral.referred_on, referral.outcome.value,
                    referral.outcome_date, referral.note or "", referral.created_by)):
                item = text_item(value)
                item.setData(Qt.ItemDataRole.UserRole, referral.id)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self._enable_outcome()

    def _enable_intake(self) -> None:
        editable = not self.intake_recorded or self.correct_intake.isChecked()
        for combo in (self.intake_self, self.intake_debt):
            combo.setEnabled(editable)
        self.intake_button.setEnabled(editable)
        self.intake_button.setText(self.tr("Nulmeting opslaan") if self.intake_recorded
                                   else self.tr("Nulmeting vastleggen"))

    def _enable_outcome(self) -> None:
        self.outcome_button.setEnabled(self.selected_referral() is not None)

    def selected_referral(self) -> ReferralRow | None:
        if self.view is None:
            return None
        item = self.referrals.item(self.referrals.currentRow(), 0)
        if item is None:
            return None
        referral_id = item.data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.view.referrals if r.id == referral_id), None)

    # -- actions ----------------------------------------------------------------------------

    def _done(self, _result=None) -> None:
        self.changed.emit()  # the dossier reads itself again, this page included

    def _assessment_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.assessment_error.setText(str(exc))
            self.assessment_error.show()
        else:
            show_error(self, exc)

    def _save_assessment(self, self_combo: QComboBox, debt_combo: QComboBox, *,
                         intake: bool) -> None:
        view = self.view
        if view is None:
            return
        values = dict(self_reliance=self_combo.currentData(),
                      debt_situation=debt_combo.currentData())
        if intake and None in values.values():
            self._assessment_failed(ValidationError(
                "Kies bij de nulmeting zowel de zelfredzaamheid als de schuldsituatie"))
            return
        correct = intake and self.intake_recorded

        def work(_progress):
            progress.set_assessment(self.db.unit_of_work(), view.participant_id, intake=intake,
                                    correct_intake=correct, expected_version=view.version,
                                    **values)

        run_operation(self, work, on_done=self._done, on_error=self._assessment_failed)

    def save_intake(self) -> None:
        self._save_assessment(self.intake_self, self.intake_debt, intake=True)

    def save_now(self) -> None:
        self._save_assessment(self.now_self, self.now_debt, intake=False)

    def _open(self, dialog: DayNoteDialog, store) -> None:
        """Open ``dialog``; on Opslaan run ``store(dialog)`` and show a refusal in the dialog."""
        self.dialog = dialog

        def stored(_result) -> None:
            self.dialog = None
            self._done()

        open_store_dialog(self, dialog, store, stored)

    def start_talk(self) -> None:
        if self.view is None:
            return
        participant_id = self.view.participant_id
        self._open(DayNoteDialog(self.tr("Voortgangsgesprek gehouden"),
                                  self.tr("Gehouden op"), note_required=True, parent=self),
                   lambda d: progress.record_progress_talk(
                       self.db.unit_of_work(), participant_id, d.value, d.note_text))

    def start_referral(self) -> None:
        if self.view is None:
            return
        participant_id = self.view.participant_id
        self._open(DayNoteDialog(
            self.tr("Doorverwijzen"), self.tr("Verwezen op"),
            choices=(self.tr("Naar"), tuple(k.value for k in ReferralKind)), parent=self),
            lambda d: progress.add_referral(self.db.unit_of_work(), participant_id,
                                            d.choice_value, d.value, d.note_text))

    def start_outcome(self) -> None:
        referral = self.selected_referral()
        if referral is None:
            return
        dialog = DayNoteDialog(
            self.tr("Uitkomst doorverwijzing ({kind})").format(kind=referral.kind.value),
            self.tr("Datum uitkomst"),
            choices=(self.tr("Uitkomst"), tuple(o.value for o in ReferralOutcome
                                                 if o != ReferralOutcome.PENDING)),
            parent=self)
        self._open(dialog, lambda d: progress.record_referral_outcome(
            self.db.unit_of_work(), referral.id, d.choice_value, d.value, d.note_text,
            expected_version=referral.version))

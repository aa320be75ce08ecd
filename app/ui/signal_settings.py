"""Instellingen › Signalen: the thresholds of the signal rules. Saving stores them and evaluates
everyone's signals again with them (app.services.signals.save_thresholds, one audited call)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.services.signals import SignalThresholds, load_thresholds, save_thresholds
from app.ui.operations import run_operation, show_error
from app.ui.widgets import error_label, heading, muted

FREQUENCY_LABELS = {"week": "per week", "4-weken": "per 4 weken", "maand": "per maand",
                    "kwartaal": "per kwartaal", "jaar": "per jaar"}
FIELDS = (
    ("tolerance_percent", "Afwijkend bedrag vanaf (%)"),
    ("negative_months", "Saldo negatief: langer dan (maanden)"),
    ("shortfall_months", "Tekort: vanaf (maanden vaste lasten)"),
    ("forecast_weeks", "Saldo-verwachting: weken vooruit"),
    ("employer_missing_periods", "Werkgever betaalt niet via ons: perioden zonder salaris"),
    ("progress_talk_months", "Voortgangsgesprek: elke (maanden)"),
)


class SignalThresholdsPanel(QWidget):
    saved = Signal(str)  # the evaluation's summary

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Signalen"), 12))
        layout.addWidget(muted(self.tr(
            "Wanneer het programma een signaal geeft. Een afspraak kan een eigen marge en "
            "afwijking hebben (bijv. flexibel loon). Na Opslaan worden alle signalen opnieuw "
            "bepaald.")))
        form = QFormLayout()
        self.margins: dict[str, QLineEdit] = {}
        for frequency, label in FREQUENCY_LABELS.items():
            field = QLineEdit()
            field.setObjectName(f"margin_{frequency}")
            field.setMaximumWidth(80)
            self.margins[frequency] = field
            form.addRow(self.tr("Betaling ontbreekt: marge {what} (dagen)").format(
                what=self.tr(label)), field)
        self.fields: dict[str, QLineEdit] = {}
        for name, label in FIELDS:
            field = QLineEdit()
            field.setObjectName(name)
            field.setMaximumWidth(80)
            self.fields[name] = field
            form.addRow(self.tr(label), field)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        self.result = QLabel()
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        row = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Opslaan"))
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def load(self) -> None:
        def work(_progress) -> SignalThresholds:
            with self.db.read() as session:
                return load_thresholds(session)

        run_operation(self, work, on_done=self.show_thresholds)

    def show_thresholds(self, thresholds: SignalThresholds) -> None:
        for frequency, field in self.margins.items():
            field.setText(str(thresholds.margin_days.get(frequency, "")))
        for name, field in self.fields.items():
            field.setText(str(getattr(thresholds, name)).replace(".", ","))

    def entered(self) -> SignalThresholds:
        """What the fields say; the service checks it (text it cannot read is refused)."""
        return SignalThresholds(
            margin_days={f: field.text() for f, field in self.margins.items()},  # type: ignore
            **{name: field.text() for name, field in self.fields.items()})  # type: ignore

    def save(self) -> None:
        thresholds = self.entered()
        self.error.hide()
        self.save_button.setEnabled(False)

        def work(_progress):
            return save_thresholds(self.db.unit_of_work(), thresholds)

        def done(outcome) -> None:
            self.save_button.setEnabled(True)
            self.result.setText(self.tr("Opgeslagen. {summary}.").format(
                summary=outcome.summary()))
            self.saved.emit(outcome.summary())
            self.load()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            if isinstance(exc, ValidationError):
                self.error.setText(str(exc))
                self.error.show()
            else:
                show_error(self, exc)

        run_operation(self, work, on_done=done, on_error=failed)

"""The dossier of one participant: personal data (editable, with the validation messages of
app.services.validation), status and its history, agreements with their search terms,
accounts, the saldo now with a 12-month chart, booked transactions per month, the contact log,
signals and the progress (Voortgang: app.ui.progress_page).

Opening a dossier is logged (it holds a BSN: ``participants.open_dossier``); the BSN is shown
masked until the clerk asks for it (``participants.reveal_bsn``, logged too). Every change is
one service call, run off the GUI thread; the screen then reads the dossier again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationError
from app.formatting import euro, short_date
from app.models import (
    AllowanceFrequency,
    ContactKind,
    Direction,
    Frequency,
    OverviewDelivery,
    PaymentMethod,
    Variant,
)
from app.services import agreements as agreement_services
from app.services import participants as participant_services
from app.services import validation
from app.services.queries import (
    AgreementLine,
    CurrentUser,
    DossierView,
    MonthSaldo,
    category_lines,
    dossier_view,
    organisation_lines,
)
from app.ui.operations import run_operation, show_error
from app.ui.progress_page import ProgressPage
from app.ui.repayments_box import RepaymentsBox
from app.ui.widgets import (
    CENTS_ROLE,
    CREDIT_COLOR,
    DEBIT_COLOR,
    ERROR_STYLE,
    MUTED_COLOR,
    RIGHT,
    MoneyDelegate,
    date_text,
    error_label,
    heading,
    money_item,
    muted,
    remember_columns,
    save_cancel_buttons,
    sentence,
    text_item,
)

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
SHORT_MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov",
                "dec")


# -- The saldo chart ------------------------------------------------------------------------------


class SaldoChart(QWidget):
    """The saldo at the end of each of the last 12 months as bars; red below zero, the buffer
    as a dashed line when the saldo comes near it. Painted with QPainter (QtCharts is not part
    of PySide6-Essentials)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.months: list[MonthSaldo] = []
        self.buffer_cents = 0
        self.setMinimumSize(QSize(420, 150))

    def set_months(self, months: list[MonthSaldo], buffer_cents: int) -> None:
        self.months = list(months)
        self.buffer_cents = buffer_cents
        self.setToolTip("\n".join(f"{MONTHS[m.month.month - 1]} {m.month.year}: "
                                  f"{euro(m.saldo_cents)}" for m in self.months))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(460, 160)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.months:
            return
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        values = [m.saldo_cents for m in self.months]
        low, high = min(0, *values), max(0, *values)
        show_buffer = self.buffer_cents > 0 and low < -self.buffer_cents // 2
        if show_buffer:
            low = min(low, -self.buffer_cents)
        if high == low:
            high = low + 100
        label_width = max(metrics.horizontalAdvance(euro(v)) for v in (low, high)) + 8
        plot = QRectF(label_width, 8, self.width() - label_width - 6,
                      self.height() - metrics.height() - 14)

        def y_of(cents: int) -> float:
            return plot.top() + (high - cents) / (high - low) * plot.height()

        painter.setPen(QPen(MUTED_COLOR))
        labelled: list[float] = []
        for cents in (0, high, low):
            if any(abs(y_of(cents) - y) < metrics.height() for y in labelled):
                continue  # too close to a label already drawn
            labelled.append(y_of(cents))
            painter.drawText(QRectF(0, y_of(cents) - metrics.height() / 2, label_width - 6,
                                    metrics.height()),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             euro(cents))
        slot = plot.width() / len(self.months)
        zero = y_of(0)
        for number, month in enumerate(self.months):
            left = plot.left() + number * slot + slot * 0.18
            top, bottom = sorted((y_of(month.saldo_cents), zero))
            color = DEBIT_COLOR if month.saldo_cents < 0 else CREDIT_COLOR
            painter.fillRect(QRectF(left, top, slot * 0.64, max(1.0, bottom - top)), color)
            painter.setPen(QPen(MUTED_COLOR))
            painter.drawText(QRectF(plot.left() + number * slot, plot.bottom() + 4, slot,
                                    metrics.height()),
                             int(Qt.AlignmentFlag.AlignHCenter),
                             SHORT_MONTHS[month.month.month - 1])
        painter.setPen(QPen(QColor("#444444"), 1))
        painter.drawLine(QPointF(plot.left(), zero), QPointF(plot.right(), zero))
        if show_buffer:
            pen = QPen(DEBIT_COLOR, 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            y = y_of(-self.buffer_cents)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.drawText(QPointF(plot.left() + 4, y - 3), self.tr("buffer"))
        painter.end()


# -- Personal data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str  # text, date, money, choice, bool, employee, day, language
    choices: tuple[str, ...] = ()
    required: bool = False


def _choices(enum_class) -> tuple[str, ...]:
    return tuple(member.value for member in enum_class)


GROUPS: tuple[tuple[str, tuple[FieldSpec, ...]], ...] = (
    ("Persoon", (
        FieldSpec("number", "Dossiernummer", "text", required=True),
        FieldSpec("initials", "Voorletters", "text"),
        FieldSpec("first_name", "Voornaam", "text"),
        FieldSpec("infix", "Tussenvoegsel", "text"),
        FieldSpec("last_name", "Achternaam", "text", required=True),
        FieldSpec("birth_date", "Geboortedatum", "date"),
    )),
    ("Adres en bereikbaarheid", (
        FieldSpec("street", "Straat", "text"),
        FieldSpec("house_number", "Huisnummer", "text"),
        FieldSpec("house_number_suffix", "Toevoeging", "text"),
        FieldSpec("postcode", "Postcode", "text"),
        FieldSpec("city", "Woonplaats", "text"),
        FieldSpec("phone", "Telefoon", "text"),
        FieldSpec("email", "E-mail", "text"),
    )),
    ("Budgetbeheer", (
        FieldSpec("start_date", "Startdatum", "date"),
        FieldSpec("variant", "Variant", "choice", _choices(Variant), required=True),
        FieldSpec("buffer_limit_cents", "Buffer", "money", required=True),
        FieldSpec("allowance_cents", "Leefgeld", "money"),
        FieldSpec("allowance_frequency", "Leefgeld per", "choice", _choices(AllowanceFrequency)),
        FieldSpec("allowance_day", "Leefgelddag", "day"),
        FieldSpec("contact_employee_id", "Contactpersoon", "employee"),
        FieldSpec("next_progress_talk", "Volgend voortgangsgesprek", "date"),
    )),
    ("Papieren overzicht", (
        FieldSpec("paper_overview", "Overzicht op papier", "bool"),
        FieldSpec("overview_delivery", "Bezorging", "choice", _choices(OverviewDelivery),
                  required=True),
        FieldSpec("overview_language", "Taal", "language", participant_services.LANGUAGES,
                  required=True),
        FieldSpec("large_print", "Grote letters", "bool"),
    )),
    # Zelfredzaamheid and schuldsituatie live on the Voortgang tab, next to the nulmeting.
    ("Begeleiding", (
        FieldSpec("supporter_name", "Begeleider", "text"),
        FieldSpec("supporter_organisation", "Organisatie begeleider", "text"),
        FieldSpec("supporter_phone", "Telefoon begeleider", "text"),
    )),
)
FIELDS = {spec.key: spec for _title, specs in GROUPS for spec in specs}
# The field names in the services' Dutch messages (ValidationError.field) → form fields.
LABEL_TO_KEY = {
    "dossiernummer": "number", "BSN": "bsn", "achternaam": "last_name",
    "voorletters": "initials", "voornaam": "first_name", "tussenvoegsel": "infix",
    "straat": "street", "woonplaats": "city", "toevoeging": "house_number_suffix",
    "huisnummer": "house_number", "postcode": "postcode", "e-mail": "email",
    "geboortedatum": "birth_date", "startdatum": "start_date",
    "datum voortgangsgesprek": "next_progress_talk", "variant": "variant", "buffer":
    "buffer_limit_cents", "leefgeld": "allowance_cents", "frequentie leefgeld":
    "allowance_frequency", "leefgelddag": "allowance_day", "contactpersoon":
    "contact_employee_id", "begeleider": "supporter_name", "organisatie begeleider":
    "supporter_organisation", "taal": "overview_language",
    "bezorging overzicht": "overview_delivery",
}


def money_input_text(cents: int | None) -> str:
    """Cents as typed in a form: 1.500,00 (no euro sign)."""
    return "" if cents is None else euro(cents).replace("€", "").strip()


class PersonalForm(QWidget):
    """All editable dossier fields, each with its own message line below it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.original: dict = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for number, (title, specs) in enumerate(GROUPS):
            box = QGroupBox(self.tr(title))
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            if number == 0:
                self._bsn_row(form)
            for spec in specs:
                form.addRow(self.tr(spec.label) + (" *" if spec.required else ""),
                            self._field(spec))
            grid.addWidget(box, number // 2 if number < 4 else 2, number % 2 if number < 4 else 0,
                           1, 1 if number < 4 else 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def _bsn_row(self, form: QFormLayout) -> None:
        self.bsn = QLineEdit()
        self.bsn.setReadOnly(True)
        self.bsn.setMaximumWidth(130)
        self.reveal_button = QPushButton(self.tr("Toon BSN"))
        self.reveal_button.setToolTip(self.tr("Het tonen van het BSN wordt vastgelegd"))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.bsn)
        line.addWidget(self.reveal_button)
        line.addStretch(1)
        self.errors["bsn"] = error_label()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(row)
        column.addWidget(self.errors["bsn"])
        form.addRow(self.tr("BSN"), holder)
        self.bsn_revealed = False

    def _field(self, spec: FieldSpec) -> QWidget:
        if spec.kind in ("choice", "language", "employee"):
            widget = QComboBox()
            if spec.kind != "employee":
                if not spec.required:
                    widget.addItem("", None)
                for value in spec.choices:
                    widget.addItem(value, value)
        elif spec.kind == "bool":
            widget = QCheckBox()
        else:
            widget = QLineEdit()
            if spec.kind == "date":
                widget.setPlaceholderText(self.tr("dd-mm-jjjj"))
                widget.setMaximumWidth(130)
            elif spec.kind == "money":
                widget.setPlaceholderText(self.tr("bijv. 1.500,00"))
                widget.setAlignment(RIGHT)
                widget.setMaximumWidth(130)
            elif spec.kind == "day":
                widget.setMaximumWidth(60)
                widget.setToolTip(self.tr("Wekelijks: 1 = maandag … 7 = zondag; "
                                          "maandelijks: dag van de maand"))
            widget.editingFinished.connect(lambda key=spec.key: self.check_field(key))
        widget.setObjectName(spec.key)
        self.inputs[spec.key] = widget
        self.errors[spec.key] = error_label()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(widget)
        column.addWidget(self.errors[spec.key])
        return holder

    # -- values in and out -------------------------------------------------------------------

    def set_employees(self, employees: list[tuple[int, str]]) -> None:
        combo = self.inputs["contact_employee_id"]
        assert isinstance(combo, QComboBox)
        combo.clear()
        combo.addItem(self.tr("(geen)"), None)
        for employee_id, name in employees:
            combo.addItem(name, employee_id)

    def show_values(self, values: dict, bsn_masked: str) -> None:
        self.original = dict(values)
        self.bsn.setText(bsn_masked)
        self.bsn.setReadOnly(True)
        self.bsn_revealed = False
        self.reveal_button.setEnabled(True)
        for key, spec in FIELDS.items():
            widget, value = self.inputs[key], values.get(key)
            if isinstance(widget, QComboBox):
                shown = value.value if hasattr(value, "value") else value
                index = widget.findData(shown)
                widget.setCurrentIndex(max(index, 0))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif spec.kind == "date":
                widget.setText(short_date(value) if value else "")
            elif spec.kind == "money":
                widget.setText(money_input_text(value))
            else:
                widget.setText("" if value is None else str(value))
        self.clear_errors()

    def show_bsn(self, bsn: str) -> None:
        self.bsn.setText(bsn)
        self.bsn.setReadOnly(False)
        self.bsn_revealed = True
        self.original["bsn"] = bsn
        self.reveal_button.setEnabled(False)

    def raw_value(self, key: str):
        """What is in the field, as the service takes it (money already in cents)."""
        if key == "bsn":
            return self.bsn.text().strip()
        spec, widget = FIELDS[key], self.inputs[key]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        text = widget.text().strip()
        if spec.kind == "money":
            if not text:
                return None
            return validation.cents(text, spec.label.lower(), allow_zero=True)
        if spec.kind == "day":
            return validation.whole_number(text, "leefgelddag", 1, 31) if text else None
        if spec.required:
            validation.required(text, spec.label.lower())
        return text or None

    def cleaned(self, key: str) -> dict:
        """The field checked by the service's own rules: {key: value} (the house number may
        bring its suffix), or ValidationError."""
        return participant_services.clean_participant({key: self.raw_value(key)})

    def check_field(self, key: str) -> bool:
        try:
            self.cleaned(key)
        except ValidationError as exc:
            self.set_error(key, str(exc))
            return False
        self.set_error(key, None)
        return True

    def changes(self) -> tuple[dict, dict[str, str]]:
        """(changed fields → cleaned values, field → message) over the whole form."""
        changes, problems = {}, {}
        filled: set[str] = set()  # fields given a value by another one ('12A' → suffix 'A')
        keys = list(FIELDS) + (["bsn"] if self.bsn_revealed else [])
        for key in keys:
            try:
                cleaned = self.cleaned(key)
            except ValidationError as exc:
                problems[key] = str(exc)
                continue
            for name, value in cleaned.items():
                if name == key:
                    if value != self.original.get(name) and name not in filled:
                        changes[name] = value
                elif name in FIELDS and not self.raw_value(name):
                    filled.add(name)  # '12A' as house number fills an empty suffix field
                    if value != self.original.get(name):
                        changes[name] = value
                    else:
                        changes.pop(name, None)
        return changes, problems

    def set_error(self, key: str, message: str | None) -> None:
        label = self.errors.get(key)
        if label is None:
            return
        label.setText(sentence(message) if message else "")
        label.setVisible(bool(message))
        widget = self.bsn if key == "bsn" else self.inputs[key]
        widget.setStyleSheet("border: 1px solid #d93025;" if message else "")

    def clear_errors(self) -> None:
        for key in self.errors:
            self.set_error(key, None)

    def visible_errors(self) -> dict[str, str]:
        return {key: label.text() for key, label in self.errors.items() if label.text()}


# -- Agreements -----------------------------------------------------------------------------------


class AgreementDialog(QDialog):
    """Add or edit one agreement: organisation and counter account, category, direction,
    amount, schedule, validity and search terms (separated by ;)."""

    def __init__(self, db, participant_id: int, own_accounts: list[tuple[int, str]],
                 agreement: AgreementLine | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.participant_id = participant_id
        self.agreement = agreement
        self.own_accounts = own_accounts
        self.setWindowTitle(self.tr("Afspraak wijzigen") if agreement else
                            self.tr("Nieuwe afspraak"))
        with db.read() as session:
            self.organisations = organisation_lines(session)
            self.categories = category_lines(session)
        self.organisation = QComboBox()
        self.organisation.addItem(self.tr("(geen: eigen rekening van de deelnemer)"), None)
        for organisation in self.organisations:
            self.organisation.addItem(organisation.name, organisation.id)
        self.account = QComboBox()
        self.category = QComboBox()
        for category in self.categories:  # a deactivated one only where it is already used
            if category.active or (agreement is not None and category.name == agreement.category):
                self.category.addItem(category.name, category.name)
        self.direction = QComboBox()
        for value in _choices(Direction):
            self.direction.addItem(value, value)
        self.payment_method = QComboBox()
        self.payment_method.addItem(self.tr("onbekend (wordt niet door ons betaald)"), None)
        self.payment_method.addItem(self.tr("overschrijving (wij betalen)"),
                                    PaymentMethod.TRANSFER.value)
        self.payment_method.addItem(self.tr("incasso (schuldeiser int)"),
                                    PaymentMethod.DIRECT_DEBIT.value)
        self.payment_method.setToolTip(self.tr(
            "Alleen voor uitgaven: een overschrijving komt in de betaalopdracht, een incasso "
            "wordt alleen verwacht."))
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(self.tr("bijv. 424,10"))
        self.tolerance = QLineEdit("2")
        self.frequency = QComboBox()
        for value in _choices(Frequency):
            self.frequency.addItem(value, value)
        self.frequency.setCurrentIndex(self.frequency.findData(Frequency.MONTH.value))
        self.day = QLineEdit()
        self.day.setPlaceholderText(self.tr("dag van de maand, of 1-7 bij week"))
        self.description = QLineEdit()
        self.valid_from = QLineEdit(short_date(date.today()))
        self.valid_through = QLineEdit()
        self.valid_through.setPlaceholderText(self.tr("leeg = doorlopend"))
        self.terms = QLineEdit()
        self.terms.setPlaceholderText(self.tr("bijv. klantnummer 2610000123; contract 88-12"))
        self.error = error_label()
        form = QFormLayout()
        for label, widget in (
            (self.tr("Organisatie"), self.organisation), (self.tr("Tegenrekening"), self.account),
            (self.tr("Rubriek"), self.category), (self.tr("Richting"), self.direction),
            (self.tr("Betaalwijze"), self.payment_method),
            (self.tr("Bedrag"), self.amount), (self.tr("Marge (%)"), self.tolerance),
            (self.tr("Frequentie"), self.frequency), (self.tr("Dag"), self.day),
            (self.tr("Omschrijving"), self.description),
            (self.tr("Geldig vanaf"), self.valid_from), (self.tr("Geldig tot en met"),
                                                         self.valid_through),
            (self.tr("Zoektermen"), self.terms),
        ):
            form.addRow(label, widget)
        buttons = save_cancel_buttons(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.organisation.currentIndexChanged.connect(lambda _i: self._fill_accounts())
        self.direction.currentIndexChanged.connect(lambda _i: self._enable_payment_method())
        self._fill_accounts()
        if agreement is not None:
            self._show(agreement)
        self._enable_payment_method()
        self.resize(520, self.sizeHint().height())

    def _enable_payment_method(self) -> None:
        self.payment_method.setEnabled(self.direction.currentData() == Direction.EXPENSE.value)

    def _fill_accounts(self, chosen: int | None = None) -> None:
        self.account.clear()
        self.account.addItem(self.tr("(geen)"), None)
        organisation_id = self.organisation.currentData()
        accounts = self.own_accounts if organisation_id is None else next(
            (o.accounts for o in self.organisations if o.id == organisation_id), ())
        for account_id, iban in accounts:
            self.account.addItem(iban, account_id)
        if len(accounts) == 1 and chosen is None:
            self.account.setCurrentIndex(1)
        elif chosen is not None:
            self.account.setCurrentIndex(max(0, self.account.findData(chosen)))

    def _show(self, agreement: AgreementLine) -> None:
        self.organisation.setCurrentIndex(max(0, self.organisation.findData(
            agreement.organisation_id)))
        self._fill_accounts(agreement.counter_account_id)
        self.category.setCurrentIndex(max(0, self.category.findData(agreement.category)))
        self.direction.setCurrentIndex(self.direction.findData(agreement.direction))
        self.payment_method.setCurrentIndex(max(0, self.payment_method.findData(
            agreement.payment_method)))
        self.amount.setText(money_input_text(agreement.amount_cents))
        self.tolerance.setText(agreement.tolerance_percent.replace(".", ","))
        self.frequency.setCurrentIndex(self.frequency.findData(agreement.frequency))
        self.day.setText("" if agreement.day is None else str(agreement.day))
        self.description.setText(agreement.description or "")
        self.valid_from.setText(short_date(agreement.valid_from))
        self.valid_through.setText(short_date(agreement.valid_through)
                                   if agreement.valid_through else "")
        self.terms.setText("; ".join(t.term for t in agreement.terms))

    def values(self) -> tuple[dict, list[str]]:
        """The fields as the agreement services take them, and the search terms."""
        day = self.day.text().strip()
        values = {
            "organisation_id": self.organisation.currentData(),
            "counter_account_id": self.account.currentData(),
            "direction": self.direction.currentData(),
            "payment_method": self.payment_method.currentData()
            if self.direction.currentData() == Direction.EXPENSE.value else None,
            "amount_cents": validation.cents(self.amount.text(), "bedrag"),
            "tolerance_percent": self.tolerance.text().strip() or "2",
            "frequency": self.frequency.currentData(),
            "day": validation.whole_number(day, "dag", 1, 31) if day else None,
            "description": self.description.text().strip() or None,
            "valid_from": self.valid_from.text().strip() or None,
            "valid_through": self.valid_through.text().strip() or None,
        }
        terms = [t.strip() for t in self.terms.text().replace("\n", ";").split(";") if t.strip()]
        agreement_services.clean_agreement(values)  # the service's rules, before saving
        return values, terms

    def save(self) -> None:
        try:
            values, terms = self.values()
        except ValidationError as exc:
            self.show_error(str(exc))
            return
        category = self.category.currentData()
        participant_id, agreement = self.participant_id, self.agreement

        def work(_progress):
            uow = self.db.unit_of_work
            if agreement is None:
                return agreement_services.create_agreement(
                    uow(), participant_id, category=category, search_terms=terms, **values)
            changes = {k: v for k, v in values.items() if _differs(agreement, k, v)}
            if changes or category != agreement.category:
                agreement_services.update_agreement(uow(), agreement.id, category=category,
                                                    **changes)
            old = {t.term: t.id for t in agreement.terms}
            for term, term_id in old.items():
                if term not in terms:
                    agreement_services.remove_search_term(uow(), term_id)
            for term in terms:
                if term not in old:
                    agreement_services.add_search_term(uow(), agreement.id, term)
            return agreement.id

        run_operation(self, work, on_done=lambda _r: self.accept(), on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.show_error(str(exc))
        else:
            show_error(self, exc)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()


def _differs(agreement: AgreementLine, key: str, value) -> bool:
    cleaned = agreement_services.clean_agreement({key: value}).get(key)
    current = getattr(agreement, key)
    if key == "tolerance_percent":
        return str(cleaned) != current
    if hasattr(cleaned, "value"):
        cleaned = cleaned.value
    return cleaned != current


class DateDialog(QDialog):
    """Ask one date (ending an agreement)."""

    def __init__(self, title: str, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.day = QLineEdit(short_date(date.today()))
        self.error = error_label()
        form = QFormLayout()
        form.addRow(label, self.day)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.value: date | None = None

    def _check(self) -> None:
        try:
            self.value = validation.day_of(self.day.text(), "datum")
        except ValidationError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


# -- The screen -----------------------------------------------------------------------------------


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class DossierScreen(QWidget):
    closed = Signal()
    changed = Signal(int)  # a participant's data changed (the list refreshes that row)
    loaded = Signal()

    def __init__(self, db, user: CurrentUser | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.user = user
        self.view: DossierView | None = None
        self.participant_id: int | None = None
        self.print_handler: Callable[[int], None] | None = None  # set when overviews exist
        self.export_handler: Callable[[int], None] | None = None

        self.back = QPushButton(self.tr("← Deelnemers"))
        self.back.setToolTip(self.tr("Terug naar de lijst (Esc)"))
        self.back.clicked.connect(self.closed.emit)
        self.title = heading("")
        self.status_badge = QLabel()
        self.print_button = QPushButton(self.tr("Print overzicht"))
        self.export_button = QPushButton(self.tr("Exporteer naar Excel"))
        self.print_button.clicked.connect(lambda: self._action(self.print_handler))
        self.export_button.clicked.connect(lambda: self._action(self.export_handler))
        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addSpacing(8)
        top.addWidget(self.title)
        top.addWidget(self.status_badge)
        top.addStretch(1)
        top.addWidget(self.print_button)
        top.addWidget(self.export_button)

        self.saldo = QLabel()
        self.saldo.setStyleSheet("font-size: 20pt; font-weight: 700;")
        self.saldo_note = muted("")
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.chart = SaldoChart()
        summary_left = QVBoxLayout()
        summary_left.addWidget(self.saldo)
        summary_left.addWidget(self.saldo_note)
        summary_left.addWidget(self.facts)
        summary_left.addStretch(1)
        summary = QHBoxLayout()
        summary.addLayout(summary_left, 1)
        summary.addWidget(self.chart, 1)

        self.tabs = QTabWidget()
        self.form = PersonalForm()
        self.form.reveal_button.clicked.connect(self.reveal_bsn)
        self.form_message = error_label()
        self.save_button = QPushButton(self.tr("Opslaan (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        self.undo_button = QPushButton(self.tr("Wijzigingen ongedaan maken"))
        self.undo_button.clicked.connect(self._show_view)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        data_page = QWidget()
        data_layout = QVBoxLayout(data_page)
        data_layout.addWidget(self.form_message)
        data_layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.save_button)
        data_layout.addLayout(buttons)
        self.tabs.addTab(data_page, self.tr("Gegevens"))

        self.tabs.addTab(self._status_page(), self.tr("Status"))
        self.tabs.addTab(self._agreements_page(), self.tr("Afspraken"))
        self.tabs.addTab(self._accounts_page(), self.tr("Rekeningen"))
        self.bookings = QTreeWidget()
        self.bookings.setHeaderLabels([self.tr("Datum"), self.tr("Tegenpartij en omschrijving"),
                                       self.tr("Rubriek"), self.tr("Wijze"), self.tr("Bedrag")])
        self.bookings.setItemDelegateForColumn(4, MoneyDelegate(self.bookings))
        self.bookings.headerItem().setTextAlignment(4, RIGHT)
        self.bookings.setAlternatingRowColors(True)
        self.bookings.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.bookings.header().setStretchLastSection(False)
        self.tabs.addTab(self.bookings, self.tr("Boekingen"))
        self.tabs.addTab(self._notes_page(), self.tr("Logboek"))
        self.signals_table = _table([self.tr("Soort"), self.tr("Status"), self.tr("Sinds"),
                                     self.tr("Bericht")])
        self.tabs.addTab(self.signals_table, self.tr("Signalen"))
        self.progress_page = ProgressPage(db)
        self.progress_page.changed.connect(self._done)
        self.tabs.addTab(self.progress_page, self.tr("Voortgang"))
        # The tabs by key, for show_tab (a signal opens the dossier on the tab it is about).
        self.tab_pages: dict[str, QWidget] = {
            key: self.tabs.widget(index) for index, key in enumerate((
                "gegevens", "status", "afspraken", "rekeningen", "boekingen", "logboek",
                "signalen", "voortgang"))}

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(summary)
        layout.addWidget(self.tabs, 1)

        for keys, slot in ((QKeySequence(Qt.Key.Key_Escape), self.closed.emit),
                           (QKeySequence.StandardKey.Save, self.save),
                           (QKeySequence.StandardKey.New, self.start_note)):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._update_actions()

    def show_tab(self, key: str) -> None:
        """Select the tab of ``key`` ("afspraken", "boekingen", …); an unknown key stays."""
        page = self.tab_pages.get(key)
        if page is not None:
            self.tabs.setCurrentWidget(page)

    # -- pages ------------------------------------------------------------------------------

    def _status_page(self) -> QWidget:
        page = QWidget()
        self.next_status = QComboBox()
        self.status_date = QLineEdit(short_date(date.today()))
        self.status_date.setMaximumWidth(130)
        self.status_reason = QLineEdit()
        self.status_reason.setPlaceholderText(self.tr("reden (verplicht bij opzeggen en "
                                                      "beëindigen)"))
        self.status_button = QPushButton(self.tr("Status wijzigen"))
        self.status_button.clicked.connect(self.change_status)
        self.status_error = error_label()
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Naar")))
        row.addWidget(self.next_status)
        row.addWidget(QLabel(self.tr("per")))
        row.addWidget(self.status_date)
        row.addWidget(self.status_reason, 1)
        row.addWidget(self.status_button)
        self.status_history = _table([self.tr("Datum"), self.tr("Status"), self.tr("Door"),
                                      self.tr("Reden")])
        self.repayments = RepaymentsBox(self.db)  # plans and the final settlement
        self.repayments.changed.connect(self._done)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.status_error)
        layout.addWidget(self.status_history, 1)
        layout.addWidget(self.repayments, 1)
        return page

    def _agreements_page(self) -> QWidget:
        page = QWidget()
        self.agreements_table = _table([
            self.tr("Organisatie"), self.tr("Rubriek"), self.tr("Bedrag"), self.tr("Frequentie"),
            self.tr("Dag"), self.tr("Geldig vanaf"), self.tr("Tot en met"),
            self.tr("Tegenrekening"), self.tr("Zoektermen"),
        ])
        self.agreements_table.setItemDelegateForColumn(2, MoneyDelegate(self.agreements_table))
        self.agreements_table.setWordWrap(False)
        for column, width in enumerate((190, 120, 100, 80, 40, 95, 95, 180)):
            self.agreements_table.setColumnWidth(column, width)
        self.agreements_table.doubleClicked.connect(lambda _i: self.edit_agreement())
        remember_columns(self.agreements_table.horizontalHeader(), "dossier_agreements")
        add = QPushButton(self.tr("Nieuwe afspraak"))
        add.clicked.connect(lambda: self.edit_agreement(new=True))
        self.edit_agreement_button = QPushButton(self.tr("Wijzigen"))
        self.edit_agreement_button.clicked.connect(lambda: self.edit_agreement())
        self.end_agreement_button = QPushButton(self.tr("Beëindigen"))
        self.end_agreement_button.clicked.connect(self.end_agreement)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(self.edit_agreement_button)
        row.addWidget(self.end_agreement_button)
        row.addStretch(1)
        row.addWidget(muted(self.tr("Zoektermen met * zijn geleerd uit de wachtrij"), wrap=False))
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.agreements_table, 1)
        return page

    def _accounts_page(self) -> QWidget:
        page = QWidget()
        self.accounts_table = _table([self.tr("IBAN"), self.tr("Ten name van")])
        self.new_iban = QLineEdit()
        self.new_iban.setPlaceholderText(self.tr("IBAN van de deelnemer, bijv. NL91 ABNA 0417 "
                                                 "1643 00"))
        add = QPushButton(self.tr("Rekening toevoegen"))
        add.clicked.connect(self.add_account)
        self.new_iban.returnPressed.connect(self.add_account)
        self.account_error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.new_iban, 1)
        row.addWidget(add)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.account_error)
        layout.addWidget(self.accounts_table, 1)
        return page

    def _notes_page(self) -> QWidget:
        page = QWidget()
        self.note_kind = QComboBox()
        for kind in ContactKind:
            self.note_kind.addItem(kind.value, kind.value)
        self.note_text = QPlainTextEdit()
        self.note_text.setPlaceholderText(self.tr("Nieuwe notitie: Ctrl+N om te beginnen, "
                                                  "Ctrl+Enter om op te slaan"))
        self.note_text.setMaximumHeight(80)
        save = QPushButton(self.tr("Notitie opslaan (Ctrl+Enter)"))
        save.clicked.connect(self.save_note)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.note_text)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.save_note)
        self.note_error = error_label()
        self.notes_table = _table([self.tr("Moment"), self.tr("Soort"), self.tr("Door"),
                                   self.tr("Notitie")])
        self.notes_table.setWordWrap(True)
        for column, width in enumerate((130, 80, 90)):
            self.notes_table.setColumnWidth(column, width)
        row = QHBoxLayout()
        row.addWidget(self.note_kind)
        row.addWidget(self.note_text, 1)
        row.addWidget(save)
        layout = QVBoxLayout(page)
        layout.addLayout(row)
        layout.addWidget(self.note_error)
        layout.addWidget(self.notes_table, 1)
        return page

    # -- loading ----------------------------------------------------------------------------

    def load(self, participant_id: int) -> None:
        """Open a dossier: logged (it holds a BSN), then read."""
        self.participant_id = participant_id
        self.view = None
        self.title.setText(self.tr("Dossier laden…"))
        self.tabs.setCurrentIndex(0)

        def work(_progress):
            participant_services.open_dossier(self.db.unit_of_work(), participant_id)
            with self.db.read() as session:
                return dossier_view(session, participant_id)

        run_operation(self, work, on_done=self._loaded)

    def reload(self) -> None:
        """Read the dossier again (after a change); not logged again."""
        if self.participant_id is None:
            return
        participant_id = self.participant_id

        def work(_progress):
            with self.db.read() as session:
                return dossier_view(session, participant_id)

        run_operation(self, work, on_done=self._loaded)

    def _loaded(self, view: DossierView) -> None:
        if view.id != self.participant_id:
            return
        self.view = view
        self._show_view()
        self.progress_page.load(view.id)
        self.repayments.load(view.id, view.status)
        self.loaded.emit()

    def _show_view(self) -> None:
        view = self.view
        if view is None:
            return
        self.title.setText(f"{view.number}  {view.name}")
        self.status_badge.setText(view.status)
        self.status_badge.setStyleSheet(
            "padding: 2px 8px; border-radius: 8px; font-weight: 600; "
            + ("background: #e6f4ea; color: #1b5e20;" if view.status == "actief" else
               "background: #eceff1; color: #37474f;"))
        buffer = view.values.get("buffer_limit_cents") or 0
        self.saldo.setText(self.tr("Saldo op {day}: {amount}").format(
            day=short_date(view.saldo_on), amount=euro(view.saldo_cents)))
        self.saldo.setStyleSheet("font-size: 20pt; font-weight: 700; color: %s;" % (
            DEBIT_COLOR.name() if view.saldo_cents < 0 else "#202124"))
        if view.saldo_cents < -buffer:
            note = self.tr("Buffer van {buffer} overschreden").format(buffer=euro(buffer))
        elif view.saldo_cents < 0:
            note = self.tr("Onder nul; buffer {buffer}, nog {left} ruimte").format(
                buffer=euro(buffer), left=euro(buffer + view.saldo_cents))
        else:
            note = self.tr("Buffer {buffer}").format(buffer=euro(buffer))
        self.saldo_note.setText(note)
        values = view.values
        allowance = values.get("allowance_cents")
        frequency = values.get("allowance_frequency")
        via_agreement = None
        if allowance is not None:
            leefgeld = f"{euro(allowance)} per {frequency.value}" if frequency else euro(allowance)
        else:  # paid out through a leefgeld agreement
            paid = [a for a in view.agreements
                    if a.category == "leefgeld" and a.is_valid_on(view.saldo_on)]
            via_agreement = "; ".join(f"{euro(a.amount_cents)} per {a.frequency}" for a in paid)
            leefgeld = via_agreement or "—"
        # An empty Leefgeld field while the header names an amount would puzzle a clerk.
        allowance_field = self.form.inputs["allowance_cents"]
        allowance_field.setPlaceholderText(
            self.tr("via afspraak") if via_agreement else self.tr("bijv. 1.500,00"))
        allowance_field.setToolTip(
            self.tr("Leefgeld loopt via de afspraak 'leefgeld': {amount}").format(
                amount=via_agreement) if via_agreement else "")
        facts = [
            (self.tr("Variant"), values["variant"].value),
            (self.tr("Leefgeld"), leefgeld),
            (self.tr("Contactpersoon"), view.contact_person or "—"),
            (self.tr("Papieren overzicht"), self.tr("ja") if values["paper_overview"]
             else self.tr("nee")),
            (self.tr("Voortgangsgesprek"), date_text(values.get("next_progress_talk")) or "—"),
        ]
        self.facts.setText("<table cellspacing='0' cellpadding='1'>" + "".join(
            f"<tr><td style='color:#5f6368;padding-right:10px'>{label}</td><td>{_html(text)}"
            "</td></tr>" for label, text in facts) + "</table>")
        self.chart.set_months(view.months, buffer)
        self.form.set_employees(view.employees)
        self.form.show_values(view.values, view.bsn_masked)
        self.form_message.hide()
        self._show_status(view)
        self._show_agreements(view)
        self._show_accounts(view)
        self._show_bookings(view)
        self._show_notes(view)
        self._show_signals(view)
        self._update_actions()

    def _show_status(self, view: DossierView) -> None:
        self.next_status.clear()
        for status in view.next_statuses:
            self.next_status.addItem(status, status)
        self.status_button.setEnabled(bool(view.next_statuses))
        self.status_error.hide()
        table = self.status_history
        table.setRowCount(0)
        for step in reversed(view.status_history):
            row = table.rowCount()
            table.insertRow(row)
            for column, value in enumerate((step.date, step.status, step.changed_by,
                                            step.reason or "")):
                table.setItem(row, column, text_item(value))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)

    def _show_agreements(self, view: DossierView) -> None:
        table = self.agreements_table
        table.setRowCount(0)
        today = view.saldo_on
        for agreement in view.agreements:
            row = table.rowCount()
            table.insertRow(row)
            terms = "; ".join(t.term + ("*" if t.learned else "") for t in agreement.terms)
            who = agreement.organisation or self.tr("(eigen rekening)")
            cells = [
                text_item(who, tooltip=agreement.description),
                text_item(agreement.category),
                money_item(agreement.signed_cents),
                text_item(agreement.frequency),
                text_item(agreement.day if agreement.day is not None else ""),
                text_item(agreement.valid_from),
                text_item(agreement.valid_through or ""),
                text_item(agreement.counter_iban),
                text_item(terms, tooltip=terms),
            ]
            ended = not agreement.is_valid_on(today) and agreement.valid_from <= today
            for column, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, agreement.id)
                if ended:
                    item.setForeground(MUTED_COLOR)
                    item.setToolTip(self.tr("Beëindigd"))
                table.setItem(row, column, item)
        if table.rowCount():
            table.selectRow(0)
        self.tabs.setTabText(self.tabs.indexOf(self.tab_pages["afspraken"]),
                             self.tr("Afspraken ({n})").format(n=len(view.agreements)))

    def _show_accounts(self, view: DossierView) -> None:
        table = self.accounts_table
        table.setRowCount(0)
        for account in view.accounts:
            row = table.rowCount()
            table.insertRow(row)
            table.setItem(row, 0, text_item(account.iban))
            table.setItem(row, 1, text_item(account.holder_name))
        table.resizeColumnToContents(0)
        self.account_error.hide()

    def _show_bookings(self, view: DossierView) -> None:
        tree = self.bookings
        tree.clear()
        months: dict[date, list] = {}
        for line in view.bookings:
            months.setdefault(line.date.replace(day=1), []).append(line)
        for number, (month, lines) in enumerate(months.items()):
            total = sum(line.amount_cents for line in lines)
            parent = QTreeWidgetItem([f"{MONTHS[month.month - 1]} {month.year}",
                                      self.tr("{n} boekingen").format(n=len(lines)), "", "", ""])
            parent.setData(4, CENTS_ROLE, total)
            font = parent.font(0)
            font.setBold(True)
            for column in range(5):
                parent.setFont(column, font)
            for line in lines:
                text = " — ".join(part for part in (line.counterparty, line.description) if part)
                child = QTreeWidgetItem([short_date(line.date), text, line.category, line.method,
                                         ""])
                child.setData(4, CENTS_ROLE, line.amount_cents)
                child.setToolTip(1, text)
                parent.addChild(child)
            tree.addTopLevelItem(parent)
            parent.setExpanded(number < 2)
        tree.resizeColumnToContents(0)
        tree.setColumnWidth(0, max(tree.columnWidth(0), 150))
        tree.setColumnWidth(4, 110)

    def _show_notes(self, view: DossierView) -> None:
        table = self.notes_table
        table.setRowCount(0)
        for note in view.notes:
            row = table.rowCount()
            table.insertRow(row)
            for column, value in enumerate((note.created_at, note.kind, note.author, note.text)):
                table.setItem(row, column, text_item(value))
        if view.notes:
            for column in range(3):
                table.resizeColumnToContents(column)
        table.resizeRowsToContents()
        self.tabs.setTabText(self.tabs.indexOf(self.tab_pages["logboek"]),
                             self.tr("Logboek ({n})").format(n=len(view.notes)))

    def _show_signals(self, view: DossierView) -> None:
        table = self.signals_table
        table.setRowCount(0)
        open_count = 0
        for signal in view.signals:
            row = table.rowCount()
            table.insertRow(row)
            open_count += signal.status != "afgehandeld"
            for column, value in enumerate((signal.kind, signal.status, signal.created_at,
                                            signal.message)):
                table.setItem(row, column, text_item(value))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.tabs.setTabText(self.tabs.indexOf(self.signals_table),
                             self.tr("Signalen ({n})").format(n=open_count))

    def _update_actions(self) -> None:
        for button, handler in ((self.print_button, self.print_handler),
                                (self.export_button, self.export_handler)):
            button.setEnabled(handler is not None and self.view is not None)
            if handler is None:
                button.setToolTip(self.tr("Beschikbaar zodra de maandoverzichten er zijn"))

    def _action(self, handler: Callable[[int], None] | None) -> None:
        if handler is not None and self.participant_id is not None:
            handler(self.participant_id)

    # -- actions ----------------------------------------------------------------------------

    def _done(self, _result=None) -> None:
        if self.participant_id is not None:
            self.changed.emit(self.participant_id)
        self.reload()

    def save(self) -> None:
        if self.view is None:
            return
        changes, problems = self.form.changes()
        self.form.clear_errors()
        for key, message in problems.items():
            self.form.set_error(key, message)
        if problems:
            self._form_message(self.tr("Niet opgeslagen: controleer de rood gemarkeerde velden."))
            return
        if not changes:
            self._form_message(self.tr("Er is niets gewijzigd."), error=False)
            return
        participant_id, version = self.view.id, self.view.version

        def work(_progress):
            participant_services.update_participant(
                self.db.unit_of_work(), participant_id, expected_version=version, **changes)

        def saved(_result) -> None:
            self._done()
            self._form_message(self.tr("Opgeslagen."), error=False)

        run_operation(self, work, on_done=saved, on_error=self._save_failed)

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            key = LABEL_TO_KEY.get(exc.field or "")
            if key is not None:
                self.form.set_error(key, str(exc))
            self._form_message(self.tr("Niet opgeslagen: {reason}").format(reason=str(exc)))
        else:
            show_error(self, exc)

    def _form_message(self, text: str, *, error: bool = True) -> None:
        self.form_message.setText(text)
        self.form_message.setStyleSheet(ERROR_STYLE if error else
                                        f"color: {CREDIT_COLOR.name()};")
        self.form_message.show()

    def reveal_bsn(self) -> None:
        if self.participant_id is None:
            return
        participant_id = self.participant_id
        run_operation(self, lambda _p: participant_services.reveal_bsn(
            self.db.unit_of_work(), participant_id), on_done=self.form.show_bsn)

    def change_status(self) -> None:
        if self.view is None or not self.next_status.count():
            return
        participant_id, status = self.view.id, self.next_status.currentData()
        reason = self.status_reason.text().strip() or None
        try:
            on = validation.day_of(self.status_date.text(), "datum")
        except ValidationError as exc:
            self._status_failed(exc)
            return

        def done(_result) -> None:
            self.status_reason.clear()
            self._done()

        run_operation(self, lambda _p: participant_services.change_status(
            self.db.unit_of_work(), participant_id, status, on, reason),
            on_done=done, on_error=self._status_failed)

    def _status_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.status_error.setText(str(exc))
            self.status_error.show()
        else:
            show_error(self, exc)

    def selected_agreement(self) -> AgreementLine | None:
        if self.view is None:
            return None
        item = self.agreements_table.item(self.agreements_table.currentRow(), 0)
        if item is None:
            return None
        agreement_id = item.data(Qt.ItemDataRole.UserRole)
        return next((a for a in self.view.agreements if a.id == agreement_id), None)

    def agreement_dialog(self, agreement: AgreementLine | None = None) -> AgreementDialog:
        assert self.view is not None
        own = [(a.id, a.iban) for a in self.view.accounts]
        dialog = AgreementDialog(self.db, self.view.id, own, agreement, self)
        dialog.accepted.connect(self._done)
        return dialog

    def edit_agreement(self, *, new: bool = False) -> None:
        if self.view is None:
            return
        agreement = None if new else self.selected_agreement()
        if not new and agreement is None:
            return
        self.agreement_dialog(agreement).open()

    def end_agreement(self, last_day: date | None = None) -> None:
        """End the selected agreement on ``last_day`` (asked when not given)."""
        agreement = self.selected_agreement()
        if agreement is None:
            return

        def end(day: date) -> None:
            run_operation(self, lambda _p: agreement_services.end_agreement(
                self.db.unit_of_work(), agreement.id, day), on_done=self._done)

        if last_day is not None:
            end(last_day)
            return
        dialog = DateDialog(self.tr("Afspraak beëindigen"), self.tr("Laatste dag"), self)
        dialog.accepted.connect(lambda: end(dialog.value))
        dialog.open()

    def add_account(self) -> None:
        if self.view is None or not self.new_iban.text().strip():
            return
        participant_id, iban = self.view.id, self.new_iban.text()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.account_error.setText(str(exc))
                self.account_error.show()
            else:
                show_error(self, exc)

        def done(_result) -> None:
            self.new_iban.clear()
            self._done()

        run_operation(self, lambda _p: participant_services.add_participant_account(
            self.db.unit_of_work(), participant_id, iban), on_done=done, on_error=failed)

    def start_note(self) -> None:
        """Ctrl+N: straight to a new note; Ctrl+Enter saves it."""
        self.tabs.setCurrentIndex(5)
        self.note_text.setFocus()

    def save_note(self) -> None:
        if self.view is None:
            return
        text, kind, participant_id = self.note_text.toPlainText(), self.note_kind.currentData(), \
            self.view.id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.note_error.setText(str(exc))
                self.note_error.show()
            else:
                show_error(self, exc)

        def done(_result) -> None:
            self.note_text.clear()
            self.note_error.hide()
            self._done()

        run_operation(self, lambda _p: participant_services.add_contact_note(
            self.db.unit_of_work(), participant_id, text, kind), on_done=done, on_error=failed)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

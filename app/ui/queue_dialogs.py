"""Dialogs of the queue screen: remember a search term (with its preview), forget learned
terms, and create the agreement a transaction needs. Database work runs off the GUI thread
through the screen's ``run`` (app.ui.operations.run_operation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.formatting import euro, short_date
from app.models import Direction, Frequency
from app.services import validation
from app.services.bookings import RememberOutcome, preview_remember, remember_term
from app.services.queue import (
    AgreementProposal,
    CategoryView,
    LearnedKind,
    LearnedTermRow,
    learned_terms,
    queue_rows,
)
from app.ui.queue_widgets import RED, plain_amount

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
Runner = Callable[..., None]


class RememberDialog(QDialog):
    """"Onthouden": add a reference of the booked transaction to the agreement's search terms.
    Shows first which open queue items that would link (a dry run of the matcher), then
    remembers and links them in one step."""

    remembered = Signal(object)  # RememberOutcome

    def __init__(self, parent: QWidget, db, run: Runner, *, agreement_id: int,
                 agreement_title: str, terms: list[str], today: date | None = None):
        super().__init__(parent)
        self.db, self.run, self.today = db, run, today
        self.agreement_id = agreement_id
        self.setWindowTitle(self.tr("Zoekterm onthouden"))
        self.resize(640, 420)
        self.preview = None
        self._sequence = 0
        intro = QLabel(self.tr("Zoekterm onthouden voor <b>{title}</b>. Een volgende betaling "
                               "met deze zoekterm wordt dan automatisch gekoppeld.").format(
                                   title=escape(agreement_title)))
        intro.setWordWrap(True)
        self.term = QComboBox()
        self.term.setEditable(True)
        self.term.addItems(terms)
        self.term.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.term.lineEdit().setPlaceholderText(
            self.tr("zoekterm, bijv. een klant- of contractnummer"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.links = QListWidget()
        self.links.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(self.tr("Onthouden en koppelen"),
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        self.ok.clicked.connect(self._remember)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Zoekterm"), self.term)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.links, 1)
        layout.addWidget(self.buttons)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self._preview)
        self.term.currentTextChanged.connect(self._term_changed)
        self._term_changed()

    def current_term(self) -> str:
        return " ".join(self.term.currentText().split())

    def _term_changed(self, *_args) -> None:
        self.preview = None
        self.ok.setEnabled(False)
        self.links.clear()
        self.status.setText(self.tr("Voorbeeld berekenen…") if self.current_term() else
                            self.tr("Typ of kies een zoekterm."))
        if self.current_term():
            self._timer.start()

    def _preview(self) -> None:
        self._sequence += 1
        sequence, term, agreement_id, today = (self._sequence, self.current_term(),
                                               self.agreement_id, self.today)

        def work(_progress):
            with self.db.read() as session:
                preview = preview_remember(session, agreement_id, term)
                rows = {r.id: r for r in queue_rows(
                    session, [link.transaction_id for link in preview.links], today=today)}
            return preview, rows

        def done(result) -> None:
            if sequence != self._sequence:
                return
            preview, rows = result
            self.preview = preview
            self.links.clear()
            ours = preview.via_term
            others = len(preview.links) - len(ours)
            text = (self.tr("Met deze zoekterm worden {n} andere transactie(s) uit de "
                            "wachtrij aan deze afspraak gekoppeld").format(n=len(ours)) if ours
                    else self.tr("Met deze zoekterm wordt nu geen andere transactie uit de "
                                 "wachtrij gekoppeld; volgende betalingen wel"))
            if others:
                text += self.tr(", en {n} aan andere afspraken (de wachtrij wordt opnieuw "
                                "bekeken)").format(n=others)
            self.status.setText(text + ".")
            for link in sorted(preview.links, key=lambda item: not item.via_term):
                row = rows.get(link.transaction_id)
                if row is None:
                    continue
                mark = "" if link.via_term else self.tr("[andere afspraak] ")
                self.links.addItem(
                    f"{mark}{short_date(row.booking_date)}  {euro(row.amount_cents)}  "
                    f"{row.counterparty_name or ''} — {' '.join((row.description or '').split())}"
                    f"\n    {link.reason}")
            self.ok.setEnabled(True)

        def failed(exc: BaseException) -> None:
            if sequence == self._sequence:
                self.status.setText(str(exc) if isinstance(exc, UserError) else
                                    self.tr("Het voorbeeld kon niet berekend worden."))

        self.run(work, done, on_error=failed)

    def _remember(self) -> None:
        if self.preview is None or self.preview.term != self.current_term():
            return
        preview = self.preview
        self.ok.setEnabled(False)
        self.status.setText(self.tr("Onthouden en koppelen…"))
        ids = [link.transaction_id for link in preview.links]

        def work(_progress) -> RememberOutcome:
            return remember_term(self.db.unit_of_work(), self.agreement_id, preview.term, ids)

        def done(outcome: RememberOutcome) -> None:
            self.remembered.emit(outcome)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.status.setText(str(exc) if isinstance(exc, UserError) else
                                self.tr("Onthouden is mislukt; er is niets opgeslagen."))
            self.ok.setEnabled(True)

        self.run(work, done, on_error=failed)


class LearnedTermsModel(QAbstractTableModel):
    COLUMNS = ("Dossier", "Deelnemer", "Afspraak", "Zoekterm of tekstpatroon", "Soort",
               "Van rekening", "Door", "Op")  # the term column stretches

    def __init__(self, rows: list[LearnedTermRow] | None = None):
        super().__init__()
        self._rows = list(rows or [])

    def set_rows(self, rows: list[LearnedTermRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> LearnedTermRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self._rows[index.row()]
        at = row.created_at
        values = (row.participant_number, row.participant_name, row.agreement, row.term,
                  str(row.kind),
                  validation.format_iban(row.payer_iban) if row.payer_iban else "",
                  row.created_by or "", short_date(at) if at is not None else "")
        return values[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.COLUMNS):
            return QCoreApplication.translate("LearnedTermsModel", self.COLUMNS[section])
        return None


class LearnedTermsDialog(QDialog):
    """"Geleerde zoektermen": every term added by "remember this" and every text pattern
    learned from a clerk's booking, per participant and agreement, to forget the wrong ones
    (Delete). Bookings they made stay; undo those in the queue screen."""

    changed = Signal()

    def __init__(self, parent: QWidget, db, run: Runner):
        super().__init__(parent)
        self.db, self.run = db, run
        self.setWindowTitle(self.tr("Geleerde zoektermen"))
        self.resize(820, 460)
        self.model = LearnedTermsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the term or pattern
        self.status = QLabel()
        self.forget_button = QPushButton(self.tr("Vergeten (Del)"))
        self.forget_button.clicked.connect(self.forget_selected)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.forget_selected)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Sluiten"))
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Zoektermen die met 'Onthouden' zijn geleerd, en tekstpatronen "
                               "die het programma leerde van wat u met de hand boekte (alleen "
                               "voor geld van die rekening, met de naam van de deelnemer). "
                               "Vergeet een verkeerde: daarna koppelt het programma er niets "
                               "meer mee."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.forget_button)
        layout.addWidget(close)
        self.load()

    def load(self, note: str = "") -> None:
        def work(_progress):
            with self.db.read() as session:
                return learned_terms(session)

        def done(rows) -> None:
            self.model.set_rows(rows)
            patterns = sum(row.kind == LearnedKind.PATTERN for row in rows)
            self.status.setText(note + self.tr("Geleerd: {n} zoekterm(en), {m} tekstpatroon/"
                                               "-patronen").format(n=len(rows) - patterns,
                                                                   m=patterns))
            if rows:
                self.table.selectRow(0)

        self.run(work, done)

    def forget_selected(self) -> None:
        from app.services.bookings import forget_pattern, forget_term

        row = self.model.row_at(self.table.currentIndex().row())
        if row is None:
            return
        pattern = row.kind == LearnedKind.PATTERN
        forget = forget_pattern if pattern else forget_term
        said = (self.tr("Tekstpatroon '{term}' van {who} vergeten. ") if pattern
                else self.tr("Zoekterm '{term}' van {who} vergeten. "))

        def done(_result) -> None:
            self.changed.emit()
            self.load(said.format(term=row.term, who=row.participant_number))

        self.run(lambda _p: forget(self.db.unit_of_work(), row.id), done)


class NewAgreementDialog(QDialog):
    """The offer to create the agreement when a transaction is booked to a participant with a
    category and no agreement fits yet: prefilled from the transaction, checked by the clerk."""

    def __init__(self, parent: QWidget, proposal: AgreementProposal, participant: str,
                 categories: list[CategoryView]):
        super().__init__(parent)
        self.proposal = proposal
        self.setWindowTitle(self.tr("Afspraak aanmaken en boeken"))
        self.category = QComboBox()
        for category in categories:
            if category.for_participants:
                self.category.addItem(category.name, category.id)
        self.category.setCurrentIndex(max(0, self.category.findData(proposal.category_id)))
        self.direction = QComboBox()
        for value in Direction:
            self.direction.addItem(value.value, value.value)
        self.direction.setCurrentIndex(self.direction.findData(proposal.direction))
        self.amount = QLineEdit(plain_amount(proposal.amount_cents))
        self.frequency = QComboBox()
        for value in Frequency:
            self.frequency.addItem(value.value, value.value)
        self.frequency.setCurrentIndex(self.frequency.findData(proposal.frequency))
        self.day = QSpinBox()
        self.day.setRange(1, 31)
        self.day.setValue(proposal.day)
        self.valid_from = QLineEdit(short_date(proposal.valid_from))
        self.description = QLineEdit(proposal.description or "")
        self.term = QLineEdit("; ".join(proposal.search_terms))
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {RED}")
        form = QFormLayout()
        form.addRow(self.tr("Deelnemer"), QLabel(participant))
        form.addRow(self.tr("Organisatie"), QLabel(proposal.organisation or
                                          self.tr("geen (eigen rekening of onbekende "
                                                  "tegenrekening)")))
        form.addRow(self.tr("Rubriek"), self.category)
        form.addRow(self.tr("Richting"), self.direction)
        form.addRow(self.tr("Bedrag (€)"), self.amount)
        form.addRow(self.tr("Frequentie"), self.frequency)
        form.addRow(self.tr("Dag"), self.day)
        form.addRow(self.tr("Ingangsdatum"), self.valid_from)
        form.addRow(self.tr("Omschrijving"), self.description)
        form.addRow(self.tr("Zoektermen (;)"), self.term)
        buttons = QDialogButtonBox()
        ok = buttons.addButton(self.tr("Aanmaken en boeken"),
                               QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.values: dict[str, Any] | None = None

    def _check(self) -> None:
        try:
            values = {
                "category": self.category.currentData(),
                "organisation_id": self.proposal.organisation_id,
                "counter_account_id": self.proposal.counter_account_id,
                "direction": self.direction.currentData(),
                "amount_cents": validation.cents(self.amount.text()),
                "frequency": self.frequency.currentData(),
                "day": self.day.value() if self.frequency.currentData() != "week"
                else min(self.day.value(), 7),
                "valid_from": validation.day_of(self.valid_from.text(), self.tr("ingangsdatum")),
                "description": self.description.text().strip() or None,
                "search_terms": [t.strip() for t in self.term.text().split(";") if t.strip()],
            }
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.values = values
        self.accept()


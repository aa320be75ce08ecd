"""Betaalopdrachten (backoffice): plan the payments of a period, review them with their
warnings (hold, release, approve, change, strike, a one-off), make the batch file for the bank,
and the history of batches (save the file again, cancel).

Every action is one call of app.services.payouts, run off the GUI thread; the screen then
reads the list again. Questions a person answers (a reason, a file name, an amount) go
through ``ask_text`` / ``ask_file`` / ``ask_payment``, which tests replace.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, ValidationError
from app.formatting import euro, short_date
from app.models import PayoutStatus
from app.schedule import add_months
from app.services import payouts, validation
from app.services.payouts import BatchRow, PayoutRow
from app.ui.operations import run_operation, show_error
from app.ui.widgets import (
    DEBIT_COLOR,
    NoteDialog,
    error_label,
    fit_columns_once,
    heading,
    money_item,
    muted,
    remember_columns,
    save_cancel_buttons,
    text_item,
)

COLUMNS = ("Uitvoerdatum", "Dossier", "Deelnemer", "Soort", "Rubriek", "Ontvanger", "Rekening",
           "Bedrag", "Status", "Waarschuwingen")
BATCH_COLUMNS = ("Gemaakt", "Door", "Bericht", "Periode", "Betalingen", "Totaal", "Status",
                 "Gezien")
NBSP = "\u00a0"  # an amount is never wrapped between "€" and its number
Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)
SHOW = (
    ("Te betalen", (PayoutStatus.PLANNED, PayoutStatus.HELD, PayoutStatus.RETURNED),
     "Gepland, aangehouden en teruggekomen: wat nog betaald moet worden"),
    ("Alle betalingen", None,
     "Ook wat in een betaalopdracht zit, is uitgevoerd of is geschrapt"),
)


def local_moment(moment: datetime) -> datetime:
    """A stored moment for display: SQLite gives back the UTC time without its zone, which
    would otherwise be shown as if it were local time (an hour or two early in the
    Netherlands)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe(row: PayoutRow) -> str:
    return f"{row.number} {row.participant}, {row.category} {euro(row.amount_cents)}"


class PayoutTableModel(QAbstractTableModel):
    """The review list: each row's texts made once per read, handed to the view by data().

    A QTableWidget cell per value cost several Qt calls per cell on every read (after every
    action). Each call of a Qt method that returns nothing also loses a reference to None
    under shiboken6 6.12 on CPython 3.11, and ~190 rows read 19 times ended the program
    ("deallocating None"); a model reset is a handful of calls, whatever the number of rows.
    """

    AMOUNT, STATUS, WARNINGS = 7, 8, 9

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[PayoutRow] = []
        self._texts: list[tuple[str, ...]] = []

    def set_rows(self, rows: list[PayoutRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._texts = [(
            short_date(row.execution_date), row.number, row.participant, row.kind,
            row.category, row.creditor_name, row.creditor_iban or "—", euro(row.amount_cents),
            row.status + (f": {row.hold_reason}" if row.hold_reason else ""),
            "; ".join(row.warnings)) for row in rows]
        self.endResetModel()

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._texts)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = _DISPLAY):
        r, column = index.row(), index.column()
        if role == _DISPLAY:
            return self._texts[r][column]
        if role == _FOREGROUND:
            attention = self.rows[r].status in ("aangehouden", "teruggekomen")
            return DEBIT_COLOR if attention and column >= self.STATUS else None
        if role == _ALIGN:
            return _RIGHT if column == self.AMOUNT else None
        if role == _TOOLTIP and column in (self.STATUS, self.WARNINGS):
            return self._texts[r][column] or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = _DISPLAY):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            return QCoreApplication.translate("PayoutTableModel", COLUMNS[section])
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS


class PayoutTable(QTableView):
    def rowCount(self) -> int:  # noqa: N802 - what fit_columns_once asks, as of a QTableWidget
        return self.model().rowCount()


def next_month(today: date) -> tuple[date, date]:
    first = add_months(today.replace(day=1), 1)
    return first, add_months(first, 1) - timedelta(days=1)


class PaymentDialog(QDialog):
    """A one-off payment, or a change of one: amount, account, name, text, date."""

    def __init__(self, title: str, row: PayoutRow | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.amount = QLineEdit(euro(row.amount_cents).replace("€", "").strip() if row else "")
        self.iban = QLineEdit(row.creditor_iban or "" if row else "")
        self.name = QLineEdit(row.creditor_name if row else "")
        self.remittance = QLineEdit(row.remittance or "" if row else "")
        self.day = QLineEdit(short_date(row.execution_date) if row else short_date(date.today()))
        form = QFormLayout()
        for label, widget in ((self.tr("Bedrag"), self.amount), (self.tr("Rekening"), self.iban),
                              (self.tr("Ten name van"), self.name),
                              (self.tr("Omschrijving"), self.remittance),
                              (self.tr("Uitvoerdatum"), self.day)):
            form.addRow(label, widget)
        self.name.setEnabled(row is None)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(save_cancel_buttons(self))
        self.values: dict | None = None

    def save(self) -> None:
        try:
            self.values = {
                "amount_cents": validation.cents(self.amount.text(), "bedrag"),
                "creditor_iban": self.iban.text().strip(),
                "creditor_name": self.name.text().strip(),
                "remittance": self.remittance.text().strip(),
                "execution_date": validation.day_of(self.day.text(), "uitvoerdatum"),
            }
        except ValidationError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class PayoutsScreen(QWidget):
    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.rows: list[PayoutRow] = []
        self.batches: list[BatchRow] = []
        self.ask_text = self._ask_text  # replaced in tests
        self.ask_file = self._ask_file
        self.ask_payment = self._ask_payment

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Betaalopdrachten")))
        layout.addWidget(muted(self.tr(
            "Plan het leefgeld en de vaste lasten die wij overmaken, controleer de lijst en maak "
            "één bestand voor de bank. Een betaling die het saldo voorbij de buffer brengt, "
            "wacht op goedkeuring. Incasso's betalen wij niet; die worden alleen verwacht.")))

        first, last = next_month(date.today())
        self.first, self.last = QLineEdit(short_date(first)), QLineEdit(short_date(last))
        for field in (self.first, self.last):
            # Room for a whole date: a narrow window squeezed them to "027".
            field.setMinimumWidth(field.fontMetrics().horizontalAdvance("00-00-00000") + 12)
            field.setMaximumWidth(110)
        self.show_filter = QComboBox()
        for label, statuses, tip in SHOW:
            self.show_filter.addItem(self.tr(label), statuses)
            self.show_filter.setItemData(self.show_filter.count() - 1, self.tr(tip),
                                         Qt.ItemDataRole.ToolTipRole)
        self.show_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.plan_button = QPushButton(self.tr("Plannen"))
        self.plan_button.clicked.connect(self.plan)
        self.batch_button = QPushButton(self.tr("Betaalopdracht maken…"))
        self.batch_button.clicked.connect(self.create_batch)
        # The period, planning and what to show on one line; making the batch file sits under
        # the list, beside what it will hold (on one line they set a window minimum wider
        # than a small screen).
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Periode")))
        bar.addWidget(self.first)
        bar.addWidget(QLabel(self.tr("t/m")))
        bar.addWidget(self.last)
        bar.addWidget(self.plan_button)
        bar.addWidget(self.show_filter)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.message = QLabel()
        self.message.setWordWrap(True)
        # A long file name in it must not widen the window: it wraps within the screen's width.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)

        self.model = PayoutTableModel(self)
        self.table = PayoutTable()
        self.table.setModel(self.model)
        self._configure(self.table, "payouts")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, label, slot in (
                ("hold", "Aanhouden…", self.hold), ("release", "Vrijgeven", self.release),
                ("approve", "Goedkeuren", self.approve), ("change", "Wijzigen…", self.change),
                ("strike", "Schrappen…", self.strike)):
            button = QPushButton(self.tr(label))
            button.clicked.connect(slot)
            self.buttons[key] = button
            actions.addWidget(button)
        actions.addStretch(1)
        self.one_off_button = QPushButton(self.tr("Eenmalige betaling…"))
        self.one_off_button.clicked.connect(self.add_one_off)
        self.summary = QLabel()  # under the buttons: beside them it widened the whole window
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        totals = QHBoxLayout()
        totals.addWidget(self.summary, 1)
        totals.addWidget(self.one_off_button)
        totals.addWidget(self.batch_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addLayout(actions)
        upper_layout.addLayout(totals)

        self.history = self._table(BATCH_COLUMNS, "payout_batches")
        self.history.itemSelectionChanged.connect(self._enable)
        self.save_button = QPushButton(self.tr("Bestand opnieuw opslaan…"))
        self.save_button.clicked.connect(self.save_file)
        self.cancel_button = QPushButton(self.tr("Annuleren…"))
        self.cancel_button.clicked.connect(self.cancel_batch)
        history_bar = QHBoxLayout()
        history_bar.addWidget(QLabel(self.tr("Gemaakte betaalopdrachten")))
        history_bar.addStretch(1)
        history_bar.addWidget(self.save_button)
        history_bar.addWidget(self.cancel_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(history_bar)
        lower_layout.addWidget(self.history, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self._enable()

    @classmethod
    def _table(cls, columns, key: str) -> QTableWidget:
        table = QTableWidget(0, len(columns))
        table.setHorizontalHeaderLabels(list(columns))
        cls._configure(table, key)
        return table

    @staticmethod
    def _configure(table: QTableView, key: str) -> None:
        table.setObjectName(key)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        table.horizontalHeader().setStretchLastSection(True)

    @staticmethod
    def _fit_columns(table: QTableView) -> None:
        """The clerk's own column widths, else widths that fit the contents — from the first
        time the table has rows. Remembering from the start stored the empty table's default
        widths (the last column stretches when the page is shown, and that is saved 0.4 s
        later); the next start restored those and never fitted the columns again."""
        if table.property("hhb_remembered") or not table.rowCount():
            return
        remember_columns(table.horizontalHeader(), table.objectName())
        table.setProperty("hhb_remembered", True)
        fit_columns_once(table)

    # -- reading ----------------------------------------------------------------------------

    def period(self) -> tuple[date, date]:
        return (validation.day_of(self.first.text(), "begindatum"),
                validation.day_of(self.last.text(), "einddatum"))

    def activate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        try:
            first, last = self.period()
        except ValidationError as exc:
            self.say(str(exc), error=True)
            return
        statuses = self.show_filter.currentData()

        def work(_progress):
            with self.db.read() as session:
                return (payouts.payout_rows(session, first, last, statuses=statuses),
                        payouts.batch_rows(session))

        run_operation(self, work, on_done=self._show)

    def _show(self, result) -> None:
        selected = self.selected()
        self.rows, self.batches = result
        self.model.set_rows(self.rows)
        self._fit_columns(self.table)
        if selected is not None:
            ids = [row.id for row in self.rows]
            if selected.id in ids:
                self.table.selectRow(ids.index(selected.id))
        due = [r for r in self.rows if r.status == "gepland"]
        self.summary.setText(self.tr("{n} te betalen: {total}; {held} aangehouden").format(
            n=len(due), total=euro(sum(r.amount_cents for r in due)).replace(" ", NBSP),
            held=sum(1 for r in self.rows if r.status == "aangehouden")))
        history = self.history
        history.setRowCount(len(self.batches))
        for r, batch in enumerate(self.batches):
            values = (local_moment(batch.created_at), batch.created_by, batch.message_id,
                      f"{short_date(batch.period_from)} – {short_date(batch.period_through)}",
                      batch.count)
            for column, value in enumerate(values):
                history.setItem(r, column, text_item(value))
            history.setItem(r, 5, money_item(batch.total_cents))
            history.setItem(r, 6, text_item(batch.status))
            history.setItem(r, 7, text_item(f"{batch.paid} van {batch.count}"))
        self._fit_columns(history)
        self._enable()

    def selected(self) -> PayoutRow | None:
        index = self.table.currentIndex().row()
        return self.rows[index] if 0 <= index < len(self.rows) and \
            self.table.selectionModel().hasSelection() else None

    def selected_batch(self) -> BatchRow | None:
        index = self.history.currentRow()
        return self.batches[index] if 0 <= index < len(self.batches) and \
            self.history.selectionModel().hasSelection() else None

    def _enable(self) -> None:
        row = self.selected()
        editable = row is not None and row.status in ("gepland", "aangehouden", "teruggekomen")
        self.buttons["hold"].setEnabled(editable and row.status != "aangehouden")
        self.buttons["release"].setEnabled(editable and row.status != "gepland")
        self.buttons["approve"].setEnabled(editable and row.needs_approval
                                           and row.approved_by is None)
        self.buttons["change"].setEnabled(editable)
        self.buttons["strike"].setEnabled(editable)
        batch = self.selected_batch()
        self.save_button.setEnabled(batch is not None)
        self.cancel_button.setEnabled(batch is not None and batch.status == "aangemaakt"
                                      and batch.paid == 0)

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {DEBIT_COLOR.name()};" if error else "")

    # -- actions ----------------------------------------------------------------------------

    def _run(self, work, done_text=None) -> None:
        def done(result) -> None:
            if done_text is not None:
                self.say(done_text(result) if callable(done_text) else done_text)
            self.refresh()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UserError):
                self.say(str(exc), error=True)
            else:
                show_error(self, exc)

        run_operation(self, work, on_done=done, on_error=failed)

    def plan(self) -> None:
        try:
            first, last = self.period()
        except ValidationError as exc:
            self.say(str(exc), error=True)
            return

        def text(outcome: payouts.PlanOutcome) -> str:
            lines = [outcome.summary() + "."]
            lines += [self.tr("Niet gepland: {note}").format(note=n) for n in outcome.notes[:8]]
            if len(outcome.notes) > 8:
                lines.append(self.tr("… en nog {n}").format(n=len(outcome.notes) - 8))
            return "\n".join(lines)

        self._run(lambda _p: payouts.plan(self.db.unit_of_work(), first, last), text)

    def create_batch(self) -> None:
        try:
            first, last = self.period()
        except ValidationError as exc:
            self.say(str(exc), error=True)
            return
        path = self.ask_file(f"betaalopdracht-{first:%Y-%m-%d}-{last:%Y-%m-%d}.xml")
        if path is None:
            return

        def work(_progress):
            batch = payouts.create_batch(self.db.unit_of_work(), first, last,
                                         file_name=path.name)
            try:
                path.write_bytes(batch.xml)
            except OSError as exc:
                payouts.cancel_batch(self.db.unit_of_work(), batch.batch_id,
                                     f"bestand {path} kon niet worden geschreven")
                raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}; de "
                                "betaalopdracht is weer geannuleerd") from None
            return batch

        self._run(work, lambda batch: self.tr(
            "Betaalopdracht {id}: {n} betalingen, {total}, opgeslagen als {path}. Lever het "
            "bestand aan bij de bank.").format(id=batch.message_id, n=batch.count,
                                               total=euro(batch.total_cents), path=path))

    def _payout_action(self, action, done: str, *, reason: str | None = None,
                       **kwargs) -> None:
        row = self.selected()
        if row is None:
            return
        if reason is not None:
            text = self.ask_text(reason, row)
            if text is None:
                return
            kwargs["reason"] = text
        # Every outcome says what happened: a red line of an earlier refusal must not stay.
        self._run(lambda _p: action(self.db.unit_of_work(), row.id,
                                    expected_version=row.version, **kwargs),
                  done.format(payment=describe(row)))

    def hold(self) -> None:
        self._payout_action(payouts.hold, self.tr("Aangehouden: {payment}."),
                            reason=self.tr("Waarom aanhouden?"))

    def release(self) -> None:
        self._payout_action(payouts.release, self.tr(
            "Vrijgegeven: {payment}; gaat mee in de volgende betaalopdracht."))

    def approve(self) -> None:
        self._payout_action(payouts.approve, self.tr("Goedgekeurd: {payment}."))

    def strike(self) -> None:
        self._payout_action(payouts.strike, self.tr(
            "Geschrapt: {payment}. Kies 'Alle betalingen' om haar terug te zien."),
            reason=self.tr(
                "Waarom wordt deze periode niet betaald? (plannen brengt haar niet terug)"))

    def change(self) -> None:
        row = self.selected()
        if row is None:
            return
        values = self.ask_payment(self.tr("Betaling wijzigen"), row)
        if values is None:
            return
        # Only what the clerk changed: the date shown may be in the past by now (a payment
        # planned earlier), which the service rightly refuses as a new date.
        day = values["execution_date"]
        self._run(lambda _p: payouts.change(
            self.db.unit_of_work(), row.id, amount_cents=values["amount_cents"],
            creditor_iban=values["creditor_iban"] or None, remittance=values["remittance"],
            execution_date=day if day != row.execution_date else None,
            expected_version=row.version),
            self.tr("Gewijzigd: {number} {name}, {category}: nu {amount}.").format(
                number=row.number, name=row.participant, category=row.category,
                amount=euro(values["amount_cents"])))

    def add_one_off(self) -> None:
        row = self.selected()
        if row is None:
            self.say(self.tr("Kies eerst een betaling van de deelnemer voor wie de eenmalige "
                             "betaling is."), error=True)
            return
        values = self.ask_payment(self.tr("Eenmalige betaling voor {name}").format(
            name=row.participant), None)
        if values is None:
            return
        day = values["execution_date"]
        done = self.tr("Eenmalige betaling van {amount} aan {name} toegevoegd ({day}).").format(
            amount=euro(values["amount_cents"]), name=values["creditor_name"],
            day=short_date(day))
        try:
            first, last = self.period()
        except ValidationError:
            first = last = None
        if first is not None and not first <= day <= last:
            # Otherwise it seems lost: the list and the batch take the shown period only.
            done += " " + self.tr("Die datum valt buiten de getoonde periode: kies een periode "
                                  "met {day} om haar te zien en mee te betalen.").format(
                                      day=short_date(day))
        self._run(lambda _p: payouts.add_one_off(
            self.db.unit_of_work(), row.participant_id, values["amount_cents"],
            values["creditor_iban"], values["creditor_name"], values["remittance"], day), done)

    def save_file(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        path = self.ask_file(batch.file_name or f"{batch.message_id}.xml")
        if path is None:
            return

        def work(_progress):
            with self.db.read() as session:
                data = payouts.batch_file(session, batch.id)
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None

        self._run(work, self.tr("Opgeslagen als {path}").format(path=path))

    def cancel_batch(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        reason = self.ask_text(self.tr("Waarom annuleren? Lever het bestand dan niet (meer) aan "
                                       "bij de bank."), None)
        if reason is None:
            return
        self._run(lambda _p: payouts.cancel_batch(self.db.unit_of_work(), batch.id, reason),
                  lambda n: self.tr("Betaalopdracht {id} geannuleerd: {n} betalingen weer "
                                    "gepland.").format(id=batch.message_id, n=n))

    # -- questions (replaced in tests) -------------------------------------------------------

    def _ask_text(self, prompt: str, row: PayoutRow | None) -> str | None:
        about = f"{row.number} {row.participant} — {row.category} {euro(row.amount_cents)}\n" \
            if row else ""
        dialog = NoteDialog(self.tr("Betaalopdrachten"), about + prompt, True, self,
                            missing=self.tr("Een reden is verplicht."))
        return dialog.text() if dialog.exec() else None

    def _ask_file(self, suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Betaalbestand opslaan"), str(Path.home() / suggested),
            self.tr("pain.001-bestand (*.xml)"))
        return Path(name) if name else None

    def _ask_payment(self, title: str, row: PayoutRow | None) -> dict | None:
        dialog = PaymentDialog(title, row, self)
        return dialog.values if dialog.exec() else None

"""Importeren: bank statement files dropped anywhere on the window (or chosen), imported one by
one off the GUI thread with a progress dialog that can be cancelled, then one result card per
file, and the history of earlier imports.

Each file is one service call (``statement_import.import_statement_file``) = one database
transaction: a file that is cancelled, refused or unreadable leaves nothing behind, and the
files before it stay imported.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError, first_line
from app.formatting import short_date
from app.services.queries import import_history, open_queue_count
from app.services.statement_import import ImportOutcome, import_statement_file
from app.ui.operations import OperationCancelled, Progress, run_operation
from app.ui.widgets import DEBIT_COLOR, Card, heading, muted, remember_columns, text_item

BANKS = {  # BIC → the name a clerk knows
    "INGBNL2A": "ING", "ABNANL2A": "ABN AMRO", "RABONL2U": "Rabobank", "BNGHNL2G": "BNG Bank",
    "SNSBNL2A": "SNS", "ASNBNL21": "ASN Bank", "RBRBNL21": "RegioBank", "TRIONL2U": "Triodos",
    "KNABNL2H": "Knab", "BUNQNL2A": "bunq",
}
STEPS = {"lezen": 0, "controleren en opslaan": 1, "vastleggen": 3}


def bank_name(bank: str | None) -> str:
    if not bank:
        return "onbekend"
    name = BANKS.get(bank.strip().upper()[:8])
    return f"{name} ({bank})" if name else bank


def local_files(mime: QMimeData) -> list[Path]:
    """The local files (and files in dropped folders) of a drag, in a stable order."""
    paths = []
    for url in mime.urls() if mime.hasUrls() else []:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            paths.append(path)
    return paths


@dataclass
class FileResult:
    path: Path
    outcome: ImportOutcome | None = None
    error: str | None = None  # one Dutch line: refused, unreadable, not a statement
    detail: str | None = None  # an unexpected error's technical detail
    cancelled: bool = False  # the clerk cancelled during this file: nothing of it stored
    skipped: bool = False  # not started because the clerk cancelled earlier

    @property
    def stored(self) -> bool:
        return self.outcome is not None


@dataclass
class ImportRun:
    results: list[FileResult]
    open_in_queue: int


def import_files_work(db, paths: list[Path], progress: Progress) -> ImportRun:
    """The background work: each file in its own transaction; a cancel stops at the current
    file (nothing of it stored) and leaves the rest untouched."""
    results: list[FileResult] = []
    total = len(paths) * 4
    for number, path in enumerate(paths):
        if progress.cancelled:
            results.append(FileResult(path, skipped=True))
            continue

        def report(message: str, number=number, path=path) -> None:
            step = next((s for key, s in STEPS.items() if message.endswith(key)), 2)
            progress(number * 4 + step, total)

        try:
            outcome = import_statement_file(db.unit_of_work(), path, progress=report)
        except OperationCancelled:
            results.append(FileResult(path, cancelled=True))
        except UserError as exc:
            results.append(FileResult(path, error=str(exc).splitlines()[0]))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the others
            results.append(FileResult(path, error=first_line(exc),
                                      detail=traceback.format_exc()))
        else:
            results.append(FileResult(path, outcome=outcome))
    with db.read() as session:
        queue = open_queue_count(session)
    return ImportRun(results, queue)


class ResultCard(Card):
    """What happened to one file, in the words of the clerk."""

    def __init__(self, result: FileResult, open_in_queue: int, on_queue, parent=None):
        super().__init__("", parent)
        name = result.path.name
        outcome = result.outcome
        self.result = result
        if result.skipped:
            self.set_title(self.tr("{name}: niet ingelezen").format(name=name))
            self.set_tone("warning")
            self._line(self.tr("Het inlezen is geannuleerd voordat dit bestand aan de beurt was."))
            return
        if result.cancelled:
            self.set_title(self.tr("{name}: geannuleerd").format(name=name))
            self.set_tone("warning")
            self._line(self.tr("U heeft het inlezen geannuleerd: er is niets van dit bestand "
                               "opgeslagen."))
            return
        if outcome is None:
            self.set_title(self.tr("{name}: niet ingelezen").format(name=name))
            self.set_tone("bad")
            self._line(result.error or "")
            if "niets" not in (result.error or ""):
                self._line(self.tr("Er is niets van dit bestand opgeslagen."))
            if result.detail:
                self.setToolTip(result.detail)
            return
        warnings = list(outcome.warnings) + [w for s in outcome.statements for w in s.warnings]
        unchecked = any("niet gecontroleerd" in s.balance or s.balance.startswith("opgeslagen")
                        for s in outcome.statements)
        already = bool(outcome.statements) and all(s.already_imported for s in outcome.statements)
        self.set_tone("normal" if already else "warning" if warnings or unchecked else "good")
        title = self.tr("{name}: al eerder ingelezen, niets nieuws") if already else \
            self.tr("{name}: ingelezen")
        self.set_title(title.format(name=name))
        self._line(self.tr("Bank: {bank} · formaat {format}").format(
            bank=bank_name(outcome.bank), format=outcome.file_format))
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        headers = (self.tr("Rekening"), self.tr("Periode"), self.tr("Nieuw"),
                   self.tr("Al bekend (overgeslagen)"), self.tr("Saldocontrole"),
                   self.tr("Automatisch gekoppeld"), self.tr("Naar de wachtrij"))
        for column, text in enumerate(headers):
            label = QLabel(text)
            label.setStyleSheet("color: #5f6368; border: none;")
            grid.addWidget(label, 0, column)
        for row, statement in enumerate(outcome.statements, start=1):
            values = (statement.account, _period(statement.period_from, statement.period_through),
                      str(statement.new_entries), str(statement.duplicates), statement.balance,
                      str(statement.linked), str(statement.queued))
            for column, text in enumerate(values):
                label = QLabel(text)
                label.setObjectName(("account", "period", "new", "duplicates", "balance",
                                     "linked", "queued")[column])
                label.setStyleSheet("border: none;" + (" font-weight: 600;" if column in (2, 5, 6)
                                                       else ""))
                label.setWordWrap(column == 4)
                grid.addWidget(label, row, column)
        if not outcome.statements:
            self._line(self.tr("Het bestand bevat geen afschriften."))
        self.body.addLayout(grid)
        for warning in warnings:
            self._line("⚠ " + warning, color="#8a5300")
        queued = sum(s.queued for s in outcome.statements)
        if open_in_queue:
            button = QPushButton(self.tr("Naar de wachtrij ({n} open)").format(n=open_in_queue))
            button.setObjectName("to_queue")
            button.clicked.connect(on_queue)
            row = QHBoxLayout()
            row.addWidget(muted(self.tr("{n} nieuwe post(en) van dit bestand wachten op "
                                        "handmatig koppelen.").format(n=queued), wrap=False)
                          if queued else QLabel(""))
            row.addStretch(1)
            row.addWidget(button)
            self.body.addLayout(row)

    def _line(self, text: str, *, color: str | None = None) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet("border: none;" + (f" color: {color};" if color else ""))
        self.body.addWidget(label)
        return label

    def text(self) -> str:
        """Everything the card says, for tests and for copying."""
        return "\n".join(label.text() for label in self.findChildren(QLabel))


def _period(start: date | None, end: date | None) -> str:
    if start and end and start != end:
        return f"{short_date(start)} t/m {short_date(end)}"
    return short_date(start or end) if (start or end) else "—"


class ImportScreen(QWidget):
    queue_requested = Signal()
    imported = Signal(int)  # after a run that stored something: the open queue count
    finished = Signal()  # after every run (tests)

    def __init__(self, db, user=None, parent=None):
        super().__init__(parent)
        self.db = db
        self.user = user
        self.last_run: ImportRun | None = None
        self.running = False

        choose = QPushButton(self.tr("Bestanden kiezen… (Ctrl+O)"))
        choose.clicked.connect(self.choose_files)
        drop = QFrame()
        drop.setObjectName("dropzone")
        drop.setStyleSheet("QFrame#dropzone { border: 2px dashed #9aa0a6; border-radius: 6px;"
                           " background: #f8f9fa; }")
        drop_layout = QHBoxLayout(drop)
        hint = QLabel(self.tr("Sleep bankafschriften (camt.053, MT940 of een CSV-export van de "
                              "bank) ergens op dit venster, of"))
        hint.setStyleSheet("border: none; font-size: 11pt;")
        hint.setWordWrap(True)
        drop_layout.addWidget(hint, 1)
        drop_layout.addWidget(choose)

        self.cards = QVBoxLayout()
        self.cards.addStretch(1)
        cards_holder = QWidget()
        cards_holder.setLayout(self.cards)
        self.cards_area = QScrollArea()
        self.cards_area.setWidgetResizable(True)
        self.cards_area.setWidget(cards_holder)
        self.cards_area.setFrameShape(QFrame.Shape.NoFrame)
        self.empty = muted(self.tr("Nog niets ingelezen in deze sessie."))
        self.cards.insertWidget(0, self.empty)

        self.history = QTableWidget(0, 5)
        self.history.setHorizontalHeaderLabels([self.tr("Moment"), self.tr("Door"),
                                                self.tr("Bestand"), self.tr("Formaat"),
                                                self.tr("Resultaat")])
        self.history.verticalHeader().hide()
        self.history.setAlternatingRowColors(True)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.setWordWrap(False)
        for column, width in enumerate((130, 90, 330, 120)):
            self.history.setColumnWidth(column, width)
        remember_columns(self.history.horizontalHeader(), "import_history")

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(heading(self.tr("Eerder ingelezen"), 12))
        lower_layout.addWidget(self.history)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.cards_area)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 200])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Importeren")))
        layout.addWidget(drop)
        layout.addWidget(splitter, 1)
        self._history_loaded = False

    def activate(self) -> None:
        self.refresh_history()

    refresh = activate

    # -- importing --------------------------------------------------------------------------

    def choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, self.tr("Bankafschriften kiezen"), "",
            self.tr("Bankafschriften (*.xml *.053 *.940 *.sta *.swi *.txt *.csv *.tab);;"
                    "Alle bestanden (*)"))
        if names:
            self.import_files([Path(name) for name in names])

    def drop(self, mime: QMimeData) -> bool:
        """A drop anywhere on the window lands here; True when it held files."""
        paths = local_files(mime)
        if not paths:
            return False
        self.import_files(paths)
        return True

    def import_files(self, paths: list[Path]) -> None:
        if self.running:
            self._show_busy()
            return
        self.running = True
        db = self.db
        run_operation(self, lambda progress: import_files_work(db, paths, progress),
                      on_done=self._show_run, on_error=self._failed,
                      label=self.tr("Bankafschriften inlezen…"))

    def _show_busy(self) -> None:
        card = Card(self.tr("Er loopt al een import: wacht tot die klaar is."), tone="warning")
        self._add_cards([card])

    def _failed(self, exc: BaseException) -> None:
        from app.ui.operations import show_error

        self.running = False
        show_error(self, exc)
        self.finished.emit()

    def _show_run(self, run: ImportRun) -> None:
        self.running = False
        self.last_run = run
        cards = [ResultCard(result, run.open_in_queue, self.queue_requested.emit)
                 for result in run.results]
        self._add_cards(cards)
        if any(result.stored for result in run.results):
            self.imported.emit(run.open_in_queue)
        self.refresh_history()
        self.finished.emit()

    def _add_cards(self, cards: list[QWidget]) -> None:
        self.empty.hide()
        for position, card in enumerate(cards):
            self.cards.insertWidget(position, card)
        self.cards_area.verticalScrollBar().setValue(0)

    def result_cards(self) -> list[ResultCard]:
        found = [self.cards.itemAt(i).widget() for i in range(self.cards.count())]
        return [card for card in found if isinstance(card, ResultCard)]

    # -- history ----------------------------------------------------------------------------

    def refresh_history(self) -> None:
        def work(_progress):
            with self.db.read() as session:
                return import_history(session)

        run_operation(self, work, on_done=self._show_history)

    def _show_history(self, lines) -> None:
        table = self.history
        table.setRowCount(0)
        for line in lines:
            row = table.rowCount()
            table.insertRow(row)
            summary = (self.tr("Geweigerd: {reason}").format(reason=line.refused)
                       if line.refused else _history_summary(line.result))
            for column, value in enumerate((line.imported_at, line.imported_by, line.file_name,
                                            line.file_format, summary)):
                item = text_item(value, tooltip=summary if column == 4 else None)
                if line.refused:  # nothing of this file was stored
                    item.setForeground(DEBIT_COLOR)
                table.setItem(row, column, item)
        self._history_loaded = True


def _history_summary(result: str | None) -> str:
    if not result:
        return ""
    try:
        data = json.loads(result)
    except ValueError:
        return ""
    statements = data.get("statements", [])
    new = sum(s.get("new_entries", 0) for s in statements)
    known = sum(s.get("duplicates", 0) for s in statements)
    linked = sum(s.get("linked", 0) for s in statements)
    queued = sum(s.get("queued", 0) for s in statements)
    balances = "; ".join(dict.fromkeys(s.get("balance", "") for s in statements if
                                       s.get("balance")))
    return (f"{new} nieuw, {known} al bekend, {linked} automatisch gekoppeld, "
            f"{queued} naar de wachtrij" + (f" · {balances}" if balances else ""))

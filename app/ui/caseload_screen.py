"""Caseload: the teamleader's review of the team, per employee (app.services.caseload).

The table has one row per contact employee (and "zonder contactpersoon") and the team's
totals; a click on a number lists the participants behind it below, and Enter or a
double-click there opens the dossier (``participant_requested``). Three charts (QtCharts):
how the saldos are spread, the open signals per week over half a year, and the participants
per employee; and the Voortgang counts (nulmeting and now, referrals). "Naar Excel…" writes
the same review as a workbook, as ``huishoudboekje caseload`` does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QDateTime, QMargins, Qt, QTime, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.errors import first_line
from app.models import DebtSituation, SelfReliance
from app.services.caseload import MEASURES, Caseload, EmployeeLoad, caseload
from app.services.exports import export_caseload_file
from app.services.queries import participant_rows
from app.ui.operations import run_operation, show_error
from app.ui.widgets import error_label, heading, money_item, muted, text_item

COLUMNS = [("participants", "Deelnemers"), *MEASURES]
WARN = {"past_buffer", "signals_old", "queue_late", "talk_overdue"}  # red when not zero


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    return table


def _chart(title: str) -> tuple[QChart, QChartView]:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().hide()
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return chart, view


class CaseloadScreen(QWidget):
    participant_requested = Signal(int)
    loaded = Signal()

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.load: Caseload | None = None
        self.rows: list[EmployeeLoad] = []
        self.drill_ids: list[int] = []

        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Caseload")))
        layout.addWidget(muted(self.tr(
            "Per medewerker: waar het werk zit. Klik op een getal voor de deelnemers erachter; "
            "Enter opent het dossier.")))
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Stand op")))
        self.on_field = QDateEdit(QDate.currentDate())
        self.on_field.setCalendarPopup(True)
        self.on_field.setDisplayFormat("dd-MM-yyyy")
        self.on_field.dateChanged.connect(lambda _d: self.refresh())
        bar.addWidget(self.on_field)
        self.export_button = QPushButton(self.tr("Naar Excel…"))
        self.export_button.clicked.connect(self.choose_export)
        bar.addWidget(self.export_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.error = error_label()
        layout.addWidget(self.error)

        self.table = _table([self.tr("Medewerker"), *(self.tr(t) for _k, t in COLUMNS)])
        self.table.setObjectName("caseload")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.currentCellChanged.connect(lambda row, column, *_: self.drill(row, column))

        self.drill_label = QLabel(self.tr("Kies een getal in de tabel."))
        self.drill_table = _table([self.tr("Dossier"), self.tr("Naam"), self.tr("Status"),
                                   self.tr("Contactpersoon"), self.tr("Saldo"),
                                   self.tr("Open signalen")])
        self.drill_table.setObjectName("drill_down")
        self.drill_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.drill_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.drill_table.doubleClicked.connect(lambda _i: self.open_selected())
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.drill_table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.open_selected)

        self.saldo_chart, saldo_view = _chart(self.tr("Saldo van de deelnemers (€)"))
        self.signals_chart, signals_view = _chart(self.tr("Open signalen per week"))
        self.team_chart, team_view = _chart(self.tr("Deelnemers per medewerker"))
        charts = QHBoxLayout()
        for view in (saldo_view, signals_view, team_view):
            charts.addWidget(view, 1)
        self.chart_views = (saldo_view, signals_view, team_view)

        self.progress_table = _table([self.tr("Voortgang"), self.tr("Bij de intake"),
                                      self.tr("Nu")])
        self.progress_table.setObjectName("progress")
        self.referrals_label = QLabel()
        self.referrals_label.setWordWrap(True)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)
        top_layout.addLayout(charts)
        bottom = QWidget()
        bottom_layout = QHBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        drill = QVBoxLayout()
        drill.addWidget(self.drill_label)
        drill.addWidget(self.drill_table, 1)
        bottom_layout.addLayout(drill, 3)
        progress = QVBoxLayout()
        progress.addWidget(self.progress_table, 1)
        progress.addWidget(self.referrals_label)
        bottom_layout.addLayout(progress, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)

    # -- loading ------------------------------------------------------------------------------

    def on(self) -> date:
        return self.on_field.date().toPython()

    def activate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        on = self.on()

        def work(_progress) -> Caseload:
            with self.db.read() as session:
                return caseload(session, on)

        run_operation(self, work, on_done=self._show, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(first_line(exc))
        self.error.show()

    def _show(self, load: Caseload) -> None:
        self.error.hide()
        self.load = load
        self.rows = [*load.employees, load.total]
        table = self.table
        table.setRowCount(len(self.rows))
        bold = QFont(table.font())
        bold.setBold(True)
        for r, row in enumerate(self.rows):
            items = [text_item(row.name)]
            for key, _title in COLUMNS:
                number = len(row.participants) if key == "participants" else row.count(key)
                item = text_item(number)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if key in WARN and number:
                    item.setForeground(QColor("#c62828"))
                items.append(item)
            for c, item in enumerate(items):
                if row is load.total:
                    item.setFont(bold)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        table.setFixedHeight(table.horizontalHeader().height() + 2 * table.frameWidth() + sum(
            table.rowHeight(r) for r in range(table.rowCount())) + 2)
        self._show_charts(load)
        self._show_progress(load)
        self.loaded.emit()

    def _show_charts(self, load: Caseload) -> None:
        self._bars(self.saldo_chart, [label for label, _n in load.saldo_buckets],
                   [n for _label, n in load.saldo_buckets], "#5c6bc0")
        self._bars(self.team_chart, [row.name.split(" ")[0] for row in load.employees],
                   [len(row.participants) for row in load.employees], "#26a69a")
        chart = self.signals_chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        series = QLineSeries()
        for sunday, count in load.signals_per_week:
            series.append(QDateTime(QDate(sunday.year, sunday.month, sunday.day),
                                    QTime(12, 0)).toMSecsSinceEpoch(), count)
        chart.addSeries(series)
        x = QDateTimeAxis()
        x.setFormat("dd-MM")
        x.setTickCount(7)
        y = QValueAxis()
        y.setLabelFormat("%d")
        y.setRange(0, max([1, *(c for _s, c in load.signals_per_week)]) * 1.1)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    @staticmethod
    def _bars(chart: QChart, labels: list[str], values: list[int], color: str) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        bars = QBarSet("")
        bars.setColor(QColor(color))
        bars.append([float(v) for v in values])
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(labels)
        y = QValueAxis()
        y.setLabelFormat("%d")
        y.setRange(0, max([1, *values]) * 1.15)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)

    def _show_progress(self, load: Caseload) -> None:
        p = load.progress
        lines = [(self.tr("Zelfredzaamheid"), None, None)]
        lines += [(f"  {s.value}", p.self_reliance_intake[s.value], p.self_reliance_now[s.value])
                  for s in SelfReliance]
        lines += [(self.tr("Schulden"), None, None)]
        lines += [(f"  {d.value}", p.debt_intake[d.value], p.debt_now[d.value])
                  for d in DebtSituation]
        table = self.progress_table
        table.setRowCount(len(lines))
        for r, (label, intake, now) in enumerate(lines):
            for c, value in enumerate((label, intake, now)):
                table.setItem(r, c, text_item("" if value is None else value))
        table.resizeColumnsToContents()
        referrals = ", ".join(f"{kind} ({outcome}): {n}"
                              for (kind, outcome), n in sorted(p.referrals.items()))
        self.referrals_label.setText(self.tr(
            "Schulden nu lager dan bij de intake: {better}, hoger: {worse}. "
            "Doorverwezen: {referrals}").format(better=p.improved, worse=p.worse,
                                               referrals=referrals or self.tr("niemand")))

    # -- drill-down -------------------------------------------------------------------------

    def drill(self, row: int, column: int) -> None:
        if not 0 <= row < len(self.rows) or column < 1:
            return
        employee = self.rows[row]
        key, title = COLUMNS[column - 1]
        ids = employee.participants_behind(key)
        self.drill_label.setText(self.tr("{title} — {who}: {n} deelnemer(s)").format(
            title=self.tr(title), who=employee.name, n=len(ids)))
        on = self.on()

        def work(_progress):
            with self.db.read() as session:
                return participant_rows(session, ids, on)

        run_operation(self, work, on_done=self._show_drill, on_error=self._failed)

    def _show_drill(self, rows) -> None:
        self.drill_ids = [r.id for r in rows]
        table = self.drill_table
        table.setRowCount(len(rows))
        for r, p in enumerate(rows):
            for c, item in enumerate((text_item(p.number), text_item(p.name),
                                      text_item(p.status), text_item(p.contact_person or ""),
                                      money_item(p.saldo_cents), text_item(p.open_signals))):
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        if rows:
            table.selectRow(0)

    def open_selected(self) -> None:
        row = self.drill_table.currentRow()
        if 0 <= row < len(self.drill_ids):
            self.participant_requested.emit(self.drill_ids[row])

    # -- Excel --------------------------------------------------------------------------------

    def choose_export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Caseload opslaan"), f"caseload-{self.on().isoformat()}.xlsx",
            self.tr("Excel-werkmap (*.xlsx)"))
        if name:
            self.export(Path(name))

    def export(self, path: Path) -> None:
        on = self.on()

        def work(_progress) -> str:
            return export_caseload_file(self.db.unit_of_work(), on, path)

        run_operation(self, work, on_done=lambda line: self.drill_label.setText(line),
                      on_error=lambda exc: show_error(self, exc))

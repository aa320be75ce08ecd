"""The Logboek: the audit trail for the teamleader and the beheerder (app.services.audit_log).

A filter bar (medewerker, dossiernummer, actie, resultaat, van/tot), the table of audit rows
(newest first), a detail pane with the selected row's before and after side by side (per
field: veld, voor, na; changed fields marked) and "Exporteren naar Excel…". Refused rows
("geweigerd") are red on a pink background.

Like the other big lists the model holds only the ordered ids; rows are read a page of
``AuditTableModel.PAGE`` at a time when the view paints them. Every query runs off the GUI
thread through ``run_operation`` — the ids (with the first page), each further page, the
detail and the export; the newest request wins. The table shows at most ``SHOWN`` rows (the
newest): a million ids would cost a second and 40 MB for rows nobody scrolls to; the result
line says so, and the export takes every matching row.
"""

from __future__ import annotations

import traceback
from collections import OrderedDict
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import NotFoundError, UserError, first_line
from app.models.audit import AuditResult
from app.services import validation
from app.services.audit_log import (
    AuditDetail,
    AuditFilter,
    AuditLine,
    action_choices,
    audit_entry,
    audit_ids,
    audit_rows,
    employee_choices,
    export_audit,
)
from app.ui.dossier_screen import FIELDS as DOSSIER_FIELDS
from app.ui.operations import run_operation, show_error
from app.ui.queue_filters import DAY_SHAPE
from app.ui.queue_widgets import RED
from app.ui.widgets import DEBIT_COLOR, OrderedIds, error_label, heading, muted, remember_columns

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
ID_ROLE = Qt.ItemDataRole.UserRole + 1
SHOWN = 100_000  # rows in the table at most (the newest); the export takes them all
REFUSED_BACKGROUND = QColor("#fdecea")
CHANGED_BACKGROUND = QColor("#fff3c4")
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_BACKGROUND = Qt.ItemDataRole.BackgroundRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)


def time_text(line: AuditLine) -> str:
    """Local time as dd-mm-jjjj uu:mm:ss."""
    return line.local_at.strftime("%d-%m-%Y %H:%M:%S")


def thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


class AuditTableModel(OrderedIds, QAbstractTableModel):
    """Ordered ids in memory; a page of rows is read off the GUI thread when first painted
    (shown empty until it arrives, then ``dataChanged``)."""

    COLUMNS = ("Tijd", "Medewerker", "Databasegebruiker", "Rol", "Werkplek", "Actie", "Object",
               "Resultaat")
    TIME, EMPLOYEE, DB_USER, ROLE, HOST, ACTION, SUBJECT, RESULT = range(8)
    PAGE = 100
    CACHED_PAGES = 50
    page_failed = Signal(str)

    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self._ids: list[int] = []
        self._pages: OrderedDict[int, list[tuple[AuditLine, tuple[str, ...]]]] = OrderedDict()
        self._loading: set[int] = set()
        self._generation = 0  # a page read for an older list of ids is dropped
        self.page_fetches = 0  # for tests: pages read from the database
        self._bold = QFont()
        self._bold.setBold(True)

    # -- the ids ------------------------------------------------------------------------------

    def set_ids(self, ids: list[int], first_page: list[AuditLine] = ()) -> None:
        """A new filter: the one moment the model is reset. ``first_page``: the rows of the
        first page, read together with the ids (so the first paint needs no second trip)."""
        self.beginResetModel()
        self._generation += 1
        self._ids = list(ids)
        self._pages.clear()
        self._loading.clear()
        if first_page:
            self._store(0, first_page)
        self.endResetModel()




    def line(self, row: int) -> AuditLine | None:
        """The row's data when its page has arrived (else None, and the page is asked for)."""
        shown = self._shown(row)
        return shown[0] if shown else None

    def loading(self) -> bool:
        return bool(self._loading)

    # -- Qt's model API -----------------------------------------------------------------------

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY \
                and 0 <= section < len(self.COLUMNS):
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        # Called for every role of every painted cell: the texts are made once per row.
        if role not in (_DISPLAY, _FOREGROUND, _BACKGROUND, _FONT, _TOOLTIP, ID_ROLE):
            return None
        if role == ID_ROLE:
            return self.id_at(index.row())
        shown = self._shown(index.row())
        if shown is None:
            return None
        line, texts = shown
        column = index.column()
        if role == _DISPLAY:
            return texts[column]
        if role == _FOREGROUND:
            return DEBIT_COLOR if line.refused else None
        if role == _BACKGROUND:
            return REFUSED_BACKGROUND if line.refused else None
        if role == _FONT:
            return self._bold if line.refused and column == self.RESULT else None
        if column == self.EMPLOYEE:
            return self.tr("inlognaam {actor}").format(actor=line.actor)
        if column == self.SUBJECT:
            return f"{line.entity} {line.entity_id or ''}".strip()
        if column == self.RESULT and line.refused:
            return self.tr("Geweigerd: de actie is niet uitgevoerd")
        return texts[column] or None

    # -- pages --------------------------------------------------------------------------------

    def _shown(self, row: int) -> tuple[AuditLine, tuple[str, ...]] | None:
        if not 0 <= row < len(self._ids):
            return None
        number = row // self.PAGE
        page = self._pages.get(number)
        if page is None:
            self._request(number)
            return None
        offset = row - number * self.PAGE
        return page[offset] if offset < len(page) else None

    def _request(self, number: int) -> None:
        if number in self._loading:
            return
        self._loading.add(number)
        generation = self._generation
        wanted = self._ids[number * self.PAGE:(number + 1) * self.PAGE]

        def work(_progress) -> list[AuditLine]:
            with self.db.read() as session:
                return audit_rows(session, wanted)

        def done(lines: list[AuditLine]) -> None:
            if generation != self._generation:
                return  # a newer filter replaced the ids meanwhile
            self._loading.discard(number)
            self._store(number, lines)
            first = number * self.PAGE
            last = min(first + self.PAGE, len(self._ids)) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0),
                                      self.index(last, len(self.COLUMNS) - 1))

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._loading.discard(number)
                self.page_failed.emit(first_line(exc))

        run_operation(None, work, on_done=done, on_error=failed)

    def _store(self, number: int, lines: list[AuditLine]) -> None:
        found = {line.id: line for line in lines}
        wanted = self._ids[number * self.PAGE:(number + 1) * self.PAGE]
        page = []
        for audit_id in wanted:
            line = found.get(audit_id)
            if line is None:  # cannot happen (the trail is append-only); keep the place
                continue
            page.append((line, (time_text(line), line.employee, line.db_user or "",
                                line.role or "", line.host or "", line.action, line.subject,
                                line.result)))
        self.page_fetches += 1
        self._pages[number] = page
        while len(self._pages) > self.CACHED_PAGES:
            self._pages.popitem(last=False)


class AuditFilterBar(QWidget):
    """The Logboek's filters; ``edited`` on every change, ``finished`` on Enter in a field.
    Dates are typed as everywhere (dd-mm-jjjj, validated by ``validation.day_of``; a field
    that cannot be read is marked red, named in a message and left out, as in the queue)."""

    edited = Signal()
    finished = Signal()
    ALL_ACTIONS = "alle acties"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.employee = self._edit(self.tr("Medewerker"), self.tr(
            "Deel van de inlognaam of de naam van de medewerker"))
        self.employee_names = QStringListModel(self)
        completer = QCompleter(self.employee_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.employee.setCompleter(completer)
        self.dossier = self._edit(self.tr("Dossiernummer"), self.tr(
            "Dossiernummer, bijvoorbeeld HHB-00042 of 42"))
        self.action = QComboBox()
        self.action.setEditable(True)
        self.action.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.action.lineEdit().setPlaceholderText(self.tr("Actie"))
        self.action.lineEdit().setClearButtonEnabled(True)
        self.action.setToolTip(self.tr(
            "Kies een actie, of typ een deel ervan: dan telt elke actie waarin dat staat"))
        self.action.setMinimumContentsLength(18)
        self.action.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.action.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.action.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.action.editTextChanged.connect(lambda _t: self.edited.emit())
        self.action.lineEdit().returnPressed.connect(self.finished)
        self.result = QComboBox()
        for text, value in ((self.tr("alle resultaten"), None),
                            (self.tr("gedaan"), AuditResult.DONE.value),
                            (self.tr("geweigerd"), AuditResult.REFUSED.value)):
            self.result.addItem(text, value)
        self.result.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.date_from = self._edit(self.tr("van dd-mm-jjjj"), self.tr(
            "De eerste dag (dd-mm-jjjj), Nederlandse tijd"))
        self.date_to = self._edit(self.tr("t/m dd-mm-jjjj"), self.tr(
            "De laatste dag, die telt mee (dd-mm-jjjj), Nederlandse tijd"))
        for edit in (self.date_from, self.date_to):
            edit.setMaximumWidth(150)
        self.clear_button = QPushButton(self.tr("Wissen"))
        self.clear_button.clicked.connect(self.clear)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.employee, 2), (self.dossier, 1), (self.action, 3),
                                (self.result, 0), (self.date_from, 1), (self.date_to, 1),
                                (self.clear_button, 0)):
            bar.addWidget(widget, stretch)

    def _edit(self, placeholder: str, tooltip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tooltip)
        edit.setProperty("hhb_tooltip", tooltip)
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda _t: self.edited.emit())
        edit.returnPressed.connect(self.finished)
        return edit

    def set_choices(self, actions: list[str], employees: list[tuple[str, str]]) -> None:
        """The actions in the trail for the combo, the employees for completion; what was
        typed stays."""
        typed = self.action.currentText()
        with QSignalBlocker(self.action):
            self.action.clear()
            self.action.addItems(actions)
            self.action.setCurrentIndex(-1)
            self.action.setEditText(typed)
        self.employee_names.setStringList(sorted(
            {text for username, name in employees for text in (name, username)},
            key=str.casefold))

    def clear(self) -> None:
        for edit in (self.employee, self.dossier, self.date_from, self.date_to):
            edit.clear()
        self.action.setEditText("")
        self.result.setCurrentIndex(0)

    def mark(self, edit: QLineEdit, problem: str | None) -> None:
        edit.setStyleSheet(f"border: 1px solid {RED};" if problem else "")
        edit.setToolTip(problem or edit.property("hhb_tooltip"))

    def read(self) -> tuple[AuditFilter, list[str]]:
        """The filter as typed, and one Dutch line per field that could not be read (that
        field is marked and left out)."""
        problems: list[str] = []

        def day(edit: QLineEdit, label: str) -> date | None:
            text = edit.text().strip()
            problem, value = None, None
            if text:
                try:
                    value = validation.day_of(text, label)
                except UserError as exc:
                    message = str(exc)
                    if DAY_SHAPE.match(text):  # the shape is right, the day is not: 31-02
                        message = self.tr("De {label} {text} bestaat niet").format(
                            label=label, text=text)
                    problem = self.tr("{problem}; dit filter telt niet mee.").format(
                        problem=message)
            self.mark(edit, problem)
            if problem:
                problems.append(problem)
            return value

        first = day(self.date_from, self.tr("datum van"))
        last = day(self.date_to, self.tr("datum tot en met"))
        if first is not None and last is not None and last < first:
            problem = self.tr("De datum 'tot en met' ligt vóór 'van'; dit filter telt niet mee.")
            self.mark(self.date_to, problem)
            problems.append(problem)
            last = None
        self.mark(self.dossier, None)
        action = self.action.currentText().strip()
        exact = action in {self.action.itemText(i) for i in range(self.action.count())}
        where = AuditFilter(
            employee=self.employee.text().strip(), dossier=self.dossier.text().strip(),
            action=action, action_contains=bool(action) and not exact,
            result=self.result.currentData(), date_from=first, date_through=last)
        return where, problems


class AuditScreen(QWidget):
    loaded = Signal()  # a filter has been applied (the ids are in the model)
    detail_shown = Signal(int)  # the audit id whose detail is shown
    exported = Signal(int)  # rows written

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self._request = 0
        self._detail_request = 0
        self._choices_loaded = False
        self._notice = ""  # the export's result, shown with the next count
        self.where = AuditFilter()
        self.detail: AuditDetail | None = None

        self.filters = AuditFilterBar()
        self._filter_timer = QTimer(self, singleShot=True, interval=300)
        self._filter_timer.timeout.connect(self.reload)
        self.filters.edited.connect(self._filter_timer.start)
        self.filters.finished.connect(self.reload)
        self.problems = error_label()
        self.export_button = QPushButton(self.tr("Exporteren naar Excel…"))
        self.export_button.clicked.connect(self.choose_export)

        self.model = AuditTableModel(db, self)
        self.model.page_failed.connect(self._show_problem)
        self.table = QTableView()
        self.table.setObjectName("audit")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((150, 200, 150, 100, 120, 260, 180, 90)):
            header.resizeSection(column, width)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(AuditTableModel.ACTION, QHeaderView.ResizeMode.Stretch)
        remember_columns(header, "audit")
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_changed(current.row()))

        self.detail_title = QLabel()
        self.detail_title.setStyleSheet("font-weight: 600;")
        self.detail_title.setWordWrap(True)
        self.detail_who = muted("")
        self.fields = QTableWidget(0, 3)
        self.fields.setObjectName("audit_fields")
        self.fields.setHorizontalHeaderLabels([self.tr("Veld"), self.tr("Voor"), self.tr("Na")])
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fields.setWordWrap(True)
        self.fields.verticalHeader().hide()
        fields_header = self.fields.horizontalHeader()
        fields_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        fields_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        fields_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.no_fields = muted(self.tr("Deze regel heeft geen voor- en na-gegevens."))
        self.no_fields.hide()
        self.chain = muted("", wrap=False)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        detail_layout.addWidget(self.detail_title)
        detail_layout.addWidget(self.detail_who)
        detail_layout.addWidget(self.fields, 1)
        detail_layout.addWidget(self.no_fields)
        detail_layout.addWidget(self.chain)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        self.result_line = muted("", wrap=False)
        top = QHBoxLayout()
        top.addWidget(heading(self.tr("Logboek")))
        top.addStretch(1)
        top.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(muted(self.tr(
            "Wie deed wat, wanneer en vanaf welke werkplek — ook wat geweigerd werd. "
            "Kies een regel voor de gegevens van voor en na.")))
        layout.addWidget(self.filters)
        layout.addWidget(self.problems)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.result_line)
        self._show_detail(None)

    # -- loading ------------------------------------------------------------------------------

    def activate(self) -> None:
        """Shown: read the actions and employees once, and the rows (new ones may exist)."""
        if not self._choices_loaded:
            self.load_choices()
        self.reload()

    def refresh(self) -> None:
        """F5: the choices and the rows again; the selected row stays selected."""
        self.load_choices()
        self.reload()

    def load_choices(self) -> None:
        def work(_progress):
            with self.db.read() as session:
                return action_choices(session), employee_choices(session)

        def done(result) -> None:
            self._choices_loaded = True
            self.filters.set_choices(*result)

        run_operation(self, work, on_done=done, on_error=self._show_problem)

    def reload(self) -> None:
        """Filter in SQL off the GUI thread; the newest request wins."""
        self._filter_timer.stop()
        where, problems = self.filters.read()
        self.where = where
        self._request += 1
        request = self._request

        def work(_progress):
            with self.db.read() as session:
                ids = audit_ids(session, where, limit=SHOWN + 1)
                more = len(ids) > SHOWN
                ids = ids[:SHOWN]
                return ids, audit_rows(session, ids[:AuditTableModel.PAGE]), more

        def done(result) -> None:
            if request == self._request:
                self._apply(*result, problems=problems)

        def failed(exc: BaseException) -> None:
            if request != self._request:
                return
            if isinstance(exc, NotFoundError) and where.dossier:  # an unknown dossier number
                self.filters.mark(self.filters.dossier, str(exc))
                self._apply([], [], False, problems=[*problems, str(exc)])
                return
            self._show_problem(exc)

        run_operation(self, work, on_done=done, on_error=failed)

    def _apply(self, ids: list[int], first_page: list[AuditLine], more: bool, *,
               problems: list[str]) -> None:
        selected = self.selected_id()
        self.model.set_ids(ids, first_page)
        self._set_problems(problems)
        if more:
            line = self.tr(
                "De nieuwste {shown} regels; er zijn er meer. Verfijn het filter (bijvoorbeeld "
                "een periode) om oudere te zien; de export neemt ze allemaal.").format(
                shown=thousands(len(ids)))
        elif ids:
            line = self.tr("{n} regel(s)").format(n=thousands(len(ids)))
        else:
            line = self.tr("Geen regels met dit filter.")
        if self._notice:  # what the export said, once
            line, self._notice = f"{line} · {self._notice}", ""
        self.result_line.setText(line)
        row = self.model.row_of(selected) if selected is not None else None
        if row is None and ids:
            row = 0
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        else:
            self._show_detail(None)
        self.loaded.emit()

    def _set_problems(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    def _show_problem(self, problem) -> None:
        text = problem if isinstance(problem, str) else first_line(problem)
        self.problems.setText(text)
        self.problems.show()

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    # -- the detail ---------------------------------------------------------------------------

    def _row_changed(self, row: int) -> None:
        audit_id = self.model.id_at(row)
        if audit_id is None:  # the model is being reset; _apply picks the row again
            return
        self._detail_request += 1
        request = self._detail_request
        if self.detail is not None and self.detail.line.id == audit_id:
            return

        def work(_progress) -> AuditDetail:
            with self.db.read() as session:
                return audit_entry(session, audit_id)

        def done(detail: AuditDetail) -> None:
            if request == self._detail_request:
                self._show_detail(detail)

        run_operation(self, work, on_done=done, on_error=self._show_problem)

    def _show_detail(self, detail: AuditDetail | None) -> None:
        self.detail = detail
        self.fields.setRowCount(0)
        if detail is None:
            self.detail_title.setText(self.tr("Kies een regel in de tabel."))
            self.detail_title.setStyleSheet("font-weight: 600;")
            self.detail_who.setText("")
            self.no_fields.hide()
            self.chain.setText("")
            return
        line = detail.line
        self.detail_title.setText(self.tr("{time} — {action} — {subject}{refused}").format(
            time=time_text(line), action=line.action, subject=line.subject,
            refused=self.tr(" — GEWEIGERD") if line.refused else ""))
        self.detail_title.setStyleSheet(
            "font-weight: 600;" + (f" color: {RED};" if line.refused else ""))
        self.detail_who.setText(self.tr(
            "Door {employee} ({role}), databasegebruiker {db_user}, werkplek {host}; "
            "logboekregel {id}").format(
            employee=line.employee, role=line.role or self.tr("rol onbekend"),
            db_user=line.db_user or self.tr("onbekend"), host=line.host or self.tr("onbekend"),
            id=line.id))
        changes = detail.fields()
        self.fields.setRowCount(len(changes))
        bold = QFont(self.fields.font())
        bold.setBold(True)
        # A dossier's fields by the names the dossier screen gives them; the stored key
        # (as in the export) in the tooltip.
        labels = {key: spec.label for key, spec in DOSSIER_FIELDS.items()} \
            if line.entity == "participants" else {}
        for r, change in enumerate(changes):
            label = labels.get(change.field, change.field)
            for c, value in enumerate((label, change.before, change.after)):
                item = QTableWidgetItem(value)
                item.setToolTip(change.field if c == 0 else value if len(value) > 40 else "")
                if change.changed:
                    item.setBackground(CHANGED_BACKGROUND)
                    if c == 2:
                        item.setFont(bold)
                self.fields.setItem(r, c, item)
        self.fields.resizeRowsToContents()
        self.fields.setVisible(bool(changes))
        self.no_fields.setVisible(not changes)
        self.chain.setText(self.tr("Keten: {hash}… volgt op {previous}…").format(
            hash=detail.hash[:16], previous=detail.prev_hash[:16]))
        self.detail_shown.emit(line.id)

    # -- Excel --------------------------------------------------------------------------------

    def choose_export(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Logboek exporteren"), f"logboek-{date.today().isoformat()}.xlsx",
            self.tr("Excel-werkmap (*.xlsx)"))
        if name:
            if not name.lower().endswith(".xlsx"):
                name += ".xlsx"
            self.export(Path(name))

    def export(self, path: Path) -> None:
        """Every row of the current filter (not only those shown) to ``path``, with its own
        audit row; errors the usual way (operations.show_error)."""
        self._filter_timer.stop()
        where, problems = self.filters.read()
        self._set_problems(problems)
        self.export_button.setEnabled(False)

        def done(count: int) -> None:
            self.export_button.setEnabled(True)
            self._notice = self.tr("{n} regel(s) geëxporteerd naar {path}").format(
                n=thousands(count), path=path)
            self.result_line.setText(self._notice)
            self.reload()  # the export's own row is in the trail now
            self.exported.emit(count)

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            show_error(self, exc, "".join(traceback.format_exception(exc)))

        run_operation(self, lambda progress: export_audit(
            self.db.unit_of_work(), where, path, progress=progress),
            on_done=done, on_error=failed, label=self.tr("Logboek exporteren…"))


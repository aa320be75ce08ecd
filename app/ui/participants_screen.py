"""Deelnemers: the list of all participants, searched as you type, and the dossier behind it.

The table model keeps only the ordered ids of the participants that match (filtered, searched
and sorted in SQL, off the GUI thread) and fetches rows a page at a time when the view paints
them — Anki's browser model. After an edit only the changed row is fetched again; the model is
never reset for an edit.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.db import Database
from app.formatting import euro
from app.models import ParticipantStatus
from app.services.bsn import with_bsn_search
from app.services.queries import (
    CurrentUser,
    ParticipantFilter,
    ParticipantListRow,
    count_participants,
    participant_ids,
    participant_rows,
)
from app.ui.dossier_screen import DossierScreen
from app.ui.operations import run_operation
from app.ui.widgets import (
    CENTS_ROLE,
    DEBIT_COLOR,
    RIGHT,
    OrderedIds,
    SearchLineEdit,
    heading,
    muted,
    remember_columns,
)

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
ID_ROLE = Qt.ItemDataRole.UserRole + 1
DISPLAY = Qt.ItemDataRole.DisplayRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
RIGHT_INT = int(RIGHT)


class ParticipantTableModel(OrderedIds, QAbstractTableModel):
    """Ordered ids in memory; rows fetched per page of ``PAGE`` when shown."""

    PAGE = 60
    CACHED_PAGES = 50
    SORT_KEYS = {0: "number", 1: "name", 2: "status", 4: "contact"}
    sort_requested = Signal(str, bool)  # sort key, descending

    def __init__(self, db: Database, on: date | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.on = on
        self._ids: list[int] = []
        self._pages: OrderedDict[int, list] = OrderedDict()
        self.columns = (self.tr("Dossiernummer"), self.tr("Naam"), self.tr("Status"),
                        self.tr("Saldo"), self.tr("Contactpersoon"), self.tr("Signalen"))
        self.page_fetches = 0  # for tests and the benchmark: pages read from the database

    # -- the ids -----------------------------------------------------------------------------

    def set_ids(self, ids: list[int]) -> None:
        """A new search or filter: the one moment the model is reset."""
        self.beginResetModel()
        self._ids = list(ids)
        self._pages.clear()
        self.endResetModel()



    def participant_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def refresh_rows(self, participant_ids: list[int] | None = None) -> None:
        """Fetch these rows (all when None) again when shown; no reset, the selection stays."""
        if not self._ids:
            return
        if participant_ids is None:
            self._pages.clear()
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._ids) - 1, len(self.columns) - 1))
            return
        for pid in participant_ids:
            row = self.row_of(pid)
            if row is None:
                continue
            self._pages.pop(row // self.PAGE, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    # -- Qt's model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (3, 5):
            return int(RIGHT)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.SORT_KEYS.get(column)
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.DescendingOrder)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        # Called for every role of every visible cell on each paint: keep it cheap (the
        # display texts are made once per row when its page is fetched).
        if role == DISPLAY:
            shown = self._shown(index.row())
            return shown[1][index.column()] if shown else None
        if role == ALIGNMENT:
            return RIGHT_INT if index.column() in (3, 5) else None
        if role == FOREGROUND:
            if index.column() != 3:
                return None
            shown = self._shown(index.row())
            return DEBIT_COLOR if shown and shown[0].saldo_cents < 0 else None
        if role not in (Qt.ItemDataRole.ToolTipRole, CENTS_ROLE, ID_ROLE):
            return None
        shown = self._shown(index.row())
        if shown is None:
            return None
        row = shown[0]
        if role == ID_ROLE:
            return row.id
        if role == CENTS_ROLE:
            return row.saldo_cents if index.column() == 3 else None
        return self.tr("%n open signaal/signalen", "", row.open_signals) \
            if index.column() == 5 and row.open_signals else None

    def _shown(self, row: int) -> tuple[ParticipantListRow, tuple[str, ...]] | None:
        if not 0 <= row < len(self._ids):
            return None
        page_number = row // self.PAGE
        page = self._pages.get(page_number)
        if page is None:
            page = self._fetch_page(page_number)
        offset = row - page_number * self.PAGE
        return page[offset] if offset < len(page) else None

    def row(self, row: int) -> ParticipantListRow | None:
        shown = self._shown(row)
        return shown[0] if shown else None

    def _fetch_page(self, page_number: int) -> list[tuple[ParticipantListRow, tuple[str, ...]]]:
        start = page_number * self.PAGE
        wanted = self._ids[start:start + self.PAGE]
        with self.db.read() as session:
            found = {r.id: r for r in participant_rows(session, wanted, self.on)}
        # A participant deleted meanwhile keeps its place (shown empty) until the next search.
        page = []
        for pid in wanted:
            row = found.get(pid) or ParticipantListRow(pid, "", "", "", None, None)
            page.append((row, (row.number, row.name, row.status, euro(row.saldo_cents),
                               row.contact_person or "",
                               str(row.open_signals) if row.open_signals else "")))
        self.page_fetches += 1
        self._pages[page_number] = page
        while len(self._pages) > self.CACHED_PAGES:
            self._pages.popitem(last=False)  # the page fetched longest ago
        return page


class ParticipantList(QWidget):
    """The list page: search field, filters and the lazy table."""

    open_requested = Signal(int)
    loaded = Signal()  # a search or filter has been applied

    def __init__(self, db: Database, user: CurrentUser | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.user = user
        self._request = 0
        self._sort = ("number", False)
        self._total: int | None = None  # all participants, for "12 van 50.000"
        self.model = ParticipantTableModel(db, parent=self)
        self.model.sort_requested.connect(self._sort_by)

        self.search = SearchLineEdit(
            self.tr("Zoek op naam, dossiernummer, IBAN of de laatste cijfers van het BSN"))
        self.search.search_requested.connect(lambda _text: self.reload())
        self.mine = QCheckBox(self.tr("Mijn deelnemers"))
        self.mine.setEnabled(bool(user and user.employee_id))
        if not self.mine.isEnabled():
            self.mine.setToolTip(self.tr("U bent geen contactpersoon van deelnemers"))
        self.status = QComboBox()
        self.status.addItem(self.tr("Alle statussen"), None)
        for status in ParticipantStatus:
            self.status.addItem(status.value, status)
        self.negative = QCheckBox(self.tr("Negatief saldo"))
        for box in (self.mine, self.negative):
            box.toggled.connect(lambda _on: self.reload())
        self.status.currentIndexChanged.connect(lambda _i: self.reload())

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate((120, 280, 90, 120, 200, 80)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        remember_columns(header, "participants")

        self.count_label = muted("", wrap=False)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.mine)
        filters.addWidget(self.status)
        filters.addWidget(self.negative)
        top = QHBoxLayout()
        top.addWidget(heading(self.tr("Deelnemers")))
        top.addStretch(1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(muted(self.tr("Enter of dubbelklik: dossier openen · Ctrl+F: zoeken · "
                                       "Esc in het zoekveld: leegmaken"), wrap=False))

        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_search)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda: self._open(self.table.currentIndex().row()))
        self.search.installEventFilter(self)

    # -- searching ---------------------------------------------------------------------------

    def current_filter(self) -> ParticipantFilter:
        return ParticipantFilter(
            search=self.search.text().strip(),
            status=self.status.currentData(),
            contact_employee_id=self.user.employee_id if self.mine.isChecked() and self.user
            else None,
            negative_saldo=self.negative.isChecked(),
        )

    def reload(self, *, recount: bool = False) -> None:
        """Search and filter in SQL off the GUI thread; the newest request wins."""
        if recount:
            self._total = None
        self._request += 1
        request, where, (sort, descending) = self._request, self.current_filter(), self._sort
        known_total = self._total

        def work(_progress):
            searched = with_bsn_search(self.db, where)  # 4-9 digits: the logged BSN search
            with self.db.read() as session:
                ids = participant_ids(session, searched, sort=sort, descending=descending)
                if where == ParticipantFilter():
                    total = len(ids)
                else:  # counted once; a keystroke does not count all dossiers again
                    total = known_total if known_total is not None else \
                        count_participants(session)
            return ids, total

        def done(result) -> None:
            if request != self._request:
                return  # an older search finished after a newer one started
            self._apply(*result)

        run_operation(self, work, on_done=done)

    def _apply(self, ids: list[int], total: int) -> None:
        self._total = total
        selected = self.selected_id()
        self.model.set_ids(ids)
        if len(ids) == total:
            self.count_label.setText(self.tr("{total} deelnemers").format(
                total=_thousands(total)))
        else:
            self.count_label.setText(self.tr("{shown} van {total} deelnemers").format(
                shown=_thousands(len(ids)), total=_thousands(total)))
        row = self.model.row_of(selected) if selected is not None else None
        if row is None and ids:
            row = 0
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        self.loaded.emit()

    def _sort_by(self, key: str, descending: bool) -> None:
        if (key, descending) != self._sort:
            self._sort = (key, descending)
            self.reload()

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.participant_id(index.row()) if index.isValid() else None

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _open(self, row: int) -> None:
        pid = self.model.participant_id(row)
        if pid is not None:
            self.open_requested.emit(pid)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        # ↓ from the search field goes to the list, Enter there opens the selected dossier.
        from PySide6.QtCore import QEvent

        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Down and self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)


class ParticipantsScreen(QWidget):
    """The Deelnemers page: the list, and a dossier opened from it (Esc goes back)."""

    def __init__(self, db: Database, user: CurrentUser | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.list = ParticipantList(db, user)
        self.dossier = DossierScreen(db, user)
        from app.ui.overviews_screen import export_participant_overview, print_participant_overview

        self.dossier.print_handler = lambda pid: print_participant_overview(self, db, pid)
        self.dossier.export_handler = lambda pid: export_participant_overview(self, db, pid)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.dossier)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.list.open_requested.connect(self.open_dossier)
        self.dossier.closed.connect(self.show_list)
        self.dossier.changed.connect(lambda pid: self.list.model.refresh_rows([pid]))
        self._started = False

    def activate(self) -> None:
        """Shown in the window: load the first time, afterwards refresh the rows (saldi)."""
        if not self._started:
            self._started = True
            self.list.reload()
        elif self.stack.currentWidget() is self.list:
            self.list.model.refresh_rows()

    def refresh(self) -> None:
        """F5, or after work elsewhere (an import): search again (who has a negative saldo
        may have changed, dossiers may have been added), keeping the selection."""
        if self._started:
            self.list.reload(recount=True)
        if self.stack.currentWidget() is self.dossier:
            self.dossier.reload()

    def open_dossier(self, participant_id: int) -> None:
        self.dossier.load(participant_id)
        self.stack.setCurrentWidget(self.dossier)

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list)
        self.list.table.setFocus()

    def focus_search(self) -> None:
        self.show_list()
        self.list.focus_search()


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")

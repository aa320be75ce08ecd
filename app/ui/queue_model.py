"""The queue table's model: only the ordered ids, rows fetched a page at a time.

With 100,000 open transactions the model holds 100,000 integers; a row is read from the
database only when the view paints it, together with the rest of its page (one query of
``PAGE_SIZE`` rows), and kept in a bounded cache. Filtering and sorting happen in SQL
(app.services.queue.queue_ids). After a booking the row is removed (``remove_ids``), not the
whole model reset, so the view keeps its place and selection.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from app.db import Database
from app.formatting import euro, short_date
from app.services.queue import QueueFilter, QueueRow, QueueSort, SortKey, queue_ids, queue_rows
from app.services.validation import format_iban
from app.ui.widgets import DEBIT_COLOR, OrderedIds

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

PAGE_SIZE = 100
CACHE_ROWS = 5_000
DEBIT_RED = DEBIT_COLOR
PENDING_GREY = QColor("#8a8a8a")
ID_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
# Worked out once: data() runs for every role of every painted cell.
_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
          | Qt.ItemFlag.ItemNeverHasChildren)
_ROW_ROLES = frozenset({_DISPLAY, _FOREGROUND, _TOOLTIP, _FONT, ROW_ROLE})


class QueueTableModel(OrderedIds, QAbstractTableModel):
    # (header, sort key); the headers go through Qt's translation in headerData
    COLUMNS = (
        ("Datum", SortKey.DATE),
        ("Bedrag", SortKey.AMOUNT),
        ("Tegenpartij", SortKey.COUNTERPARTY),
        ("IBAN", SortKey.COUNTERPARTY),
        ("Omschrijving", SortKey.TEXT),
        ("Dagen", SortKey.AGE),
        ("Beste voorstel", SortKey.SUGGESTION),
        ("Score", SortKey.SCORE),
    )
    DATE, AMOUNT, NAME, IBAN, TEXT, AGE, SUGGESTION, SCORE = range(8)
    RIGHT_ALIGNED = (AMOUNT, AGE, SCORE)

    def __init__(self, db: Database, *, today: date | None = None,
                 page_size: int = PAGE_SIZE):
        super().__init__()
        self.db = db
        self.today = today
        self.page_size = page_size
        self.queue_filter = QueueFilter()
        self.sort_spec = QueueSort()
        # When set, sort() asks for this (the screen reloads off the GUI thread) instead of
        # querying at once.
        self.reload_requested: Callable[[], None] | None = None
        self._ids: list[int] = []
        self._rows: OrderedDict[int, QueueRow] = OrderedDict()
        self._pending: set[int] = set()
        self.pages_fetched = 0  # for tests and the benchmark

    # -- contents ------------------------------------------------------------------------

    def load(self) -> None:
        """Query the ordered ids now (for scripts and tests; the screen loads off-thread)."""
        with self.db.read() as session:
            ids = queue_ids(session, self.queue_filter, self.sort_spec, today=self.today)
        self.set_ids(ids)

    def set_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids = list(ids)
        self._rows.clear()
        self._pending &= set(self._ids)
        self.endResetModel()




    def row_at(self, row: int) -> QueueRow | None:
        """The row's data, fetching its page when it is not cached."""
        transaction_id = self.id_at(row)
        if transaction_id is None:
            return None
        cached = self._rows.get(transaction_id)
        if cached is not None:
            self._rows.move_to_end(transaction_id)
            return cached
        self._fetch_page(row)
        return self._rows.get(transaction_id)

    def remove_ids(self, transaction_ids: Iterable[int]) -> None:
        """Rows that left the queue (booked): removed one by one, the rest keeps its place."""
        rows = sorted((r for r in map(self.row_of, set(transaction_ids)) if r is not None),
                      reverse=True)
        for row in rows:
            self.beginRemoveRows(ROOT, row, row)
            removed = self._ids.pop(row)
            self._rows.pop(removed, None)
            self._pending.discard(removed)
            self.endRemoveRows()

    def refresh_ids(self, transaction_ids: Iterable[int]) -> None:
        """Read these rows again when next painted (they changed but stay in the list)."""
        for transaction_id in transaction_ids:
            self._rows.pop(transaction_id, None)
            row = self.row_of(transaction_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def set_pending(self, transaction_id: int, pending: bool) -> None:
        """Greyed while a booking of it is under way."""
        (self._pending.add if pending else self._pending.discard)(transaction_id)
        row = self.row_of(transaction_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def is_pending(self, transaction_id: int) -> bool:
        return transaction_id in self._pending

    # -- Qt model API --------------------------------------------------------------------

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _ROW_ROLES:
            if role == _ALIGN and index.isValid():
                return _RIGHT if index.column() in self.RIGHT_ALIGNED else _LEFT
            if role == ID_ROLE and index.isValid() and 0 <= index.row() < len(self._ids):
                return self._ids[index.row()]
            return None
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == _DISPLAY:
            return self._display(row, column)
        if role == _FOREGROUND:
            if row.id in self._pending:
                return PENDING_GREY
            return DEBIT_RED if column == self.AMOUNT and row.amount_cents < 0 else None
        if role == _FONT:
            if column == self.AMOUNT:
                return _fonts()[0]
            return _fonts()[1] if row.id in self._pending else None
        if role == _TOOLTIP:
            if column == self.TEXT:
                return row.description
            if column == self.NAME:  # long names are cut off in the column
                return row.counterparty_name
            return row.suggestion if column == self.SUGGESTION else None
        return row  # ROW_ROLE

    def _display(self, row: QueueRow, column: int) -> str:
        if column == self.DATE:
            return short_date(row.booking_date)
        if column == self.AMOUNT:
            return euro(row.amount_cents)
        if column == self.NAME:
            return row.counterparty_name or ""
        if column == self.IBAN:
            return format_iban(row.counterparty_iban) if row.counterparty_iban else ""
        if column == self.TEXT:
            return " ".join((row.description or "").split())
        if column == self.AGE:
            return str(row.age_days)
        if column == self.SUGGESTION:
            return row.suggestion or ""
        if column == self.SCORE:
            return "" if row.score is None else str(row.score)
        return ""

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == _DISPLAY:
            return QCoreApplication.translate("QueueTableModel", self.COLUMNS[section][0])
        if role == _ALIGN and section in self.RIGHT_ALIGNED:
            return _RIGHT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        spec = QueueSort(self.COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder)
        if spec == self.sort_spec:
            return
        self.sort_spec = spec
        if self.reload_requested is not None:
            self.reload_requested()
        else:
            self.load()

    # -- paging --------------------------------------------------------------------------

    def _fetch_page(self, row: int) -> None:
        start = row - row % self.page_size
        wanted = [i for i in self._ids[start:start + self.page_size] if i not in self._rows]
        if not wanted:
            return
        with self.db.read() as session:
            fetched = queue_rows(session, wanted, today=self.today)
        self.pages_fetched += 1
        for queue_row in fetched:
            self._rows[queue_row.id] = queue_row
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)


_font_cache: list[QFont] = []


def _fonts() -> list[QFont]:
    """[amounts: fixed-width digits, a row being booked: italic], made once (needs the app)."""
    if not _font_cache:
        amount = QFont()
        amount.setStyleHint(QFont.StyleHint.Monospace)
        amount.setFamilies(["DejaVu Sans Mono", "Consolas", "Menlo", "monospace"])
        pending = QFont()
        pending.setItalic(True)
        _font_cache.extend([amount, pending])
    return _font_cache

"""The main window. For now: the list of participants and the database in the status bar; the
desktop-client issue grows this into the full window with sidebar and screens."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QMainWindow, QTableView, QVBoxLayout, QWidget

from app.db import Database, current_revision
from app.services.queries import ParticipantListRow, count_participants, list_participants

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()


class ParticipantTableModel(QAbstractTableModel):
    COLUMNS = ("Dossiernummer", "Naam", "Status", "Woonplaats", "Contactpersoon", "Afspraken")

    def __init__(self, rows: list[ParticipantListRow]):
        super().__init__()
        self._rows = rows

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self._rows[index.row()]
        values = (row.number, row.name, row.status, row.city or "", row.contact_person or "",
                  str(row.agreements))
        return values[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None


class MainWindow(QMainWindow):
    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.setWindowTitle("Huishoudboekje")
        self.resize(1100, 700)
        with db.read() as session:
            rows = list_participants(session)
            total = count_participants(session)
        self.heading = QLabel(self.tr("Deelnemers: %n", "", total))
        self.heading.setStyleSheet("font-size: 16pt; font-weight: bold; padding: 6px;")
        self.table = QTableView()
        self.table.setModel(ParticipantTableModel(rows))
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.heading)
        layout.addWidget(self.table)
        self.setCentralWidget(central)
        self.status_label = QLabel(
            f"Database: {db.describe()}   Gebruiker: {db.default_actor()}   "
            f"Schemaversie: {current_revision(db.engine)}"
        )
        self.statusBar().addWidget(self.status_label)

"""Starting the desktop client."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from app.db import Database
from app.errors import UserError

DEMO_PARTICIPANTS = 50


def run(url: str, *, demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Huishoudboekje")
    app.setOrganizationName("Huishoudboekje")
    try:
        db = Database.open(url)
        if demo:
            fill_with_demo_data_if_empty(db)
    except UserError as exc:
        QMessageBox.critical(None, "Huishoudboekje", str(exc))
        raise
    from app.ui.main_window import MainWindow

    window = MainWindow(db)
    window.show()
    return app.exec()


def fill_with_demo_data_if_empty(db: Database) -> None:
    from app.services.demo import create_demo
    from app.services.queries import count_participants

    with db.read() as session:
        empty = count_participants(session) == 0
    if empty:
        create_demo(db.unit_of_work(), DEMO_PARTICIPANTS)


def main() -> int:
    """The ``huishoudboekje-gui`` launcher; takes the same arguments as ``huishoudboekje``."""
    from app.cli import main as cli_main

    return cli_main(sys.argv[1:])

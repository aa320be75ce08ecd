"""Starting the desktop client.

- ``huishoudboekje gui --demo``: the embedded database, filled with demo data when empty.
- ``--db sqlite:///…`` (or HHB_DATABASE_URL): straight in.
- ``--db postgresql+psycopg://user@server/db`` without a password: the sign-in dialog, with
  the employee's own database account (a URL with a password, from a script, goes straight in).
- No database given: what this workstation remembers (the connection dialog); the embedded
  file by default, a shared server with the sign-in dialog.
"""

from __future__ import annotations

import gc
import os
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget
from sqlalchemy.engine import make_url

from app.db import Database, resolve_url
from app.errors import UserError

DEMO_PARTICIPANTS = 50


def run(url: str, *, demo: bool = False) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Huishoudboekje")
    app.setOrganizationName("Huishoudboekje")
    install_dutch(app)
    try:
        db = choose_database(url, demo=demo)
        if db is None:
            return 0  # the clerk cancelled the sign-in
        if demo:
            fill_with_demo_data_if_empty(db)
    except UserError as exc:
        QMessageBox.critical(None, "Huishoudboekje", str(exc))
        raise
    from app.ui.main_window import MainWindow
    from app.ui.widgets import GuiThreadGarbageCollector

    window = MainWindow(db)
    window.show()
    window.evaluate_signals_daily()
    collector = GuiThreadGarbageCollector(app)  # cycles are collected on the GUI thread only
    # Everything made so far lives as long as the program: keep it out of the garbage
    # collector's full passes, which otherwise grow with it and pause the window.
    gc.freeze()
    try:
        return app.exec()
    finally:
        collector.timer.stop()


def install_dutch(app: QApplication) -> QTranslator | None:
    """Dutch for what Qt itself shows (standard buttons, print and file dialogs, context
    menus) and Dutch number and date formats in its widgets. Our own texts are Dutch in the
    source (``tr()``); a translation file for another language would be installed here.
    Returns the installed translator (None when PySide6 ships no qtbase_nl)."""
    QLocale.setDefault(QLocale(QLocale.Language.Dutch, QLocale.Country.Netherlands))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_nl", folder) and app.installTranslator(translator):
        return translator
    return None


def given_explicitly(url: str) -> bool:
    """Whether --db or HHB_DATABASE_URL chose the database (else the workstation decides)."""
    return bool(os.environ.get("HHB_DATABASE_URL")) or url != resolve_url(None)


def choose_database(url: str, *, demo: bool = False, parent: QWidget | None = None
                    ) -> Database | None:
    from app.ui.connection_dialog import SERVER, ConnectionSettings

    if not demo and not given_explicitly(url):
        remembered = ConnectionSettings.load()
        if remembered.kind == SERVER:
            return sign_in(remembered, parent)
        url = remembered.embedded_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.password is None:
        return sign_in(ConnectionSettings.from_url(parsed), parent)
    return Database.open(url)


def sign_in(connection, parent: QWidget | None = None) -> Database | None:
    from app.ui.connection_dialog import SignInDialog

    dialog = SignInDialog(connection, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.database


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

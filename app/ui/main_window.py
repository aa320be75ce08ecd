"""The main window: a sidebar with the screens a clerk's role may use, the screen itself, and a
status bar with the database, the user, the role and the schema version.

Statement files dropped anywhere on the window go to the import screen. The window's size,
its layout and the last screen are remembered per workstation (QSettings); tables remember
their column widths themselves (widgets.remember_columns). Screens are created when first
shown; a screen may have ``activate()`` (called each time it is shown) and ``refresh()``
(called after work elsewhere changed data, e.g. an import).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QStackedWidget,
    QTextEdit,
    QWidget,
)

from app.db import Database, current_revision, is_embedded
from app.models import Role
from app.services.queries import CurrentUser, open_queue_count, signed_in_user
from app.services.signals import open_signal_count
from app.ui.import_screen import local_files
from app.ui.operations import run_operation
from app.ui.widgets import PlaceholderPage, settings

log = logging.getLogger(__name__)

EVERYONE = frozenset(Role)
R = Role


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    roles: frozenset[Role]
    shortcut: str


PAGES = (
    PageSpec("participants", "Deelnemers", EVERYONE, "Ctrl+1"),
    PageSpec("import", "Importeren", frozenset({R.BACKOFFICE, R.TEAMLEADER, R.ADMIN}), "Ctrl+2"),
    PageSpec("queue", "Wachtrij", frozenset({R.BACKOFFICE, R.TEAMLEADER, R.ADMIN}), "Ctrl+3"),
    PageSpec("payouts", "Betaalopdrachten", frozenset({R.BACKOFFICE, R.TEAMLEADER, R.ADMIN}),
             "Ctrl+8"),
    PageSpec("signals", "Signalen", EVERYONE, "Ctrl+4"),
    PageSpec("overviews", "Overzichten", frozenset({R.FRONTOFFICE, R.TEAMLEADER, R.ADMIN}),
             "Ctrl+5"),
    PageSpec("caseload", "Caseload", frozenset({R.TEAMLEADER, R.ADMIN}), "Ctrl+6"),
    PageSpec("audit", "Logboek", frozenset({R.TEAMLEADER, R.ADMIN}), "Ctrl+9"),
    PageSpec("settings", "Instellingen", frozenset({R.ADMIN}), "Ctrl+7"),
)
# Built by other issues; shown as a placeholder page until their module exists.
OPTIONAL_SCREENS = {
    "queue": ("app.ui.queue_screen", "QueueScreen"),
    "overviews": ("app.ui.overviews_screen", "OverviewsScreen"),
    "caseload": ("app.ui.caseload_screen", "CaseloadScreen"),
    "payouts": ("app.ui.payouts_screen", "PayoutsScreen"),
    "audit": ("app.ui.audit_screen", "AuditScreen"),
}


def effective_role(db: Database, user: CurrentUser) -> Role | None:
    """The employee's role. On the embedded database (one workstation, a demo) whoever runs
    the program manages it; on a shared database somebody who is not an employee gets only
    the screens everyone may use."""
    if user.role is not None:
        return user.role
    return Role.ADMIN if is_embedded(db.engine) else None


def visible_pages(role: Role | None) -> list[str]:
    return [spec.key for spec in PAGES if (role in spec.roles if role else
                                           spec.roles == EVERYONE)]


def optional_screen(module_name: str, class_name: str, db: Database, title: str) -> QWidget:
    """The screen of another issue when its module exists, else a plain placeholder page."""
    if importlib.util.find_spec(module_name) is None:
        return PlaceholderPage(title, QCoreApplication.translate(
            "MainWindow", "Dit scherm komt in een volgende versie van het programma."))
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)(db)
    except Exception as exc:  # noqa: BLE001 - one broken screen must not stop the window
        log.exception("screen %s could not be loaded", module_name)
        page = PlaceholderPage(title, f"Dit scherm kon niet worden geladen: {exc}")
        page.setObjectName("broken")
        return page


class MainWindow(QMainWindow):
    def __init__(self, db: Database, user: CurrentUser | None = None):
        super().__init__()
        self.db = db
        self.setWindowTitle(self.tr("Huishoudboekje"))
        self.setAcceptDrops(True)
        if user is None:
            user = signed_in_user(db)
        self.user = user
        self.role = effective_role(db, user)
        self.visible = visible_pages(self.role)
        self.pages: dict[str, QWidget] = {}
        self.queue_count: int | None = None
        self.signal_count: int | None = None

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(190)
        self.sidebar.setIconSize(QSize(0, 0))
        self.sidebar.setStyleSheet(
            "QListWidget#sidebar { background: #263238; color: #eceff1; border: none;"
            " font-size: 11pt; padding-top: 8px; outline: 0; }"
            "QListWidget#sidebar::item { padding: 9px 14px; }"
            "QListWidget#sidebar::item:selected { background: #37474f; color: white;"
            " border-left: 4px solid #80cbc4; }")
        self.stack = QStackedWidget()
        self.items: dict[str, QListWidgetItem] = {}
        self.holders: dict[str, QWidget] = {}
        for spec in PAGES:
            item = QListWidgetItem(self.tr(spec.title))
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(f"{self.tr(spec.title)} ({spec.shortcut})")
            self.sidebar.addItem(item)
            item.setHidden(spec.key not in self.visible)
            self.items[spec.key] = item
            holder = QWidget()  # replaced by the real screen when first shown
            self.holders[spec.key] = holder
            self.stack.addWidget(holder)
        self.sidebar.currentItemChanged.connect(self._sidebar_changed)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._menus()
        self._status_bar()

        self.resize(1280, 800)
        store = settings()
        geometry, state = store.value("window/geometry"), store.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes):
            self.restoreState(QByteArray(state))
        last = str(store.value("window/page", "participants"))
        self.show_page(last if last in self.visible else self.visible[0])
        self.refresh_queue_count()
        self.refresh_signal_count()

    # -- furniture --------------------------------------------------------------------------

    def _menus(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Bestand"))
        self._action(menu, self.tr("Bankafschriften &importeren…"), "Ctrl+O",
                     self.choose_statement_files, "import")
        self._action(menu, self.tr("&Verbinding met de database…"), None,
                     self.connection_settings)
        menu.addSeparator()
        self._action(menu, self.tr("&Afsluiten"), "Ctrl+Q", self.close)
        view = self.menuBar().addMenu(self.tr("Be&eld"))
        for spec in PAGES:
            if spec.key in self.visible:
                self._action(view, self.tr(spec.title), spec.shortcut,
                             lambda key=spec.key: self.show_page(key))
        view.addSeparator()
        self._action(view, self.tr("Deelnemer &zoeken"), "Ctrl+Shift+F", self.find_participant)
        self._action(view, self.tr("&Vernieuwen"), "F5", self.refresh_current)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self._action(help_menu, self.tr("&Sneltoetsen"), "F1", self.show_shortcuts)

    def _action(self, menu, text: str, shortcut: str | None, slot: Callable[[], None],
                page: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        if page is not None and page not in self.visible:
            action.setEnabled(False)
        menu.addAction(action)
        return action

    def _status_bar(self) -> None:
        try:
            revision = current_revision(self.db.engine) or "?"
        except Exception:  # noqa: BLE001 - the status bar must not stop the window
            revision = "?"
        user = self.user
        who = user.name if user.name == user.username else f"{user.name} ({user.username})"
        role = self.role.value if self.role else self.tr("geen medewerker")
        if self.user.role is None and self.role is not None:
            role += self.tr(" (ingebouwde database)")
        self.status_label = QLabel(self.tr(
            "Database: {database}   ·   Gebruiker: {user}   ·   Rol: {role}   ·   "
            "Schemaversie: {revision}").format(database=self.db.describe(), user=who, role=role,
                                               revision=revision))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.status_label, 1)

    # -- pages ------------------------------------------------------------------------------

    def page(self, key: str) -> QWidget:
        """The screen of a page, created the first time it is needed."""
        if key in self.pages:
            return self.pages[key]
        title = self.tr(next(spec.title for spec in PAGES if spec.key == key))
        screen = self._create(key, title)
        self.pages[key] = screen
        holder = self.holders[key]
        index = self.stack.indexOf(holder)
        self.stack.insertWidget(index, screen)
        self.stack.removeWidget(holder)
        holder.deleteLater()
        self._catch_drops(screen)
        return screen

    def _create(self, key: str, title: str) -> QWidget:
        if key == "participants":
            from app.ui.participants_screen import ParticipantsScreen

            return ParticipantsScreen(self.db, self.user)
        if key == "import":
            from app.ui.import_screen import ImportScreen

            screen = ImportScreen(self.db, self.user)
            screen.queue_requested.connect(lambda: self.show_page("queue"))
            screen.imported.connect(self._after_import)
            return screen
        if key == "settings":
            from app.ui.settings_screen import SettingsScreen

            return SettingsScreen(self.db, self.user)
        if key == "signals":
            from app.ui.signals_screen import SignalsScreen

            screen = SignalsScreen(self.db, self.user)
            screen.dossier_requested.connect(self.open_dossier)
            screen.open_count_changed.connect(self._set_signal_count)
            return screen
        if key in OPTIONAL_SCREENS:
            module_name, class_name = OPTIONAL_SCREENS[key]
            screen = optional_screen(module_name, class_name, self.db, title)
            for name in ("countChanged", "open_count_changed", "count_changed"):
                signal = getattr(screen, name, None)
                if signal is not None and hasattr(signal, "connect"):
                    signal.connect(self._set_queue_count)
                    break
            requested = getattr(screen, "participant_requested", None)  # the caseload's
            if requested is not None and hasattr(requested, "connect"):
                requested.connect(lambda pid: self.open_dossier(pid))
            return screen
        return PlaceholderPage(title, self.tr(
            "De caseload per medewerker (dalend saldo, open signalen, voortgangsgesprekken, "
            "de wachtrij) komt in een volgende versie."))

    def show_page(self, key: str) -> QWidget | None:
        if key not in self.visible:
            self.statusBar().showMessage(self.tr("Dit scherm is niet beschikbaar voor uw rol."),
                                         5000)
            return None
        item = self.items[key]
        if self.sidebar.currentItem() is not item:
            self.sidebar.setCurrentItem(item)  # → _sidebar_changed
        return self.pages.get(key)

    def current_key(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _sidebar_changed(self, current: QListWidgetItem | None,
                         previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        key = current.data(Qt.ItemDataRole.UserRole)
        screen = self.page(key)
        self.stack.setCurrentWidget(screen)
        activate = getattr(screen, "activate", None) or getattr(screen, "refresh", None)
        if callable(activate):
            activate()
        if previous is not None and previous.data(Qt.ItemDataRole.UserRole) == "queue":
            self.refresh_queue_count()  # leaving the queue: its count may have changed
            self.refresh_signal_count()  # and bookings close or open signals

    def refresh_current(self) -> None:
        screen = self.pages.get(self.current_key() or "")
        refresh = getattr(screen, "refresh", None)
        if callable(refresh):
            refresh()
        self.refresh_queue_count()
        self.refresh_signal_count()

    def open_dossier(self, participant_id: int, tab: str | None = None) -> None:
        """The participant's dossier, on ``tab`` (a DossierScreen tab key) when given."""
        screen = self.show_page("participants")
        if screen is None:
            return
        screen.open_dossier(participant_id)
        if tab:
            screen.dossier.show_tab(tab)

    def find_participant(self) -> None:
        screen = self.show_page("participants")
        if screen is not None:
            screen.focus_search()

    # -- the counts in the sidebar: open queue items, open signals ------------------------

    def _refresh_count(self, key: str, count: Callable, on_done: Callable[[int], None]) -> None:
        if key not in self.visible:
            return

        def work(_progress):
            with self.db.read() as session:
                return count(session)

        run_operation(self, work, on_done=on_done)

    def _show_count(self, key: str, count: int) -> None:
        title = self.tr(next(spec.title for spec in PAGES if spec.key == key))
        self.items[key].setText(f"{title} ({count:,})".replace(",", "."))

    def refresh_queue_count(self) -> None:
        self._refresh_count("queue", open_queue_count, self._set_queue_count)

    def _set_queue_count(self, count: int) -> None:
        self.queue_count = count
        self._show_count("queue", count)

    def refresh_signal_count(self) -> None:
        self._refresh_count("signals", open_signal_count, self._set_signal_count)

    def _set_signal_count(self, count: int) -> None:
        self.signal_count = count
        self._show_count("signals", count)

    def evaluate_signals_daily(self) -> None:
        """At start-up: everyone's signals once a day (the first workstation of the day does
        it), off the GUI thread; the count and an open Signalen page follow."""
        from app.services.signals import evaluate_daily

        def work(_progress):
            return evaluate_daily(self.db.unit_of_work())

        def done(outcome) -> None:
            if outcome is None:
                return
            self.statusBar().showMessage(self.tr("Signalen bijgewerkt: {summary}").format(
                summary=outcome.summary()), 10_000)
            self.refresh_signal_count()
            signals = self.pages.get("signals")
            if signals is not None and hasattr(signals, "refresh"):
                signals.refresh()

        def failed(exc: BaseException) -> None:  # e.g. a login without the rights to write
            log.warning("daily signal evaluation failed: %s", exc)

        run_operation(self, work, on_done=done, on_error=failed)
        self.write_daily_checkpoint()

    def write_daily_checkpoint(self) -> None:
        """At start-up, off the GUI thread: the audit trail's checkpoint of the day into the
        folder the beheerder set (app.services.audit.daily_checkpoint); never stops start-up."""
        from app.services.audit import daily_checkpoint

        def failed(exc: BaseException) -> None:
            log.warning("daily audit checkpoint failed: %s", exc)

        run_operation(self, lambda _progress: daily_checkpoint(self.db), on_error=failed)

    def _after_import(self, open_count: int) -> None:
        self._set_queue_count(open_count)
        self.refresh_signal_count()
        for key, screen in self.pages.items():
            refresh = getattr(screen, "refresh", None)
            if key != "import" and callable(refresh):
                refresh()

    # -- dropping files anywhere ------------------------------------------------------------

    def _catch_drops(self, screen: QWidget) -> None:
        """Text fields take drops themselves; a statement file dropped on one still goes to
        the import."""
        for widget in screen.findChildren(QLineEdit) + screen.findChildren(QPlainTextEdit) \
                + screen.findChildren(QTextEdit):
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop) \
                and local_files(event.mimeData()):
            if kind == QEvent.Type.Drop:
                self.dropEvent(event)
            else:
                self.dragEnterEvent(event)
            return True
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if local_files(event.mimeData()) and "import" in self.visible:
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent  # noqa: N815 - Qt API

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        self.drop_files(event.mimeData())
        event.acceptProposedAction()

    def drop_files(self, mime) -> bool:
        """Import the files of a drop (the handler behind dropEvent)."""
        if "import" not in self.visible:
            self.statusBar().showMessage(self.tr("Bankafschriften inlezen hoort niet bij uw "
                                                 "rol."), 5000)
            return False
        self.show_page("import")
        return self.page("import").drop(mime)

    def choose_statement_files(self) -> None:
        if self.show_page("import") is not None:
            self.page("import").choose_files()

    # -- the rest ---------------------------------------------------------------------------

    def connection_settings(self) -> None:
        from app.ui.connection_dialog import ConnectionDialog

        dialog = ConnectionDialog(parent=self)
        if dialog.exec():
            QMessageBox.information(self, self.tr("Huishoudboekje"), self.tr(
                "De nieuwe verbinding wordt gebruikt als u het programma opnieuw start."))

    def show_shortcuts(self) -> None:
        lines = [f"{spec.shortcut}\t{self.tr(spec.title)}" for spec in PAGES
                 if spec.key in self.visible]
        lines += [
            "Ctrl+O\t" + self.tr("Bankafschriften importeren"),
            "Ctrl+Shift+F\t" + self.tr("Deelnemer zoeken"),
            "F5\t" + self.tr("Vernieuwen"),
            "",
            self.tr("Deelnemers:") + "\tCtrl+F " + self.tr("zoeken") + ", Enter "
            + self.tr("dossier openen"),
            self.tr("Dossier:") + "\tCtrl+S " + self.tr("opslaan") + ", Ctrl+N "
            + self.tr("notitie") + ", Ctrl+Enter " + self.tr("notitie opslaan") + ", Esc "
            + self.tr("terug"),
        ]
        QMessageBox.information(self, self.tr("Sneltoetsen"), "\n".join(lines))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        if self.current_key():
            store.setValue("window/page", self.current_key())
        store.sync()
        super().closeEvent(event)

"""Where this workstation's database is, and signing in to the shared one.

The choice (embedded file, or shared PostgreSQL server: host, port, database, user, SSL mode)
is remembered per workstation in QSettings. A password is never stored in plain text: it is
asked at every sign-in, or kept in the operating system's keyring when the ``keyring`` package
and a secure keyring are available (and the clerk ticks the box). A PostgreSQL password file
(~/.pgpass) also works: leave the password empty.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL, make_url

from app.db import Database, default_database_path
from app.errors import UserError, first_line
from app.ui.operations import run_operation
from app.ui.widgets import ERROR_STYLE, error_label, muted, save_cancel_buttons, settings

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
KEYRING_SERVICE = "Huishoudboekje"
EMBEDDED, SERVER = "embedded", "server"


@dataclass
class ConnectionSettings:
    kind: str = EMBEDDED
    path: str = ""  # the embedded file; empty: the default in the user's data folder
    host: str = "localhost"
    port: int = 5432
    database: str = "huishoudboekje"
    user: str = ""
    sslmode: str = "prefer"

    @classmethod
    def load(cls) -> ConnectionSettings:
        store = settings()
        store.beginGroup("connection")
        values = {}
        for item in fields(cls):
            if store.contains(item.name):
                raw = store.value(item.name)
                values[item.name] = int(raw) if item.name == "port" else str(raw)
        store.endGroup()
        loaded = cls(**values)
        if loaded.kind not in (EMBEDDED, SERVER):
            loaded.kind = EMBEDDED
        if loaded.sslmode not in SSL_MODES:
            loaded.sslmode = "prefer"
        return loaded

    def save(self) -> None:
        store = settings()
        store.beginGroup("connection")
        for item in fields(self):
            store.setValue(item.name, getattr(self, item.name))
        store.endGroup()
        store.sync()

    @classmethod
    def from_url(cls, url: str | URL) -> ConnectionSettings:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return cls(kind=EMBEDDED, path=parsed.database or "")
        return cls(kind=SERVER, host=parsed.host or "localhost", port=parsed.port or 5432,
                   database=parsed.database or "", user=parsed.username or "",
                   sslmode=str(parsed.query.get("sslmode", "prefer")))

    def embedded_url(self) -> str:
        return f"sqlite:///{self.path or default_database_path()}"

    def server_url(self, password: str | None = None) -> URL:
        query = {"sslmode": self.sslmode, "connect_timeout": "10",
                 "application_name": "huishoudboekje"}
        return URL.create("postgresql+psycopg", username=self.user or None,
                          password=password or None, host=self.host, port=self.port,
                          database=self.database, query=query)

    def describe(self) -> str:
        if self.kind == EMBEDDED:
            return str(self.path or default_database_path())
        return f"{self.database} op {self.host}:{self.port}"


# -- The keyring, only where a secure one is available -------------------------------------------


def keyring_available() -> bool:
    try:
        import keyring  # noqa: PLC0415 - optional
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 - not installed or broken: ask every time
        return False
    backend = keyring.get_keyring()
    module = type(backend).__module__
    # The 'fail' backend stores nothing; keyrings.alt's file backends are plain text.
    return not isinstance(backend, fail.Keyring) and not module.startswith("keyrings.alt") \
        and getattr(backend, "priority", 0) > 0


def _key(connection: ConnectionSettings) -> str:
    return f"{connection.user}@{connection.host}:{connection.port}/{connection.database}"


def keyring_password(connection: ConnectionSettings) -> str | None:
    if not keyring_available():
        return None
    import keyring

    try:
        return keyring.get_password(KEYRING_SERVICE, _key(connection))
    except Exception:  # noqa: BLE001 - a locked or broken keyring: ask instead
        return None


def keyring_store(connection: ConnectionSettings, password: str | None) -> None:
    if not keyring_available():
        return
    import keyring

    try:
        if password:
            keyring.set_password(KEYRING_SERVICE, _key(connection), password)
        else:
            keyring.delete_password(KEYRING_SERVICE, _key(connection))
    except Exception:  # noqa: BLE001 - nothing stored is the safe outcome
        return


# -- Messages ----------------------------------------------------------------------------------


def sign_in_problem(exc: BaseException, connection: ConnectionSettings) -> str:
    """One line a clerk understands for a failed sign-in."""
    text = first_line(exc)
    lowered = text.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered \
            or ("role" in lowered and "does not exist" in lowered):
        return "Aanmelden mislukt: de gebruikersnaam of het wachtwoord klopt niet."
    if "database" in lowered and "does not exist" in lowered:
        return f"De database {connection.database!r} bestaat niet op {connection.host}."
    if any(word in lowered for word in ("could not connect", "connection refused", "timeout",
                                        "timed out", "could not translate host name",
                                        "name or service not known", "connection failed")):
        return (f"De databaseserver {connection.host}:{connection.port} is niet bereikbaar. "
                "Controleer de netwerkverbinding of vraag het de beheerder.")
    if "ssl" in lowered:
        return f"De beveiligde verbinding (SSL: {connection.sslmode}) lukt niet: {text}"
    if isinstance(exc, UserError):
        return str(exc)
    return f"Aanmelden mislukt: {text}"


# -- Dialogs -----------------------------------------------------------------------------------


class ConnectionDialog(QDialog):
    """Embedded file or shared server; remembered on this workstation (never a password)."""

    def __init__(self, connection: ConnectionSettings | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Verbinding met de database"))
        connection = connection or ConnectionSettings.load()
        self.embedded = QRadioButton(self.tr("Ingebouwde database op deze computer (één "
                                             "werkplek, demo, proef)"))
        self.server = QRadioButton(self.tr("Gedeelde database op een server (PostgreSQL)"))
        group = QButtonGroup(self)
        group.addButton(self.embedded)
        group.addButton(self.server)

        self.path = QLineEdit(connection.path)
        self.path.setPlaceholderText(str(default_database_path()))
        browse = QPushButton(self.tr("Bladeren…"))
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.embedded_box = QGroupBox(self.tr("Bestand"))
        embedded_form = QFormLayout(self.embedded_box)
        embedded_form.addRow(self.tr("Databasebestand"), path_row)

        self.host = QLineEdit(connection.host)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(connection.port)
        self.database = QLineEdit(connection.database)
        self.user = QLineEdit(connection.user)
        self.user.setPlaceholderText(self.tr("uw eigen gebruikersnaam"))
        self.sslmode = QComboBox()
        for mode in SSL_MODES:
            self.sslmode.addItem(mode, mode)
        self.sslmode.setCurrentIndex(self.sslmode.findData(connection.sslmode))
        self.server_box = QGroupBox(self.tr("Server"))
        server_form = QFormLayout(self.server_box)
        server_form.addRow(self.tr("Server"), self.host)
        server_form.addRow(self.tr("Poort"), self.port)
        server_form.addRow(self.tr("Database"), self.database)
        server_form.addRow(self.tr("Gebruikersnaam"), self.user)
        server_form.addRow(self.tr("SSL"), self.sslmode)
        server_form.addRow("", muted(self.tr("Het wachtwoord wordt bij het aanmelden gevraagd "
                                             "en niet op deze computer bewaard.")))

        self.error = error_label()
        buttons = save_cancel_buttons(self)

        layout = QVBoxLayout(self)
        layout.addWidget(self.embedded)
        layout.addWidget(self.embedded_box)
        layout.addWidget(self.server)
        layout.addWidget(self.server_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.embedded.toggled.connect(self._kind_changed)
        (self.server if connection.kind == SERVER else self.embedded).setChecked(True)
        self._kind_changed()
        self.connection = connection
        self.resize(560, self.sizeHint().height())

    def _kind_changed(self, *_args) -> None:
        self.embedded_box.setEnabled(self.embedded.isChecked())
        self.server_box.setEnabled(self.server.isChecked())

    def _browse(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Databasebestand"), self.path.text() or str(default_database_path()),
            self.tr("Database (*.db)"), options=QFileDialog.Option.DontConfirmOverwrite)
        if name:
            self.path.setText(name)

    def values(self) -> ConnectionSettings:
        return ConnectionSettings(
            kind=SERVER if self.server.isChecked() else EMBEDDED,
            path=self.path.text().strip(),
            host=self.host.text().strip(),
            port=self.port.value(),
            database=self.database.text().strip(),
            user=self.user.text().strip(),
            sslmode=self.sslmode.currentData(),
        )

    def save(self) -> None:
        connection = self.values()
        if connection.kind == SERVER and not (connection.host and connection.database):
            self.error.setText(self.tr("Vul de server en de database in."))
            self.error.show()
            return
        connection.save()
        self.connection = connection
        self.accept()


class SignInDialog(QDialog):
    """Sign in to the shared database with the employee's own database account. The database
    is opened (and its schema checked) off the GUI thread; ``database`` holds it afterwards."""

    def __init__(self, connection: ConnectionSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Aanmelden — Huishoudboekje"))
        self.connection = connection
        self.database: Database | None = None
        self.where = QLabel()
        self.where.setStyleSheet("font-weight: 600;")
        self.user = QLineEdit(connection.user)
        self.user.setPlaceholderText(self.tr("uw gebruikersnaam"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("wachtwoord"))
        self.remember = QCheckBox(self.tr("Wachtwoord onthouden in de sleutelbos van het "
                                          "systeem"))
        self.remember.setVisible(keyring_available())
        self.error = error_label()
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        change = QPushButton(self.tr("Verbinding wijzigen…"))
        change.clicked.connect(self.change_connection)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Aanmelden"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuleren"))
        self.buttons.addButton(change, QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Gebruikersnaam"), self.user)
        form.addRow(self.tr("Wachtwoord"), self.password)
        form.addRow("", self.remember)
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._show_where()
        stored = keyring_password(connection) if connection.user else None
        if stored:
            self.password.setText(stored)
            self.remember.setChecked(True)
        (self.password if connection.user else self.user).setFocus()
        self.resize(460, self.sizeHint().height())

    def _show_where(self) -> None:
        self.where.setText(self.tr("Gedeelde database: {where}").format(
            where=self.connection.describe()))

    def change_connection(self) -> None:
        dialog = ConnectionDialog(self.connection, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.connection = dialog.connection
        if self.connection.kind == EMBEDDED:
            self._open(self.connection.embedded_url(), None)
            return
        self.user.setText(self.connection.user)
        self._show_where()

    def sign_in(self) -> None:
        user = self.user.text().strip()
        if not user:
            self._problem(self.tr("Vul uw gebruikersnaam in."))
            return
        self.connection.user = user
        password = self.password.text()
        self._open(self.connection.server_url(password), password)

    def _open(self, url, password: str | None) -> None:
        self.buttons.setEnabled(False)
        self.error.setText(self.tr("Verbinden…"))
        self.error.setStyleSheet("color: #5f6368;")
        self.error.show()
        connection = self.connection

        def done(database: Database) -> None:
            self.database = database
            connection.save()  # the user name and server, never the password
            if connection.kind == SERVER:
                keyring_store(connection, password if self.remember.isChecked() else None)
            self.buttons.setEnabled(True)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self._problem(sign_in_problem(exc, connection), first_line(exc))

        run_operation(self, lambda _p: Database.open(url), on_done=done, on_error=failed)

    def _problem(self, message: str, detail: str | None = None) -> None:
        self.error.setText(message)
        self.error.setToolTip(detail or "")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.show()
        self.password.selectAll()
        self.password.setFocus()

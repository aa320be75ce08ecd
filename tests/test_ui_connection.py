"""Where the workstation's database is and signing in to the shared one: remembered in
QSettings without a password, a real sign-in against the test PostgreSQL server, clear messages
when it fails, and the start paths of ``huishoudboekje gui``."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.db import Database
from app.models import Participant
from app.ui import app as ui_app
from app.ui.connection_dialog import (
    EMBEDDED,
    SERVER,
    ConnectionDialog,
    ConnectionSettings,
    SignInDialog,
    sign_in_problem,
)
from app.ui.operations import wait_for_operations
from app.ui.widgets import settings
from tests.conftest import ARTIFACTS, new_postgres_database
from tests.ui_support import settle


def test_the_connection_is_remembered_without_a_password(qtbot, isolated_settings):
    dialog = ConnectionDialog(ConnectionSettings())
    qtbot.addWidget(dialog)
    assert dialog.embedded.isChecked() and not dialog.server_box.isEnabled()
    dialog.server.setChecked(True)
    assert dialog.server_box.isEnabled() and not dialog.embedded_box.isEnabled()
    dialog.host.setText("db.gemeente.example")
    dialog.port.setValue(6543)
    dialog.database.setText("hhb")
    dialog.user.setText("swoldu")
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("verify-full"))
    dialog.grab().save(str(ARTIFACTS / "connection_dialog.png"))
    dialog.save()
    assert dialog.result() == QDialog.DialogCode.Accepted
    remembered = ConnectionSettings.load()
    assert remembered == ConnectionSettings(kind=SERVER, path="", host="db.gemeente.example",
                                            port=6543, database="hhb", user="swoldu",
                                            sslmode="verify-full")
    stored = "".join(p.read_text() for p in isolated_settings.rglob("*") if p.is_file())
    assert "swoldu" in stored and "password" not in stored.lower()
    assert "wachtwoord" not in stored.lower()


def test_a_server_needs_a_host_and_a_database(qtbot):
    dialog = ConnectionDialog(ConnectionSettings(kind=SERVER, host="", database=""))
    qtbot.addWidget(dialog)
    dialog.save()
    assert dialog.error.text() == "Vul de server en de database in."
    assert ConnectionSettings.load().kind == EMBEDDED  # nothing remembered


def test_urls_carry_ssl_mode_and_never_an_empty_password():
    connection = ConnectionSettings(kind=SERVER, host="srv", port=5433, database="hhb",
                                    user="jan", sslmode="require")
    url = connection.server_url()
    assert (url.host, url.port, url.database, url.username, url.password) == \
        ("srv", 5433, "hhb", "jan", None)
    assert url.query["sslmode"] == "require"
    assert connection.server_url("geheim;@/").password == "geheim;@/"
    assert ConnectionSettings.from_url("postgresql+psycopg://jan@srv:5433/hhb?sslmode=require") \
        == connection
    assert ConnectionSettings.from_url("sqlite:////tmp/x.db").path == "/tmp/x.db"


@pytest.mark.parametrize("error, expected", [
    ('connection failed: FATAL:  password authentication failed for user "jan"',
     "Aanmelden mislukt: de gebruikersnaam of het wachtwoord klopt niet."),
    ('FATAL:  role "jan" does not exist',
     "Aanmelden mislukt: de gebruikersnaam of het wachtwoord klopt niet."),
    ('FATAL:  database "hhb" does not exist', "De database 'hhb' bestaat niet op srv."),
    ("connection failed: Connection refused",
     "De databaseserver srv:5432 is niet bereikbaar. Controleer de netwerkverbinding of vraag "
     "het de beheerder."),
])
def test_sign_in_problems_in_words_a_clerk_understands(error, expected):
    connection = ConnectionSettings(kind=SERVER, host="srv", database="hhb", user="jan")
    assert sign_in_problem(RuntimeError(error), connection) == expected


def _postgres_connection(url: str, user: str) -> ConnectionSettings:
    parsed = make_url(url)
    return ConnectionSettings(kind=SERVER, host=parsed.host, port=parsed.port,
                              database=parsed.database, user=user, sslmode="disable")


@pytest.mark.postgres_only
def test_signing_in_to_the_shared_database(qtbot, request, isolated_settings):
    postgres = request.getfixturevalue("postgres")
    url = new_postgres_database(postgres, request.getfixturevalue("postgres_template"))
    dialog = SignInDialog(_postgres_connection(url, "postgres"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("wat-dan-ook")  # the test server trusts local connections
    dialog.grab().save(str(ARTIFACTS / "sign_in_dialog.png"))
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.sign_in()
    database = dialog.database
    assert isinstance(database, Database)
    assert database.default_actor() == "postgres"
    assert "wat-dan-ook" not in database.describe()
    database.dispose()
    stored = "".join(p.read_text() for p in isolated_settings.rglob("*") if p.is_file())
    assert "wat-dan-ook" not in stored
    assert ConnectionSettings.load().user == "postgres"


@pytest.mark.postgres_only
def test_a_wrong_user_or_an_unreachable_server_is_said_plainly(qtbot, request):
    postgres = request.getfixturevalue("postgres")
    url = postgres if isinstance(postgres, str) else postgres.url
    dialog = SignInDialog(_postgres_connection(url, "niemand_hier"))
    qtbot.addWidget(dialog)
    dialog.sign_in()
    wait_for_operations()
    qtbot.waitUntil(lambda: "Verbinden" not in dialog.error.text(), timeout=20_000)
    assert dialog.error.text() == \
        "Aanmelden mislukt: de gebruikersnaam of het wachtwoord klopt niet."
    assert dialog.result() != QDialog.DialogCode.Accepted

    unreachable = _postgres_connection(url, "postgres")
    unreachable.port = 1  # nothing listens there
    dialog = SignInDialog(unreachable)
    qtbot.addWidget(dialog)
    dialog.sign_in()
    qtbot.waitUntil(lambda: "Verbinden" not in dialog.error.text(), timeout=20_000)
    assert "niet bereikbaar" in dialog.error.text()


def test_an_empty_user_name_is_asked_for(qtbot):
    dialog = SignInDialog(ConnectionSettings(kind=SERVER, host="srv", database="hhb"))
    qtbot.addWidget(dialog)
    dialog.sign_in()
    assert dialog.error.text() == "Vul uw gebruikersnaam in."


# -- how `huishoudboekje gui` chooses its database ------------------------------------------------


def test_an_explicit_embedded_database_opens_straight_in(tmp_path, monkeypatch):
    monkeypatch.setattr(ui_app, "sign_in", lambda *a, **k: pytest.fail("no sign-in expected"))
    db = ui_app.choose_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert db is not None and db.describe().endswith("x.db")
    db.dispose()


def test_a_shared_url_without_password_asks_to_sign_in(monkeypatch):
    asked = []
    monkeypatch.setattr(ui_app, "sign_in", lambda connection, parent=None:
                        asked.append(connection))
    ui_app.choose_database("postgresql+psycopg://swoldu@db.example:5432/hhb?sslmode=require")
    assert asked == [ConnectionSettings(kind=SERVER, host="db.example", port=5432,
                                        database="hhb", user="swoldu", sslmode="require")]


def test_the_remembered_server_is_used_when_no_database_is_given(monkeypatch, tmp_path):
    monkeypatch.delenv("HHB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    ConnectionSettings(kind=SERVER, host="srv", database="hhb", user="jan").save()
    asked = []
    monkeypatch.setattr(ui_app, "sign_in", lambda connection, parent=None:
                        asked.append(connection))
    ui_app.choose_database(ui_app.resolve_url(None))
    assert [c.host for c in asked] == ["srv"]
    # --demo always means the embedded database, whatever the workstation remembers
    asked.clear()
    db = ui_app.choose_database(ui_app.resolve_url(None), demo=True)
    assert asked == [] and db.describe().startswith("sqlite:///")
    db.dispose()


def test_gui_demo_starts_the_window_on_a_fresh_machine(qtbot, monkeypatch, tmp_path):
    """The README's command: `huishoudboekje gui --demo` on a machine without any database."""
    from app.cli import main
    from app.ui import main_window

    monkeypatch.delenv("HHB_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    shown = []
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    monkeypatch.setattr(ui_app.gc, "freeze", lambda: None)  # not in the test process
    original_show = main_window.MainWindow.show

    def show(window):
        shown.append(window)
        qtbot.addWidget(window)
        original_show(window)

    monkeypatch.setattr(main_window.MainWindow, "show", show)
    assert main(["gui", "--demo"]) == 0
    [window] = shown
    settle()
    assert window.page("participants").list.model.rowCount() == 50
    database = tmp_path / "Huishoudboekje" / "huishoudboekje.db"
    assert database.exists()
    window.db.dispose()
    check = Database.open(f"sqlite:///{database}")
    with check.read() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 50
    check.dispose()


def test_settings_of_the_tests_are_their_own(isolated_settings):
    assert str(isolated_settings) in settings().fileName()

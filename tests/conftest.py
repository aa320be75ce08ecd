"""Fixtures: every database test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started by the tests themselves (tests/postgres_server.py). With
CI=true a server that cannot start fails the run; elsewhere those tests are skipped with the
reason. HHB_TEST_POSTGRES_URL points the tests at an existing server instead.
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.db import Database, make_engine, upgrade
from tests.postgres_server import PostgresServer, PostgresUnavailable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ARTIFACTS = Path(__file__).parent / "artifacts"
TEMPLATE = "hhb_template"
_counter = itertools.count()


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)


def _uses_qt(request) -> bool:
    return "qtbot" in request.fixturenames or request.module.__name__.rsplit(".", 1)[-1].startswith(
        "test_ui_")


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(request):
    """For Qt tests, as in the program (app.ui.app.GuiThreadGarbageCollector): no automatic
    cycle collection, which could destroy a widget of an earlier test on a worker thread (a
    crash); collect on this, the GUI, thread after the test instead."""
    if not _uses_qt(request):
        yield
        return
    from app.ui.operations import wait_for_operations

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        wait_for_operations()
        gc.collect()
        if was_enabled:
            gc.enable()


@pytest.fixture(autouse=True)
def isolated_settings(request, tmp_path):
    """QSettings of a Qt test live in its own folder, never the user's own."""
    if not _uses_qt(request):
        return None
    from PySide6.QtCore import QSettings

    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | str]:
    """A running PostgreSQL server (or the admin URL of an existing one)."""
    existing = os.environ.get("HHB_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    try:
        server = PostgresServer.start()
    except (PostgresUnavailable, OSError) as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but no PostgreSQL server could be started: {exc}")
        pytest.skip(f"no PostgreSQL server could be started here: {exc}")
    try:
        yield server
    finally:
        server.stop()


def _admin_url(postgres) -> str:
    return postgres if isinstance(postgres, str) else postgres.url


def _database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def postgres_template(postgres) -> str:
    """A database with the current schema, cloned for each test (CREATE DATABASE … TEMPLATE)."""
    admin = create_engine(_admin_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    admin.dispose()
    engine = make_engine(_database_url(_admin_url(postgres), TEMPLATE))
    upgrade(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:  # fold the WAL into the file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def new_postgres_database(postgres, template: str | None) -> str:
    name = f"hhb_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(_admin_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        clause = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f"CREATE DATABASE {name}{clause}"))
    admin.dispose()
    return _database_url(_admin_url(postgres), name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(request, backend, tmp_path) -> str:
    """The URL of a fresh database with the current schema, on each backend in turn."""
    if backend == "sqlite":
        path = tmp_path / "hhb.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    postgres = request.getfixturevalue("postgres")
    return new_postgres_database(postgres, request.getfixturevalue("postgres_template"))


@pytest.fixture
def empty_db_url(request, backend, tmp_path) -> str:
    """The URL of an empty database without any schema, on each backend in turn."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return new_postgres_database(request.getfixturevalue("postgres"), None)


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    database = Database.open(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def uow(db):
    return db.unit_of_work("tester")

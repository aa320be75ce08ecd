"""Shared fixtures of the desktop-client tests: a demo database per backend (built once, cloned
per test) and a helper to let background operations finish. The Qt-only autouse fixtures
(settings in a temp folder, garbage collection on the GUI thread) are in conftest.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import create_engine, text

from app.db import Database
from app.services.demo import create_demo
from app.ui.operations import wait_for_operations
from tests.conftest import _admin_url, new_postgres_database

DEMO_PARTICIPANTS = 50
_templates: dict[str, str] = {}


def _sqlite_demo_template(request) -> str:
    if "sqlite" not in _templates:
        base = Path(request.getfixturevalue("sqlite_template"))
        path = base.parent / "demo_template.db"
        shutil.copy(base, path)
        db = Database.open(f"sqlite:///{path}")
        create_demo(db.unit_of_work("demo"), DEMO_PARTICIPANTS)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        _templates["sqlite"] = str(path)
    return _templates["sqlite"]


def _postgres_demo_template(request) -> str:
    if "postgresql" not in _templates:
        postgres = request.getfixturevalue("postgres")
        url = new_postgres_database(postgres, request.getfixturevalue("postgres_template"))
        db = Database.open(url)
        create_demo(db.unit_of_work("demo"), DEMO_PARTICIPANTS)
        db.dispose()
        _templates["postgresql"] = url.rsplit("/", 1)[1]
    return _templates["postgresql"]


@pytest.fixture
def demo_url(request, backend, tmp_path):
    """A fresh database with the demo municipality (50 participants, 3 months of statements);
    a PostgreSQL one is dropped afterwards, so the server's folder does not grow by a demo
    database per test."""
    if backend == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copy(_sqlite_demo_template(request), path)
        yield f"sqlite:///{path}"
        return
    template = _postgres_demo_template(request)
    postgres = request.getfixturevalue("postgres")
    url = new_postgres_database(postgres, template)
    yield url
    wait_for_operations()
    drop_postgres_database(postgres, url)


@pytest.fixture
def demo_db(demo_url):
    database = Database.open(demo_url)
    try:
        yield database
    finally:
        wait_for_operations()
        database.dispose()


def settle(qtbot=None, rounds: int = 6) -> None:
    """Let background operations finish and their results reach the GUI thread."""
    for _ in range(rounds):
        wait_for_operations()
        QApplication.processEvents()
        time.sleep(0.005)
    QApplication.processEvents()


def drop_postgres_database(postgres, url: str) -> None:
    admin = create_engine(_admin_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
    admin.dispose()

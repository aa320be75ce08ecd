"""Where the database is, how to connect to it, and keeping its schema in step with the code.

The URL comes from ``--db``, else ``HHB_DATABASE_URL``, else the embedded SQLite file in the
user's data folder. The embedded (SQLite) database is upgraded on start; a shared database is
only checked, because only its administrator may run ``huishoudboekje db upgrade``.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import UserError, first_line

if TYPE_CHECKING:
    from app.services.unit_of_work import UnitOfWork

APP_NAME = "Huishoudboekje"
MIGRATIONS = Path(__file__).parent / "migrations"


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "huishoudboekje.db"


def resolve_url(cli_url: str | None = None) -> str:
    """``--db`` wins, then ``HHB_DATABASE_URL``, then the embedded file."""
    url = cli_url or os.environ.get("HHB_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{default_database_path()}"


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


WRITE_OPTION = "hhb_write"


def _sqlite_begin(conn) -> None:
    # A write transaction takes SQLite's write lock at BEGIN, so two writers queue up (busy
    # timeout) instead of one failing half-way with "database is locked"; reads stay deferred.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserError(f"Ongeldige database-URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg 3 here
            parsed = parsed.set(drivername="postgresql+psycopg")
        # hide_parameters: an error (and so the log file) never holds the values of a statement,
        # which can be a BSN or a name.
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    raise UserError(
        f"Database {parsed.get_backend_name()!r} wordt niet ondersteund: "
        "gebruik sqlite:///… of postgresql+psycopg://…"
    )


def is_embedded(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migrations folder has no head revision"
    return head


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        return False


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise UserError(f"Kan de database niet openen: {first_line(exc)}") from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or migrate the schema to the newest version; returns (before, after)."""
    before = current_revision(engine)
    _refuse_unknown_revision(before)
    command.upgrade(alembic_config(engine), "head")
    if not is_embedded(engine):
        from app import security

        with engine.begin() as connection:
            security.apply(connection)
    return before, head_revision()


def _refuse_unknown_revision(revision: str | None) -> None:
    if revision is not None and not _known(revision):
        raise UserError(
            f"De database heeft schemaversie {revision}, nieuwer dan dit programma "
            f"(verwacht {head_revision()}). Werk het programma bij."
        )


def ensure_schema(engine: Engine) -> None:
    """Upgrade the embedded database; refuse a shared one whose schema is not ours."""
    current, expected = current_revision(engine), head_revision()
    if current == expected:
        return
    if is_embedded(engine):
        upgrade(engine)
        return
    if current is None:
        raise UserError(
            "De gedeelde database heeft nog geen schema (verwacht versie "
            f"{expected}). Laat de beheerder 'huishoudboekje db upgrade' uitvoeren."
        )
    if not _known(current):
        raise UserError(
            f"De gedeelde database heeft schemaversie {current}, nieuwer dan dit programma "
            f"(verwacht {expected}). Werk het programma bij."
        )
    raise UserError(
        f"De gedeelde database heeft schemaversie {current}, ouder dan dit programma "
        f"(verwacht {expected}). Laat de beheerder 'huishoudboekje db upgrade' uitvoeren."
    )


@dataclass
class Database:
    """An engine plus a session factory; what the services and the UI are handed."""

    engine: Engine
    sessions: sessionmaker[Session]  # for reading
    write_sessions: sessionmaker[Session]  # for the unit of work of a service

    @classmethod
    def open(cls, url: str, *, check_schema: bool = True) -> Database:
        engine = make_engine(url)
        if check_schema:
            ensure_schema(engine)
        return cls(
            engine,
            sessionmaker(engine, expire_on_commit=False),
            sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False),
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read-only session (queries for screens and exports)."""
        with self.sessions() as session:
            yield session

    def default_actor(self) -> str:
        """Who is acting: the database login on a shared server, else the computer's user."""
        return self.engine.url.username or getpass.getuser()

    def unit_of_work(self, actor: str | None = None) -> UnitOfWork:
        from app.services.unit_of_work import UnitOfWork

        return UnitOfWork(self, actor or self.default_actor())

    def describe(self) -> str:
        """The URL without its password, for status bars and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


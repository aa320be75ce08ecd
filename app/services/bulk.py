"""Inserting many rows at once (workbook migration, demo data, later large statements).

SQLite takes one executemany. PostgreSQL takes COPY, several times faster than even pipelined
INSERTs for tens of thousands of rows; COPY skips SQLAlchemy's Python-side column defaults,
so they are filled in here first.
"""

from __future__ import annotations

import enum
from typing import Any

import psycopg
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

COPY_FROM_ROWS = 500  # below this an INSERT is as fast and simpler


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        _copy(session, table, rows)
    else:
        session.execute(insert(table), rows)


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for ``count`` rows about to be inserted in bulk, when other rows (their bookings)
    must name them before they are written. PostgreSQL: from the table's own sequence, as an
    INSERT would take them. SQLite: after the highest id; safe because the caller has written
    in this transaction already, so SQLite's write lock keeps every other writer out."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                 "FROM generate_series(1, :count)"),
            {"table": table.name, "count": count}))
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    given = list(rows[0])
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in given and column.default is not None
    }
    columns = given + list(defaults)
    # Defaults are evaluated once for the whole batch, as one INSERT statement would.
    default_values = [
        default.arg if default.is_scalar else default.arg(None) for default in defaults.values()
    ]
    quoted = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([_plain(row[key]) for key in given] + default_values)
    except psycopg.IntegrityError as exc:
        # As an INSERT through SQLAlchemy would raise it: callers catch one kind of error.
        raise IntegrityError(statement, None, exc) from exc


def _plain(value: Any) -> Any:
    # Enum columns hold the (Dutch) value; psycopg would otherwise write the member's name.
    return value.value if isinstance(value, enum.Enum) else value

"""Inserting many rows at once (workbook migration, demo data, later large statements), and
asking for rows by a long list of keys.

SQLite takes one executemany. PostgreSQL takes COPY, several times faster than even pipelined
INSERTs for tens of thousands of rows; COPY skips SQLAlchemy's Python-side column defaults,
so they are filled in here first.
"""

from __future__ import annotations

import enum
import sqlite3
from typing import Any

import psycopg
from sqlalchemy import ARRAY, Connection, Table, any_, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

COPY_FROM_ROWS = 500  # below this an INSERT is as fast and simpler


def among(column: Any, values: Any, bind: Session | Connection) -> ColumnElement[bool]:
    """``column IN (values)`` for a list of thousands (an import's keys, the signals of a
    round of participants, the matcher's chunks). On PostgreSQL ``column = ANY(:array)``: one
    parameter, where thousands of them cost psycopg more to fit into the query text than the
    database needs to answer it. Measured per query, not everywhere: for the bookings of a
    round of participants (``signals.load_facts``) the database planned the IN list better."""
    dialect = bind.dialect if isinstance(bind, Connection) else bind.get_bind().dialect
    values = list(values)
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        _copy(session, table, rows)
    elif dialect == "sqlite" and len(rows) >= COPY_FROM_ROWS:
        _executemany(session, table, rows)
    else:
        session.execute(insert(table), rows)


def _executemany(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """SQLite: one executemany of plain tuples on the driver's cursor. SQLAlchemy's own
    executemany builds a parameter dict per row, twice the time of SQLite's inserting; the
    columns' own bind processors (dates, enums, booleans) still shape each value."""
    columns, default_values = _columns_and_defaults(table, rows[0])
    given = len(columns) - len(default_values)
    dialect = session.get_bind().dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in columns[:given]]
    defaults = tuple(_processed(table.c[name], value, dialect)
                     for name, value in zip(columns[given:], default_values, strict=True))
    keys = columns[:given]
    shaped = [(i, p) for i, p in enumerate(processors) if p is not None]
    data = []
    for row in rows:
        values = [row[key] for key in keys]
        for i, process in shaped:
            values[i] = process(values[i])
        data.append((*values, *defaults))
    quoted = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" * len(columns))
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', data)
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(f"INSERT INTO {table.name}", None, exc) from exc
    finally:
        cursor.close()


def _processed(column, value: Any, dialect) -> Any:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def _columns_and_defaults(table: Table, first: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The columns given in the rows, then those left to their Python-side defaults, with
    the default values evaluated once for the whole batch, as one INSERT statement would."""
    given = list(first)
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in given and column.default is not None
    }
    values = [default.arg if default.is_scalar else default.arg(None)
              for default in defaults.values()]
    return given + list(defaults), values


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
    columns, default_values = _columns_and_defaults(table, rows[0])
    given = columns[: len(columns) - len(default_values)]
    quoted = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({quoted}) FROM STDIN'
    defaults = tuple(_plain(value) for value in default_values)
    # Enum columns hold the (Dutch) value; psycopg would otherwise write the member's name.
    enums = [i for i, key in enumerate(given) if isinstance(rows[0][key], enum.Enum)
             or isinstance(getattr(table.c[key].type, "enum_class", None), type)]
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[key] for key in given]
                for i in enums:
                    values[i] = _plain(values[i])
                copy.write_row((*values, *defaults))
    except psycopg.IntegrityError as exc:
        # As an INSERT through SQLAlchemy would raise it: callers catch one kind of error.
        raise IntegrityError(statement, None, exc) from exc


def _plain(value: Any) -> Any:
    # Enum columns hold the (Dutch) value; psycopg would otherwise write the member's name.
    return value.value if isinstance(value, enum.Enum) else value

"""Declarative base and the column helpers every model uses."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, String, type_coerce
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def Timestamp() -> DateTime:  # noqa: N802 - reads like a type in column definitions
    return DateTime(timezone=True)


# Money is integer cents; BigInteger so that totals of a whole municipality never overflow.
Cents = BigInteger


def stored_text(column: Any) -> Any:
    """The column as the text it is stored as: an enum column's value without making its
    enum member (on the paths that read 100,000 rows, that conversion and ``.value`` cost
    more than the query)."""
    return type_coerce(column, String)


def enum_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR + CHECK constraint holding the (Dutch) values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_class) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )

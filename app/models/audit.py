"""The audit trail (who, when, what, before and after) and shared settings."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamp, utcnow


class AuditResult(enum.StrEnum):
    DONE = "gedaan"
    REFUSED = "geweigerd"


class AuditEntry(Base):
    """One row per service call, refused action, opened dossier and BSN reveal. ``hash`` chains
    each row to the one before it, so ``huishoudboekje audit verify`` detects a changed, inserted
    or removed row. On PostgreSQL a trigger fills ``db_user``, ``at``, the id and the hashes
    (nobody can write another login's name or break the chain) and refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(63))  # the employee (login name) as the program knows
    db_user: Mapped[str | None] = mapped_column(String(63))  # the database login; None before 0009
    role: Mapped[str | None] = mapped_column(String(40))  # the actor's role(s) at the time
    host: Mapped[str | None] = mapped_column(String(255))  # the workstation
    result: Mapped[str | None] = mapped_column(String(10))  # AuditResult; None before 0009
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the last audit hash; locked while appending so that concurrent
    writers on the shared database extend one chain instead of forking it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """Municipality-wide settings (name, sender line, envelope window …) as key/value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

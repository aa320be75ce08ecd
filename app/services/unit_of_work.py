"""The unit of work: one service call = one database transaction = one audit row.

Usage in a service::

    with uow:
        ...change ORM objects through uow.session...
        uow.record("deelnemer aangemaakt", participant, before=None, after=snapshot(p))
        uow.commit()

Leaving the ``with`` block without ``commit()`` rolls everything back, audit rows included.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError
from app.models import AuditEntry, AuditHead, Base
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.db import Database


# Session.info key: {name: callable(session)} that commit() runs first, e.g. the signals of the
# participants this transaction touched (app.services.signals.touch).
BEFORE_COMMIT = "before_commit"

CONFLICT = ConflictError(
    "Iemand anders heeft dit intussen gewijzigd. Laad het opnieuw en probeer het nog eens."
)


@dataclass
class _PendingAudit:
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class UnitOfWork:
    def __init__(self, db: Database, actor: str):
        self.db = db
        self.actor = actor
        self._session: Session | None = None
        self._pending: list[_PendingAudit] = []

    @property
    def session(self) -> Session:
        assert self._session is not None, "use the unit of work inside 'with uow:'"
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.write_sessions()
        self._pending = []
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        assert self._session is not None
        self._session.rollback()  # a no-op after commit()
        self._session.close()
        self._session = None
        if exc_type is not None and issubclass(exc_type, StaleDataError):
            raise CONFLICT from None

    def record(
        self,
        action: str,
        entity: str | Base,
        entity_id: object = None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Queue the audit row of this action; it is written by commit()."""
        if isinstance(entity, Base):
            self.session.flush()
            entity_id = inspect(entity).identity[0] if entity_id is None else entity_id
            entity = type(entity).__tablename__
        self._pending.append(
            _PendingAudit(action, entity, None if entity_id is None else str(entity_id),
                          before, after)
        )

    def commit(self) -> None:
        assert self._pending, "every service call leaves an audit row"
        for hook in list(self.session.info.pop(BEFORE_COMMIT, {}).values()):
            hook(self.session)
        self.session.flush()
        _append_audit(self.session, self.actor, self._pending)
        self.session.commit()
        self._pending = []

    def check_version(self, obj: Base, expected_version: int | None) -> None:
        """Refuse to save over a change somebody else made since the screen loaded ``obj``."""
        if expected_version is not None and obj.version != expected_version:
            raise CONFLICT


def snapshot(obj: Base, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of a model object as JSON-ready data (before/after of an audit row)."""
    mapper = inspect(type(obj))
    return {
        column.key: to_json_value(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in exclude
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ, so an audit row of an edit says what was edited."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def to_json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _utc_text(moment: datetime) -> str:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(data: dict[str, Any] | None) -> str | None:
    return None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True)


def entry_hash(entry: AuditEntry) -> str:
    payload = "\x1f".join(
        [
            entry.prev_hash,
            _utc_text(entry.at),
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id or "",
            entry.before or "",
            entry.after or "",
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _append_audit(session: Session, actor: str, pending: list[_PendingAudit]) -> None:
    # The head row is locked until commit: concurrent writers extend one chain in turn.
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    previous = head.last_hash
    now = utcnow()
    entries = []
    for item in pending:
        entry = AuditEntry(
            at=now,
            actor=actor,
            action=item.action,
            entity=item.entity,
            entity_id=item.entity_id,
            before=_dumps(item.before),
            after=_dumps(item.after),
            prev_hash=previous,
        )
        entry.hash = previous = entry_hash(entry)
        entries.append(entry)
    session.add_all(entries)
    session.flush()
    head.last_hash = previous
    head.last_id = entries[-1].id

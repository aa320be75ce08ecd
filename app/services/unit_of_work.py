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
import getpass
import hashlib
import json
import logging
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import NO_RIGHTS, ConflictError, ForbiddenError, refused_by_database
from app.models import AuditEntry, AuditHead, Base, Role
from app.models.audit import AuditResult
from app.models.base import utcnow

if TYPE_CHECKING:
    from app.db import Database
    from app.services.permissions import Standing

log = logging.getLogger(__name__)


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
        self._standing: Standing | None = None
        # Set by require() (app.services.permissions.requires): a service that commits
        # without asking first is a programming error.
        self.permitted = False
        # A SECURITY DEFINER function wrote this transaction's audit row (the BSN reveal).
        self.audited_in_database = False
        self.action: str | None = None  # what require() was asked for: names a refusal

    @property
    def standing(self) -> Standing:
        """Who is acting and which roles they hold: from the database, not from a setting."""
        if self._standing is None:
            from app.services.permissions import standing_of

            self._standing = standing_of(self.db, self.actor)
        return self._standing

    def require(self, roles: Collection[Role], action: str) -> None:
        """Go on only if the actor holds one of ``roles``; else a refused row and one line."""
        from app.services.permissions import role_names

        standing = self.standing
        self.action = action
        if standing.may(roles):
            self.permitted = True
            return
        self.refuse(action, "rechten", None, reason=f"rol {standing.label}")
        raise ForbiddenError(
            f"Geen rechten: {action} is voor {role_names(roles)}; u bent {standing.label}")

    def refuse(self, action: str, entity: str, entity_id: object = None, *,
               reason: str | None = None, after: dict[str, Any] | None = None) -> None:
        """Log a refused action in its own transaction: the action's own one rolls back."""
        details = dict(after or {})
        if reason:
            details["reden"] = reason
        row = _PendingAudit(action, entity, None if entity_id is None else str(entity_id),
                            None, details or None)
        try:
            with self.db.write_sessions() as session:
                _append_audit(session, self, [row], AuditResult.REFUSED)
                session.commit()
        except DBAPIError:  # a login that may not even write the log: the refusal stands
            log.warning("refused action %r could not be logged", action, exc_info=True)

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
        refusal = getattr(exc, "refusal", None)
        if refusal is not None:
            action, entity, details = refusal
            self.refuse(action, entity, after=details)
        if exc is not None and refused_by_database(exc):
            self.refuse(self.action or "wijziging", "database",
                        reason=str(getattr(exc, "orig", exc)).splitlines()[0])
            raise ForbiddenError(NO_RIGHTS) from None

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
        assert self._pending or self.audited_in_database, "every service call leaves an audit row"
        assert self.permitted, "service without @requires: it commits without asking the role"
        for hook in list(self.session.info.pop(BEFORE_COMMIT, {}).values()):
            hook(self.session)
        self.session.flush()
        if self._pending:
            _append_audit(self.session, self, self._pending, AuditResult.DONE)
        self.session.commit()
        self._pending = []

    def check_version(self, obj: Base, expected_version: int | None) -> None:
        """Refuse to save over a change somebody else made since the screen loaded ``obj``."""
        if expected_version is not None and obj.version != expected_version:
            raise CONFLICT


# Never in an audit row (the trail is read by teamleaders and beheerders, and exported).
NEVER_LOGGED = frozenset({"bsn"})


def snapshot(obj: Base, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of a model object as JSON-ready data (before/after of an audit row)."""
    mapper = inspect(type(obj))
    return {
        column.key: to_json_value(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in exclude and column.key not in NEVER_LOGGED
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
    """The row's link in the chain. The PostgreSQL trigger hhb_audit_chain (app.security)
    computes the same; rows from before 0009 (no result) hash without the newer fields."""
    parts = [
        entry.prev_hash,
        _utc_text(entry.at),
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id or "",
        entry.before or "",
        entry.after or "",
    ]
    if entry.result is not None:
        parts += [entry.db_user or "", entry.role or "", entry.host or "", entry.result]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


_HOST = socket.gethostname()


def host_name() -> str:
    """The workstation, as the audit trail names it."""
    return _HOST


def _append_audit(session: Session, uow: UnitOfWork, pending: list[_PendingAudit],
                  result: AuditResult) -> None:
    role = uow.standing.label
    if session.get_bind().dialect.name == "postgresql":
        # The trigger takes the head's lock, the id, the time, the login and the hashes.
        session.execute(insert(AuditEntry), [
            {"actor": uow.actor, "action": item.action, "entity": item.entity,
             "entity_id": item.entity_id, "before": _dumps(item.before),
             "after": _dumps(item.after), "role": role, "host": _HOST,
             "result": result.value}
            for item in pending])
        return
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
            actor=uow.actor,
            action=item.action,
            entity=item.entity,
            entity_id=item.entity_id,
            before=_dumps(item.before),
            after=_dumps(item.after),
            db_user=getpass.getuser(),
            role=role,
            host=_HOST,
            result=result.value,
            prev_hash=previous,
        )
        entry.hash = previous = entry_hash(entry)
        entries.append(entry)
    session.add_all(entries)
    session.flush()
    head.last_hash = previous
    head.last_id = entries[-1].id

"""Small shared helpers for the database tests."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.models import AuditEntry


def audit_rows(db, action: str | None = None) -> list[AuditEntry]:
    with db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def last_audit(db) -> AuditEntry:
    rows = audit_rows(db)
    assert rows, "expected an audit row"
    return rows[-1]


def audit_json(entry: AuditEntry, side: str) -> dict:
    value = getattr(entry, side)
    return json.loads(value) if value else {}


VALID_BSNS = ["111222333", "123456782", "010000008", "999999990"]


def bsn_of(db, participant_id: int) -> str:
    """The stored BSN, read as the tests' owner login may (the program reads it only through
    app.services.bsn, logged)."""
    from app.models import Participant

    with db.read() as session:
        return session.scalar(select(Participant.bsn).where(Participant.id == participant_id))

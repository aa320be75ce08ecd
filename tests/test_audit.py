"""The audit trail: one row per service call, chained so tampering shows."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import delete, update

from app.errors import ValidationError
from app.models import AuditEntry
from app.security import MAINTENANCE_FLAG
from app.services.accounts import add_municipal_account
from app.services.audit import verify
from app.services.employees import add_employee


def make_history(db) -> None:
    add_municipal_account(db.unit_of_work("beheer"), "NL86INGB0002445588", "Gemeente Utrecht")
    for name in ("anna", "bram", "cem"):
        add_employee(db.unit_of_work("beheer"), name, "backoffice")


def test_chain_of_untouched_log_verifies(db):
    make_history(db)
    with db.read() as session:
        report = verify(session)
    assert report.ok and report.rows == 4


@contextmanager
def tampering(db):
    """The owner tampering on purpose: on PostgreSQL the triggers refuse it without the flag."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL {MAINTENANCE_FLAG} = 'aan'")
        yield conn


def test_changed_row_is_detected(db):
    make_history(db)
    with tampering(db) as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="iemand"))
    with db.read() as session:
        report = verify(session)
    assert report.problems == ["rij 2: inhoud is gewijzigd"]


def test_removed_row_and_removed_tail_are_detected(db):
    make_history(db)
    with tampering(db) as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    with db.read() as session:
        assert verify(session).problems == ["rij 3: sluit niet aan op de vorige rij"]
    with tampering(db) as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.id >= 3))
    with db.read() as session:
        assert "ontbreken" in verify(session).problems[-1]


def test_failed_service_call_leaves_no_audit_row(db):
    make_history(db)
    with pytest.raises(ValidationError, match="bestaat al"):
        add_employee(db.unit_of_work("beheer"), "anna", "backoffice")
    with db.read() as session:
        report = verify(session)
    assert report.ok and report.rows == 4

"""Bulk inserts give the same rows as ordinary inserts: enum values, Python-side defaults."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.models import Employee, Role
from app.services.bulk import COPY_FROM_ROWS, insert_rows


def test_many_rows_keep_enum_values_and_defaults(db):
    # Enough rows for PostgreSQL's COPY path; 'active' is left to its default (True).
    rows = [{"username": f"user{i}", "name": f"Medewerker {i}", "role": Role.ADMIN}
            for i in range(COPY_FROM_ROWS + 10)]
    with db.write_sessions() as session:
        insert_rows(session, Employee.__table__, rows)
        session.commit()
    with db.read() as session:
        employees = session.scalars(select(Employee).order_by(Employee.id)).all()
        raw_roles = set(session.scalars(text("SELECT DISTINCT role FROM employees")))
    assert len(employees) == COPY_FROM_ROWS + 10
    assert {e.role for e in employees} == {Role.ADMIN}
    assert raw_roles == {"beheerder"}  # the Dutch value, not the member's name
    assert all(e.active for e in employees)
    assert employees[7].username == "user7"


def test_a_duplicate_is_the_same_integrity_error_on_either_path(db):
    # COPY (PostgreSQL, many rows) raises the driver's error; callers see SQLAlchemy's, as
    # from an INSERT, so one `except IntegrityError` serves both (the payout planner's does).
    rows = [{"username": f"user{i}", "name": f"Medewerker {i}", "role": Role.ADMIN}
            for i in range(COPY_FROM_ROWS + 10)]
    rows.append(dict(rows[3]))
    with db.write_sessions() as session, pytest.raises(IntegrityError):
        insert_rows(session, Employee.__table__, rows)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Employee)) == 0

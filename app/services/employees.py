"""Employees (medewerkers) and their roles."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.errors import ValidationError
from app.models import Employee, Role
from app.services import validation
from app.services.unit_of_work import UnitOfWork, snapshot

_USERNAME = re.compile(r"[a-z_][a-z0-9_.\-]{0,62}")


def add_employee(
    uow: UnitOfWork,
    username: str,
    role: Role | str,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> int:
    """``users add NAME --role ROLE``: a new employee; the name is also the login name."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            f"Ongeldige gebruikersnaam {username!r}: kleine letters, cijfers, punt, streepje",
            "gebruikersnaam",
        )
    role = validation.choice(role, Role, "rol")
    with uow:
        taken = uow.session.scalar(
            select(func.count()).where(func.lower(Employee.username) == username)
        )
        if taken:
            raise ValidationError(f"Gebruiker {username!r} bestaat al", "gebruikersnaam")
        employee = Employee(
            username=username,
            name=validation.text(name, "naam", 200) or username,
            role=role,
            phone=validation.phone(phone) if phone else None,
            email=validation.email(email) if email else None,
        )
        uow.session.add(employee)
        uow.record("medewerker toegevoegd", employee, after=snapshot(employee))
        uow.commit()
        return employee.id

"""Employees (medewerkers) and their roles."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.errors import NotFoundError, ValidationError
from app.models import Employee, Role
from app.services import validation
from app.services.unit_of_work import UnitOfWork, changed, snapshot

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


def update_employee(
    uow: UnitOfWork,
    employee_id: int,
    *,
    name: str | None = None,
    role: Role | str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> None:
    """Change an employee's name, role, phone or e-mail (the username stays: it is the login).
    Only the arguments given are changed; an empty phone or e-mail clears it."""
    changes: dict = {}
    if name is not None:
        validation.required(name, "naam")
        changes["name"] = validation.text(name, "naam", 200)
    if role is not None:
        changes["role"] = validation.choice(role, Role, "rol")
    if phone is not None:
        changes["phone"] = validation.phone(phone) if phone.strip() else None
    if email is not None:
        changes["email"] = validation.email(email) if email.strip() else None
    with uow:
        employee = _get(uow, employee_id)
        if changes.get("role", Role.ADMIN) != Role.ADMIN and employee.role == Role.ADMIN:
            _keep_one_admin(uow, employee)
        before = snapshot(employee)
        for key, value in changes.items():
            setattr(employee, key, value)
        before, after = changed(before, snapshot(employee))
        if not after:
            return  # nothing changed: no transaction, no audit row
        uow.record("medewerker gewijzigd", employee, before=before, after=after)
        uow.commit()


def set_employee_active(uow: UnitOfWork, employee_id: int, active: bool) -> None:
    """Deactivate an employee who left (or reactivate one). The participants in their caseload
    keep them as contact person until a team leader assigns somebody else."""
    with uow:
        employee = _get(uow, employee_id)
        if employee.active == active:
            state = "actief" if active else "inactief"
            raise ValidationError(f"{employee.name} is al {state}", "actief")
        if not active and employee.role == Role.ADMIN:
            _keep_one_admin(uow, employee)
        employee.active = active
        uow.record("medewerker geactiveerd" if active else "medewerker gedeactiveerd", employee,
                   before={"active": not active}, after={"active": active})
        uow.commit()


def _get(uow: UnitOfWork, employee_id: int) -> Employee:
    employee = uow.session.get(Employee, employee_id)
    if employee is None:
        raise NotFoundError(f"Medewerker {employee_id} bestaat niet")
    return employee


def _keep_one_admin(uow: UnitOfWork, employee: Employee) -> None:
    """Somebody must stay able to open Instellingen."""
    others = uow.session.scalar(select(func.count()).where(
        Employee.role == Role.ADMIN, Employee.active, Employee.id != employee.id))
    if not others:
        raise ValidationError(f"{employee.name} is de enige actieve beheerder; maak eerst een "
                              "ander beheerder", "rol")

"""Employees (medewerkers) and their roles.

On the shared PostgreSQL database an employee is also a login: adding one creates it in the
group of their role, a new role moves it to that group, deactivating takes away the right to
connect (their history stays). The logins are made by SECURITY DEFINER functions the beheerder
may call (app.security); the password reaches the server only as a SCRAM verifier. On the
embedded SQLite file the roles are the program's only.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError
from app.models import Employee, Role
from app.security import GROUPS, scram_verifier
from app.services import validation
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork, changed, snapshot

_USERNAME = re.compile(r"[a-z_][a-z0-9_.\-]{0,62}")
MIN_PASSWORD = 12
_DUPLICATE_OBJECT = "42710"


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def needs_password(uow: UnitOfWork) -> bool:
    """Whether adding an employee here creates a database login (and so needs a password)."""
    return uow.db.engine.dialect.name == "postgresql"


@requires(Role.ADMIN, action="medewerker toevoegen")
def add_employee(
    uow: UnitOfWork,
    username: str,
    role: Role | str,
    *,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
) -> int:
    """``users add NAME --role ROLE``: a new employee; the name is also the login name. On
    PostgreSQL with a ``password`` their login is created in the group of the role."""
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
        # Without a password no login is made: an employee who is only a contact person, or
        # whose login the database administrator keeps elsewhere (users add always asks one).
        login = _postgres(uow.session) and password is not None
        if login:
            _create_login(uow.session, username, role, password)
        uow.record("medewerker toegevoegd", employee,
                   after={**snapshot(employee), "databaselogin": login})
        uow.commit()
        return employee.id


def _create_login(session: Session, username: str, role: Role, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"Geef een wachtwoord van minstens {MIN_PASSWORD} tekens",
                              "wachtwoord")
    try:
        with session.begin_nested():
            session.execute(text("SELECT hhb_login_create(:name, :verifier, :group)"),
                            {"name": username, "verifier": scram_verifier(password),
                             "group": GROUPS[role]})
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _DUPLICATE_OBJECT:
            raise ValidationError(f"Er bestaat al een databasegebruiker {username!r}; kies een "
                                  "andere naam", "gebruikersnaam") from None
        raise


def find_employee(uow: UnitOfWork, username: str) -> int:
    """The id of the employee with this login name (``users disable NAME``)."""
    with uow.db.read() as session:
        employee_id = session.scalar(select(Employee.id).where(
            func.lower(Employee.username) == username.strip().lower()))
    if employee_id is None:
        raise NotFoundError(f"Medewerker {username!r} bestaat niet")
    return employee_id


@requires(Role.ADMIN, action="medewerker wijzigen")
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
        if "role" in after and _postgres(uow.session):
            after["databaselogin"] = bool(uow.session.scalar(
                text("SELECT hhb_login_set_group(:name, :group)"),
                {"name": employee.username, "group": GROUPS[employee.role]}))
        uow.record("medewerker gewijzigd", employee, before=before, after=after)
        uow.commit()


@requires(Role.ADMIN, action="medewerker (de)activeren")
def set_employee_active(uow: UnitOfWork, employee_id: int, active: bool) -> None:
    """Deactivate an employee who left (or reactivate one). The participants in their caseload
    keep them as contact person until a team leader assigns somebody else. On PostgreSQL their
    login can no longer connect (or can again)."""
    with uow:
        employee = _get(uow, employee_id)
        if employee.active == active:
            state = "actief" if active else "inactief"
            raise ValidationError(f"{employee.name} is al {state}", "actief")
        if not active and employee.role == Role.ADMIN:
            _keep_one_admin(uow, employee)
        employee.active = active
        after: dict = {"active": active}
        if _postgres(uow.session):
            after["databaselogin"] = bool(uow.session.scalar(
                text("SELECT hhb_login_enable(:name, :enabled)"),
                {"name": employee.username, "enabled": active}))
        uow.record("medewerker geactiveerd" if active else "medewerker gedeactiveerd", employee,
                   before={"active": not active}, after=after)
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

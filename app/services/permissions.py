"""Who may do what, checked by the services themselves (not only by the screens).

The role comes from the database: on PostgreSQL from the login's group (``pg_has_role``, see
``app.security``), never from a setting a user could change; on the embedded SQLite file from
the employee whose name the program runs under. Whoever owns the PostgreSQL schema, and whoever
runs the embedded database without being an employee in it, is its owner and may do everything
(``db upgrade``, the demo, the tests). PostgreSQL refuses on its own what a role may not do; the
services refuse first, with one Dutch line and a refused row in the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sqlalchemy import func, select, text

from app.models import Employee, Role
from app.security import GROUPS, ROLE_OF_GROUP

if TYPE_CHECKING:
    from app.db import Database
    from app.services.unit_of_work import UnitOfWork

EVERYONE = frozenset(Role)
# The one role the client shows when a login holds several (it should hold one).
_PRECEDENCE = (Role.ADMIN, Role.TEAMLEADER, Role.BACKOFFICE, Role.FRONTOFFICE)
_DUTCH = {Role.BACKOFFICE: "backoffice", Role.FRONTOFFICE: "frontoffice",
          Role.TEAMLEADER: "teamleider", Role.ADMIN: "beheerder"}


@dataclass(frozen=True)
class Standing:
    """Who is acting: the employee (if any), their roles, and whether they own the database."""

    actor: str
    roles: frozenset[Role]
    owner: bool = False
    employee_id: int | None = None
    name: str | None = None

    def may(self, roles: Collection[Role]) -> bool:
        return self.owner or bool(self.roles & frozenset(roles))

    @property
    def role(self) -> Role | None:
        """The role the screens are chosen by (the owner sees what a beheerder sees)."""
        if self.owner:
            return Role.ADMIN
        return next((role for role in _PRECEDENCE if role in self.roles), None)

    @property
    def label(self) -> str:
        if self.owner:
            return "eigenaar"
        return ", ".join(_DUTCH[role] for role in _PRECEDENCE if role in self.roles) or "geen rol"


def role_names(roles: Collection[Role]) -> str:
    names = [_DUTCH[role] for role in _PRECEDENCE if role in roles]
    if not names:
        return "de eigenaar van de database"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " of " + names[-1]


def standing_of(db: Database, actor: str) -> Standing:
    with db.read() as session:
        employee = session.scalar(
            select(Employee).where(func.lower(Employee.username) == actor.lower()))
        employee_id = employee.id if employee else None
        name = employee.name if employee else None
        if session.get_bind().dialect.name != "postgresql":
            if employee is None:
                return Standing(actor, EVERYONE, owner=True)
            return Standing(actor, frozenset({employee.role}) if employee.active else frozenset(),
                            employee_id=employee_id, name=name)
        row = session.execute(text(
            "SELECT r.rolsuper OR pg_has_role(session_user, c.relowner, 'MEMBER') AS owner "
            "FROM pg_roles AS r, pg_class AS c "
            "WHERE r.rolname = session_user AND c.oid = to_regclass('audit_log')")).one_or_none()
        if row is not None and row.owner:
            return Standing(actor, EVERYONE, owner=True, employee_id=employee_id, name=name)
        groups = session.scalars(text(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(:groups) "
            "AND pg_has_role(session_user, oid, 'MEMBER')"),
            {"groups": list(GROUPS.values())}).all()
        return Standing(actor, frozenset(ROLE_OF_GROUP[group] for group in groups),
                        employee_id=employee_id, name=name)


P = ParamSpec("P")
T = TypeVar("T")


def requires(*roles: Role, action: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A service that only these roles may run. ``action`` names it in the refusal ("Geen
    rechten: {action} is voor …") and in its refused audit row."""
    allowed = frozenset(roles)

    def decorate(service: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(service)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            uow: UnitOfWork = args[0]  # type: ignore[assignment]
            uow.require(allowed, action)
            return service(*args, **kwargs)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        guarded.action = action  # type: ignore[attr-defined]
        return guarded

    return decorate

"""The services check the role themselves (issue 15): every service is decorated with
``@requires``, refuses each role it is not for before it does anything (one refused audit row,
one Dutch line), and has its audit row tested in tests/test_service_audit.py.

The services are found by walking ``app.services``, so a new service is covered (or fails
here) without anybody adding it to a list by hand."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

import app.services
from app.db import Database
from app.errors import ForbiddenError
from app.models import AuditEntry, Role
from app.models.audit import AuditResult
from app.services.employees import add_employee
from app.services.permissions import role_names
from tests.test_service_audit import AUDITED

# Public functions that take a UnitOfWork but are steps inside a caller's unit of work (the
# caller asked for the role), not services of their own. Each one commits only through its
# caller, so UnitOfWork.commit() still refuses one that is called without a check.
IN_TRANSACTION_HELPERS = {
    "accounts.store_account",  # commits the caller's account (organisation, participant, …)
    "employees.find_employee",  # a lookup
    "employees.needs_password",  # reads the engine's dialect, writes nothing
    "matching.rematch_open_queue",  # re-match before the caller's commit
    "participants.get_participant",  # a lookup
    "participants.take_status_step",  # the status step inside change_status / settle_exit
}
DUTCH = {Role.BACKOFFICE: "backoffice", Role.FRONTOFFICE: "frontoffice",
         Role.TEAMLEADER: "teamleider", Role.ADMIN: "beheerder"}


def _modules():
    for info in pkgutil.iter_modules(app.services.__path__):
        yield importlib.import_module(f"app.services.{info.name}")


def _own_functions(module):
    for name, value in vars(module).items():
        if (inspect.isfunction(value) and not name.startswith("_")
                and value.__module__ == module.__name__):
            yield f"{module.__name__.rsplit('.', 1)[1]}.{name}", value


def decorated_services() -> dict[str, Callable]:
    """Every service with ``@requires``, as 'module.function'."""
    return {name: function for module in _modules() for name, function in _own_functions(module)
            if hasattr(function, "allowed_roles")}


def takes_a_unit_of_work(function: Callable) -> bool:
    parameters = list(inspect.signature(inspect.unwrap(function)).parameters.values())
    return bool(parameters) and parameters[0].annotation in ("UnitOfWork", "uow.UnitOfWork")


def action_of(service: Callable) -> str:
    """The Dutch label given to ``@requires(…, action=…)``."""
    return inspect.getclosurevars(service).nonlocals["action"]


SERVICES = decorated_services()


def test_the_services_are_found():
    assert len(SERVICES) > 50
    for name in ("bsn.reveal_bsn", "bookings.book_transaction", "payouts.create_batch",
                 "participants.open_dossier", "demo.create_demo", "employees.add_employee"):
        assert name in SERVICES
    assert SERVICES["demo.create_demo"].allowed_roles == frozenset()  # the owner only
    assert "participants.reveal_bsn" not in SERVICES  # imported there, checked where it lives
    assert all(action_of(service) for service in SERVICES.values())
    assert all(service.allowed_roles <= frozenset(Role) for service in SERVICES.values())


def test_every_function_that_takes_a_unit_of_work_asks_for_the_role():
    """A service without ``@requires`` fails here already, before any test runs it."""
    unchecked = {name for module in _modules() for name, function in _own_functions(module)
                 if takes_a_unit_of_work(function) and not hasattr(function, "allowed_roles")}
    assert unchecked == IN_TRANSACTION_HELPERS


def test_every_service_has_its_audit_row_tested():
    """tests/test_service_audit.py says which services it covers (its ``covers`` marks): a new
    service without an audit test fails here, and so does a name that is no service."""
    assert set(SERVICES) - set(AUDITED) == set()
    assert set(AUDITED) - set(SERVICES) == set()


# -- every role a service is not for is refused ---------------------------------------------

@pytest.fixture(scope="module")
def staff_db(sqlite_template, tmp_path_factory):
    """One SQLite database with an employee of every role (refusals only add audit rows)."""
    path = tmp_path_factory.mktemp("permissions") / "hhb.db"
    shutil.copy(sqlite_template, path)
    db = Database.open(f"sqlite:///{path}")
    actors = {}
    for role in Role:
        actors[role] = f"{role.value[:5]}.test"
        add_employee(db.unit_of_work("eigenaar"), actors[role], role, name=f"Test {role.value}")
    yield db, actors
    db.dispose()


def _refusals():
    for name, service in sorted(SERVICES.items()):
        for role in Role:
            if role not in service.allowed_roles:
                yield pytest.param(name, role, id=f"{name}-{role.value}")


def _audit_rows_after(db: Database, last_id: int) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                                    .order_by(AuditEntry.id)))


@pytest.mark.parametrize(("name", "role"), list(_refusals()))
def test_a_role_the_service_is_not_for_is_refused_and_logged(staff_db, name, role):
    db, actors = staff_db
    service = SERVICES[name]
    action = action_of(service)
    with db.read() as session:
        last_id = session.scalar(select(func.max(AuditEntry.id)))
    # Refused before the service's body runs: no real arguments needed.
    with pytest.raises(ForbiddenError) as caught:
        service(db.unit_of_work(actors[role]))
    allowed = role_names(service.allowed_roles) if service.allowed_roles else None
    if allowed is not None:
        assert str(caught.value) == (
            f"Geen rechten: {action} is voor {allowed}; u bent {DUTCH[role]}")
    else:
        assert str(caught.value).startswith(f"Geen rechten: {action} is voor ")
    [row] = _audit_rows_after(db, last_id)
    assert (row.result, row.action, row.actor, row.role) == (
        AuditResult.REFUSED.value, action, actors[role], DUTCH[role])

"""Errors a user can act on. Their message is one clear Dutch line; no traceback is shown."""

from __future__ import annotations


class UserError(Exception):
    """Base class: the message is meant for the person at the keyboard."""

    # (action, entity, details): the unit of work logs the refusal in its own transaction
    # after rolling back (e.g. a BSN found in use: asking who has it leaves a trace).
    refusal: tuple[str, str, dict] | None = None


class ValidationError(UserError):
    """Input that breaks a rule (invalid IBAN, BSN failing the 11-proef, …)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFoundError(UserError):
    pass


class ConflictError(UserError):
    """Somebody else changed or booked the same thing first."""


class ForbiddenError(UserError):
    """The employee's role may not do this (the service refused, or the database did)."""


# What a login sees when PostgreSQL refuses a statement for lack of privileges.
NO_RIGHTS = "Geen rechten op deze database: vraag de beheerder"

# PostgreSQL's SQLSTATE for insufficient_privilege.
_INSUFFICIENT_PRIVILEGE = "42501"


def refused_by_database(exc: BaseException) -> bool:
    """PostgreSQL refused the statement for lack of privileges (a GRANT, a policy)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def as_user_error(exc: BaseException) -> UserError | None:
    """The one line a user gets for an error that is not a UserError but means one."""
    if isinstance(exc, UserError):
        return exc
    if refused_by_database(exc):
        return ForbiddenError(NO_RIGHTS)
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error (a driver's message can run to many lines)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

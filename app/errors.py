"""Errors a user can act on. Their message is one clear Dutch line; no traceback is shown."""

from __future__ import annotations


class UserError(Exception):
    """Base class: the message is meant for the person at the keyboard."""


class ValidationError(UserError):
    """Input that breaks a rule (invalid IBAN, BSN failing the 11-proef, …)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotFoundError(UserError):
    pass


class ConflictError(UserError):
    """Somebody else changed or booked the same thing first."""


def first_line(exc: BaseException) -> str:
    """The first line of an error (a driver's message can run to many lines)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

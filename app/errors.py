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

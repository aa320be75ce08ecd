"""Employees (medewerkers): the people who use the program, with their role."""

from __future__ import annotations

import enum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, enum_type


class Role(enum.StrEnum):
    BACKOFFICE = "backoffice"
    FRONTOFFICE = "frontoffice"
    TEAMLEADER = "teamleader"
    ADMIN = "beheerder"


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The login name; on the shared database it is also the PostgreSQL role name.
    username: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role, "employee_role"))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

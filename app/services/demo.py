"""``huishoudboekje demo``: fill an empty database with a lived-in demo municipality.

The data comes from ``app.demo.generate_demo`` and is stored the way a migration workbook is
(``store_book``: every row checked by the same rules, then bulk-inserted), so the demo also
proves the import. One transaction, one audit row. A database that already holds dossiers is
refused, so demo data never mixes with real participants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo import generate_demo
from app.errors import UserError, ValidationError
from app.models import Employee, Participant
from app.services import validation
from app.services.dossier_import import store_book
from app.services.unit_of_work import UnitOfWork

AUDIT_ACTION = "demodata aangemaakt"
REFUSAL = (
    "De database bevat al deelnemers: demodata wordt alleen in een lege database gezet, "
    "zodat het nooit met echte dossiers vermengd raakt"
)


@dataclass
class DemoSummary:
    seed: int
    employees: int  # added; demo employees whose user name exists already are skipped
    organisations: int
    accounts: int  # IBANs of organisations and participants
    participants: int
    agreements: int
    search_terms: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.participants} deelnemers met {self.agreements} afspraken, "
            f"{self.organisations} organisaties, {self.accounts} rekeningen, "
            f"{self.employees} medewerkers (seed {self.seed})"
        )


def create_demo(
    uow: UnitOfWork, participants: int, seed: int = 1, today: date | None = None
) -> DemoSummary:
    """Employees, organisations, ``participants`` dossiers and their agreements, in one
    transaction; ``today`` is the reference date of the generated dates (default: today)."""
    if participants < 1:
        raise ValidationError("Het aantal deelnemers moet minstens 1 zijn", "deelnemers")
    with uow.db.read() as session:  # fail fast, before generating thousands of dossiers
        if _has_participants(session):
            raise UserError(REFUSAL)
    data = generate_demo(participants, seed, today)
    with uow:
        session = uow.session
        if _has_participants(session):  # checked again inside the write transaction
            raise UserError(REFUSAL)
        taken = set(session.scalars(select(func.lower(Employee.username))))
        added = 0
        for employee in data.employees:
            if employee.username.lower() in taken:
                continue
            session.add(Employee(
                username=employee.username,
                name=employee.name,
                role=employee.role,
                phone=validation.phone(employee.phone) if employee.phone else None,
                email=validation.email(employee.email) if employee.email else None,
            ))
            added += 1
        session.flush()  # the workbook's contactpersonen refer to them by name
        stored = store_book(session, data.book, uow.actor)
        summary = DemoSummary(
            seed=seed,
            employees=added + stored.employees,
            organisations=stored.organisations,
            accounts=stored.accounts,
            participants=stored.participants,
            agreements=stored.agreements,
            search_terms=stored.search_terms,
        )
        uow.record(AUDIT_ACTION, "demo", None,
                   after={**summary.as_dict(), "peildatum": data.today.isoformat()})
        uow.commit()
    return summary


def _has_participants(session: Session) -> bool:
    return session.scalar(select(Participant.id).limit(1)) is not None

"""Read-only queries for screens and exports. No changes, so no audit rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Agreement, Employee, Participant


@dataclass(frozen=True)
class ParticipantListRow:
    id: int
    number: str
    name: str
    status: str
    city: str | None
    contact_person: str | None
    agreements: int


def list_participants(session: Session, limit: int = 1000) -> list[ParticipantListRow]:
    agreement_count = (
        select(Agreement.participant_id, func.count().label("n"))
        .group_by(Agreement.participant_id)
        .subquery()
    )
    query = (
        select(Participant, Employee.name, func.coalesce(agreement_count.c.n, 0))
        .outerjoin(Employee, Participant.contact_employee_id == Employee.id)
        .outerjoin(agreement_count, agreement_count.c.participant_id == Participant.id)
        .order_by(Participant.number)
        .limit(limit)
    )
    return [
        ParticipantListRow(p.id, p.number, p.full_name, p.status.value, p.city, contact, count)
        for p, contact, count in session.execute(query)
    ]


def count_participants(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Participant)) or 0

"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEntry, AuditHead
from app.services.unit_of_work import entry_hash


@dataclass
class AuditReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> AuditReport:
    """Walk the hash chain: a changed, inserted or removed row breaks it."""
    report = AuditReport()
    previous = "0" * 64
    last_id = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(2000):
        report.rows += 1
        if entry.prev_hash != previous:
            report.problems.append(f"rij {entry.id}: sluit niet aan op de vorige rij")
        if entry_hash(entry) != entry.hash:
            report.problems.append(f"rij {entry.id}: inhoud is gewijzigd")
        previous, last_id = entry.hash, entry.id
    head = session.get(AuditHead, 1)
    if head is None or head.last_hash != previous or head.last_id != last_id:
        report.problems.append("de laatste rijen van het logboek ontbreken")
    return report

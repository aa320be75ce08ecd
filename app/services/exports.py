"""Exports of personal data from the command line: who may, and a row in the audit trail.

The screens' own exports (the caseload workbook, the Logboek, the overviews) go through their
services; these are the command line's ``export bookings`` and ``caseload``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from app.errors import UserError
from app.models import Role
from app.reports.bookings_csv import write_bookings_csv
from app.services.caseload import export_caseload
from app.services.permissions import requires
from app.services.queries import booking_export_rows
from app.services.unit_of_work import UnitOfWork


@requires(Role.BACKOFFICE, Role.TEAMLEADER, Role.ADMIN, action="boekingen exporteren")
def export_bookings(uow: UnitOfWork, path: Path) -> int:
    """Every transaction with its bookings as CSV; the number of lines written."""
    try:
        with uow.db.read() as session, path.open("w", encoding="utf-8", newline="") as out:
            count = write_bookings_csv(booking_export_rows(session), out)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    with uow:
        uow.record("boekingen geëxporteerd", "bookings", None,
                   after={"bestand": path.name, "regels": count})
        uow.commit()
    return count


@requires(Role.TEAMLEADER, Role.ADMIN, action="caseload exporteren")
def export_caseload_file(uow: UnitOfWork, on: date, path: Path) -> str:
    """The caseload review as a workbook; its one-line summary."""
    with uow.db.read() as session:
        summary = export_caseload(session, on, path)
    with uow:
        uow.record("caseload geëxporteerd", "participants", None,
                   after={"bestand": path.name, "op": on.isoformat()})
        uow.commit()
    return summary

"""The saldo of a participant: the sum of their bookings up to and including a date.

The one definition of the saldo. The dossier screen, the participant list, the paper overview,
the Excel export and the caseload view all call these functions, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Booking


def saldo_cents(session: Session, participant_id: int, on: date) -> int:
    """Saldo at the end of day ``on`` (bookings dated ``on`` included)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
            Booking.participant_id == participant_id, Booking.booking_date <= on
        )
    )
    return int(total or 0)


_IN_LIST_LIMIT = 1_000


def saldos_cents(session: Session, on: date,
                 participant_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Saldo at the end of day ``on`` per participant (those without bookings are absent
    unless asked for by id, then 0). One query, for lists of thousands."""
    query = (
        select(Booking.participant_id, func.sum(Booking.amount_cents))
        .where(Booking.participant_id.is_not(None), Booking.booking_date <= on)
        .group_by(Booking.participant_id)
    )
    wanted = None if participant_ids is None else list(participant_ids)
    # A long id list (the caseload's everyone-but-ended) is slower as IN (…) than summing
    # everyone and leaving out the rest here.
    if wanted is not None and len(wanted) <= _IN_LIST_LIMIT:
        query = query.where(Booking.participant_id.in_(wanted))
    found = {pid: int(total) for pid, total in session.execute(query)}
    if wanted is not None:
        return {pid: found.get(pid, 0) for pid in wanted}
    return found

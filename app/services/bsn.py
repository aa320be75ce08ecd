"""The BSN: shown masked, revealed and searched only through a logged path.

On PostgreSQL no employee's login may SELECT ``participants.bsn``; these functions call the
SECURITY DEFINER functions of ``app.security``, which read it and write the audit row in the
database itself. On the embedded SQLite file they do the same in Python. The model never loads
the column with a participant (``deferred_raiseload``): code that reads it by accident fails in
the tests, on both databases.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models import Participant
from app.services.permissions import EVERYONE, requires
from app.services.unit_of_work import UnitOfWork, host_name
from app.services.validation import mask_bsn

if TYPE_CHECKING:
    from app.db import Database
    from app.services.queries import ParticipantFilter

REVEALED = "BSN getoond"
SEARCHED = "gezocht op BSN"
# A search by the last three digits reads the stored tail (it is what the mask shows anyway);
# four digits or more can only be answered from the BSN itself, and are logged.
_LOGGED_SEARCH = re.compile(r"\d{4,9}")


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@requires(*EVERYONE, action="BSN tonen")
def reveal_bsn(uow: UnitOfWork, participant_id: int) -> str:
    """The BSN of one dossier; the audit row says who asked, from where, when."""
    with uow:
        session = uow.session
        if _postgres(session):
            bsn = session.scalar(text("SELECT hhb_reveal_bsn(:id, :actor, :role, :host)"),
                                 {"id": participant_id, "actor": uow.actor,
                                  "role": uow.standing.label, "host": host_name()})
            uow.audited_in_database = True
        else:
            bsn = session.scalar(select(Participant.bsn).where(Participant.id == participant_id))
            if bsn is not None:
                uow.record(REVEALED, Participant.__tablename__, participant_id)
        if bsn is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
        uow.commit()
        return bsn


def logged_search_digits(text_: str) -> str | None:
    """The digits of a search that needs the BSN itself (4 to 9 digits), else None."""
    digits = re.sub(r"[\s.\-]", "", text_)
    return digits if _LOGGED_SEARCH.fullmatch(digits) else None


@requires(*EVERYONE, action="zoeken op BSN")
def search_bsn(uow: UnitOfWork, digits: str) -> list[int]:
    """The dossiers whose BSN ends in these 4 to 9 digits (all 9: is that BSN). Every search is
    logged with the dossiers it found ("who has BSN X" leaves a trace), the digits masked."""
    with uow:
        session = uow.session
        if _postgres(session):
            ids = list(session.scalars(
                text("SELECT * FROM hhb_search_bsn(:digits, :actor, :role, :host)"),
                {"digits": digits, "actor": uow.actor, "role": uow.standing.label,
                 "host": host_name()}))
            uow.audited_in_database = True
        else:
            condition = (Participant.bsn == digits if len(digits) == 9
                         else Participant.bsn.like(f"%{digits}"))
            found = session.execute(select(Participant.id, Participant.number).where(condition)
                                    .order_by(Participant.id)).all()
            ids = [row.id for row in found]
            uow.record(SEARCHED, Participant.__tablename__, None,
                       after={"bsn": "*" * (len(digits) - 3) + digits[-3:],
                              "gevonden": [row.number for row in found]})
        uow.commit()
        return ids


def bsn_holder(session: Session, bsn: str, except_id: int | None = None) -> str | None:
    """The dossier number that has this BSN (other than ``except_id``), if any."""
    if _postgres(session):
        return session.scalar(text("SELECT hhb_bsn_holder(:bsn, :except_id)"),
                              {"bsn": bsn, "except_id": except_id})
    query = select(Participant.number).where(Participant.bsn == bsn)
    if except_id is not None:
        query = query.where(Participant.id != except_id)
    return session.scalar(query.limit(1))


def bsns_among(session: Session, candidates: Iterable[str]) -> dict[str, str]:
    """Which of these strings are somebody's BSN: {bsn: dossier number}. For the workbook's new
    dossiers and the 9-digit runs of payment texts; the BSNs themselves stay in the database."""
    wanted = sorted(set(candidates))
    if not wanted:
        return {}
    if _postgres(session):
        rows = session.execute(text("SELECT bsn, number FROM hhb_bsns_among(:candidates)"),
                               {"candidates": wanted})
        return {row.bsn: row.number for row in rows}
    found: dict[str, str] = {}
    query = select(Participant.bsn, Participant.number).where(
        Participant.bsn.in_(bindparam("wanted", expanding=True)))
    for start in range(0, len(wanted), 20_000):
        for row in session.execute(query, {"wanted": wanted[start:start + 20_000]}):
            found[row.bsn] = row.number
    return found


def masked(participant: Participant) -> str:
    """The BSN as screens show it: only its last three digits."""
    return mask_bsn("000000" + participant.bsn_tail) if participant.bsn_tail else "***"



def with_bsn_search(db: Database, where: ParticipantFilter) -> ParticipantFilter:
    """The participant list's filter with the logged BSN search done for every word of 4 to 9
    digits (one audit row each); the list then shows those dossiers too."""
    from app.services.queries import search_tokens

    hits = []
    for token in search_tokens(where.search):
        digits = logged_search_digits(token)
        if digits is not None:
            hits.append((digits, tuple(search_bsn(db.unit_of_work(), digits))))
    return dataclasses.replace(where, bsn_hits=tuple(hits)) if hits else where

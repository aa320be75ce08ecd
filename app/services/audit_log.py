"""The Logboek: reading the audit trail for teamleaders and beheerders, and exporting it.

Built for a million rows, like the other big lists: ``audit_ids`` filters in SQL and returns
only the ordered ids (newest first: by id, the order of the hash chain), straight from the
driver's cursor (``queries.first_column``); ``audit_rows`` reads one page of rows for ids;
``audit_entry`` one row with its before/after. Nothing here writes, except ``export_audit``,
which records its own audit row. The schema gets nothing extra: a period uses the index on
``at``, a chosen action the index on ``action``; the distinct actions come from a loose index
scan of that index (one probe per action, not a scan of the table).

What the filters mean:

* ``employee``: part of the actor's login name, or of an employee's name (then that employee's
  rows), case-insensitive; a scan of the trail (no index on ``actor``). The database login
  (``db_user``) is shown, not searched.
* ``participant_id`` or ``dossier`` (a dossier number; "42" finds HHB-00042): the rows about
  that participant — ``participants`` rows with its id, and the rows of what belongs to it
  through a ``participant_id`` column: agreements, contact notes, referrals, signals,
  repayment plans, payouts and bank accounts (per table a subquery on its participant_id
  index, evaluated once); a scan of the trail, ~0.3 s on a million rows. Rows about many
  dossiers at once (a print run, a bulk booking, a BSN search: their ids are in the row's
  JSON, not in ``entity_id``) and bank transactions are not attributed.
* ``action``: that action exactly, or with ``action_contains`` every action holding the text
  (accents and case ignored), resolved against the distinct actions into lookups on the index.
* ``result``: ``gedaan`` (rows from before version 0009 have none and count as done) or
  ``geweigerd``.
* ``date_from`` / ``date_through``: whole days in Europe/Amsterdam, both included.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, or_, select, text
from sqlalchemy.orm import Session

from app.errors import NotFoundError, UserError
from app.models import (
    Agreement,
    AuditEntry,
    BankAccount,
    ContactNote,
    Employee,
    Participant,
    Payout,
    Referral,
    RepaymentPlan,
    Role,
    Signal,
)
from app.models.audit import AuditResult
from app.models.participant import search_fold
from app.services.participants import NUMBER_PREFIX
from app.services.permissions import requires
from app.services.queries import escape_like, first_column
from app.services.unit_of_work import UnitOfWork

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
EXPORTED = "logboek geëxporteerd"
CHUNK = 1000  # rows per query when reading many (IN lists stay well below the drivers' limits)

# What the Object column calls a table.
ENTITY_WORDS = {
    "agreement_learned_patterns": "tekstpatroon",
    "participants": "deelnemer",
    "participant_status_changes": "statuswijziging",
    "contact_notes": "notitie",
    "referrals": "doorverwijzing",
    "agreements": "afspraak",
    "agreement_search_terms": "zoekterm",
    "categories": "rubriek",
    "organisations": "organisatie",
    "bank_accounts": "rekening",
    "employees": "medewerker",
    "imported_files": "bankafschrift",
    "statements": "afschrift",
    "bank_transactions": "banktransactie",
    "bookings": "boeking",
    "match_suggestions": "voorstel",
    "signals": "signaal",
    "payouts": "betaling",
    "payout_batches": "betaalopdracht",
    "repayment_plans": "aflossingsregeling",
    "settings": "instellingen",
    "audit_log": "logboek",
}
# Tables whose rows belong to one participant (for the participant filter).
_OWNED_BY_PARTICIPANT = (Agreement, ContactNote, Referral, Signal, RepaymentPlan, Payout,
                         BankAccount)
_MISSING = object()


@dataclass(frozen=True)
class AuditFilter:
    """What the Logboek's filter bar holds; empty fields do not filter."""

    employee: str = ""
    participant_id: int | None = None
    dossier: str = ""
    action: str = ""
    action_contains: bool = False  # False: exactly this action
    result: str | None = None  # AuditResult value
    date_from: date | None = None  # local days, both included
    date_through: date | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filter in the words of the export's audit row (only what was set)."""
        items = {
            "medewerker": self.employee.strip() or None,
            "deelnemer": self.participant_id,
            "dossier": self.dossier.strip() or None,
            "actie": (f"bevat {self.action.strip()}" if self.action_contains
                      else self.action.strip()) if self.action.strip() else None,
            "resultaat": self.result,
            "van": self.date_from.isoformat() if self.date_from else None,
            "tot en met": self.date_through.isoformat() if self.date_through else None,
        }
        return {key: value for key, value in items.items() if value is not None}


@dataclass(frozen=True)
class AuditLine:
    """One row of the Logboek's table."""

    id: int
    at: datetime  # UTC
    actor: str
    actor_name: str | None  # the employee's name when the actor is a known employee
    db_user: str | None
    role: str | None
    host: str | None
    action: str
    entity: str
    entity_id: str | None
    subject: str  # readable: "deelnemer HHB-00042", "afspraak 17"
    result: str  # gedaan / geweigerd (rows from before 0009: gedaan)
    before: str | None = None  # the stored JSON, only when asked for (the export)
    after: str | None = None

    @property
    def refused(self) -> bool:
        return self.result == AuditResult.REFUSED.value

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(LOCAL_TIME)

    @property
    def employee(self) -> str:
        """Who, as the screen shows it: "Marloes Vink (mvink)", or the login name alone."""
        if self.actor_name and self.actor_name != self.actor:
            return f"{self.actor_name} ({self.actor})"
        return self.actor


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    changed: bool


@dataclass(frozen=True)
class AuditDetail:
    """One row with its before and after as dicts (None: the row has none)."""

    line: AuditLine
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str

    def fields(self) -> list[FieldChange]:
        """Per key (first the keys of before, then those only after has): veld, voor, na."""
        before, after = self.before or {}, self.after or {}
        both = self.before is not None and self.after is not None  # an edit, not a creation
        keys = list(before) + [key for key in after if key not in before]
        return [FieldChange(key, value_text(before, key), value_text(after, key),
                            both and before.get(key, _MISSING) != after.get(key, _MISSING))
                for key in keys]


def value_text(values: dict[str, Any], key: str) -> str:
    """A value of before/after as a clerk reads it: text as it is, lists and dicts as compact
    JSON, true/false as ja/nee, null as "(leeg)"; a key the side does not have: ""."""
    if key not in values:
        return ""
    value = values[key]
    if value is None:
        return "(leeg)"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


# -- Queries ----------------------------------------------------------------------------------


def audit_ids(session: Session, where: AuditFilter | None = None, *,
              limit: int | None = None) -> list[int]:
    """The ids of the matching audit rows, newest first. An unknown dossier number raises
    NotFoundError (one Dutch line)."""
    where = where or AuditFilter()
    conditions = _conditions(session, where)
    if conditions is None:
        return []
    query = select(AuditEntry.id).where(*conditions).order_by(AuditEntry.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return first_column(session, query)


def audit_rows(session: Session, ids: Sequence[int], *,
               with_changes: bool = False) -> list[AuditLine]:
    """The rows of these ids, in the order of ``ids`` (one page at a time); with
    ``with_changes`` also the stored before/after JSON."""
    if not ids:
        return []
    columns = [AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.db_user,
               AuditEntry.role, AuditEntry.host, AuditEntry.action, AuditEntry.entity,
               AuditEntry.entity_id, AuditEntry.result]
    if with_changes:
        columns += [AuditEntry.before, AuditEntry.after]
    found: dict[int, Any] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        for row in session.execute(select(*columns).where(AuditEntry.id.in_(chunk))):
            found[row.id] = row
    rows = [found[i] for i in ids if i in found]
    names = _employee_names(session, {row.actor for row in rows})
    numbers = _dossier_numbers(session, rows)
    return [_line(row, names, numbers, with_changes) for row in rows]


def audit_entry(session: Session, audit_id: int) -> AuditDetail:
    """One audit row with its before and after parsed (text that is not a JSON object comes
    back as {"tekst": …})."""
    entry = session.get(AuditEntry, audit_id)
    if entry is None:
        raise NotFoundError(f"Logboekregel {audit_id} bestaat niet")
    line = audit_rows(session, [audit_id])[0]
    return AuditDetail(line, _parsed(entry.before), _parsed(entry.after), entry.prev_hash,
                       entry.hash)


def action_choices(session: Session) -> list[str]:
    """The distinct actions in the trail, alphabetically: a loose index scan over the index
    on ``action`` (one probe per distinct action), fast on a million rows."""
    actions = session.scalars(text(
        "WITH RECURSIVE a(action) AS ("
        " SELECT MIN(action) FROM audit_log"
        " UNION ALL"
        " SELECT (SELECT MIN(l.action) FROM audit_log AS l WHERE l.action > a.action)"
        " FROM a WHERE a.action IS NOT NULL)"
        " SELECT action FROM a WHERE action IS NOT NULL")).all()
    return sorted(actions, key=lambda action: (search_fold(action), action))


def employee_choices(session: Session) -> list[tuple[str, str]]:
    """(login name, name) of every employee, for the medewerker field's completion."""
    return [(username, name) for username, name in session.execute(
        select(Employee.username, Employee.name).order_by(func.lower(Employee.name)))]


def find_participant(session: Session, dossier: str) -> int:
    """The participant of a dossier number: exactly (any case), or by its digits ("42",
    "00042" → HHB-00042). NotFoundError when there is none."""
    typed = dossier.strip().upper()
    candidates = [typed]
    digits = typed.removeprefix(NUMBER_PREFIX)
    if digits.isdigit() and len(digits) <= 12:
        number = int(digits)
        candidates += [f"{NUMBER_PREFIX}{number:0{width}d}" for width in range(1, 13)]
    found = session.execute(select(Participant.id, Participant.number)
                            .where(Participant.number.in_(candidates))).all()
    if not found:
        raise NotFoundError(f"Dossier {dossier.strip()} bestaat niet")
    exact = [pid for pid, number in found if number == typed]
    return exact[0] if exact else min(found, key=lambda row: len(row.number)).id


def _conditions(session: Session, where: AuditFilter) -> list[ColumnElement[bool]] | None:
    """The WHERE conditions of a filter; None when nothing can match."""
    conditions: list[ColumnElement[bool]] = []
    employee = where.employee.strip()
    if employee:
        pattern = f"%{escape_like(employee)}%"
        # The employees first (a small table), then plain comparisons: a subquery in the OR
        # would make PostgreSQL guess half the rows match and walk the whole primary key.
        logins = session.scalars(select(Employee.username).where(
            Employee.name.ilike(pattern, escape="\\"))).all()
        if session.get_bind().dialect.name == "sqlite":  # LIKE ignores case there already
            actor = [AuditEntry.actor.like(pattern, escape="\\"),
                     *(AuditEntry.actor.collate("NOCASE") == login for login in logins)]
        else:
            actor = [AuditEntry.actor.ilike(pattern, escape="\\"),
                     *(func.lower(AuditEntry.actor) == login.lower() for login in logins)]
        conditions.append(or_(*actor))
    participant_id = where.participant_id
    if participant_id is None and where.dossier.strip():
        participant_id = find_participant(session, where.dossier)
    if participant_id is not None:
        conditions.append(_about_participant(participant_id))
    action = where.action.strip()
    if action and where.action_contains:
        folded = search_fold(action)
        actions = [a for a in action_choices(session) if folded in search_fold(a)]
        if not actions:
            return None
        conditions.append(or_(*(AuditEntry.action == a for a in actions)))
    elif action:
        conditions.append(AuditEntry.action == action)
    if where.result == AuditResult.REFUSED.value:
        conditions.append(AuditEntry.result == AuditResult.REFUSED.value)
    elif where.result == AuditResult.DONE.value:
        conditions.append(or_(AuditEntry.result.is_(None),
                              AuditEntry.result == AuditResult.DONE.value))
    elif where.result is not None:
        raise ValueError(f"unknown result {where.result!r}")
    if where.date_from is not None:
        conditions.append(AuditEntry.at >= _moment(session, where.date_from))
    if where.date_through is not None:
        conditions.append(AuditEntry.at < _moment(session, where.date_through
                                                  + timedelta(days=1)))
    return conditions


def _about_participant(participant_id: int) -> ColumnElement[bool]:
    options = [and_(AuditEntry.entity == Participant.__tablename__,
                    AuditEntry.entity_id == str(participant_id))]
    for model in _OWNED_BY_PARTICIPANT:  # each an indexed lookup, evaluated once
        options.append(and_(AuditEntry.entity == model.__tablename__,
                            AuditEntry.entity_id.in_(select(cast(model.id, String)).where(
                                model.participant_id == participant_id))))
    return or_(*options)


def _moment(session: Session, day: date):
    """Local midnight at the start of ``day`` as the database compares it with ``at``. The ids
    are read through the driver's cursor (no SQLAlchemy type processing), so SQLite gets the
    text SQLAlchemy stores there (UTC, 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    moment = datetime.combine(day, time(0), LOCAL_TIME).astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        return literal(moment.strftime("%Y-%m-%d %H:%M:%S.%f"), String())
    return moment


def _employee_names(session: Session, actors: set[str]) -> dict[str, str]:
    if not actors:
        return {}
    lowered = {actor.lower() for actor in actors}
    return {username.lower(): name for username, name in session.execute(
        select(Employee.username, Employee.name)
        .where(func.lower(Employee.username).in_(lowered)))}


def _dossier_numbers(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    ids = {int(row.entity_id) for row in rows
           if row.entity == Participant.__tablename__ and row.entity_id
           and row.entity_id.isdigit()}
    numbers: dict[int, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        numbers.update((pid, number) for pid, number in session.execute(
            select(Participant.id, Participant.number)
            .where(Participant.id.in_(ordered[start:start + CHUNK]))))
    return numbers


def _line(row: Any, names: dict[str, str], numbers: dict[int, str],
          with_changes: bool) -> AuditLine:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite: UTC without zone
    return AuditLine(
        id=row.id, at=at, actor=row.actor, actor_name=names.get(row.actor.lower()),
        db_user=row.db_user, role=row.role, host=row.host, action=row.action,
        entity=row.entity, entity_id=row.entity_id, subject=_subject(row, numbers),
        result=row.result or AuditResult.DONE.value,
        before=row.before if with_changes else None,
        after=row.after if with_changes else None)


def _subject(row: Any, numbers: dict[int, str]) -> str:
    """What a row is about, readable: "deelnemer HHB-00042", "afspraak 17", "rechten"."""
    word = ENTITY_WORDS.get(row.entity, row.entity)
    if not row.entity_id:
        return word
    if row.entity == Participant.__tablename__ and row.entity_id.isdigit():
        return f"{word} {numbers.get(int(row.entity_id), row.entity_id)}"
    return f"{word} {row.entity_id}"


def _parsed(stored: str | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return {"tekst": stored}
    return value if isinstance(value, dict) else {"waarde": value}


# -- Export -----------------------------------------------------------------------------------


@requires(Role.TEAMLEADER, Role.ADMIN, action="logboek exporteren")
def export_audit(uow: UnitOfWork, where: AuditFilter, path: str | Path, *,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Write the filtered rows (newest first) to an .xlsx workbook and record one audit row
    ("logboek geëxporteerd": the file, the number of rows, the filter). Returns that number.

    The rows are read in a read session of their own (a long export does not hold the write
    lock of the embedded database); the workbook is written to a temporary file beside
    ``path``, the audit row committed, and only then the file put in place: a file in place
    always has its audit row."""
    from app.reports.audit_excel import MAX_ROWS, AuditExportRow, write_audit_workbook

    path = Path(path)
    report = progress or (lambda _done, _total: None)
    with uow.db.read() as session:
        ids = audit_ids(session, where)
        if len(ids) > MAX_ROWS:
            raise UserError(f"{len(ids):,} regels passen niet in één Excel-blad (hoogstens "
                            f"{MAX_ROWS:,}); kies een kortere periode".replace(",", "."))
        total = len(ids)
        report(0, total)

        def rows() -> Iterator[AuditExportRow]:
            for start in range(0, total, CHUNK):
                for line in audit_rows(session, ids[start:start + CHUNK], with_changes=True):
                    yield AuditExportRow(
                        line.id, line.local_at.replace(tzinfo=None, microsecond=0), line.actor,
                        line.actor_name or "", line.db_user or "", line.role or "",
                        line.host or "", line.action, line.subject, line.entity,
                        line.entity_id or "", line.result, line.before, line.after)

        notes = [("Geëxporteerd op", datetime.now(LOCAL_TIME).strftime("%d-%m-%Y %H:%M:%S")),
                 ("Door", uow.actor), ("Regels", str(total))]
        notes += [(f"Filter: {key}", str(value)) for key, value in where.as_dict().items()]
        temporary = _temporary_beside(path)
        try:
            count = write_audit_workbook(rows(), temporary, notes=notes,
                                         progress=lambda done: report(done, total))
            report(count, total)  # the last moment a cancel leaves nothing behind
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    try:
        with uow:
            uow.record(EXPORTED, AuditEntry.__tablename__, None,
                       after={"bestand": str(path), "rijen": count, **where.as_dict()})
            uow.commit()
        os.replace(temporary, path)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return count


def _temporary_beside(path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".xlsx",
                                        dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    return Path(name)

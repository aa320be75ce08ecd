"""Reading and verifying the audit trail, and checkpoints that keep it honest to its owner.

The hash chain (``entry_hash``) shows a row that was changed, inserted or removed by anybody who
cannot recompute the hashes after it. The owner of the database can: he may rewrite the whole
chain consistently (every hash and ``audit_head``), or remove the last rows and move the head
back, and the chain alone still verifies. A *checkpoint* is what the chain was at a moment — the
last id and its hash, the number of rows, when and of which database — kept outside the
database, in a small JSON file. ``verify(session, checkpoint)`` fails when the log no longer
reaches the checkpoint's row, or reaches it with another hash: the rows up to it were rewritten
or removed. With a key (``HHB_AUDIT_KEY``) the file carries an HMAC-SHA256, so whoever lacks the
key cannot write a checkpoint that fits a rewritten log; the file says whether it is signed.

Writing a checkpoint leaves no audit row: that row would move the head past the checkpoint just
written (and a read-only login can write one). ``daily_checkpoint`` writes one file a day into the
folder of the setting ``logboek.controlepunten`` at start-up; ``set_checkpoint_folder`` (the
beheerder) sets that folder, and that is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from app.errors import UserError, ValidationError
from app.models import AuditEntry, AuditHead, Role, Setting
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork, entry_hash

if TYPE_CHECKING:
    from app.db import Database

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# The setting that names the folder of the daily checkpoints (a path as the workstation sees it).
CHECKPOINT_FOLDER_KEY = "logboek.controlepunten"
KEY_VARIABLE = "HHB_AUDIT_KEY"
KIND = "huishoudboekje logboek-controlepunt"
DAILY_PATTERN = "logboek-*.json"
# More problems than this are counted, not listed: a log rewritten carelessly could give one
# per row.
MAX_PROBLEMS = 200

# The columns entry_hash reads, plus the id: rows instead of ORM objects keep verify fast.
_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
            AuditEntry.entity_id, AuditEntry.before, AuditEntry.after, AuditEntry.db_user,
            AuditEntry.role, AuditEntry.host, AuditEntry.result, AuditEntry.prev_hash,
            AuditEntry.hash)


class CheckpointError(UserError):
    """A checkpoint file that cannot be read, or a log a checkpoint cannot be taken of."""


class _FromEnvironment:
    def __repr__(self) -> str:
        return f"<key from {KEY_VARIABLE}>"


FROM_ENVIRONMENT: Any = _FromEnvironment()


def audit_key() -> bytes | None:
    """The signing key of checkpoints: ``HHB_AUDIT_KEY`` (any text), or None."""
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode() if value else None


def _key(key: Any) -> bytes | None:
    if key is FROM_ENVIRONMENT:
        return audit_key()
    if isinstance(key, str):
        return key.encode() or None
    return key or None


@dataclass(frozen=True)
class Checkpoint:
    """The chain at a moment: its last row (id and hash) and how many rows it had then."""

    last_id: int
    last_hash: str
    rows: int
    written_at: str  # UTC, ISO 8601
    database: str  # the URL without its password
    signed: bool = False
    signature: str | None = None
    source: str | None = None  # the file it was read from (not part of the file)

    @property
    def label(self) -> str:
        """How problems name it: its file, else its time."""
        return self.source or f"van {self.written_at[:16].replace('T', ' ')}"

    def payload(self) -> dict[str, Any]:
        """What the file holds (and the signature covers), the signature aside."""
        return {
            "soort": KIND,
            "versie": 1,
            "database": self.database,
            "geschreven_op": self.written_at,
            "laatste_rij": self.last_id,
            "laatste_hash": self.last_hash,
            "rijen": self.rows,
            "ondertekend": self.signed,
        }

    def to_json(self) -> str:
        data = self.payload()
        if self.signed:
            data["handtekening"] = self.signature
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def signature_matches(self, key: bytes) -> bool:
        return self.signature is not None and hmac.compare_digest(
            self.signature, _sign(self.payload(), key))


def _sign(payload: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class AuditReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    more: int = 0  # problems beyond MAX_PROBLEMS, counted only
    first_broken: int | None = None  # the lowest row a problem names
    reached: int | None = None  # the last checkpoint row the log reaches unchanged
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more

    def add(self, problem: str, row: int | None = None) -> None:
        if row is not None and (self.first_broken is None or row < self.first_broken):
            self.first_broken = row
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more += 1

    def summary(self) -> str:
        """One line: "Logboek in orde: N rijen[, bereikt controlepunt rij K]", or what broke."""
        if self.ok:
            line = f"Logboek in orde: {self.rows} rijen"
            if self.reached is not None:
                line += f", bereikt controlepunt rij {self.reached}"
            return line
        where = f" vanaf rij {self.first_broken}" if self.first_broken is not None else ""
        count = self.problem_count
        return (f"Logboek is geschonden{where} ({count} "
                f"{'probleem' if count == 1 else 'problemen'}): {self.problems[0]}")


def verify(session: Session, checkpoint: Checkpoint | Iterable[Checkpoint] | None = None, *,
           key: Any = FROM_ENVIRONMENT) -> AuditReport:
    """Walk the hash chain: a changed, inserted or removed row breaks it. With checkpoints
    (files kept outside the database), also fail when the log no longer reaches a checkpoint's
    row or reaches it with another hash — what a consistent rewrite by the database owner, or
    his removing the last rows, leaves behind — and when a checkpoint's signature does not match
    the key (``HHB_AUDIT_KEY`` unless given). Streams the rows: fast on a million of them."""
    report = AuditReport()
    if isinstance(checkpoint, Checkpoint):
        checkpoint = [checkpoint]
    checkpoints = sorted(checkpoint or [], key=lambda c: c.last_id)
    report.checkpoints = len(checkpoints)
    trusted = {id(point) for point in _check_signatures(report, checkpoints, _key(key))}
    for empty in (point for point in checkpoints if point.last_id <= 0):
        if empty.last_hash != GENESIS:
            report.add(f"controlepunt {empty.label}: rij 0 kan geen hash hebben")
        elif id(empty) in trusted and report.reached is None:
            report.reached = 0
    expected = [point for point in checkpoints if point.last_id > 0]
    waiting = 0  # index into expected: the next checkpoint the walk must meet
    last_good = 0  # the last checkpoint row found unchanged

    previous = GENESIS
    last_id = 0
    for entry in _chain(session):
        report.rows += 1
        entry_id = entry.id
        if entry.prev_hash != previous:
            report.add(f"rij {entry_id}: sluit niet aan op de vorige rij", entry_id)
        if not entry.intact:
            report.add(f"rij {entry_id}: inhoud is gewijzigd", entry_id)
        previous, last_id = entry.hash, entry_id
        while waiting < len(expected) and expected[waiting].last_id <= entry_id:
            point = expected[waiting]
            waiting += 1
            if point.last_id < entry_id:
                report.add(f"rij {point.last_id} ontbreekt (controlepunt {point.label})",
                           point.last_id)
            elif entry.hash != point.last_hash:
                since = f"tussen rij {last_good + 1} en" if last_good else "tot en met"
                report.add(f"rij {entry_id}: wijkt af van controlepunt {point.label}: het "
                           f"logboek is herschreven {since} rij {entry_id}", entry_id)
            elif report.rows != point.rows:
                report.add(f"rij {entry_id}: het logboek telt tot hier {report.rows} rijen, "
                           f"controlepunt {point.label} telde er {point.rows}", entry_id)
            else:
                last_good = entry_id
                if id(point) in trusted:
                    report.reached = max(report.reached or 0, entry_id)
    for point in expected[waiting:]:
        report.add(f"rij {point.last_id} ontbreekt: het logboek houdt op bij rij {last_id}, "
                   f"controlepunt {point.label} reikt tot rij {point.last_id}", point.last_id)
    head = session.get(AuditHead, 1)
    if head is None or head.last_hash != previous or head.last_id != last_id:
        if head is None or head.last_id == last_id:
            broken = last_id or None
        else:  # rows past the head were added outside the chain, or the last ones are gone
            broken = min(head.last_id, last_id) + 1
        report.add("de laatste rijen van het logboek ontbreken", broken)
    if not report.ok:
        here = database_identity(session)
        for point in checkpoints:
            if point.database != here:
                report.add(f"let op: controlepunt {point.label} is van een andere database "
                           f"({point.database})")
    return report


@dataclass(slots=True)
class _Link:
    id: int
    prev_hash: str
    hash: str
    intact: bool


def _chain(session: Session, chunk: int = 5000) -> Iterable[_Link]:
    """The rows in id order, each with whether its hash matches its content. The hash is
    computed here the way ``entry_hash`` does, from the time as text (PostgreSQL formats it as
    the trigger does; SQLite stores it as text already): a third of the time of loading ORM
    objects. A row whose hash does not match is computed again by ``entry_hash`` itself before
    it counts as changed, so ``entry_hash`` stays the one definition of the chain."""
    sqlite = session.get_bind().dialect.name != "postgresql"
    if sqlite:  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
        at_text = type_coerce(AuditEntry.at, String)
    else:
        at_text = func.to_char(func.timezone(literal("UTC"), AuditEntry.at),
                               literal('YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
    # Through the Core connection: the ORM's row loading would double the time.
    rows = session.connection().execute(
        select(AuditEntry.id, at_text.label("at"), AuditEntry.actor, AuditEntry.action,
               AuditEntry.entity, AuditEntry.entity_id, AuditEntry.before, AuditEntry.after,
               AuditEntry.db_user, AuditEntry.role, AuditEntry.host, AuditEntry.result,
               AuditEntry.prev_hash, AuditEntry.hash)
        .order_by(AuditEntry.id).execution_options(yield_per=chunk))
    sha256 = hashlib.sha256
    for (entry_id, at, actor, action, entity, entity_id, before, after, db_user, role, host,
         result, prev_hash, stored) in rows:
        parts = [prev_hash, f"{at[:10]}T{at[11:]}Z" if sqlite else at, actor, action, entity,
                 entity_id or "", before or "", after or ""]
        if result is not None:
            parts += [db_user or "", role or "", host or "", result]
        intact = sha256("\x1f".join(parts).encode()).hexdigest() == stored
        if not intact:
            intact = _reference_hash(at, actor, action, entity, entity_id, before, after,
                                     db_user, role, host, result, prev_hash) == stored
        yield _Link(entry_id, prev_hash, stored, intact)


def _reference_hash(at: str, actor: str, action: str, entity: str, entity_id: str | None,
                    before: str | None, after: str | None, db_user: str | None,
                    role: str | None, host: str | None, result: str | None,
                    prev_hash: str) -> str | None:
    """entry_hash itself over a row read as text (None: a time that is no time at all)."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return entry_hash(SimpleNamespace(  # type: ignore[arg-type]
        at=moment, actor=actor, action=action, entity=entity, entity_id=entity_id,
        before=before, after=after, db_user=db_user, role=role, host=host, result=result,
        prev_hash=prev_hash))


def _check_signatures(report: AuditReport, checkpoints: Sequence[Checkpoint],
                      key: bytes | None) -> list[Checkpoint]:
    """The checkpoints whose file is authentic as far as the key can tell; a problem for the
    others (a signed one without a key, or an unsigned one while there is a key: whoever
    changed the file could have dropped its signature)."""
    trusted = []
    for point in checkpoints:
        if point.signed and key is None:
            report.add(f"controlepunt {point.label} is ondertekend, maar {KEY_VARIABLE} is niet "
                       "gezet: de handtekening kan niet worden gecontroleerd")
        elif point.signed and not point.signature_matches(key):
            report.add(f"controlepunt {point.label}: de handtekening klopt niet (het bestand is "
                       "gewijzigd, of ondertekend met een andere sleutel)")
        elif not point.signed and key is not None:
            report.add(f"controlepunt {point.label} is niet ondertekend, maar er is een sleutel "
                       f"({KEY_VARIABLE}): het kan door iedereen geschreven zijn")
        else:
            trusted.append(point)
    return trusted


def database_identity(session: Session) -> str:
    """The URL of the database without its password: which database a checkpoint is of."""
    return session.get_bind().url.set(password=None).render_as_string(hide_password=False)


def take_checkpoint(session: Session, *, key: Any = FROM_ENVIRONMENT) -> Checkpoint:
    """The chain as it is now. Refused when the head does not match its last row: a checkpoint
    of a log that is already broken would only hide that."""
    head = session.execute(
        select(AuditHead.last_id, AuditHead.last_hash,
               select(func.count()).where(AuditEntry.id <= AuditHead.last_id)
               .scalar_subquery().label("rows"))
        .where(AuditHead.id == 1)).one_or_none()
    if head is None:
        raise CheckpointError("Het logboek heeft geen kop (audit_head): is de database "
                              "bijgewerkt?")
    if head.last_id:
        last = session.execute(select(*_COLUMNS).where(AuditEntry.id == head.last_id)).first()
        if last is None or last.hash != head.last_hash or entry_hash(last) != last.hash:
            raise CheckpointError(f"Het logboek is niet in orde bij rij {head.last_id}; "
                                  "controleer het eerst (huishoudboekje audit verify)")
    elif head.last_hash != GENESIS:
        raise CheckpointError("Het logboek is niet in orde: de kop wijst naar rij 0")
    point = Checkpoint(
        last_id=head.last_id, last_hash=head.last_hash, rows=head.rows,
        written_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        database=database_identity(session))
    signing_key = _key(key)
    if signing_key is not None:
        point = replace(point, signed=True)
        point = replace(point, signature=_sign(point.payload(), signing_key))
    return point


def write_checkpoint(session: Session, path: Path | str, *,
                     key: Any = FROM_ENVIRONMENT) -> Checkpoint:
    """Write the chain's checkpoint to ``path`` (JSON; signed with ``HHB_AUDIT_KEY`` when it is
    set). The file appears whole or not at all; an OSError is the caller's. No audit row: see
    the module's docstring."""
    path = Path(path)
    point = take_checkpoint(session, key=key)
    partial = path.with_name(path.name + ".deel")
    try:
        partial.write_text(point.to_json(), encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return replace(point, source=path.name)


def read_checkpoint(path: Path | str) -> Checkpoint:
    """A checkpoint file, or CheckpointError with one Dutch line naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(f"Kan controlepunt {path} niet lezen: "
                              f"{exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"Controlepunt {path} is geen geldig JSON-bestand") from None
    if not isinstance(data, dict) or data.get("soort") != KIND:
        raise CheckpointError(f"{path} is geen controlepunt van het logboek")

    def value(name: str, kind: type) -> Any:
        found = data.get(name)
        if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
            raise CheckpointError(f"Controlepunt {path} is beschadigd: '{name}' ontbreekt of "
                                  "is ongeldig")
        return found

    if value("versie", int) != 1:
        raise CheckpointError(f"Controlepunt {path} heeft een onbekende versie "
                              f"({data['versie']})")
    last_hash = value("laatste_hash", str)
    if len(last_hash) != 64 or any(c not in "0123456789abcdef" for c in last_hash):
        raise CheckpointError(f"Controlepunt {path} is beschadigd: 'laatste_hash' is geen "
                              "sha256")
    signed = value("ondertekend", bool)
    return Checkpoint(
        last_id=value("laatste_rij", int), last_hash=last_hash, rows=value("rijen", int),
        written_at=value("geschreven_op", str), database=value("database", str),
        signed=signed, signature=value("handtekening", str) if signed else None,
        source=path.name)


def read_checkpoints(path: Path | str) -> list[Checkpoint]:
    """One checkpoint file, or every daily checkpoint (logboek-*.json) in a folder."""
    path = Path(path)
    if not path.is_dir():
        return [read_checkpoint(path)]
    files = sorted(path.glob(DAILY_PATTERN))
    if not files:
        raise CheckpointError(f"Geen controlepunten ({DAILY_PATTERN}) in de map {path}")
    return [read_checkpoint(file) for file in files]


# -- the daily checkpoint -------------------------------------------------------------------


def checkpoint_folder(session: Session) -> Path | None:
    """The folder of the daily checkpoints, if the beheerder set one."""
    value = session.scalar(select(Setting.value).where(Setting.key == CHECKPOINT_FOLDER_KEY))
    return Path(value) if value else None


def daily_checkpoint(db: Database, today: date | None = None) -> Path | None:
    """At start-up: ``logboek-JJJJ-MM-DD.json`` in the configured folder, once a day (the first
    workstation of the day writes it). None when no folder is set, today's file exists, or it
    cannot be written (logged as a warning: this never stops the program from starting)."""
    today = today or date.today()
    with db.read() as session:
        folder = checkpoint_folder(session)
        if folder is None:
            return None
        target = folder / f"logboek-{today.isoformat()}.json"
        try:
            if target.exists():
                return None
            write_checkpoint(session, target)
        except OSError as exc:
            log.warning("audit checkpoint not written to %s: %s", folder, exc)
            return None
        except CheckpointError as exc:
            log.warning("audit checkpoint not written: %s", exc)
            return None
    return target


@requires(Role.ADMIN, action="controlepuntmap instellen")
def set_checkpoint_folder(uow: UnitOfWork, folder: Path | str | None) -> Path | None:
    """The beheerder names the folder of the daily checkpoints (best a share the database's
    owner cannot write to); empty turns them off. The folder must exist and be writable here."""
    text = str(folder).strip() if folder is not None else ""
    path = Path(text).expanduser().absolute() if text else None
    if path is not None:
        if len(str(path)) > 1000:
            raise ValidationError("Het pad van de map is te lang", "map")
        if not path.is_dir():
            raise ValidationError(f"De map {path} bestaat niet", "map")
        if not os.access(path, os.W_OK | os.X_OK):
            raise ValidationError(f"In de map {path} kan niet worden geschreven", "map")
    with uow:
        session = uow.session
        setting = session.get(Setting, CHECKPOINT_FOLDER_KEY)
        before = setting.value if setting is not None else None
        after = str(path) if path is not None else None
        if after is None:
            if setting is not None:
                session.delete(setting)
        elif setting is None:
            session.add(Setting(key=CHECKPOINT_FOLDER_KEY, value=after))
        else:
            setting.value = after
        uow.record("controlepuntmap ingesteld", "settings", CHECKPOINT_FOLDER_KEY,
                   before={"map": before}, after={"map": after})
        uow.commit()
    return path


def check_now(db: Database) -> AuditReport:
    """"Nu controleren" in Instellingen: verify against every daily checkpoint in the
    configured folder (the plain chain when none is set or it holds none yet)."""
    with db.read() as session:
        folder = checkpoint_folder(session)
        checkpoints: list[Checkpoint] = []
        if folder is not None and folder.is_dir() and any(folder.glob(DAILY_PATTERN)):
            checkpoints = read_checkpoints(folder)
        return verify(session, checkpoints)

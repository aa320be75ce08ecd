"""The monthly paper overview: gathering its data, and the print run.

``overview_data`` reads one participant's overview of a month; ``overview_batches`` reads
many in chunks of a few hundred with a handful of queries per chunk (bookings, saldos through
``app.services.saldo``, leefgeld schedules, open signals), each chunk in one consistent
snapshot so the table always adds up to the printed saldo. ``print_overviews`` is
``huishoudboekje overviews``: the selection (paper preference, ``--alle``, ``--dossier``), in
dossier-number order or the mail room's (``--op-postcode``), one PDF (behind a cover sheet with
the run's counts) or a folder of PDFs or an Excel workbook, participants without an address
reported and skipped, progress per letter, one audit row for the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError, UserError, ValidationError
from app.models import (
    Agreement,
    Booking,
    Category,
    CategoryKind,
    Direction,
    Employee,
    Organisation,
    OverviewDelivery,
    Participant,
    ParticipantStatus,
    Payout,
    PayoutKind,
    PayoutStatus,
    RepaymentKind,
    RepaymentPlan,
    Signal,
    SignalKind,
    SignalStatus,
)
from app.models.employee import Role
from app.reports.letter import (
    LetterSettings,
    RunCover,
    WriteResult,
    letter_title,
    write_letters,
)
from app.reports.letter_texts import DUTCH
from app.reports.overview_data import (
    Address,
    AllowanceDate,
    BookedAmount,
    Contact,
    MonthSaldo,
    Notice,
    OverviewData,
    Settlement,
    add_months,
    day_before,
    last_of_month,
    mail_order_key,
    period_months,
)
from app.reports.overview_excel import write_overview_workbook
from app.schedule import Schedule, due_dates
from app.services.letter_settings import load_letter_settings
from app.services.permissions import requires
from app.services.repayments import active_buffer_plans
from app.services.saldo import saldos_cents
from app.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from app.db import Database

CHUNK = 400  # participants read per query round
LETTER_STATUSES = (ParticipantStatus.ACTIVE, ParticipantStatus.CANCELLED)
# Open signals a participant is told about (the letter texts say them in plain words).
NOTICE_KINDS = ("betaling ontbreekt", "afwijkend bedrag", "dubbele betaling", "voortgangsgesprek")
MAX_ALLOWANCE_DATES = 5
# Up to this many ids are sent as one IN list (SQLite and psycopg limit bound parameters);
# a larger selection reads the sort columns of every participant and keeps the chosen.
MAX_BOUND_IDS = 10_000
Progress = Callable[[int, int], None]


def parse_month(text: str, today: date | None = None) -> date:
    """'2026-10' → 1 October 2026; a month that has not begun is refused."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(f"Ongeldige maand {text!r} (verwacht JJJJ-MM, bijv. 2026-10)",
                              "maand")
    month = date(int(match.group(1)), int(match.group(2)), 1)
    today = today or date.today()
    if month > today:
        raise ValidationError(f"Maand {month:%Y-%m} is nog niet begonnen", "maand")
    return month


def default_month(today: date | None = None) -> date:
    """The last whole month: what is printed at the start of a month."""
    return add_months(today or date.today(), -1)


# --- selection ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A row of the Overzichten screen's participant list."""

    id: int
    number: str
    name: str
    city: str | None
    paper: bool
    address_complete: bool
    large_print: bool
    language: str


def overview_candidates(session: Session, *, everybody: bool = True) -> list[Candidate]:
    """Participants who can get an overview (active or cancelled), by dossier number."""
    query = select(Participant).where(Participant.status.in_(LETTER_STATUSES))
    if not everybody:
        query = query.where(Participant.paper_overview.is_(True))
    return [
        Candidate(p.id, p.number, p.full_name, p.city, p.paper_overview,
                  _address(p).complete, p.large_print, p.overview_language)
        for p in session.scalars(query.order_by(Participant.number))
    ]


def select_participants(session: Session, *, dossier: str | None = None,
                        everybody: bool = False, by_postcode: bool = False) -> list[int]:
    """``--dossier NR``: that one; else every active participant with a paper overview (with
    ``--alle``: every active participant), by dossier number or (``by_postcode``) in the mail
    room's order, in one query."""
    if dossier:
        found = session.scalar(select(Participant.id).where(
            func.upper(Participant.number) == dossier.strip().upper()))
        if found is None:
            raise NotFoundError(f"Dossier {dossier} bestaat niet")
        return [found]
    where = [Participant.status.in_(LETTER_STATUSES)]
    if not everybody:
        where.append(Participant.paper_overview.is_(True))
    if by_postcode:
        return _in_mail_order(session.execute(select(*_MAIL_ORDER).where(*where)))
    return list(session.scalars(select(Participant.id).where(*where)
                                .order_by(Participant.number)))


# What the mail room's order is decided by: the id, then mail_order_key's arguments.
_MAIL_ORDER = (Participant.id, Participant.postcode, Participant.house_number,
               Participant.house_number_suffix, Participant.number)


def _in_mail_order(rows: Iterable[Sequence]) -> list[int]:
    return [row[0] for row in sorted(rows, key=lambda row: mail_order_key(*row[1:]))]


def in_postcode_order(session: Session, participant_ids: Sequence[int]) -> list[int]:
    """The participants in the mail room's order (``mail_order_key``: postcode, house number,
    addition, dossier number), read in one query; an id twice or of nobody is left out (the
    print run would not find it either)."""
    wanted = set(participant_ids)
    query = select(*_MAIL_ORDER)
    if len(wanted) <= MAX_BOUND_IDS:
        query = query.where(Participant.id.in_(wanted))
    return _in_mail_order(row for row in session.execute(query) if row[0] in wanted)


# --- gathering ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Skipped:
    number: str
    reason: str


def overview_data(session: Session, participant_id: int, month: date, *,
                  today: date | None = None) -> OverviewData:
    """One participant's overview of ``month`` (an incomplete address is no obstacle here:
    the screen shows it; only the print run skips it)."""
    found = _read_chunk(session, [participant_id], month, today or date.today(),
                        require_address=False)
    if not found:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
    return found[0]  # type: ignore[return-value]


def overview_batches(db: Database, participant_ids: list[int], month: date, *,
                     today: date | None = None, require_address: bool = True
                     ) -> Iterator[OverviewData | Skipped]:
    """The overviews of many participants in their order, read a chunk at a time."""
    today = today or date.today()
    for start in range(0, len(participant_ids), CHUNK):
        with db.read() as session:
            _snapshot(session)
            yield from _read_chunk(session, participant_ids[start:start + CHUNK], month, today,
                                   require_address=require_address)


def _snapshot(session: Session) -> None:
    """Every query of this session sees the same data (PostgreSQL reads each statement anew
    by default; SQLite's read transaction is a snapshot already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _address(p: Participant) -> Address:
    return Address(p.full_name, p.street, p.house_number, p.house_number_suffix, p.postcode,
                   p.city)


def _read_chunk(session: Session, ids: list[int], month: date, today: date, *,
                require_address: bool) -> list[OverviewData | Skipped]:
    first, _, this = period_months(month)
    month_end = last_of_month(this)
    as_of = min(month_end, today)
    ends = [day_before(first), last_of_month(first), last_of_month(add_months(month, -1)),
            as_of]
    rows = session.execute(
        select(Participant, Employee.name, Employee.phone)
        .outerjoin(Employee, Participant.contact_employee_id == Employee.id)
        .where(Participant.id.in_(ids))
    ).all()
    people = {p.id: (p, name, phone) for p, name, phone in rows}
    saldos = [saldos_cents(session, day, ids) for day in ends]
    bookings = _bookings(session, ids, first, as_of)
    allowances = _allowances(session, [people[i][0] for i in ids if i in people], month, today)
    notices = _notices(session, ids, this, month_end)
    withheld, instalments = _buffer_repayments(session, ids, this, month_end, as_of)
    settlements = _settlements(session, [people[i][0] for i in ids if i in people])
    out: list[OverviewData | Skipped] = []
    for pid in ids:
        if pid not in people:
            continue
        participant, contact_name, contact_phone = people[pid]
        address = _address(participant)
        needs_address = participant.overview_delivery is not OverviewDelivery.PICKUP
        if require_address and needs_address and not address.complete:
            missing = [label for label, value in (
                ("straat", participant.street), ("huisnummer", participant.house_number),
                ("postcode", participant.postcode), ("woonplaats", participant.city))
                if not value]
            out.append(Skipped(participant.number, "adres onvolledig (geen "
                               + ", ".join(missing) + ")"))
            continue
        month_saldos = tuple(
            MonthSaldo(m, saldos[i][pid], saldos[i + 1][pid])
            for i, m in enumerate(period_months(month)))
        out.append(OverviewData(
            number=participant.number,
            address=address,
            month=this,
            as_of=as_of,
            saldos=month_saldos,  # type: ignore[arg-type]
            bookings=tuple(bookings.get(pid, ())),
            language=participant.overview_language or "nl",
            large_print=participant.large_print,
            buffer_cents=participant.buffer_limit_cents,
            variant=participant.variant.value,
            next_allowances=tuple(allowances.get(pid, ())),
            notices=tuple(notices.get(pid, ())),
            withheld_cents=withheld.get(pid, 0),
            instalment_cents=instalments.get(pid, 0),
            settlement=settlements.get(pid),
            contact=Contact(contact_name, contact_phone),
        ))
    return out


def _bookings(session: Session, ids: list[int], first: date, last: date
              ) -> dict[int, list[BookedAmount]]:
    query = (
        select(Booking.participant_id, Booking.booking_date, Booking.amount_cents,
               Booking.agreement_id, Agreement.description, Organisation.name, Category.name,
               Category.kind)
        .join(Category, Booking.category_id == Category.id)
        .outerjoin(Agreement, Booking.agreement_id == Agreement.id)
        .outerjoin(Organisation, Agreement.organisation_id == Organisation.id)
        .where(Booking.participant_id.in_(ids), Booking.booking_date >= first,
               Booking.booking_date <= last)
        .order_by(Booking.participant_id, Booking.booking_date, Booking.id)
    )
    out: dict[int, list[BookedAmount]] = defaultdict(list)
    for pid, day, cents, agreement_id, description, organisation, category, kind in \
            session.execute(query):
        out[pid].append(BookedAmount(
            booking_date=day, amount_cents=cents, group=organisation or category,
            label=description or category, kind=CategoryKind(kind).value,
            agreement_id=agreement_id))
    return out


def _allowances(session: Session, participants: list[Participant], month: date, today: date
                ) -> dict[int, list[AllowanceDate]]:
    """The coming leefgeld payments after the overview's month (from the print day on, within
    about a month): from the participant's leefgeld fields, else their leefgeld agreements."""
    first = max(add_months(month, 1), today)
    last = first + timedelta(days=30)
    out: dict[int, list[AllowanceDate]] = {}
    by_fields = [p for p in participants if p.allowance_cents and p.allowance_frequency
                 and p.allowance_day]
    for p in by_fields:
        schedule = Schedule(p.allowance_frequency.value, p.allowance_day,
                            p.start_date or date.min, p.end_date)
        out[p.id] = [AllowanceDate(d, p.allowance_cents)
                     for d in due_dates(schedule, first, last)[:MAX_ALLOWANCE_DATES]]
    rest = [p.id for p in participants if p.id not in out]
    if rest:
        query = (
            select(Agreement)
            .join(Category, Agreement.category_id == Category.id)
            .where(Agreement.participant_id.in_(rest), Category.kind == CategoryKind.ALLOWANCE,
                   Agreement.direction == Direction.EXPENSE, Agreement.valid_from <= last,
                   or_(Agreement.valid_through.is_(None), Agreement.valid_through >= first))
            .order_by(Agreement.participant_id, Agreement.id)
        )
        found: dict[int, list[AllowanceDate]] = defaultdict(list)
        for agreement in session.scalars(query):
            found[agreement.participant_id].extend(
                AllowanceDate(d, agreement.amount_cents)
                for d in due_dates(Schedule(agreement.frequency.value, agreement.day,
                                            agreement.valid_from, agreement.valid_through),
                                   first, last))
        for pid, dates in found.items():
            out[pid] = sorted(dates, key=lambda a: a.day)[:MAX_ALLOWANCE_DATES]
    return out


def _buffer_repayments(session: Session, ids: list[int], first: date, last: date, as_of: date
                       ) -> tuple[dict[int, int], dict[int, int]]:
    """Per participant the buffer instalments kept back from the leefgeld due in the month (not
    struck), and the instalment of the buffer plan in force on ``as_of``."""
    withheld = {pid: int(total) for pid, total in session.execute(
        select(Payout.participant_id, func.sum(Payout.withheld_cents))
        .where(Payout.participant_id.in_(ids), Payout.withheld_cents > 0,
               Payout.status != PayoutStatus.STRUCK, Payout.due_date.between(first, last))
        .group_by(Payout.participant_id))}
    instalments = {pid: plan.instalment_cents
                   for pid, plan in active_buffer_plans(session, as_of, ids).items()}
    return withheld, instalments


def _settlements(session: Session, participants: list[Participant]) -> dict[int, Settlement]:
    """The final settlement of those who left (the payout of a positive saldo, or what they
    owe and its plan; neither: it came out at zero)."""
    ended = {p.id: p for p in participants
             if p.status == ParticipantStatus.ENDED and p.end_date is not None}
    if not ended:
        return {}
    out = {pid: Settlement(p.end_date, 0) for pid, p in ended.items()}
    for pid, amount in session.execute(
            select(Payout.participant_id, Payout.amount_cents).where(
                Payout.participant_id.in_(ended), Payout.kind == PayoutKind.SETTLEMENT,
                Payout.status != PayoutStatus.STRUCK)):
        out[pid] = Settlement(ended[pid].end_date, amount)
    for plan in session.scalars(select(RepaymentPlan).where(
            RepaymentPlan.participant_id.in_(ended), RepaymentPlan.kind == RepaymentKind.FINAL)
            .order_by(RepaymentPlan.id)):
        first = plan.start_date.replace(day=min(plan.day or 1, 28))
        out[plan.participant_id] = Settlement(ended[plan.participant_id].end_date,
                                              -(plan.owed_cents or 0), plan.instalment_cents,
                                              first)
    return out


def _notices(session: Session, ids: list[int], first: date, last: date
             ) -> dict[int, list[Notice]]:
    """The open problems of this month that the participant should read about (a payment
    that did not come, a deviating or double one; an overdue progress talk at any time)."""
    query = (
        select(Signal.participant_id, Signal.kind, Organisation.name, Signal.expected_date,
               Signal.expected_cents)
        .outerjoin(Agreement, Signal.agreement_id == Agreement.id)
        .outerjoin(Organisation, Agreement.organisation_id == Organisation.id)
        .where(Signal.participant_id.in_(ids), Signal.status != SignalStatus.RESOLVED,
               Signal.active, Signal.kind.in_(NOTICE_KINDS),
               or_(Signal.kind == SignalKind.PROGRESS_TALK_DUE,
                   Signal.expected_date.between(first, last)))
        .order_by(Signal.participant_id, Signal.id)
    )
    out: dict[int, list[Notice]] = defaultdict(list)
    seen: set[tuple] = set()
    for pid, kind, organisation, expected_date, expected_cents in session.execute(query):
        key = (pid, kind, organisation)
        if key in seen:  # one sentence per kind and payer is enough on paper
            continue
        seen.add(key)
        out[pid].append(Notice(kind.value, organisation, expected_date, expected_cents))
    return out


# --- the print run ----------------------------------------------------------------------

@dataclass
class PrintRun:
    month: date
    letters: int = 0
    pages: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # the dossiers that got a letter

    def summary(self) -> str:
        text = (f"{self.letters} overzicht(en) van {self.month:%Y-%m} gemaakt, "
                f"{self.pages} pagina's")
        if self.files:
            where = self.files[0] if len(self.files) == 1 else self.files[0].parent
            text += f", in {where}"
        if self.skipped:
            text += f"; {len(self.skipped)} overgeslagen"
        return text


OUTPUTS = ("pdf", "xlsx", "folder", "printer")


def output_kind(out: Path) -> str:
    """'pdf' (one file), 'xlsx' (a workbook) or 'folder' (one PDF per participant)."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".xlsx":
        return "xlsx"
    if out.is_dir() or not suffix:
        return "folder"
    raise ValidationError(f"{out.name}: geef een .pdf-bestand, een .xlsx-bestand of een map op",
                          "uitvoer")


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, Role.ADMIN, action="papieren overzichten maken")
def print_overviews(uow: UnitOfWork, month: date, out: Path, *, dossier: str | None = None,
                    everybody: bool = False, participant_ids: list[int] | None = None,
                    today: date | None = None, progress: Progress | None = None,
                    by_postcode: bool = False) -> PrintRun:
    """Make the overviews of ``month``: every participant with a paper overview, everybody
    (``everybody``), one dossier, or the ``participant_ids`` a clerk picked (in their order).
    ``by_postcode``: in the mail room's order instead (``mail_order_key``). ``out``: one
    PDF (a cover sheet for the mail room, then each letter on a new sheet for duplex
    printers), an .xlsx workbook, or a folder with one PDF per participant named after the
    dossier number. Participants without a complete address are skipped and listed; the
    rest is made. Nothing is left half-written."""
    today = today or date.today()
    db = uow.db
    kind = output_kind(out)
    with db.read() as session:
        if participant_ids is None:
            ids = select_participants(session, dossier=dossier, everybody=everybody,
                                      by_postcode=by_postcode)
        elif by_postcode:
            ids = in_postcode_order(session, participant_ids)
        else:
            ids = participant_ids
        settings = load_letter_settings(session)
    if not ids:
        raise UserError("Er zijn geen deelnemers met een papieren overzicht "
                        "(gebruik --alle voor iedereen)")
    run = PrintRun(month)
    total = len(ids)
    report = progress or (lambda _done, _total: None)
    report(0, total)

    def letters() -> Iterator[OverviewData]:
        done = 0
        # A workbook is for the frontoffice itself: no envelope, so no address needed.
        for item in overview_batches(db, ids, month, today=today,
                                     require_address=kind != "xlsx"):
            done += 1
            if isinstance(item, Skipped):
                run.skipped.append(item)
                report(done, total)
                continue
            run.numbers.append(item.number)
            yield item
            report(done, total)

    if kind == "pdf":
        def cover(result: WriteResult) -> RunCover:
            # Called once every letter is written: run.skipped is complete.
            return RunCover(month, today, uow.actor, result.languages, by_postcode,
                            len(run.skipped))

        _write_pdf(out, letters(), settings, month, today, run, cover)
    elif kind == "xlsx":
        with _replacing(out, keep=lambda: run.letters > 0) as temporary:
            run.letters = write_overview_workbook(letters(), temporary, settings)
        run.files.append(out)
    else:
        _write_folder(out, letters(), settings, today, run)
    if run.letters == 0:
        reasons = "; ".join(f"{s.number}: {s.reason}" for s in run.skipped[:3])
        raise UserError(f"Geen enkel overzicht gemaakt: {reasons}")
    record_overviews_made(uow, month, run.numbers, output=kind, pages=run.pages,
                          skipped=[s.number for s in run.skipped])
    return run


@requires(Role.FRONTOFFICE, Role.TEAMLEADER, Role.ADMIN, action="papieren overzichten vastleggen")
def record_overviews_made(uow: UnitOfWork, month: date, numbers: Sequence[str], *,
                          output: str, pages: int, skipped: Sequence[str] = ()) -> None:
    """The audit row of one print run: personal data left the building on paper or in a
    file. Who (the unit of work's actor) made the overviews of ``month`` for which dossiers
    (``numbers``), where to (``output``: pdf, folder, xlsx, printer), how many pages, and who
    was skipped. Every way out records one: the command line, saving a PDF or workbook,
    printing from the Overzichten screen or from a dossier."""
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}")
    with uow:
        uow.record("papieren overzichten gemaakt", "participants", None, after={
            "maand": f"{month:%Y-%m}", "brieven": len(numbers), "pagina's": pages,
            "uitvoer": output, "dossiers": list(numbers), "overgeslagen": list(skipped),
        })
        uow.commit()


def _write_pdf(out: Path, letters: Iterator[OverviewData], settings: LetterSettings,
               month: date, today: date, run: PrintRun,
               cover: Callable[[WriteResult], RunCover]) -> None:
    title = f"Papieren overzichten {DUTCH.month(month)}"
    with _replacing(out, keep=lambda: run.letters > 0) as temporary:
        result = write_letters(letters, temporary, settings, today, title=title, cover=cover)
        # run.pages counts the cover sheet and its blank back: the pages of the file, as it
        # counts the blank backs between letters (run.letters does not count the cover).
        run.letters, run.pages = result.letters, result.pages
    run.files.append(out)


def _write_folder(folder: Path, letters: Iterator[OverviewData], settings: LetterSettings,
                  today: date, run: PrintRun) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Kan map {folder} niet maken: {exc.strerror or exc}") from None
    for data in letters:
        texts = settings.texts_for(data.language)
        path = folder / f"{_safe_name(data.number)}.pdf"
        with _replacing(path) as temporary:
            result = write_letters([data], temporary, settings, today,
                                   title=letter_title(data, texts),
                                   language=texts.code, duplex=False)
        run.letters += 1
        run.pages += result.pages
        run.files.append(path)


def _safe_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", number)


@contextlib.contextmanager
def _replacing(path: Path, keep: Callable[[], bool] = lambda: True) -> Iterator[Path]:
    """Write to a temporary file beside ``path`` and put it in place only when complete (and
    ``keep()`` says it holds something)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        yield temporary
        if keep():
            os.replace(temporary, path)
    except OSError as exc:
        raise UserError(f"Kan {path} niet schrijven: {exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)


def overview_for_dossier(db: Database, participant_id: int, month: date, *,
                         today: date | None = None) -> tuple[OverviewData, LetterSettings]:
    """What the dossier's "Print overzicht" shows: this participant's overview and the
    letter settings (read together)."""
    with db.read() as session:
        _snapshot(session)
        return (overview_data(session, participant_id, month, today=today),
                load_letter_settings(session))


__all__ = [
    "Candidate", "PrintRun", "Skipped", "default_month", "in_postcode_order", "output_kind",
    "overview_batches", "overview_candidates", "overview_data", "overview_for_dossier",
    "parse_month", "print_overviews", "record_overviews_made", "select_participants",
]

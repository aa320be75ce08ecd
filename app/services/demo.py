"""``huishoudboekje demo``: fill an empty database with a lived-in demo municipality.

The data comes from ``app.demo.generate_demo`` and is stored the way a migration workbook is
(``store_book``: every row checked by the same rules, then bulk-inserted), so the demo also
proves the import: one transaction, one audit row for all dossiers. Then, as a clerk would, it
registers the municipal account and imports three months of its statements
(``app.demo_statements``), one statement import (transaction, audit row) per month, optionally
also written as camt.053 files to try the import with. A database that already holds dossiers is
refused, so demo data never mixes with real participants.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from app.demo import DemoData, generate_demo
from app.demo_statements import MUNICIPAL_IBAN, MUNICIPAL_NAME, DemoStatements, generate_statements
from app.errors import UserError, ValidationError
from app.formatting import sha256_of
from app.models import (
    Agreement,
    BankAccount,
    DebtSituation,
    Employee,
    Participant,
    Referral,
    ReferralKind,
    ReferralOutcome,
    RepaymentKind,
    RepaymentPlan,
    SelfReliance,
    Variant,
)
from app.schedule import add_months
from app.services import validation
from app.services.accounts import add_municipal_account
from app.services.dossier_import import store_book
from app.services.permissions import requires
from app.services.repayments import IN_SERVICE, smallest_leefgeld
from app.services.saldo import saldos_cents
from app.services.signals import evaluate_signals, signals_paused
from app.services.statement_import import ImportOutcome, store_statements
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
    statements: int = 0  # months of the municipal account's statements imported
    transactions: int = 0  # their entries, all in the queue until the matcher has run

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.participants} deelnemers met {self.agreements} afspraken, "
            f"{self.organisations} organisaties, {self.accounts} rekeningen, "
            f"{self.employees} medewerkers, {self.statements} bankafschriften met "
            f"{self.transactions} transacties (seed {self.seed})"
        )


@requires(action="demodata maken")
def create_demo(
    uow: UnitOfWork,
    participants: int,
    seed: int = 1,
    today: date | None = None,
    *,
    statements_folder: Path | None = None,
    months: int = 3,
) -> DemoSummary:
    """Employees, organisations, ``participants`` dossiers and their agreements, in one
    transaction; ``today`` is the reference date of the generated dates (default: today).
    Then the municipal account and its statements of the ``months`` calendar months before
    today's month, each imported like a clerk's file; with ``statements_folder`` those files
    (camt.053) are also written there."""
    if participants < 1:
        raise ValidationError("Het aantal deelnemers moet minstens 1 zijn", "deelnemers")
    if months < 1:
        raise ValidationError("Het aantal maanden afschriften moet minstens 1 zijn", "maanden")
    with uow.db.read() as session:  # fail fast, before generating thousands of dossiers
        if _has_participants(session):
            raise UserError(REFUSAL)
    if statements_folder is not None:  # before anything is stored
        _prepare_folder(statements_folder)
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
        referrals = _store_progress(session, data, uow.actor)
        summary = DemoSummary(
            seed=seed,
            employees=added + stored.employees,
            organisations=stored.organisations,
            accounts=stored.accounts,
            participants=stored.participants,
            agreements=stored.agreements,
            search_terms=stored.search_terms,
        )
        dossiers = {k: v for k, v in summary.as_dict().items()
                    if k not in ("statements", "transactions")}
        uow.record(AUDIT_ACTION, "demo", None,
                   after={**dossiers, "verwijzingen": referrals,
                          "peildatum": data.today.isoformat()})
        uow.commit()
    statements = generate_statements(data, MUNICIPAL_IBAN, months=months, seed=seed)
    with signals_paused():  # evaluated once below, as of the demo's date
        outcomes = _import_statements(uow, statements, statements_folder)
    summary.statements = sum(len(o.statements) for o in outcomes)
    summary.transactions = sum(o.new_entries for o in outcomes)
    _agree_buffer_repayments(uow, data.today)
    # As of the demo's own date, so that a demo made for another day shows its signals too.
    # and with the history of its three months of statements (signals of some weeks' age).
    evaluate_signals(uow, on=data.today, history_weeks=13)
    return summary


def _agree_buffer_repayments(uow: UnitOfWork, today: date) -> int:
    """As a Rotterdam team would: every 'alleen inkomsten' participant below zero repays the
    buffer from the leefgeld, a tenth of the smallest payment (rounded to whole euros), from
    the first of next month. One transaction, one audit row."""
    start = add_months(today.replace(day=1), 1)
    with uow:
        session = uow.session
        people = session.scalars(select(Participant).where(
            Participant.variant == Variant.INCOME_ONLY,
            Participant.status.in_(IN_SERVICE))
            .order_by(Participant.id)).all()
        saldos = saldos_cents(session, today, [p.id for p in people])
        agreed = []
        for participant in people:
            leefgeld = smallest_leefgeld(session, participant, start)
            if saldos[participant.id] >= 0 or not leefgeld:
                continue
            instalment = max(100, leefgeld // 10 // 100 * 100)
            session.add(RepaymentPlan(
                participant_id=participant.id, kind=RepaymentKind.BUFFER,
                instalment_cents=instalment, start_date=start, created_by=uow.actor,
                note="buffergebruik (demo)"))
            agreed.append(participant.number)
        uow.record("aflossingsregelingen afgesproken", "repayment_plans", None,
                   after={"dossiers": agreed, "vanaf": start.isoformat()})
        uow.commit()
        return len(agreed)


def _store_progress(session: Session, data: DemoData, actor: str) -> int:
    """What the workbook has no columns for (app.demo.DemoProgress): the nulmeting, the
    classes now, the next progress talk and the referrals; and the wide tolerance of flex
    wages. In bulk, like the workbook rows. Returns the number of referrals."""
    ids = {number: pid for number, pid in
           session.execute(select(Participant.number, Participant.id))}
    table = Participant.__table__
    updates = [
        {"pid": ids[number], "isr": _enum(SelfReliance, p.intake_self_reliance),
         "ids": _enum(DebtSituation, p.intake_debt_situation),
         "sr": _enum(SelfReliance, p.self_reliance), "ds": _enum(DebtSituation, p.debt_situation),
         "talk": p.next_progress_talk}
        for number, p in data.progress.items() if number in ids
    ]
    if updates:
        session.execute(
            update(table).where(table.c.id == bindparam("pid")).values(
                intake_self_reliance=bindparam("isr"), intake_debt_situation=bindparam("ids"),
                self_reliance=bindparam("sr"), debt_situation=bindparam("ds"),
                next_progress_talk=bindparam("talk")),
            updates)
    referrals = [
        {"participant_id": ids[number], "kind": ReferralKind(r.kind),
         "referred_on": r.referred_on, "outcome": ReferralOutcome(r.outcome),
         "outcome_date": r.outcome_date, "note": r.note, "created_by": actor}
        for number, p in data.progress.items() if number in ids for r in p.referrals
    ]
    if referrals:
        session.execute(insert(Referral), referrals)
    if data.tolerances:  # the agreements were stored in the book's order
        agreement_ids = list(session.scalars(select(Agreement.id).order_by(Agreement.id)))
        rows = {row.row: agreement_ids[i] for i, row in enumerate(data.book.agreements)}
        agreements = Agreement.__table__
        session.execute(
            update(agreements).where(agreements.c.id == bindparam("aid"))
            .values(signal_tolerance_percent=bindparam("tolerance")),
            [{"aid": rows[row], "tolerance": tolerance}
             for row, tolerance in data.tolerances.items()])
    session.expire_all()
    return len(referrals)


def _enum(kind, value: str | None):
    return None if value is None else kind(value)


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is een bestand, geen map voor de bankafschriften")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Kan de map {folder} niet aanmaken: {exc.strerror or exc}") from None


def _import_statements(uow: UnitOfWork, statements: DemoStatements, folder: Path | None
                       ) -> list[ImportOutcome]:
    """Register the municipal account (unless it is already) and import each month's file."""
    with uow.db.read() as session:
        registered = session.scalar(
            select(BankAccount.id).where(BankAccount.iban == statements.account,
                                         BankAccount.is_municipal)
        ) is not None
    if not registered:
        add_municipal_account(uow, statements.account, MUNICIPAL_NAME)
    with tempfile.TemporaryDirectory(prefix="hhb-demo-") as scratch:
        # The files as the bank sends them: their fingerprints go into the import history,
        # so importing a written file later is recognised as the same file.
        paths = statements.write_files(folder if folder is not None else Path(scratch))
        return [
            store_statements(uow, statements.read_result(statement), file_name=path.name,
                             sha256=sha256_of(path))
            for statement, path in zip(statements.statements, paths, strict=True)
        ]


def _has_participants(session: Session) -> bool:
    return session.scalar(select(Participant.id).limit(1)) is not None

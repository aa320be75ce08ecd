"""Paying out over random sequences of user actions, on SQLite and PostgreSQL (issue 13).

A hypothesis state machine plans overlapping date ranges, makes and cancels batches, holds,
releases, approves, changes and strikes payments, moves a leefgeld into the dossier's own fields
and back, lets time pass, and lets the bank execute and return transfers (statements imported as
a clerk would, so the matcher and ``mark_seen`` do the reconciliation). After every step it
checks that no payment is ever planned twice, that every due period of a planned range has
exactly one payout, that a cancelled batch holds nothing and no payout is in two live files,
that end-to-end ids are unique across every file ever written (cancelled ones too), and that
every file validates and adds up. The two bugs it found (a leefgeld moved into the dossier
planned again; a batch cancelled after the bank executed it, once its returned payment had moved
on) each have the shortest way into them as a test below it.

Then the demo municipality: its next month planned and made into one batch, validated against
the official XSD (resources/xsd, copied from the shared samples), adding up, without any
participant's BSN in any form.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import itertools
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from lxml import etree
from sqlalchemy import create_engine, func, select, text

from app.db import Database
from app.demo import nl_iban
from app.errors import UserError, ValidationError
from app.importers.statements import Entry, ReadResult, StatementData
from app.models import (
    Agreement,
    Direction,
    Participant,
    Payout,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutKind,
    PayoutStatus,
)
from app.services import agreements as agr
from app.services import payouts
from app.services.demo import create_demo
from app.services.organisations import create_organisation
from app.services.participants import create_participant, update_participant
from app.services.statement_import import store_statements
from tests.conftest import _admin_url, new_postgres_database
from tests.helpers import VALID_BSNS
from tests.test_payouts import NEW_WOONSTAD, OURS, WOONSTAD, World, active, build

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
# The official schema, as copied from the shared samples into the repository (with its
# SOURCES.md): a fresh clone has it, whatever lies beside the checkout.
OFFICIAL_XSD = Path(__file__).resolve().parents[1] / "resources" / "xsd" / "pain.001.001.03.xsd"

BUFFER_HOLD = "voorbij de buffer: wacht op goedkeuring"
TODAY = date(2026, 11, 25)  # as in tests/test_payouts.py: Anna's November income is booked
HORIZON = (date(2026, 11, 16), date(2027, 2, 28))  # where the random ranges start
LAST_DAY = date(2027, 4, 30)  # the clock stops here
PORTAAL = nl_iban("ABNA", "0555555555")
CEM_OWN = nl_iban("TRIO", "0390123456")

# Examples per backend; HHB_PAYOUT_EXAMPLES=200 for a long run.
EXAMPLES = {"sqlite": 40, "postgresql": 10}
STEPS = 50


@cache
@functools.cache
def official_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(OFFICIAL_XSD)))


# -- the small world ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A payable agreement as the oracle sees it: whose, what, and when it is due."""

    agreement_id: int
    participant_id: int
    leefgeld: bool
    amount_cents: int
    frequency: str  # week | maand
    day: int  # ISO weekday, or day of the month (the last day of a shorter month)
    valid_from: date
    valid_through: date | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Leefgeld is one payment per participant and due day, whether an agreement or the
        dossier's own fields hold it; anything else is one per agreement and due day."""
        return ("leefgeld", self.participant_id) if self.leefgeld else (
            "afspraak", self.agreement_id)

    def dates(self, first: date, last: date) -> set[date]:
        found = set()
        day = max(first, self.valid_from)
        end = last if self.valid_through is None else min(last, self.valid_through)
        while day <= end:
            if self.frequency == "week":
                due = day.isoweekday() == self.day
            else:
                due = day.day == min(self.day, calendar.monthrange(day.year, day.month)[1])
            if due:
                found.add(day)
            day += timedelta(days=1)
        return found


@dataclass(frozen=True)
class SmallWorld:
    world: World
    participants: tuple[int, ...]
    payable: tuple[Due, ...]  # paid by transfer: leefgeld, and rent where we pay it
    unpaid: tuple[int, ...]  # direct debit, method unknown, or paid by the participant
    # Those whose leefgeld the dossier's own fields can hold instead (one agreement, open).
    movable: tuple[Due, ...]


def build_small_world(db) -> SmallWorld:
    """tests/test_payouts.py's world (Anna: weekly leefgeld, rent by transfer, insurance of
    unknown method, energy by direct debit, a booked income; Bram, variant alleen inkomsten:
    monthly leefgeld, rent he pays himself) and two more: Cem, whose monthly leefgeld on the
    31st becomes weekly on Fridays in February and whose rent we transfer; Dilan, no own
    account known and no buffer, so everything of hers is held."""
    world = build(db)
    portaal = create_organisation(db.unit_of_work("beheer"), name="Portaal", kind="vaste_last",
                                  ibans=[PORTAAL])
    cem = create_participant(db.unit_of_work("t"), registered_on=date(2026, 1, 2),
                             bsn=VALID_BSNS[2], first_name="Cem", initials="C.",
                             last_name="Yilmaz", city="Utrecht", iban=CEM_OWN,
                             buffer_limit_cents=1_500_00)
    dilan = create_participant(db.unit_of_work("t"), registered_on=date(2026, 1, 2),
                               bsn=VALID_BSNS[3], first_name="Dilan", initials="D.",
                               last_name="Kaya", city="Utrecht", buffer_limit_cents=0)
    for pid in (cem, dilan):
        active(db, pid)

    def agreement(pid: int, **values) -> int:
        return agr.create_agreement(db.unit_of_work("t"), pid, direction="uitgave", **values)

    start, switch = date(2026, 1, 1), date(2027, 2, 1)
    cem_monthly = agreement(cem, amount_cents=250_00, frequency="maand", day=31,
                            category="leefgeld", valid_from=start,
                            valid_through=switch - timedelta(days=1))
    cem_weekly = agreement(cem, amount_cents=62_50, frequency="week", day=5,
                           category="leefgeld", valid_from=switch)
    cem_rent = agreement(cem, organisation_id=portaal, amount_cents=550_00, frequency="maand",
                         day=1, category="huur", payment_method="overschrijving",
                         valid_from=start, description="Huur")
    dilan_weekly = agreement(dilan, amount_cents=45_00, frequency="week", day=3,
                             category="leefgeld", valid_from=start)
    anna, bram = world.anna, world.bram
    payable = (
        Due(world.anna_leefgeld, anna, True, 60_00, "week", 1, start),
        Due(world.anna_rent, anna, False, 700_00, "maand", 1, start),
        Due(world.bram_leefgeld, bram, True, 400_00, "maand", 26, start),
        Due(cem_monthly, cem, True, 250_00, "maand", 31, start, switch - timedelta(days=1)),
        Due(cem_weekly, cem, True, 62_50, "week", 5, switch),
        Due(cem_rent, cem, False, 550_00, "maand", 1, start),
        Due(dilan_weekly, dilan, True, 45_00, "week", 3, start),
    )
    with db.read() as session:
        expenses = set(session.scalars(select(Agreement.id).where(
            Agreement.direction == Direction.EXPENSE)))
    unpaid = tuple(sorted(expenses - {d.agreement_id for d in payable}))
    assert world.bram_rent in unpaid and world.anna_insurance in unpaid
    movable = tuple(d for d in payable if d.leefgeld and d.participant_id != cem)
    return SmallWorld(world, (anna, bram, cem, dilan), payable, unpaid, movable)


# -- reading a file back --------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount_cents: int
    creditor_name: str
    creditor_iban: str
    remittance: str
    execution_date: date


def cents(text_value: str) -> int:
    amount = Decimal(text_value)
    assert amount == amount.quantize(Decimal("0.01")), text_value
    return int(amount * 100)


def check_file(xml: bytes) -> list[Transfer]:
    """The file validates against the official XSD, and NbOfTxs and CtrlSum add up in the
    group header and in every PmtInf. Returns its transfers."""
    document = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    official_schema().assertValid(document)
    transfers = []
    for info in document.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", NS):
        day = date.fromisoformat(info.findtext("p:ReqdExctnDt", namespaces=NS))
        inside = [Transfer(
            end_to_end_id=tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            amount_cents=cents(tx.findtext("p:Amt/p:InstdAmt", namespaces=NS)),
            creditor_name=tx.findtext("p:Cdtr/p:Nm", namespaces=NS),
            creditor_iban=tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS),
            remittance=tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) or "",
            execution_date=day) for tx in info.iterfind("p:CdtTrfTxInf", NS)]
        assert inside, "a PmtInf without transfers"
        assert int(info.findtext("p:NbOfTxs", namespaces=NS)) == len(inside)
        assert cents(info.findtext("p:CtrlSum", namespaces=NS)) == sum(
            t.amount_cents for t in inside)
        transfers += inside
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert int(header.findtext("p:NbOfTxs", namespaces=NS)) == len(transfers)
    assert cents(header.findtext("p:CtrlSum", namespaces=NS)) == sum(
        t.amount_cents for t in transfers)
    e2e = [t.end_to_end_id for t in transfers]
    assert len(e2e) == len(set(e2e)) and "NOTPROVIDED" not in {i.upper() for i in e2e}
    return transfers


def bsn_forms(bsn: str) -> set[str]:
    """A BSN as people write it: plain, 1234.56.789, 123 456 789, with spaces, dots or
    dashes."""
    forms = {bsn}
    for sep in (" ", ".", "-"):
        forms.add(sep.join((bsn[:4], bsn[4:6], bsn[6:])))
        forms.add(sep.join((bsn[:3], bsn[3:6], bsn[6:])))
    return forms


def assert_no_bsn(xml: bytes, bsns: list[str]) -> None:
    """No BSN anywhere in the file: not in its raw text in any usual form, and not in any one
    text or attribute once the separators are taken out."""
    raw = xml.decode("utf-8")
    for bsn in bsns:
        for form in bsn_forms(bsn):
            assert form not in raw, f"a BSN appears in the file as {form!r}"
    document = etree.fromstring(xml)
    values = [document.text or ""]
    for element in document.iter():
        values += [element.text or "", element.tail or "", *element.attrib.values()]
    for value in values:
        digits = re.sub(r"[\s.\-/]", "", value)
        for bsn in bsns:
            assert bsn not in digits, f"a BSN appears in the file in {value!r}"


_statements = itertools.count(1)


def import_statement(db, *entries: Entry) -> None:
    """Entries of the municipal account, imported as a clerk imports a bank's file."""
    number = next(_statements)
    day = min(e.booking_date for e in entries)
    data = StatementData(account=OURS, period_from=day, period_through=day,
                         opening_balance_cents=None, opening_date=None,
                         closing_balance_cents=None, closing_date=None, entries=list(entries))
    store_statements(db.unit_of_work("clerk"), ReadResult("csv-ing", [data]),
                     file_name=f"bank-{number}.csv",
                     sha256=hashlib.sha256(f"sequence-{number}".encode()).hexdigest())


# -- the state machine ----------------------------------------------------------------------------


@dataclass
class BatchFile:
    transfers: dict[str, Transfer]  # by end-to-end id
    sha256: str
    cancelled: bool = False


@dataclass
class Model:
    """What the machine knows independently of the program."""

    planned: list[tuple[date, date]] = field(default_factory=list)
    expected: dict[tuple[str, int], set[date]] = field(default_factory=dict)  # Due.key: days
    files: dict[int, BatchFile] = field(default_factory=dict)
    owner: dict[str, int] = field(default_factory=dict)  # end-to-end id -> payout, ever
    executed: set[str] = field(default_factory=set)  # end-to-end ids the bank paid out
    returned: set[str] = field(default_factory=set)  # … and the bank returned
    seen_batches: set[int] = field(default_factory=set)  # a transfer of it was on a statement


DAY = st.integers(min_value=0, max_value=(HORIZON[1] - HORIZON[0]).days)
LENGTH = st.integers(min_value=0, max_value=92)
PICK = st.integers(min_value=0, max_value=63)


def date_range(start: int, length: int) -> tuple[date, date]:
    first = HORIZON[0] + timedelta(days=start)
    return first, min(first + timedelta(days=length), HORIZON[1] + timedelta(days=31))


class PayoutSequences(RuleBasedStateMachine):
    """One fresh copy of the small world per example; ``open_world`` gives it (a Database, a
    SmallWorld and a function that throws the copy away)."""

    open_world: Callable[[], tuple[Database, SmallWorld, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.db, self.small, self._close = type(self).open_world()
        self.model = Model()
        self.today = TODAY
        self._numbers = itertools.count(1)

    def teardown(self) -> None:
        self._close()

    # -- helpers --

    def uow(self, actor: str = "clerk"):
        return self.db.unit_of_work(actor)

    def payouts_now(self) -> dict[int, Payout]:
        with self.db.read() as session:
            found = {p.id: p for p in session.scalars(select(Payout).order_by(Payout.id))}
            session.expunge_all()
        return found

    def pick_payout(self, pick: int) -> Payout | None:
        """Returned payouts and those that pass the buffer come first: small picks (and
        shrinking) reach the rules of release and approval more often."""
        found = sorted(self.payouts_now().values(), key=lambda p: (
            p.status != PayoutStatus.RETURNED, not p.needs_approval, p.id))
        return found[pick % len(found)] if found else None

    def statement(self, entries: list[Entry]) -> None:
        import_statement(self.db, *entries)

    # -- planning and reviewing --

    @rule(start=DAY, length=LENGTH)
    def plan(self, start: int, length: int) -> None:
        first, last = date_range(start, length)
        outcome = payouts.plan(self.uow(), first, last, today=self.today)
        self.model.planned.append((first, last))
        for due in self.small.payable:
            self.model.expected.setdefault(due.key, set()).update(due.dates(first, last))
        event(f"plan: {'nothing new' if outcome.planned == 0 else 'new payments'}")

    @rule(pick=PICK, reason=st.sampled_from(["deelnemer belt eerst", "rekening nakijken"]))
    def hold(self, pick: int, reason: str) -> None:
        self._review(pick, "hold", lambda pid: payouts.hold(self.uow(), pid, reason))

    @rule(pick=PICK)
    def release(self, pick: int) -> None:
        self._review(pick, "release", lambda pid: payouts.release(self.uow(), pid))

    @rule(pick=PICK)
    def approve(self, pick: int) -> None:
        self._review(pick, "approve", lambda pid: payouts.approve(self.uow("teamleider"), pid))

    @rule(pick=PICK)
    def strike(self, pick: int) -> None:
        self._review(pick, "strike",
                     lambda pid: payouts.strike(self.uow(), pid, "vooraf contant betaald"))

    @rule(pick=PICK, amount=st.integers(min_value=1_00, max_value=900_00))
    def change_amount(self, pick: int, amount: int) -> None:
        self._review(pick, "change amount", lambda pid: payouts.change(
            self.uow(), pid, amount_cents=amount, today=self.today))

    @rule(pick=PICK)
    def fill_in_the_account(self, pick: int) -> None:
        """Dilan's leefgeld has no account: the clerk fills one in for this payment."""
        self._review(pick, "change account", lambda pid: payouts.change(
            self.uow(), pid, creditor_iban=nl_iban("SNSB", "0912345678"), today=self.today))

    def _review(self, pick: int, action: str, call: Callable[[int], None]) -> None:
        before = self.pick_payout(pick)
        if before is None:
            return
        editable = before.status in (PayoutStatus.PLANNED, PayoutStatus.HELD,
                                     PayoutStatus.RETURNED)
        refused = not editable or (action == "release" and (
            (before.needs_approval and before.approved_by is None)
            or before.creditor_iban is None))
        try:
            call(before.id)
        except ValidationError:
            assert refused, f"{action} of a {before.status.value} payout was refused"
            event(f"{action}: refused")
            return
        assert not refused, f"{action} of a {before.status.value} payout was allowed"
        after = self.payouts_now()[before.id]
        expected = {
            "hold": {PayoutStatus.HELD},
            "release": {PayoutStatus.PLANNED},
            "strike": {PayoutStatus.STRUCK},
            "approve": {PayoutStatus.PLANNED if before.creditor_iban else before.status},
            "change account": {before.status},
            # Judged against the buffer again: held for a new approval while it passes, free
            # again when only the buffer held it.
            "change amount": {before.status, PayoutStatus.HELD, PayoutStatus.PLANNED
                              if before.hold_reason == BUFFER_HOLD else before.status},
        }[action]
        assert after.status in expected, (action, before.status, after.status)
        if action == "change amount" and after.amount_cents != before.amount_cents:
            assert after.approved_by is None  # a new amount is approved anew
        event(f"{action}: done")

    @rule(pick=PICK, into_the_dossier=st.booleans())
    def leefgeld_in_the_dossier(self, pick: int, into_the_dossier: bool) -> None:
        """The clerk sets the leefgeld in the dossier's own fields (they replace the leefgeld
        agreement) with the same amount and schedule, or empties them again."""
        due = self.small.movable[pick % len(self.small.movable)]
        fields = dict(allowance_cents=due.amount_cents, allowance_frequency=due.frequency,
                      allowance_day=due.day) if into_the_dossier else dict(
            allowance_cents=None, allowance_frequency=None, allowance_day=None)
        update_participant(self.uow("t"), due.participant_id, **fields)
        event(f"leefgeld {'into' if into_the_dossier else 'out of'} the dossier")

    @rule(days=st.integers(min_value=1, max_value=21))
    def time_passes(self, days: int) -> None:
        self.today = min(self.today + timedelta(days=days), LAST_DAY)

    # -- batches --

    @rule(start=DAY, length=LENGTH)
    def create_batch(self, start: int, length: int) -> None:
        self._create_batch(*date_range(start, length))

    def _create_batch(self, first: date, last: date) -> None:
        before = self.payouts_now()
        # Due in the range, and whatever was planned before it and never made into a file.
        batchable = {p.id for p in before.values()
                     if p.status == PayoutStatus.PLANNED and p.due_date <= last}
        try:
            outcome = payouts.create_batch(self.uow(), first, last, today=self.today)
        except UserError as exc:
            assert "Geen betalingen om te maken" in str(exc), str(exc)
            assert not batchable
            event("create_batch: nothing to make")
            return
        event("create_batch: made")
        after = self.payouts_now()
        inside = {pid for pid, p in after.items() if p.batch_id == outcome.batch_id}
        assert inside == batchable
        transfers = {t.end_to_end_id: t for t in check_file(outcome.xml)}
        assert_no_bsn(outcome.xml, VALID_BSNS)
        with self.db.read() as session:
            stored = session.get(PayoutBatch, outcome.batch_id)
            assert stored.xml.encode("utf-8") == outcome.xml
            assert (stored.count, stored.total_cents) == (
                len(transfers), sum(t.amount_cents for t in transfers.values()))
            assert stored.sha256 == hashlib.sha256(outcome.xml).hexdigest()
        assert set(transfers) == {after[pid].end_to_end_id for pid in inside}
        for pid in inside:
            payout = after[pid]
            assert payout.status == PayoutStatus.IN_FILE
            assert not payout.needs_approval or payout.approved_by is not None, \
                f"payout {pid} passes the buffer and went into a file without approval"
            transfer = transfers[payout.end_to_end_id]
            assert (transfer.amount_cents, transfer.creditor_iban) == (
                payout.amount_cents, payout.creditor_iban)
            assert transfer.execution_date >= self.today
            # A re-made batch may reuse the id of the same payout, never another's.
            assert self.model.owner.setdefault(payout.end_to_end_id, pid) == pid, \
                f"end-to-end id {payout.end_to_end_id} was another payout's"
        self.model.files[outcome.batch_id] = BatchFile(transfers, outcome.sha256)

    @precondition(lambda self: self.model.planned)
    @rule(pick=PICK)
    def create_batch_of_a_planned_range(self, pick: int) -> None:
        first, last = self.model.planned[pick % len(self.model.planned)]
        self._create_batch(first, last)

    @precondition(lambda self: self.model.files)
    @rule(pick=PICK)
    def cancel_batch(self, pick: int) -> None:
        ids = sorted(self.model.files)
        batch_id = ids[pick % len(ids)]
        file = self.model.files[batch_id]
        before = self.payouts_now()
        holding = [p for p in before.values() if p.batch_id == batch_id]
        seen = batch_id in self.model.seen_batches
        try:
            count = payouts.cancel_batch(self.uow(), batch_id, "verkeerde uitvoerdatum")
        except ValidationError as exc:
            assert file.cancelled or seen, f"cancel refused: {exc}"
            event("cancel_batch: refused")
            return
        assert not file.cancelled and not seen
        assert count == len(holding)
        file.cancelled = True
        after = self.payouts_now()
        for payout in holding:
            now = after[payout.id]
            assert (now.status, now.batch_id) == (PayoutStatus.PLANNED, None)
            assert now.end_to_end_id == payout.end_to_end_id  # kept for the re-made batch
        event("cancel_batch: done")

    # -- the bank --

    def _waiting_transfers(self) -> list[tuple[int, Transfer]]:
        """What the bank still executes: transfers of files not cancelled, not yet paid."""
        return [(batch_id, t) for batch_id, file in sorted(self.model.files.items())
                if not file.cancelled for e2e, t in sorted(file.transfers.items())
                if e2e not in self.model.executed]

    @precondition(lambda self: any(not f.cancelled for f in self.model.files.values()))
    @rule(pick=PICK, late=st.integers(min_value=0, max_value=3))
    def bank_executes_one(self, pick: int, late: int) -> None:
        waiting = self._waiting_transfers()
        if waiting:
            self._execute([waiting[pick % len(waiting)]], late)

    @precondition(lambda self: any(not f.cancelled for f in self.model.files.values()))
    @rule(pick=PICK)
    def bank_executes_a_day(self, pick: int) -> None:
        """One PmtInf of a file (its transfers of one execution date) on one statement."""
        waiting = self._waiting_transfers()
        if waiting:
            batch_id, transfer = waiting[pick % len(waiting)]
            self._execute([(b, t) for b, t in waiting if b == batch_id
                           and t.execution_date == transfer.execution_date], 0)

    def _execute(self, transfers: list[tuple[int, Transfer]], late: int) -> None:
        self.statement([Entry(
            transfer.execution_date + timedelta(days=late), -transfer.amount_cents,
            counterparty_name=transfer.creditor_name, counterparty_iban=transfer.creditor_iban,
            end_to_end_id=transfer.end_to_end_id, description=transfer.remittance,
            bank_reference=f"OUT-{next(self._numbers)}") for _b, transfer in transfers])
        now = self.payouts_now()
        for batch_id, transfer in transfers:
            self.model.executed.add(transfer.end_to_end_id)
            self.model.seen_batches.add(batch_id)
            payout_id = self.model.owner[transfer.end_to_end_id]
            assert now[payout_id].status == PayoutStatus.PAID, transfer
        event(f"bank: executed {'one' if len(transfers) == 1 else 'several'}")

    @precondition(lambda self: self.model.executed - self.model.returned)
    @rule(pick=PICK, reason=st.sampled_from(["AC04", "AC06", "MD07"]))
    def bank_returns(self, pick: int, reason: str) -> None:
        paid = sorted(self.model.executed - self.model.returned)
        e2e = paid[pick % len(paid)]
        payout_id = self.model.owner[e2e]
        # From the file the bank executed (a cancelled one may hold the id with an older
        # amount or account: a payout keeps its id when its batch is cancelled and re-made).
        transfer = next(f.transfers[e2e] for f in self.model.files.values()
                        if e2e in f.transfers and not f.cancelled)
        before = self.payouts_now()[payout_id]
        self.statement([Entry(
            max(transfer.execution_date + timedelta(days=3), self.today),
            transfer.amount_cents, counterparty_name=transfer.creditor_name,
            counterparty_iban=transfer.creditor_iban, end_to_end_id=e2e,
            return_reason=reason, description=f"Retour {transfer.remittance}"[:140],
            bank_reference=f"RET-{next(self._numbers)}")])
        self.model.returned.add(e2e)
        after = self.payouts_now()[payout_id]
        assert (after.status, after.attempt, after.end_to_end_id) == (
            PayoutStatus.RETURNED, before.attempt + 1, None)
        event("bank: returned")

    # -- after every step --

    @invariant()
    def holds_after_every_step(self) -> None:
        found = self.payouts_now()
        self.no_period_twice_and_every_planned_period_once(found)
        self.batches_hold_what_their_files_say(found)

    def no_period_twice_and_every_planned_period_once(self, found: dict[int, Payout]) -> None:
        scheduled = [p for p in found.values() if p.kind in (PayoutKind.ALLOWANCE,
                                                             PayoutKind.FIXED_COST)]
        periods = Counter((p.agreement_id, p.due_date) for p in scheduled
                          if p.agreement_id is not None)
        leefgeld = Counter((p.participant_id, p.due_date) for p in scheduled
                           if p.kind == PayoutKind.ALLOWANCE)
        twice = [key for key, n in periods.items() if n > 1]
        assert not twice, f"planned twice (agreement, due day): {twice}"
        twice = [key for key, n in leefgeld.items() if n > 1]
        assert not twice, f"leefgeld planned twice (participant, due day): {twice}"
        actual: dict[tuple[str, int], set[date]] = {}
        for p in scheduled:
            key = ("leefgeld", p.participant_id) if p.kind == PayoutKind.ALLOWANCE else (
                "afspraak", p.agreement_id)
            actual.setdefault(key, set()).add(p.due_date)
        for key in {due.key for due in self.small.payable} | set(actual):
            expected = self.model.expected.get(key, set())
            assert actual.get(key, set()) == expected, (
                key, sorted(actual.get(key, set()) ^ expected))
        assert not {a for a, _d in periods} & set(self.small.unpaid)

    def batches_hold_what_their_files_say(self, found: dict[int, Payout]) -> None:
        # What the next batch takes never passes the buffer unapproved.
        assert not [p.id for p in found.values() if p.status == PayoutStatus.PLANNED
                    and p.needs_approval and p.approved_by is None]
        with self.db.read() as session:
            batches = {b.id: (b.status, b.xml) for b in session.scalars(select(PayoutBatch))}
        assert set(batches) == set(self.model.files)
        for batch_id, (status, xml) in batches.items():
            file = self.model.files[batch_id]
            # The stored file never changes, and a cancelled batch holds no payout.
            assert hashlib.sha256(xml.encode("utf-8")).hexdigest() == file.sha256
            assert (status == PayoutBatchStatus.CANCELLED) == file.cancelled
            if file.cancelled:
                assert not [p.id for p in found.values() if p.batch_id == batch_id]
        live: Counter[str] = Counter()
        for batch_id, file in self.model.files.items():
            if file.cancelled:
                continue
            live.update(list(file.transfers))
            for e2e in set(file.transfers) - self.model.executed:
                # What the bank may still execute is the one payout in that file with that id.
                payout = found[self.model.owner[e2e]]
                assert (payout.status, payout.batch_id, payout.end_to_end_id) == (
                    PayoutStatus.IN_FILE, batch_id, e2e)
        assert not [e2e for e2e, n in live.items() if n > 1], "one transfer in two live files"
        per_payout = Counter(self.model.owner[e2e] for e2e in live
                             if e2e not in self.model.returned)
        assert not [pid for pid, n in per_payout.items() if n > 1], \
            "a payout is in two batches that were neither cancelled nor returned"
        for payout in found.values():
            if payout.status == PayoutStatus.IN_FILE:
                assert payout.batch_id in self.model.files
                assert not self.model.files[payout.batch_id].cancelled
                assert payout.end_to_end_id in self.model.files[payout.batch_id].transfers
            if payout.end_to_end_id is not None:
                assert self.model.owner.get(payout.end_to_end_id, payout.id) == payout.id
        for e2e in self.model.executed - self.model.returned:
            assert found[self.model.owner[e2e]].status == PayoutStatus.PAID


# -- running it on both databases -----------------------------------------------------------------


def drop_database(postgres, url: str) -> None:
    admin = create_engine(_admin_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def scratch(tmp_path) -> Iterator[Path]:
    """Where the SQLite copies go: memory-backed /dev/shm where there is one (as the test
    PostgreSQL server's data folder), since hundreds of commits each wait for the disk."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="hhb-sequences-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def world_factory(request, backend, db_url, scratch):
    """Builds the small world once in ``db_url``; each call gives a fresh copy of it."""
    template = Database.open(db_url)
    small = build_small_world(template)
    if backend == "sqlite":
        with template.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    template.dispose()
    copies = itertools.count()

    def open_world():
        if backend == "sqlite":
            path = scratch / f"copy-{next(copies)}.db"
            shutil.copy(db_url.removeprefix("sqlite:///"), path)
            url = f"sqlite:///{path}"
        else:
            url = new_postgres_database(request.getfixturevalue("postgres"),
                                        db_url.rsplit("/", 1)[1])
        db = Database.open(url)

        def close() -> None:
            db.dispose()
            if backend == "sqlite":
                for suffix in ("", "-wal", "-shm"):
                    Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
            else:
                drop_database(request.getfixturevalue("postgres"), url)

        return db, small, close

    return open_world


def test_no_payment_is_ever_planned_twice_over_random_sequences(backend, world_factory):

    class Sequences(PayoutSequences):
        open_world = staticmethod(world_factory)

    examples = int(os.environ.get("HHB_PAYOUT_EXAMPLES", EXAMPLES[backend]))
    run_state_machine_as_test(Sequences, settings=settings(
        max_examples=examples, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


# -- found by the sequences: the shortest ways there ----------------------------------------------

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


def test_an_approved_payment_whose_amount_changed_waits_for_a_new_approval(db):
    # Found by the sequences (fixed in de2d48e): the approval was cleared, the payout stayed
    # planned, and the next batch paid it past the buffer unapproved.
    world = build(db, anna_income=300_00)  # the leefgeld of 14 December passes the buffer
    payouts.plan(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with db.read() as session:
        payout_id = session.scalar(select(Payout.id).where(
            Payout.agreement_id == world.anna_leefgeld, Payout.due_date == date(2026, 12, 14)))
    payouts.approve(db.unit_of_work("teamleider"), payout_id)
    # "A changed amount is approved again by whoever approves it" (payouts.change).
    payouts.change(db.unit_of_work("clerk"), payout_id, amount_cents=300_00, today=TODAY)
    payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with db.read() as session:
        payout = session.get(Payout, payout_id)
        assert payout.needs_approval and payout.approved_by is None
        assert payout.status != PayoutStatus.IN_FILE, \
            "a payment past the buffer went into the file without approval"
    payouts.approve(db.unit_of_work("teamleider"), payout_id)
    payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with db.read() as session:
        assert session.get(Payout, payout_id).status == PayoutStatus.IN_FILE


def test_a_batch_seen_on_a_statement_is_not_cancelled_after_a_returned_payment_moved_on(db):
    world = build(db)
    payouts.plan(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    first = payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with db.read() as session:
        rent_id, e2e = session.execute(select(Payout.id, Payout.end_to_end_id).where(
            Payout.agreement_id == world.anna_rent)).one()
    # The bank executes the file: the rent of 1 December is on the next statement, and comes
    # back three days later (account closed).
    import_statement(db, Entry(date(2026, 12, 1), -700_00, counterparty_iban=WOONSTAD,
                               counterparty_name="Woonstad Rotterdam", end_to_end_id=e2e,
                               bank_reference="OUT-1", description="Huur december"))
    import_statement(db, Entry(date(2026, 12, 4), 700_00, counterparty_iban=WOONSTAD,
                               counterparty_name="Woonstad", end_to_end_id=e2e,
                               return_reason="AC04", bank_reference="RET-1",
                               description="Retour"))
    with db.read() as session:
        assert session.get(Payout, rent_id).status == PayoutStatus.RETURNED
    payouts.change(db.unit_of_work("clerk"), rent_id, creditor_iban=NEW_WOONSTAD, today=TODAY)
    payouts.release(db.unit_of_work("clerk"), rent_id)
    payouts.create_batch(db.unit_of_work("clerk"), *DECEMBER, today=date(2026, 12, 5))
    # The first file is at the bank, its leefgeld of 7 to 28 December on its way: cancelling
    # it now would plan them again, and the next file would pay them twice.
    try:
        payouts.cancel_batch(db.unit_of_work("clerk"), first.batch_id, "te laat")
    except ValidationError as exc:
        assert "al op een afschrift gezien" in str(exc)
    else:
        with db.read() as session:
            again = session.scalar(select(func.count()).select_from(Payout).where(
                Payout.agreement_id == world.anna_leefgeld,
                Payout.status == PayoutStatus.PLANNED))
        raise AssertionError(f"a batch the bank executed was cancelled: {again} of its "
                             "payments are planned again")


def test_leefgeld_moved_into_the_dossier_is_not_planned_again(db):
    world = build(db)
    assert payouts.plan(db.unit_of_work("clerk"), *DECEMBER, today=TODAY).planned == 6
    # The same leefgeld (€ 60 every Monday), now in the dossier's own fields.
    update_participant(db.unit_of_work("t"), world.anna, allowance_cents=60_00,
                       allowance_frequency="week", allowance_day=1)
    again = payouts.plan(db.unit_of_work("clerk"), *DECEMBER, today=TODAY)
    with db.read() as session:
        mondays = Counter(session.scalars(select(Payout.due_date).where(
            Payout.participant_id == world.anna, Payout.kind == PayoutKind.ALLOWANCE)))
    assert mondays == {date(2026, 12, d): 1 for d in (7, 14, 21, 28)}, \
        f"Anna's leefgeld planned twice: {again.planned} new payments"


# -- the demo municipality ------------------------------------------------------------------------

DEMO_TODAY = date(2026, 11, 20)


def next_month(day: date) -> tuple[date, date]:
    first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def test_the_demo_s_next_month_validates_adds_up_and_holds_no_bsn(db, uow):
    create_demo(uow, 50, seed=3, today=DEMO_TODAY)
    first, last = next_month(DEMO_TODAY)
    planned = payouts.plan(db.unit_of_work("clerk"), first, last, today=DEMO_TODAY)
    assert planned.planned > 50
    batch = payouts.create_batch(db.unit_of_work("clerk"), first, last, file_name="demo.xml",
                                 today=DEMO_TODAY)
    with db.read() as session:
        xml = payouts.batch_file(session, batch.batch_id)
        bsns = list(session.scalars(select(Participant.bsn)))
        in_file = list(session.scalars(select(Payout).where(
            Payout.batch_id == batch.batch_id)))
        waiting = session.scalar(select(func.count()).select_from(Payout).where(
            Payout.status == PayoutStatus.PLANNED))
    assert xml == batch.xml and waiting == 0
    transfers = check_file(xml)
    assert (len(transfers), sum(t.amount_cents for t in transfers)) == (
        batch.count, batch.total_cents) == (
        len(in_file), sum(p.amount_cents for p in in_file))
    assert sorted(t.end_to_end_id for t in transfers) == sorted(
        p.end_to_end_id for p in in_file)
    assert len(bsns) == 50 and all(bsns)
    assert_no_bsn(xml, bsns)
    # The check sees a BSN however it is written.
    text = xml.decode("utf-8")
    remittance = transfers[0].remittance
    for form in (bsns[0], f"{bsns[0][:4]}.{bsns[0][4:6]}.{bsns[0][6:]}",
                 f"{bsns[0][:3]} {bsns[0][3:6]} {bsns[0][6:]}"):
        doctored = text.replace(remittance, f"Huur BSN {form}", 1).encode("utf-8")
        with pytest.raises(AssertionError, match="BSN"):
            assert_no_bsn(doctored, bsns)

"""Running the automatic matcher over open transactions and storing its decisions.

The decisions themselves are pure (app.importers.matcher); this module feeds it plain facts
from the database, books what it may link (whole amount, method automatisch, with the reason)
and replaces the ranked suggestions of what stays in the queue. It runs after every import (in
the import's own database transaction), on demand (``huishoudboekje match``) and after an
agreement or its search terms change.

Bookings are written here in bulk rather than one by one through ``bookings.add_bookings``:
100,000 transactions must not take 100,000 round trips. The invariant is the same — only
fully open transactions (nothing booked yet) are taken, each gets exactly one booking of its
whole amount, and its row is locked (PostgreSQL: FOR UPDATE SKIP LOCKED, so a clerk who is
booking a row right now keeps it) and its version raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from app.importers.matcher import (
    AgreementFacts,
    AgreementIndex,
    Decision,
    PayoutFacts,
    TransactionFacts,
)
from app.models import (
    Agreement,
    BankAccount,
    BankTransaction,
    Booking,
    BookingMethod,
    Category,
    CategoryKind,
    LearnedPattern,
    Organisation,
    Participant,
    Payout,
    PayoutStatus,
    SearchTerm,
    Suggestion,
)
from app.models.base import stored_text, utcnow
from app.models.employee import Role
from app.services import payouts as payout_services
from app.services.bulk import among, insert_rows
from app.services.permissions import requires
from app.services.signals import touch, touch_transactions
from app.services.unit_of_work import UnitOfWork

CHUNK = 5_000  # ids per IN (...) and rows per batch
# The columns of bank_transactions that a TransactionFacts is made of, in its field order.
FACT_FIELDS = tuple(f.name for f in fields(TransactionFacts))


@dataclass
class MatchOutcome:
    examined: int = 0
    linked: int = 0
    queued: int = 0
    booking_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.examined} open transacties bekeken: {self.linked} automatisch "
                f"gekoppeld, {self.queued} blijven in de wachtrij")

    def audit(self) -> dict:
        ids = self.booking_ids
        return {"bekeken": self.examined, "gekoppeld": self.linked, "wachtrij": self.queued,
                "boekingen": [min(ids), max(ids)] if ids else []}


class Matcher:
    """The matcher bound to one open database transaction; the index is loaded once."""

    def __init__(self, session: Session, actor: str,
                 extra_terms: dict[int, list[str]] | None = None):
        self.session = session
        self.actor = actor
        self.extra_terms = extra_terms or {}
        self._index: AgreementIndex | None = None
        self._categories: dict[int, int] = {}
        self._payout_categories: dict[int, int] = {}

    @property
    def index(self) -> AgreementIndex:
        if self._index is None:
            self._index = self._load_index()
        return self._index

    def decide(self, transaction_ids: Iterable[int] | None = None, *,
               statement_ids: Iterable[int] | None = None) -> list[tuple[Decision, int]]:
        """Decisions for the fully open transactions asked for (default: the whole queue),
        with each transaction's version. Nothing is locked or stored."""
        return [(self.index.decide(facts), version)
                for facts, version in self._open_transactions(transaction_ids, statement_ids,
                                                              lock=False)]

    def run(self, transaction_ids: Iterable[int] | None = None, *,
            statement_ids: Iterable[int] | None = None,
            progress: Callable[[int, int], None] | None = None) -> MatchOutcome:
        """Decide and store: book what may be linked, keep suggestions for the rest. The rows
        are locked first; decisions are made and stored a chunk at a time, so memory stays
        bounded however long the queue."""
        todo = list(self._open_transactions(transaction_ids, statement_ids, lock=True))
        outcome = MatchOutcome(examined=len(todo))
        index = self.index
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            self._store([(index.decide(facts), version) for facts, version in chunk], outcome)
            if progress is not None:
                progress(start + len(chunk), len(todo))
        outcome.queued = outcome.examined - outcome.linked
        return outcome

    # -- storing ---------------------------------------------------------------------------

    def _store(self, decided: list[tuple[Decision, tuple[int, bool]]],
               outcome: MatchOutcome) -> None:
        session = self.session
        ids = [d.transaction_id for d, _version in decided]
        touch_transactions(session, ids)
        session.execute(delete(Suggestion).where(Suggestion.transaction_id.in_(ids)))
        # A clerk undid an automatic link of a ``manual_only`` transaction: suggest, never
        # link it again.
        links = [(d, v) for d, (v, manual_only) in decided
                 if (d.agreement_id is not None or d.payout_id is not None) and not manual_only]
        amounts, dates = {}, {}
        if links:
            for t_id, amount, day in session.execute(
                select(BankTransaction.id, BankTransaction.amount_cents,
                       BankTransaction.booking_date)
                .where(BankTransaction.id.in_([d.transaction_id for d, _v in links]))
            ):
                amounts[t_id], dates[t_id] = amount, day
            table = BankTransaction.__table__
            result = session.execute(
                update(table)
                .where(table.c.id == bindparam("t_id"), table.c.version == bindparam("t_version"),
                       table.c.is_open.is_(True), table.c.booked_cents == 0)
                .values(booked_cents=bindparam("t_amount"), is_open=False,
                        version=table.c.version + 1),
                [{"t_id": d.transaction_id, "t_version": v,
                  "t_amount": amounts[d.transaction_id]} for d, v in links],
            )
            if result.rowcount not in (-1, len(links)):
                raise RuntimeError("transactions changed while they were locked")
        self._book_and_suggest([d for d, _v in decided], [d for d, _v in links], amounts,
                               dates, outcome)

    def store_new(self, rows: list[dict]) -> MatchOutcome:
        """Transactions just read from a file and not stored yet (rows of bank_transactions,
        their ids given): decided from the rows in hand and inserted already booked, or open
        with their suggestions — no second pass over what was just written."""
        index = self.index
        self._returned_payouts(rows)
        # Only what waits in the queue (an entry of € 0,00 arrives done: nothing to book).
        decided = [index.decide(TransactionFacts(*(row[name] for name in FACT_FIELDS)))
                   for row in rows if row["is_open"]]
        outcome = MatchOutcome(examined=len(decided))
        by_id = {row["id"]: row for row in rows}
        links = [d for d in decided if d.agreement_id is not None or d.payout_id is not None]
        amounts, dates = {}, {}
        for decision in links:
            row = by_id[decision.transaction_id]
            row["booked_cents"], row["is_open"] = row["amount_cents"], False
            amounts[row["id"]], dates[row["id"]] = row["amount_cents"], row["booking_date"]
        insert_rows(self.session, BankTransaction.__table__, rows)
        # New rows concern exactly the participants decided for here (no query needed), and
        # only the days from the first row's on (their bookings are dated as the rows).
        first_day = min((row["booking_date"] for row in rows), default=None)
        touch(self.session, {p for d in decided
                             for p in (d.participant_id, *(s.participant_id
                                                           for s in d.suggestions))},
              since=first_day)
        self._book_and_suggest(decided, links, amounts, dates, outcome)
        outcome.queued = outcome.examined - outcome.linked
        return outcome

    def _book_and_suggest(self, decided: list[Decision], links: list[Decision],
                          amounts: dict[int, int], dates: dict[int, object],
                          outcome: MatchOutcome) -> None:
        """One automatic booking of the whole amount per link; the ranked suggestions of
        every other decision."""
        session = self.session
        now = utcnow()
        if links:
            first_id = self._next_booking_id()
            insert_rows(session, Booking.__table__, [
                {"transaction_id": d.transaction_id, "participant_id": d.participant_id,
                 "agreement_id": d.agreement_id,
                 "category_id": self._payout_categories[d.payout_id]
                 if d.payout_id is not None else self._categories[d.agreement_id],
                 "payout_id": d.payout_id, "amount_cents": amounts[d.transaction_id],
                 "booking_date": dates[d.transaction_id], "method": BookingMethod.AUTOMATIC,
                 "reason": d.reason, "created_by": self.actor, "created_at": now}
                for d in links
            ])
            outcome.linked += len(links)
            payout_services.mark_seen(session, [
                (d.payout_id, d.transaction_id, amounts[d.transaction_id])
                for d in links if d.payout_id is not None],
                since=min((dates[d.transaction_id] for d in links), default=None))
            if first_id is not None:
                outcome.booking_ids.extend((first_id, self._next_booking_id() - 1))
        linked_ids = {d.transaction_id for d in links}
        insert_rows(session, Suggestion.__table__, [
            {"transaction_id": d.transaction_id, "agreement_id": s.agreement_id, "rank": rank,
             "score": s.score, "reason": s.reason, "created_at": now}
            for d in decided if d.transaction_id not in linked_ids
            for rank, s in enumerate(d.suggestions, start=1)
        ])

    def _next_booking_id(self) -> int | None:
        last = self.session.scalar(select(Booking.id).order_by(Booking.id.desc()).limit(1))
        return (last or 0) + 1

    # -- loading ---------------------------------------------------------------------------

    def _open_transactions(self, transaction_ids: Iterable[int] | None,
                           statement_ids: Iterable[int] | None, lock: bool
                           ) -> Iterator[tuple[TransactionFacts, int]]:
        t = BankTransaction
        query = select(*(getattr(t, name) for name in FACT_FIELDS), t.version,
                       t.manual_only).where(
            t.is_open.is_(True), t.booked_cents == 0).order_by(t.id)
        if lock and self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=t, skip_locked=True, key_share=True)
        for column, wanted in ((t.id, transaction_ids), (t.statement_id, statement_ids)):
            if wanted is not None:
                wanted = list(wanted)
                for start in range(0, len(wanted), CHUNK):
                    yield from self._facts(query.where(
                        among(column, wanted[start:start + CHUNK], self.session)))
                return
        yield from self._facts(query)

    def _facts(self, query) -> Iterator[tuple[TransactionFacts, int]]:
        # The query selects TransactionFacts' fields in their order (FACT_FIELDS), then
        # version and manual_only: positional rows are the fast way through 100,000 of them.
        n = len(FACT_FIELDS)
        for row in self.session.execute(query):
            yield TransactionFacts(*row[:n]), (row[n], row[n + 1])

    def _payouts(self, where) -> list[PayoutFacts]:
        payouts = []
        for row in self.session.execute(
                select(Payout.end_to_end_id, Payout.id, Payout.agreement_id,
                       Payout.participant_id, Payout.amount_cents, Payout.creditor_iban,
                       Payout.execution_date, Payout.status, Payout.category_id).where(where)):
            self._payout_categories[row.id] = row.category_id
            payouts.append(PayoutFacts(
                row.end_to_end_id, row.id, row.agreement_id, row.participant_id,
                row.amount_cents, row.creditor_iban, row.execution_date,
                paid=row.status == PayoutStatus.PAID))
        return payouts

    def _returned_payouts(self, rows: list[dict]) -> None:
        """Returns among rows not stored yet: the paid payouts they may return, into the
        index (loading it found only the returns already in the table)."""
        returns = [row for row in rows if row["return_reason"] and row["amount_cents"] > 0]
        if not returns:
            return
        ids = {row["end_to_end_id"] for row in returns if row["end_to_end_id"]}
        ibans = {row["counterparty_iban"] for row in returns if row["counterparty_iban"]}
        self.index.add_payouts(self._payouts(
            (Payout.status == PayoutStatus.PAID)
            & or_(Payout.end_to_end_id.in_(ids), Payout.creditor_iban.in_(ibans))))

    def _load_index(self) -> AgreementIndex:
        session = self.session
        terms: dict[int, list[str]] = {}
        for agreement_id, term in session.execute(select(SearchTerm.agreement_id,
                                                         SearchTerm.term)):
            terms.setdefault(agreement_id, []).append(term)
        for agreement_id, extra in self.extra_terms.items():
            terms.setdefault(agreement_id, []).extend(extra)
        learned: dict[int, list[tuple[str, str]]] = {}
        for agreement_id, payer_iban, pattern in session.execute(select(
                LearnedPattern.agreement_id, LearnedPattern.payer_iban, LearnedPattern.pattern)):
            learned.setdefault(agreement_id, []).append((payer_iban, pattern))
        wages = {category_id for category_id, name, kind in session.execute(
            select(Category.id, Category.name, Category.kind)) if is_wage_category(name, kind)}
        organisation_ibans: dict[int, set[str] | frozenset[str]] = {}
        participant_ibans: dict[int, set[str] | frozenset[str]] = {}
        owners: dict[str, str] = {}
        organisation_names = {
            i: n for i, n in session.execute(select(Organisation.id, Organisation.name))}
        for iban, organisation_id, participant_id, municipal in session.execute(select(
                BankAccount.iban, BankAccount.organisation_id, BankAccount.participant_id,
                BankAccount.is_municipal)):
            if organisation_id is not None:
                organisation_ibans.setdefault(organisation_id, set()).add(iban)
                owners[iban] = organisation_names.get(organisation_id, "een organisatie")
            elif participant_id is not None:
                participant_ibans.setdefault(participant_id, set()).add(iban)
                owners[iban] = "een deelnemer"
            elif municipal:
                owners[iban] = "de gemeente (eigen rekening)"
        organisation_ibans = {k: frozenset(v) for k, v in organisation_ibans.items()}
        participant_ibans = {k: frozenset(v) for k, v in participant_ibans.items()}
        account_iban = {i: n for i, n in session.execute(select(BankAccount.id, BankAccount.iban))}
        a, p = Agreement, Participant
        facts = []
        no_ibans: frozenset[str] = frozenset()
        # Unpacked rather than read by attribute name: 80,000 rows of 17 columns.
        for (agreement_id, participant_id, organisation_id, counter_account_id, category_id,
             direction, amount_cents, tolerance_percent, frequency, day, valid_from,
             valid_through, description, initials, first_name, infix, last_name
             ) in session.connection().execute(
            select(a.id, a.participant_id, a.organisation_id, a.counter_account_id,
                   a.category_id, stored_text(a.direction), a.amount_cents,
                   a.tolerance_percent, stored_text(a.frequency), a.day, a.valid_from,
                   a.valid_through, a.description,
                   p.initials, p.first_name, p.infix, p.last_name)
            .join(p, p.id == a.participant_id)
        ).all():
            if organisation_id is not None:
                ibans = organisation_ibans.get(organisation_id, no_ibans)
            else:  # leefgeld, private transfers: the participant's own accounts
                ibans = participant_ibans.get(participant_id, no_ibans)
            counter = account_iban.get(counter_account_id)
            if counter is not None and counter not in ibans:
                ibans = ibans | {counter}
            self._categories[agreement_id] = category_id
            income = direction == "inkomst"
            facts.append(AgreementFacts(
                id=agreement_id, participant_id=participant_id, last_name=last_name or "",
                initials=initials or "", first_name=first_name or "", infix=infix or "",
                wage=income and category_id in wages,
                learned=tuple(learned.get(agreement_id, ())),
                organisation=organisation_names.get(organisation_id)
                if organisation_id is not None else None,
                ibans=ibans, income=income, amount_cents=amount_cents,
                tolerance_percent=tolerance_percent, frequency=frequency, day=day,
                valid_from=valid_from, valid_through=valid_through, description=description,
                terms=tuple(terms.get(agreement_id, ())),
            ))
        # Our own payments: in a file and not yet seen; and those seen whose return (an open
        # credit with a return reason) names their end-to-end id or account.
        returns = select(BankTransaction.end_to_end_id, BankTransaction.counterparty_iban).where(
            BankTransaction.is_open.is_(True), BankTransaction.return_reason.is_not(None),
            BankTransaction.amount_cents > 0).subquery()
        payouts = self._payouts(or_(
            Payout.status == PayoutStatus.IN_FILE,
            (Payout.status == PayoutStatus.PAID) & or_(
                Payout.end_to_end_id.in_(select(returns.c.end_to_end_id)),
                Payout.creditor_iban.in_(select(returns.c.counterparty_iban)))))
        own_accounts = {iban: participant for participant, ibans in participant_ibans.items()
                        for iban in ibans}
        return AgreementIndex(facts, account_owners=owners, payouts=payouts,
                              own_accounts=own_accounts)


def is_wage_category(name: str, kind: CategoryKind) -> bool:
    """A salary: income whose amount differs every period (flex work, hours, overtime).
    'salaris' and any income category a beheerder named with 'salaris' or 'loon'."""
    folded = name.lower()
    return kind is CategoryKind.INCOME and ("salaris" in folded or "loon" in folded)


@requires(Role.BACKOFFICE, action="automatisch koppelen")
def run_matcher(uow: UnitOfWork, transaction_ids: list[int] | None = None, *,
                progress: Callable[[int, int], None] | None = None) -> MatchOutcome:
    """``huishoudboekje match``: link what can safely be linked among the open transactions
    (all of them, or those given). One database transaction, one audit row."""
    with uow:
        outcome = Matcher(uow.session, uow.actor).run(transaction_ids, progress=progress)
        uow.record("automatisch gekoppeld", "bank_transactions", None, after=outcome.audit())
        uow.commit()
    return outcome


def rematch_open_queue(uow: UnitOfWork) -> MatchOutcome:
    """Inside a service that changed an agreement or its search terms, before its commit:
    what waited in the queue may now be linkable (and its suggestions change)."""
    uow.session.flush()
    outcome = Matcher(uow.session, uow.actor).run()
    if outcome.linked:
        uow.record("automatisch gekoppeld", "bank_transactions", None, after=outcome.audit())
    return outcome


def preview_matches(session: Session, transaction_ids: list[int] | None = None, *,
                    extra_terms: dict[int, list[str]] | None = None) -> list[Decision]:
    """What the matcher would decide now (nothing stored). ``extra_terms`` adds search terms
    to agreements as if they were saved: the preview of 'remember this'."""
    matcher = Matcher(session, "voorbeeld", extra_terms)
    return [replace(decision, agreement_id=None, participant_id=None) if manual_only
            else decision
            for decision, (_version, manual_only) in matcher.decide(transaction_ids)]

"""Read-only queries of the manual matching queue (wachtrij) for the queue screen.

The screen keeps only the ordered ids of what it shows (``queue_ids``: filtering and sorting
happen in SQL) and fetches the rows it paints a page at a time (``queue_rows``). The detail
pane reads one transaction with its ranked suggestions and bookings
(``transaction_detail``), searches participants by name, dossier number, IBAN or the last
digits of the BSN (``search_participants``) and lists a participant's agreements. Nothing here
changes data, so there are no audit rows; the actions are in app.services.bookings.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import Select, and_, func, literal_column, null, or_, select
from sqlalchemy.orm import Session, aliased

from app.errors import NotFoundError
from app.importers.matcher import is_strong_term
from app.importers.terms import normalise_term
from app.models import (
    Agreement,
    BankAccount,
    BankTransaction,
    Booking,
    Category,
    CategoryKind,
    Direction,
    LearnedPattern,
    Organisation,
    Participant,
    SearchTerm,
    Suggestion,
)
from app.models.participant import search_fold

T = BankTransaction
C = BankTransaction.__table__.c  # plain columns: the id queries stay out of the ORM


class QueueStatus(enum.StrEnum):
    OPEN = "open"
    BOOKED = "geboekt"
    ALL = "alle"


class SortKey(enum.StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    COUNTERPARTY = "counterparty"
    TEXT = "text"
    AGE = "age"
    SUGGESTION = "suggestion"
    SCORE = "score"


@dataclass(frozen=True)
class QueueFilter:
    """What the clerk narrowed the queue to. Amounts are compared without their sign (the
    colour shows the direction); ``direction`` 'in' or 'uit' narrows that too."""

    text: str = ""
    counterparty: str = ""
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    direction: str | None = None  # 'in' (credits), 'uit' (debits) or None
    status: QueueStatus = QueueStatus.OPEN

    def is_narrowed(self) -> bool:
        return self != QueueFilter(status=self.status)


@dataclass(frozen=True)
class QueueSort:
    key: SortKey = SortKey.DATE
    descending: bool = False


@dataclass(frozen=True)
class QueueRow:
    """One row of the queue table."""

    id: int
    version: int
    booking_date: date
    amount_cents: int
    booked_cents: int
    is_open: bool
    counterparty_name: str | None
    counterparty_iban: str | None
    description: str | None
    age_days: int
    suggestion: str | None  # the best suggestion ("HHB-00042 A. Jansen — huur"), or booked-to
    suggestion_agreement_id: int | None
    score: int | None


def queue_ids(session: Session, queue_filter: QueueFilter = QueueFilter(),
              sort: QueueSort = QueueSort(), *, today: date | None = None) -> list[int]:
    """The ids of the queue's transactions, filtered and sorted in SQL."""
    dialect = session.get_bind().dialect.name
    query = _filtered(select(C.id), queue_filter, today or date.today(), dialect,
                      scan=not _index_helps(queue_filter, sort.key))
    query, column, nullable = _sort_column(query, sort.key)
    descending = sort.descending != (sort.key is SortKey.AGE)  # older = earlier date
    order = [column.desc() if descending else column.asc(),
             C.id.desc() if descending else C.id.asc()]
    if nullable:
        order.insert(0, column.is_(None))  # nothing to sort by: last, both ways
    # Plain rows, not ORM objects: 100,000 ids in a fraction of the time.
    return [row[0] for row in session.connection().execute(query.order_by(*order))]


def count_queue(session: Session, queue_filter: QueueFilter = QueueFilter(), *,
                today: date | None = None) -> int:
    query = _filtered(select(func.count()).select_from(T), queue_filter,
                      today or date.today(), session.get_bind().dialect.name, scan=False)
    return session.scalar(query) or 0


def count_open(session: Session) -> int:
    """How many transactions wait in the queue (for the window title and the sidebar)."""
    return session.scalar(select(func.count()).select_from(T).where(T.is_open.is_(True))) or 0


def queue_rows(session: Session, ids: list[int], *, today: date | None = None
               ) -> list[QueueRow]:
    """The rows of the given ids, in that order (ids no longer there are left out)."""
    if not ids:
        return []
    today = today or date.today()
    best = aliased(Suggestion)
    p, c = Participant, Category
    found: dict[int, QueueRow] = {}
    rows = session.execute(
        select(T.id, T.version, T.booking_date, T.amount_cents, T.booked_cents, T.is_open,
               T.counterparty_name, T.counterparty_iban, T.description, best.agreement_id,
               best.score, p.number, p.first_name, p.initials, p.infix, p.last_name, c.name)
        .outerjoin(best, and_(best.transaction_id == T.id, best.rank == 1))
        .outerjoin(Agreement, Agreement.id == best.agreement_id)
        .outerjoin(p, p.id == Agreement.participant_id)
        .outerjoin(c, c.id == Agreement.category_id)
        .where(T.id.in_(ids))
    )
    booked_ids = []
    for r in rows:
        if r.id in found:
            continue
        suggestion = None
        if r.agreement_id is not None:
            suggestion = f"{r.number} {_name(r.first_name, r.initials, r.infix, r.last_name)}" \
                         f" — {r.name}"
        if r.booked_cents:
            booked_ids.append(r.id)
        found[r.id] = QueueRow(
            r.id, r.version, r.booking_date, r.amount_cents, r.booked_cents, r.is_open,
            r.counterparty_name, r.counterparty_iban, r.description,
            (today - r.booking_date).days, suggestion, r.agreement_id, r.score)
    if booked_ids:
        targets = _booking_targets(session, booked_ids)
        for transaction_id, text in targets.items():
            row = found[transaction_id]
            if not row.is_open or row.suggestion is None:
                found[transaction_id] = replace(row, suggestion=text,
                                                 suggestion_agreement_id=None, score=None)
    return [found[i] for i in ids if i in found]


# -- the detail pane ------------------------------------------------------------------------

@dataclass(frozen=True)
class SuggestionView:
    rank: int
    score: int
    reason: str
    agreement_id: int
    participant_id: int
    participant_number: str
    participant_name: str
    category: str
    organisation: str | None
    agreement_amount_cents: int
    direction: str
    valid: bool  # on the transaction's date

    def title(self) -> str:
        return f"{self.participant_number} {self.participant_name} — {self.category}" + (
            f" ({self.organisation})" if self.organisation else "")


@dataclass(frozen=True)
class BookingView:
    id: int
    amount_cents: int
    method: str
    target: str  # "HHB-00042 A. Jansen — huur" or the category
    agreement_id: int | None
    reason: str | None
    created_by: str


@dataclass(frozen=True)
class TransactionDetail:
    id: int
    version: int
    booking_date: date
    value_date: date | None
    amount_cents: int
    booked_cents: int
    is_open: bool
    counterparty_name: str | None
    counterparty_iban: str | None
    counterparty_owner: str | None  # whose IBAN this is, when we know it
    description: str | None
    references: list[tuple[str, str]]  # (Dutch label, value), only those present
    age_days: int
    suggestions: list[SuggestionView] = field(default_factory=list)
    bookings: list[BookingView] = field(default_factory=list)
    proposed_terms: list[str] = field(default_factory=list)

    @property
    def left_cents(self) -> int:
        return self.amount_cents - self.booked_cents


REFERENCE_LABELS = (
    ("structured_reference", "Betalingskenmerk"),
    ("end_to_end_id", "End-to-end-id"),
    ("mandate_id", "Machtigingskenmerk"),
    ("bank_reference", "Bankreferentie"),
    ("entry_reference", "Boekingsreferentie"),
    ("transaction_code", "Transactiecode"),
    ("batch_info", "Batch"),
    ("return_reason", "Reden terugboeking"),
)


def transaction_detail(session: Session, transaction_id: int, *,
                       today: date | None = None) -> TransactionDetail | None:
    transaction = session.get(T, transaction_id)
    if transaction is None:
        return None
    today = today or date.today()
    references = [(label, str(getattr(transaction, name)))
                  for name, label in REFERENCE_LABELS if getattr(transaction, name)]
    if transaction.reversal:
        references.append(("Storno", "ja, teruggeboekt"))
    if transaction.manual_only:
        references.append(("Koppelen", "alleen handmatig: een automatische koppeling is "
                                       "ongedaan gemaakt"))
    return TransactionDetail(
        id=transaction.id, version=transaction.version, booking_date=transaction.booking_date,
        value_date=transaction.value_date, amount_cents=transaction.amount_cents,
        booked_cents=transaction.booked_cents, is_open=transaction.is_open,
        counterparty_name=transaction.counterparty_name,
        counterparty_iban=transaction.counterparty_iban,
        counterparty_owner=_iban_owner(session, transaction.counterparty_iban),
        description=transaction.description, references=references,
        age_days=(today - transaction.booking_date).days,
        suggestions=_suggestions(session, transaction),
        bookings=_bookings(session, transaction.id),
        proposed_terms=propose_terms(transaction.description, transaction.structured_reference,
                                     transaction.mandate_id),
    )


_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_WORD = re.compile(r"[^\s,;:()]+")


def propose_terms(*texts: str | None) -> list[str]:
    """References in a payment text worth remembering, best first: words, or a run of up to
    four number groups ('1234 5678 9012'), that the matcher counts as strong evidence — at
    least five digits — and that are not a date."""
    found: dict[str, str] = {}

    def consider(candidate: str) -> None:
        key = normalise_term(candidate)
        if not _DATE_LIKE.fullmatch(candidate) and is_strong_term(key):
            found.setdefault(key, candidate)

    for text in texts:
        if not text:
            continue
        run: list[str] = []
        for word in [*(w.strip(".") for w in _WORD.findall(text)), ""]:
            if word.isdigit():
                run.append(word)
                continue
            if 1 < len(run) <= 4:
                consider(" ".join(run))
            elif len(run) == 1:
                consider(run[0])
            run = []
            if word:
                consider(word)
    return sorted(found.values(), key=lambda t: (-len(normalise_term(t)), t))


# -- participants, agreements, categories ---------------------------------------------------

@dataclass(frozen=True)
class ParticipantHit:
    id: int
    number: str
    name: str
    city: str | None
    birth_date: date | None
    matched: str  # why it was found: "naam", "dossiernummer", "IBAN NL…", "BSN eindigt op 1234"


def search_participants(session: Session, text: str, limit: int = 50, *,
                        bsn_ids: Sequence[int] = ()) -> list[ParticipantHit]:
    """Participants by name, dossier number, IBAN (of their own accounts) or the last digits
    of the BSN (three or more digits; the BSN itself is never shown)."""
    text = " ".join(text.split())
    if not text:
        return []
    p = Participant
    hits: dict[int, ParticipantHit] = {}

    def add(query: Select, matched: str) -> None:
        for row in session.execute(query.order_by(p.last_name, p.first_name, p.id).limit(limit)):
            if row.id not in hits and len(hits) < limit:
                hits[row.id] = ParticipantHit(
                    row.id, row.number, _name(row.first_name, row.initials, row.infix,
                                              row.last_name), row.city, row.birth_date, matched)

    columns = select(p.id, p.number, p.first_name, p.initials, p.infix, p.last_name, p.city,
                     p.birth_date)
    compact = re.sub(r"[\s.\-]", "", text).upper()
    if compact.isdigit():
        add(columns.where(p.number.like(f"%{compact}")), "dossiernummer")
        # The BSN's last three digits are stored apart; more only through the logged search.
        if len(compact) == 3:
            add(columns.where(p.bsn_tail == compact), f"BSN eindigt op {compact}")
        elif bsn_ids:
            add(columns.where(p.id.in_(bsn_ids)),
                "BSN" if len(compact) == 9 else f"BSN eindigt op {compact}")
    if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{4,30}", compact):
        add(columns.join(BankAccount, BankAccount.participant_id == p.id)
            .where(BankAccount.iban.contains(compact, autoescape=True)), f"IBAN {compact}")
    add(columns.where(p.number.icontains(text, autoescape=True)), "dossiernummer")
    words = text.split()
    if not compact.isdigit():
        # The stored folded name: 'celik' finds 'Çelik', as in the participant list.
        add(columns.where(and_(*(
            p.search_name.contains(search_fold(word), autoescape=True) for word in words
        ))), "naam")
    return list(hits.values())


@dataclass(frozen=True)
class AgreementView:
    id: int
    participant_id: int
    category_id: int
    category: str
    organisation: str | None
    direction: str
    amount_cents: int
    frequency: str
    valid_from: date
    valid_through: date | None
    description: str | None
    search_terms: tuple[str, ...]

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_through is None or day <= self.valid_through)

    def title(self) -> str:
        return self.category + (f" — {self.organisation}" if self.organisation else "")


def participant_agreements(session: Session, participant_id: int) -> list[AgreementView]:
    a = Agreement
    terms: dict[int, list[str]] = {}
    for agreement_id, term in session.execute(
            select(SearchTerm.agreement_id, SearchTerm.term).join(a)
            .where(a.participant_id == participant_id).order_by(SearchTerm.id)):
        terms.setdefault(agreement_id, []).append(term)
    rows = session.execute(
        select(a.id, a.category_id, Category.name, Organisation.name.label("organisation"),
               a.direction, a.amount_cents, a.frequency, a.valid_from, a.valid_through,
               a.description)
        .join(Category, Category.id == a.category_id)
        .outerjoin(Organisation, Organisation.id == a.organisation_id)
        .where(a.participant_id == participant_id)
        .order_by(a.valid_through.is_not(None), Category.name, a.id))
    return [AgreementView(r.id, participant_id, r.category_id, r.name, r.organisation,
                          r.direction.value, r.amount_cents, r.frequency.value, r.valid_from,
                          r.valid_through, r.description, tuple(terms.get(r.id, ())))
            for r in rows]


@dataclass(frozen=True)
class CategoryView:
    id: int
    name: str
    kind: str

    @property
    def for_participants(self) -> bool:
        return self.kind != CategoryKind.OTHER.value


def list_categories(session: Session) -> list[CategoryView]:
    return [CategoryView(i, n, k.value) for i, n, k in session.execute(
        select(Category.id, Category.name, Category.kind).where(Category.active.is_(True))
        .order_by(Category.name))]


@dataclass(frozen=True)
class AgreementProposal:
    """A new agreement made from a transaction, for the clerk to check and complete."""

    participant_id: int
    category_id: int
    organisation_id: int | None
    organisation: str | None  # its name, to show
    counter_account_id: int | None
    direction: str
    amount_cents: int
    frequency: str
    day: int
    valid_from: date
    description: str | None
    search_terms: list[str]


def propose_agreement(session: Session, transaction_id: int, participant_id: int,
                      category_id: int) -> AgreementProposal:
    transaction = session.get(T, transaction_id)
    if transaction is None:
        raise NotFoundError(f"Transactie {transaction_id} bestaat niet (meer).")
    account = None
    if transaction.counterparty_iban:
        account = session.scalar(select(BankAccount).where(
            BankAccount.iban == transaction.counterparty_iban.replace(" ", "").upper()))
    organisation_id = organisation = counter_account_id = None
    if account is not None and account.organisation_id is not None:
        organisation_id, counter_account_id = account.organisation_id, account.id
        organisation = session.get(Organisation, organisation_id).name
    elif account is not None and account.participant_id == participant_id:
        counter_account_id = account.id
    day = transaction.booking_date
    return AgreementProposal(
        participant_id=participant_id, category_id=category_id,
        organisation_id=organisation_id, organisation=organisation,
        counter_account_id=counter_account_id,
        direction=(Direction.INCOME if transaction.amount_cents > 0
                   else Direction.EXPENSE).value,
        amount_cents=abs(transaction.amount_cents), frequency="maand", day=day.day,
        valid_from=day.replace(day=1), description=transaction.counterparty_name,
        search_terms=propose_terms(transaction.description,
                                   transaction.structured_reference)[:1],
    )


class LearnedKind(enum.StrEnum):
    TERM = "zoekterm"  # "remember this"
    PATTERN = "tekstpatroon"  # learned from a clerk's booking: payer IBAN + text pattern


@dataclass(frozen=True)
class LearnedTermRow:
    id: int
    term: str  # the search term, or the text pattern ('SALARIS J DE VRIES')
    agreement_id: int
    participant_number: str
    participant_name: str
    agreement: str  # "huur — Stichting Portaal"
    created_by: str | None
    created_at: object
    kind: LearnedKind = LearnedKind.TERM
    payer_iban: str | None = None  # a pattern's: only money from this account


def learned_terms(session: Session, participant_id: int | None = None) -> list[LearnedTermRow]:
    """Search terms added by "remember this" and text patterns learned from bookings, per
    participant and agreement (terms first), newest first: the list to forget wrong ones from."""
    s, lp, a, p = SearchTerm, LearnedPattern, Agreement, Participant
    rows: list[LearnedTermRow] = []
    for kind, query in (
        (LearnedKind.TERM, select(s.id, s.term, s.agreement_id, s.created_by, s.created_at,
                                  null().label("payer_iban"))
         .where(s.learned.is_(True))),
        (LearnedKind.PATTERN, select(lp.id, lp.pattern.label("term"), lp.agreement_id,
                                     lp.created_by, lp.created_at, lp.payer_iban)),
    ):
        learned = query.subquery()
        joined = (select(learned, p.number, p.first_name, p.initials, p.infix, p.last_name,
                         Category.name, Organisation.name.label("organisation"))
                  .join(a, a.id == learned.c.agreement_id).join(p, p.id == a.participant_id)
                  .join(Category, Category.id == a.category_id)
                  .outerjoin(Organisation, Organisation.id == a.organisation_id)
                  .order_by(p.number, a.id, learned.c.created_at.desc(), learned.c.id.desc()))
        if participant_id is not None:
            joined = joined.where(a.participant_id == participant_id)
        rows.extend(LearnedTermRow(r.id, r.term, r.agreement_id, r.number,
                                   _name(r.first_name, r.initials, r.infix, r.last_name),
                                   r.name + (f" — {r.organisation}" if r.organisation else ""),
                                   r.created_by, r.created_at, kind, r.payer_iban)
                    for r in session.execute(joined))
    rows.sort(key=lambda r: (r.participant_number, r.agreement_id))  # stable: terms first
    return rows


# -- internals ------------------------------------------------------------------------------

def _index_helps(f: QueueFilter, key: SortKey) -> bool:
    """Is the (is_open, booking_date) index the way to read this? Only when the rows come in
    date order and nothing else narrows them: otherwise nearly every row is open, so walking
    the index means fetching each row at random, several times slower than one scan."""
    narrowed = (f.text.strip() or f.counterparty.strip() or f.direction
                or f.amount_min_cents is not None or f.amount_max_cents is not None)
    return key in (SortKey.DATE, SortKey.AGE) and not narrowed


def _filtered(query: Select, f: QueueFilter, today: date, dialect: str, *,
              scan: bool) -> Select:
    if f.status != QueueStatus.ALL:
        wanted = f.status == QueueStatus.OPEN
        if scan and dialect == "sqlite":
            # SQLite's planner takes the index whatever its statistics say; a unary + on the
            # column is its documented way to say "not this index".
            query = query.where(literal_column("+bank_transactions.is_open") == int(wanted))
        else:
            query = query.where(C.is_open.is_(wanted))
    text = f.text.strip()
    if text and dialect == "postgresql":  # description and references, lower-cased, stored
        query = query.where(C.search_text.like(func.lower(_pattern(text)), escape="\\"))
    elif text:  # SQLite: LIKE ignores case already; the (virtual) search_text would be slower
        query = query.where(or_(*(_contains(column, text, dialect) for column in (
            C.description, C.structured_reference, C.end_to_end_id))))
    who = f.counterparty.strip()
    if who:
        compact = re.sub(r"\s", "", who).upper()
        query = query.where(or_(_contains(C.counterparty_name, who, dialect),
                                C.counterparty_iban.like(_pattern(compact), escape="\\")))
    size = func.abs(C.amount_cents)
    if f.amount_min_cents is not None:
        query = query.where(size >= f.amount_min_cents)
    if f.amount_max_cents is not None:
        query = query.where(size <= f.amount_max_cents)
    if f.direction == "in":
        query = query.where(C.amount_cents > 0)
    elif f.direction == "uit":
        query = query.where(C.amount_cents < 0)
    if f.date_from is not None:
        query = query.where(C.booking_date >= f.date_from)
    if f.date_to is not None:
        query = query.where(C.booking_date <= f.date_to)
    if f.min_age_days is not None:  # at least N days old: booked on or before today - N
        query = query.where(C.booking_date <= today - timedelta(days=f.min_age_days))
    if f.max_age_days is not None:
        query = query.where(C.booking_date >= today - timedelta(days=f.max_age_days))
    return query


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, text: str, dialect: str):
    """Case-insensitive 'contains'. SQLite's LIKE already ignores case (ASCII letters, as its
    lower() does), and is much faster than lower(column) LIKE …; PostgreSQL has ILIKE."""
    if dialect == "sqlite":
        return column.like(_pattern(text), escape="\\")
    return column.ilike(_pattern(text), escape="\\")


def _sort_column(query: Select, key: SortKey):
    """(query, column to sort by, whether that column can be empty)."""
    if key in (SortKey.DATE, SortKey.AGE):
        return query, C.booking_date, False
    if key is SortKey.AMOUNT:
        return query, C.amount_cents, False
    if key is SortKey.COUNTERPARTY:
        return query, func.lower(C.counterparty_name), True
    if key is SortKey.TEXT:
        return query, func.lower(C.description), True
    best = aliased(Suggestion)
    query = query.outerjoin(best, and_(best.transaction_id == C.id, best.rank == 1))
    if key is SortKey.SCORE:
        return query, best.score, True
    query = query.outerjoin(Agreement, Agreement.id == best.agreement_id).outerjoin(
        Participant, Participant.id == Agreement.participant_id)
    return query, Participant.number, True


def _name(first: str | None, initials: str | None, infix: str | None, last: str | None) -> str:
    return " ".join(part for part in (first or initials, infix, last) if part)


def _booking_targets(session: Session, transaction_ids: list[int]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for transaction_id, number, first, initials, infix, last, category in session.execute(
            select(Booking.transaction_id, Participant.number, Participant.first_name,
                   Participant.initials, Participant.infix, Participant.last_name,
                   Category.name)
            .outerjoin(Participant, Participant.id == Booking.participant_id)
            .join(Category, Category.id == Booking.category_id)
            .where(Booking.transaction_id.in_(transaction_ids)).order_by(Booking.id)):
        text = category if number is None else \
            f"{number} {_name(first, initials, infix, last)} — {category}"
        out.setdefault(transaction_id, []).append(text)
    return {i: "geboekt: " + (texts[0] if len(texts) == 1 else f"{texts[0]} (+{len(texts) - 1})")
            for i, texts in out.items()}


def _iban_owner(session: Session, iban: str | None) -> str | None:
    if not iban:
        return None
    row = session.execute(
        select(BankAccount.is_municipal, Organisation.name, Participant.number,
               Participant.first_name, Participant.initials, Participant.infix,
               Participant.last_name)
        .outerjoin(Organisation, Organisation.id == BankAccount.organisation_id)
        .outerjoin(Participant, Participant.id == BankAccount.participant_id)
        .where(BankAccount.iban == iban.replace(" ", "").upper())).first()
    if row is None:
        return None
    if row.name:
        return row.name
    if row.number:
        return f"eigen rekening van {row.number} {_name(*row[3:])}"
    return "de gemeente (eigen rekening)" if row.is_municipal else None


def _suggestions(session: Session, transaction: BankTransaction) -> list[SuggestionView]:
    if not transaction.is_open:  # kept for an undo, not offered while booked
        return []
    p = Participant
    rows = session.execute(
        select(Suggestion.rank, Suggestion.score, Suggestion.reason, Agreement.id,
               Agreement.participant_id, p.number, p.first_name, p.initials, p.infix,
               p.last_name, Category.name, Organisation.name.label("organisation"),
               Agreement.amount_cents, Agreement.direction, Agreement.valid_from,
               Agreement.valid_through)
        .join(Agreement, Agreement.id == Suggestion.agreement_id)
        .join(p, p.id == Agreement.participant_id)
        .join(Category, Category.id == Agreement.category_id)
        .outerjoin(Organisation, Organisation.id == Agreement.organisation_id)
        .where(Suggestion.transaction_id == transaction.id)
        .order_by(Suggestion.rank, Suggestion.id))
    day = transaction.booking_date
    return [SuggestionView(
        r.rank, r.score, r.reason, r.id, r.participant_id, r.number,
        _name(r.first_name, r.initials, r.infix, r.last_name), r.name, r.organisation,
        r.amount_cents, r.direction.value,
        r.valid_from <= day and (r.valid_through is None or day <= r.valid_through))
        for r in rows]


def _bookings(session: Session, transaction_id: int) -> list[BookingView]:
    p = Participant
    rows = session.execute(
        select(Booking.id, Booking.amount_cents, Booking.method, Booking.agreement_id,
               Booking.reason, Booking.created_by, p.number, p.first_name, p.initials,
               p.infix, p.last_name, Category.name)
        .outerjoin(p, p.id == Booking.participant_id)
        .join(Category, Category.id == Booking.category_id)
        .where(Booking.transaction_id == transaction_id).order_by(Booking.id))
    return [BookingView(
        r.id, r.amount_cents, r.method.value,
        r.name if r.number is None
        else f"{r.number} {_name(r.first_name, r.initials, r.infix, r.last_name)} — {r.name}",
        r.agreement_id, r.reason, r.created_by) for r in rows]


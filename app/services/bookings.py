"""Bookings: linking a transaction (or parts of it) to agreements, participants or categories.

``add_bookings`` is the one place that writes a clerk's bookings and keeps the queue invariant
(a transaction is open exactly while it is not fully booked; its bookings never add up to more
than its amount). The transaction row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL,
the write lock on SQLite) and its version column makes a second clerk's booking of the same
transaction fail visibly. (The matcher books its automatic links in bulk under the same rules,
see app.services.matching.)

The clerk's actions, each one database transaction with one audit row:
``book_transaction`` (whole or split, to agreements, participant + category, or a
non-participant category), ``accept_suggestion``, ``book_with_new_agreement`` (the offer to
create the agreement when none fits yet), ``accept_top_suggestions`` (bulk, with a summary),
``undo_bookings`` / ``undo_many`` and ``remember_term`` (learn a search term, after
``preview_remember`` showed what it would link).

A clerk's booking of a whole transaction to one agreement (``book_transaction``,
``accept_suggestion``) also teaches the matcher (issue 14): the payer's IBAN and the text's
pattern ('SALARIS OKT 2026 J. DE VRIES' → 'SALARIS J DE VRIES') are stored for the agreement
when the IBAN is one of its organisation's and the text names the participant — a pattern that
names nobody would teach nothing about who it is. It is part of the booking's audit row;
``forget_pattern`` forgets it, and undoing the booking (or an automatic link it made) forgets
it too: the evidence was wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import ConflictError, NotFoundError, ValidationError
from app.formatting import euro
from app.importers.matcher import names_participant, term_keys, terms_in_text, text_pattern
from app.models import (
    Agreement,
    BankAccount,
    BankTransaction,
    Booking,
    BookingMethod,
    Category,
    CategoryKind,
    Direction,
    LearnedPattern,
    Participant,
    Suggestion,
)
from app.models.employee import Role
from app.services.permissions import requires
from app.services.signals import touch_transactions
from app.services.unit_of_work import UnitOfWork, snapshot


@dataclass(frozen=True)
class BookingPart:
    """One part of a booking. Give an agreement, or a participant and a category, or only a
    category (non-participant: bank costs, unknown — refund). Amounts are signed like the
    transaction; ``None`` means "the rest of the transaction"."""

    agreement_id: int | None = None
    participant_id: int | None = None
    category_id: int | None = None
    amount_cents: int | None = None


@dataclass(frozen=True)
class Booked:
    """What a booking action did: the new bookings, and the transaction's version after it
    (what an undo of exactly this booking expects)."""

    transaction_id: int
    booking_ids: tuple[int, ...]
    version: int


ALREADY_BOOKED = ConflictError(
    "Deze transactie is intussen al geboekt (misschien door een collega). "
    "De wachtrij is bijgewerkt."
)
CHANGED_MEANWHILE = ConflictError(
    "Iemand anders heeft deze transactie intussen gewijzigd. De wachtrij is bijgewerkt."
)

# Bulk acceptance takes the top suggestion only when it is good and clearly the best.
BULK_MIN_SCORE = 80
BULK_MARGIN = 15
LOCK_CHUNK = 500


def lock_transaction(session: Session, transaction_id: int,
                     expected_version: int | None = None) -> BankTransaction:
    """The transaction row, locked for this database transaction. FOR NO KEY UPDATE: a signal
    that refers to a queued transaction (a foreign key) must not wait for this lock, or two
    clerks refreshing each other's signals deadlock."""
    transaction = session.execute(
        select(BankTransaction).where(BankTransaction.id == transaction_id)
        .with_for_update(key_share=True)
    ).scalar_one_or_none()
    if transaction is None:
        raise NotFoundError(f"Transactie {transaction_id} bestaat niet (meer).")
    if expected_version is not None and transaction.version != expected_version:
        raise ALREADY_BOOKED if not transaction.is_open else CHANGED_MEANWHILE
    return transaction


def add_bookings(session: Session, transaction: BankTransaction, parts: list[BookingPart], *,
                 method: BookingMethod, reason: str | None, actor: str,
                 payout_id: int | None = None) -> list[Booking]:
    """Book ``parts`` of a locked transaction; refuses parts that do not fit what is left."""
    if not parts:
        raise ValidationError("Kies ten minste één afspraak, deelnemer of rubriek.")
    touch_transactions(session, [transaction.id])
    if not transaction.is_open and transaction.booked_cents != 0:
        raise ALREADY_BOOKED
    left = transaction.amount_cents - transaction.booked_cents
    bookings: list[Booking] = []
    for index, part in enumerate(parts):
        amount = left - sum(b.amount_cents for b in bookings) if part.amount_cents is None \
            else part.amount_cents
        if part.amount_cents is None and index != len(parts) - 1:
            raise ValidationError("Alleen het laatste deel mag 'de rest' zijn.", "bedrag")
        bookings.append(_booking(session, transaction, part, amount, method, reason, actor,
                                 payout_id))
    total = sum(b.amount_cents for b in bookings)
    if any(b.amount_cents == 0 for b in bookings):
        raise ValidationError("Een deel van € 0,00 kan niet geboekt worden.", "bedrag")
    if any(_sign(b.amount_cents) != _sign(transaction.amount_cents) for b in bookings):
        raise ValidationError("Elk deel heeft hetzelfde teken als de transactie.", "bedrag")
    if abs(total) > abs(left):
        raise ValidationError(
            f"De delen ({euro(total)}) zijn samen meer dan er nog te boeken is ({euro(left)}).",
            "bedrag",
        )
    session.add_all(bookings)
    transaction.booked_cents += total
    transaction.is_open = transaction.booked_cents != transaction.amount_cents
    # The matcher's suggestions stay (only open rows show them): an undo finds them again.
    session.flush()
    return bookings


def remove_bookings(session: Session, transaction: BankTransaction) -> list[Booking]:
    """Undo every booking of a locked transaction; it returns to the queue. An automatic link
    that a person undid was wrong: the transaction is marked ``manual_only``, so the matcher
    only suggests for it from now on and never silently links it again."""
    touch_transactions(session, [transaction.id])
    bookings = list(session.scalars(
        select(Booking).where(Booking.transaction_id == transaction.id).order_by(Booking.id)
    ))
    for booking in bookings:
        session.delete(booking)
    if any(b.method is BookingMethod.AUTOMATIC for b in bookings):
        transaction.manual_only = True
    transaction.booked_cents = 0
    transaction.is_open = True
    session.flush()
    return bookings


def suggest_again(session: Session, transaction_ids: list[int]) -> None:
    """Undone transactions are back in the queue with the matcher's suggestions, as before
    they were booked: a clerk who pressed the wrong number and undid it finds the right
    suggestion again. A manual booking keeps the suggestions, so only a transaction without
    any (an automatic link: the matcher stores none for those) asks the matcher again, which
    loads every agreement. Nothing is linked: the clerk decides."""
    from app.services.matching import preview_matches

    session.flush()
    have = set(session.scalars(select(Suggestion.transaction_id).distinct()
                               .where(Suggestion.transaction_id.in_(transaction_ids))))
    transaction_ids = [t for t in transaction_ids if t not in have]
    if not transaction_ids:
        return
    decisions = preview_matches(session, transaction_ids)
    touch_transactions(session, transaction_ids)
    session.execute(delete(Suggestion).where(Suggestion.transaction_id.in_(transaction_ids)))
    session.add_all(
        Suggestion(transaction_id=d.transaction_id, agreement_id=s.agreement_id, rank=rank,
                   score=s.score, reason=s.reason)
        for d in decisions for rank, s in enumerate(d.suggestions, start=1))
    session.flush()


# -- the clerk's actions --------------------------------------------------------------------

@requires(Role.BACKOFFICE, action="transactie boeken")
def book_transaction(uow: UnitOfWork, transaction_id: int, parts: list[BookingPart], *,
                     expected_version: int | None = None, reason: str | None = None
                     ) -> Booked:
    """A clerk books a transaction by hand: whole or split in parts, each part to an
    agreement, to a participant with a category, or to a non-participant category. The parts
    of a split must add up exactly to the transaction. One audit row."""
    if len(parts) > 1 and any(p.amount_cents is None for p in parts):
        raise ValidationError("Geef bij het splitsen elk deel een bedrag.", "bedrag")
    with uow:
        transaction = lock_transaction(uow.session, transaction_id, expected_version)
        if len(parts) > 1:
            _check_split_total(transaction, parts)
        whole = len(parts) == 1 and parts[0].agreement_id is not None and (
            parts[0].amount_cents in (None, transaction.amount_cents - transaction.booked_cents))
        booked = _book(uow, transaction, parts, reason or "handmatig geboekt",
                       "transactie geboekt" if len(parts) == 1 else "transactie gesplitst",
                       learn=whole and transaction.booked_cents == 0)
        uow.commit()
        return booked


@requires(Role.BACKOFFICE, action="voorstel accepteren")
def accept_suggestion(uow: UnitOfWork, transaction_id: int, agreement_id: int, *,
                      expected_version: int | None = None) -> Booked:
    """Accept one of the matcher's suggestions: the whole transaction to its agreement, with
    the matcher's reason kept on the booking."""
    with uow:
        transaction = lock_transaction(uow.session, transaction_id, expected_version)
        suggestion = uow.session.scalar(
            select(Suggestion).where(Suggestion.transaction_id == transaction_id,
                                     Suggestion.agreement_id == agreement_id)
            .order_by(Suggestion.rank).limit(1))
        reason = ("voorstel geaccepteerd" if suggestion is None
                  else f"voorstel {suggestion.rank} geaccepteerd (score {suggestion.score}): "
                       f"{suggestion.reason}")
        booked = _book(uow, transaction, [BookingPart(agreement_id=agreement_id)], reason,
                       "transactie geboekt", learn=transaction.booked_cents == 0)
        uow.commit()
        return booked


@requires(Role.BACKOFFICE, action="boeken op een nieuwe afspraak")
def book_with_new_agreement(uow: UnitOfWork, transaction_id: int, participant_id: int, *,
                            category: str | int, search_terms: list[str] = (),
                            expected_version: int | None = None, **values) -> tuple[int, Booked]:
    """No agreement fits yet: create it from this transaction (``values`` as for
    ``agreements.create_agreement``) and book the transaction to it, in one go. Like every
    new agreement, it may link other waiting transactions too."""
    from app.services import agreements as agr  # agreements imports the matcher, keep it lazy
    from app.services.matching import rematch_open_queue

    values = agr.clean_agreement(values)
    with uow:
        session = uow.session
        transaction = lock_transaction(session, transaction_id, expected_version)
        if session.get(Participant, participant_id) is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet (meer).")
        chosen = agr.usable_category(session, category)
        agreement = Agreement(participant_id=participant_id, category_id=chosen.id,
                              mandatory=chosen.mandatory, **values)
        agr._check_agreement(session, agreement)
        session.add(agreement)
        for term in agr._clean_terms(list(search_terms)):
            agreement.search_terms.append(agr._new_term(term, uow.actor, learned=False))
        session.flush()
        bookings = add_bookings(session, transaction, [BookingPart(agreement_id=agreement.id)],
                                method=BookingMethod.MANUAL,
                                reason="geboekt op een nieuwe afspraak", actor=uow.actor)
        uow.record("transactie geboekt op nieuwe afspraak", transaction, before=None, after={
            "afspraak": {**snapshot(agreement), "zoektermen": list(search_terms)},
            "bookings": [snapshot(b, exclude=("created_at",)) for b in bookings]})
        booked = Booked(transaction.id, tuple(b.id for b in bookings), transaction.version)
        rematch_open_queue(uow)
        uow.commit()
        return agreement.id, booked


@dataclass
class BulkOutcome:
    """The summary of a bulk acceptance."""

    booked: list[Booked] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        text = f"{len(self.booked)} geboekt"
        if self.skipped:
            reasons = ", ".join(f"{n}× {why}" for why, n in self.skipped.most_common())
            text += f"; overgeslagen: {reasons}"
        return text


@requires(Role.BACKOFFICE, action="voorstellen in bulk accepteren")
def accept_top_suggestions(uow: UnitOfWork, transaction_ids: Iterable[int], *,
                           min_score: int = BULK_MIN_SCORE, margin: int = BULK_MARGIN,
                           progress: Callable[[int, int], None] | None = None) -> BulkOutcome:
    """Bulk: for each selected transaction, book it whole to its top suggestion when that
    scores at least ``min_score`` and the runner-up is at least ``margin`` points behind.
    Everything else is skipped with its reason. One database transaction (a cancelled run
    stores nothing), one audit row."""
    wanted = sorted(set(transaction_ids))  # one lock order for everybody: no deadlocks
    outcome = BulkOutcome()
    with uow:
        session = uow.session
        for start in range(0, len(wanted), LOCK_CHUNK):
            chunk = wanted[start:start + LOCK_CHUNK]
            locked = {t.id: t for t in session.scalars(
                select(BankTransaction).where(BankTransaction.id.in_(chunk))
                .order_by(BankTransaction.id).with_for_update(key_share=True))}
            ranked: dict[int, list[Suggestion]] = {}
            for suggestion in session.scalars(
                    select(Suggestion).where(Suggestion.transaction_id.in_(chunk))
                    .order_by(Suggestion.transaction_id, Suggestion.rank)):
                ranked.setdefault(suggestion.transaction_id, []).append(suggestion)
            for transaction_id in chunk:
                transaction = locked.get(transaction_id)
                why = _bulk_refusal(transaction, ranked.get(transaction_id, []), min_score,
                                    margin)
                if why is not None:
                    outcome.skipped[why] += 1
                    continue
                top = ranked[transaction_id][0]
                bookings = add_bookings(
                    session, transaction, [BookingPart(agreement_id=top.agreement_id)],
                    method=BookingMethod.MANUAL, actor=uow.actor,
                    reason=f"voorstel in bulk geaccepteerd (score {top.score}): {top.reason}")
                outcome.booked.append(Booked(transaction.id, tuple(b.id for b in bookings),
                                             transaction.version))
            if progress is not None:
                progress(min(start + LOCK_CHUNK, len(wanted)), len(wanted))
        if not outcome.booked:
            return outcome  # nothing changed: no audit row, nothing to commit
        uow.record("voorstellen in bulk geaccepteerd", "bank_transactions", None, after={
            "geboekt": [{"transactie": b.transaction_id, "boekingen": list(b.booking_ids)}
                        for b in outcome.booked],
            "overgeslagen": dict(outcome.skipped), "minimale score": min_score})
        uow.commit()
    return outcome


def _bulk_refusal(transaction: BankTransaction | None, suggestions: list[Suggestion],
                  min_score: int, margin: int) -> str | None:
    if transaction is None:
        return "bestaat niet meer"
    if not transaction.is_open:
        return "al geboekt"
    if transaction.booked_cents:
        return "al deels geboekt"
    if not suggestions:
        return "geen voorstel"
    if suggestions[0].score < min_score:
        return f"score onder {min_score}"
    if len(suggestions) > 1 and suggestions[0].score - suggestions[1].score < margin:
        return "twee voorstellen bijna even goed"
    return None


@requires(Role.BACKOFFICE, action="boeking ongedaan maken")
def undo_bookings(uow: UnitOfWork, transaction_id: int, *,
                  expected_version: int | None = None) -> int:
    """Undo all bookings of a transaction (automatic or manual); it returns to the queue and
    the saldo follows. Returns how many bookings were removed."""
    with uow:
        transaction = lock_transaction(uow.session, transaction_id, expected_version)
        removed = remove_bookings(uow.session, transaction)
        if not removed:
            raise ValidationError("Deze transactie heeft geen boekingen om ongedaan te maken.")
        forgotten = _forget_learned(uow.session, transaction, removed)
        suggest_again(uow.session, [transaction_id])
        before = {"bookings": [snapshot(b, exclude=("created_at",)) for b in removed]}
        if forgotten:
            before["geleerde patronen"] = forgotten
        uow.record("boeking ongedaan gemaakt", transaction, before=before, after=None)
        uow.commit()
        return len(removed)


@requires(Role.BACKOFFICE, action="boekingen ongedaan maken")
def undo_many(uow: UnitOfWork, expected_versions: dict[int, int | None]) -> int:
    """Undo a bulk action: the bookings of every transaction given (id → the version the
    action left it at, or None). All or nothing; one audit row. Returns the bookings removed."""
    removed: list[Booking] = []
    forgotten: list[dict] = []
    with uow:
        for transaction_id in sorted(expected_versions):
            transaction = lock_transaction(uow.session, transaction_id,
                                           expected_versions[transaction_id])
            undone = remove_bookings(uow.session, transaction)
            forgotten.extend(_forget_learned(uow.session, transaction, undone))
            removed.extend(undone)
        if not removed:
            raise ValidationError("Er zijn geen boekingen om ongedaan te maken.")
        suggest_again(uow.session, sorted(expected_versions))
        before = {"bookings": [snapshot(b, exclude=("created_at",)) for b in removed]}
        if forgotten:
            before["geleerde patronen"] = forgotten
        uow.record("boekingen ongedaan gemaakt", "bank_transactions", None, before=before)
        uow.commit()
    return len(removed)


# -- remember / forget ----------------------------------------------------------------------

@dataclass(frozen=True)
class PreviewLink:
    """An open transaction that the matcher would link once the term is remembered."""

    transaction_id: int
    agreement_id: int
    participant_id: int | None
    reason: str
    via_term: bool  # linked to the agreement the term was added to


@dataclass(frozen=True)
class RememberPreview:
    agreement_id: int
    term: str
    links: tuple[PreviewLink, ...]

    @property
    def via_term(self) -> list[PreviewLink]:
        return [link for link in self.links if link.via_term]


def preview_remember(session: Session, agreement_id: int, term: str) -> RememberPreview:
    """Dry run of "remember this term": which open queue items would be linked (nothing is
    stored). Remembering re-matches the whole open queue, so the preview shows every link it
    would make; those to this agreement are marked ``via_term``."""
    from app.services.matching import preview_matches

    term = " ".join(str(term).split())
    if not term or not term_keys(term):
        raise ValidationError("Kies of typ een zoekterm met letters of cijfers.", "zoekterm")
    if session.get(Agreement, agreement_id) is None:
        raise NotFoundError(f"Afspraak {agreement_id} bestaat niet (meer).")
    decisions = preview_matches(session, None, extra_terms={agreement_id: [term]})
    links = tuple(
        PreviewLink(d.transaction_id, d.agreement_id, d.participant_id, d.reason,
                    d.agreement_id == agreement_id)
        for d in decisions if d.agreement_id is not None
    )
    return RememberPreview(agreement_id, term, links)


@dataclass(frozen=True)
class RememberOutcome:
    search_term_id: int
    linked_transaction_ids: tuple[int, ...]


@requires(Role.BACKOFFICE, action="zoekterm onthouden")
def remember_term(uow: UnitOfWork, agreement_id: int, term: str,
                  previewed: Iterable[int] = ()) -> RememberOutcome:
    """"Remember this": add ``term`` to the agreement's search terms as a learned term (a clerk
    can forget it again); the open queue is matched again in the same transaction, which links
    what the preview showed. Returns which of the previewed transactions are now linked."""
    from app.services.agreements import add_search_term

    term_id = add_search_term(uow, agreement_id, term, learned=True)
    previewed = list(previewed)
    with uow.db.read() as session:
        still_open = set(session.scalars(select(BankTransaction.id).where(
            BankTransaction.id.in_(previewed), BankTransaction.is_open))) if previewed else set()
    return RememberOutcome(term_id, tuple(i for i in previewed if i not in still_open))


@requires(Role.BACKOFFICE, action="zoekterm vergeten")
def forget_term(uow: UnitOfWork, search_term_id: int) -> None:
    """Forget a (learned) search term. Bookings it made stay; undo them one by one."""
    from app.services.agreements import remove_search_term

    remove_search_term(uow, search_term_id)


@requires(Role.BACKOFFICE, action="tekstpatroon vergeten")
def forget_pattern(uow: UnitOfWork, pattern_id: int) -> None:
    """Forget a text pattern learned from a clerk's booking. Bookings it made stay; undo them
    one by one. The open queue is matched again (another agreement may now be the only one)."""
    from app.services.matching import rematch_open_queue

    with uow:
        pattern = uow.session.get(LearnedPattern, pattern_id)
        if pattern is None:
            raise NotFoundError(f"Geleerd tekstpatroon {pattern_id} bestaat niet (meer).")
        before = snapshot(pattern)
        uow.session.delete(pattern)
        uow.session.flush()
        uow.record("tekstpatroon vergeten", LearnedPattern.__tablename__, pattern_id,
                   before=before)
        rematch_open_queue(uow)
        uow.commit()


def term_occurs(term: str, texts: Iterable[str | None]) -> bool:
    """Would the matcher find ``term`` in these texts (the way it reads references)?"""
    keys = dict.fromkeys(term_keys(term))
    return bool(terms_in_text(texts, keys))


# -- internals ------------------------------------------------------------------------------

def _book(uow: UnitOfWork, transaction: BankTransaction, parts: list[BookingPart], reason: str,
          action: str, *, learn: bool = False) -> Booked:
    bookings = add_bookings(uow.session, transaction, parts, method=BookingMethod.MANUAL,
                            reason=reason, actor=uow.actor)
    after: dict = {"bookings": [snapshot(b, exclude=("created_at",)) for b in bookings]}
    if learn:
        learned = _learn(uow.session, transaction, parts[0].agreement_id, uow.actor)
        if learned is not None:
            after["geleerd"] = snapshot(learned, exclude=("created_at",))
    uow.record(action, transaction, before=None, after=after)
    return Booked(transaction.id, tuple(b.id for b in bookings), transaction.version)


def _learn(session: Session, transaction: BankTransaction, agreement_id: int | None,
           actor: str) -> LearnedPattern | None:
    """What this booking of the whole transaction to one agreement teaches the matcher: the
    payer's IBAN and the text pattern, when the IBAN is the agreement's organisation's (or its
    counter account), the direction fits and the text names the participant. None otherwise,
    or when it was learned before."""
    iban = (transaction.counterparty_iban or "").replace(" ", "").upper()
    pattern = text_pattern(transaction.description)
    agreement = session.get(Agreement, agreement_id) if agreement_id is not None else None
    if not iban or not pattern or agreement is None or agreement.organisation_id is None \
            or transaction.reversal \
            or (transaction.amount_cents > 0) != (agreement.direction is Direction.INCOME):
        return None
    ibans = set(session.scalars(select(BankAccount.iban).where(
        BankAccount.organisation_id == agreement.organisation_id)))
    if agreement.counter_account_id is not None:
        ibans.add(session.scalar(select(BankAccount.iban).where(
            BankAccount.id == agreement.counter_account_id)))
    if iban not in ibans:
        return None
    person = session.get(Participant, agreement.participant_id)
    if not names_participant(transaction.description, person.initials, person.first_name,
                             person.infix, person.last_name):
        return None
    known = session.scalar(select(LearnedPattern.id).where(
        LearnedPattern.agreement_id == agreement.id, LearnedPattern.payer_iban == iban,
        LearnedPattern.pattern == pattern))
    if known is not None:
        return None
    learned = LearnedPattern(agreement_id=agreement.id, payer_iban=iban, pattern=pattern,
                             example=(transaction.description or "")[:500],
                             transaction_id=transaction.id, created_by=actor)
    session.add(learned)
    session.flush()
    return learned


def _forget_learned(session: Session, transaction: BankTransaction,
                    removed: list[Booking]) -> list[dict]:
    """Undoing a booking (a clerk's, or an automatic link) takes back what it taught or what
    made it: the pattern of this payer and text for the agreements it was booked to."""
    agreements = {b.agreement_id for b in removed if b.agreement_id is not None}
    iban = (transaction.counterparty_iban or "").replace(" ", "").upper()
    pattern = text_pattern(transaction.description)
    if not agreements or not iban or not pattern:
        return []
    rows = list(session.scalars(select(LearnedPattern).where(
        LearnedPattern.agreement_id.in_(agreements), LearnedPattern.payer_iban == iban,
        LearnedPattern.pattern == pattern).order_by(LearnedPattern.id)))
    forgotten = [snapshot(row) for row in rows]
    for row in rows:
        session.delete(row)
    session.flush()
    return forgotten


def _check_split_total(transaction: BankTransaction, parts: list[BookingPart]) -> None:
    left = transaction.amount_cents - transaction.booked_cents
    total = sum(p.amount_cents or 0 for p in parts)
    if total != left:
        raise ValidationError(
            f"De delen ({euro(total)}) tellen niet op tot het bedrag van de transactie "
            f"({euro(left)}); verschil {euro(left - total)}.", "bedrag")


def _booking(session: Session, transaction: BankTransaction, part: BookingPart, amount: int,
             method: BookingMethod, reason: str | None, actor: str,
             payout_id: int | None) -> Booking:
    participant_id, category_id = part.participant_id, part.category_id
    if part.agreement_id is not None:
        agreement = session.get(Agreement, part.agreement_id)
        if agreement is None:
            raise NotFoundError(f"Afspraak {part.agreement_id} bestaat niet (meer).")
        if participant_id not in (None, agreement.participant_id):
            raise ValidationError("De afspraak hoort bij een andere deelnemer.")
        participant_id = agreement.participant_id
        category_id = category_id or agreement.category_id
    if category_id is None:
        raise ValidationError("Kies een rubriek voor dit deel.", "rubriek")
    category = session.get(Category, category_id)
    if category is None:
        raise NotFoundError(f"Rubriek {category_id} bestaat niet.")
    if part.category_id is not None:  # chosen now (an agreement's own category may be old)
        from app.services.agreements import refuse_inactive_category  # lazy, as above

        refuse_inactive_category(category)
    if participant_id is None and category.kind is not CategoryKind.OTHER:
        raise ValidationError(
            f"Rubriek {category.name!r} hoort bij een deelnemer: kies een deelnemer of "
            "afspraak, of een rubriek die niet van een deelnemer is (bankkosten, onbekend).",
            "rubriek")
    if participant_id is not None and part.agreement_id is None \
            and session.get(Participant, participant_id) is None:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet (meer).")
    return Booking(
        transaction_id=transaction.id, participant_id=participant_id,
        agreement_id=part.agreement_id, category_id=category_id, payout_id=payout_id,
        amount_cents=amount, booking_date=transaction.booking_date, method=method,
        reason=reason, created_by=actor,
    )


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)

"""The automatic matcher: which agreement does a transaction on the shared account belong to?

Pure code over plain data (DESIGN §5): ``AgreementIndex`` is built once from the agreements,
their search terms and the known accounts; ``decide(transaction)`` weighs the evidence for
each candidate and books only when exactly one agreement is convincing. Everything else stays
in the queue with ranked suggestions. Every decision carries a short Dutch reason.

What makes a candidate *convincing* (all of these):
- it identifies one participant: the counter IBAN is the agreement's and a strong search term
  of this participant is in the text; or the IBAN is used by this participant only (their own
  account; an organisation we know only for them, when the agreement has no references) and
  the amount fits; or the IBAN is unknown to us and
  an unmistakable reference (a long number only this participant has) is in the text and the
  amount is near the agreed one;
- the agreement is valid on the booking date;
- the direction fits (income in, costs out), or it is a reversal of the original direction,
  or a refund from the creditor whose reference is in the text.
Amount and date are evidence, not gates, except to choose between agreements of one
participant that are otherwise alike (rent and service costs with one landlord).

Cost: candidates come from two dict lookups (IBAN and normalised terms found in the text);
a group of more than ``LARGE_GROUP`` agreements (UWV pays thousands of participants from one
IBAN) is never enumerated — only the agreements a term or the exact amount points at.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from app.formatting import euro, short_date
from app.importers.terms import normalise_term

LARGE_GROUP = 25  # candidates from one IBAN or term beyond this only via other evidence
MAX_PIECES = 8  # a reference may be typed in up to this many pieces ("261.000.012.3")
NEAR_PERCENT = 15  # "near the agreed amount" for unknown IBANs and for suggestions
MAX_SUGGESTIONS = 5
# How far a payment may be from its due day and still "fit the schedule".
DATE_WINDOW_DAYS = {"week": 3, "4-weken": 4, "maand": 7, "kwartaal": 15, "jaar": 31}

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    id: int
    participant_id: int
    last_name: str  # for the weak "name in the text" evidence
    organisation: str | None  # None: leefgeld or a private transfer (participant's own IBAN)
    ibans: frozenset[str]
    income: bool
    amount_cents: int
    tolerance_percent: Decimal
    frequency: str
    day: int | None
    valid_from: date
    valid_through: date | None
    description: str | None = None
    terms: tuple[str, ...] = ()  # as the clerk typed them

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_through is None or day <= self.valid_through)


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    id: int
    booking_date: date
    amount_cents: int  # signed: + credit, - debit
    counterparty_iban: str | None = None
    counterparty_name: str | None = None
    description: str | None = None
    structured_reference: str | None = None
    mandate_id: str | None = None
    end_to_end_id: str | None = None
    reversal: bool = False
    return_reason: str | None = None  # an R-transaction: the bank returned a payment


@dataclass(frozen=True, slots=True)
class PayoutFacts:
    """A payment we made ourselves (pain.001): in a file and not yet seen (``paid`` False),
    or seen recently (``paid`` True: only its return can still come)."""

    end_to_end_id: str | None
    payout_id: int
    agreement_id: int | None  # None: a one-off payment
    participant_id: int
    amount_cents: int  # positive, as paid
    creditor_iban: str | None = None
    execution_date: date | None = None
    paid: bool = False


# Banks that drop our end-to-end id book the payment on its execution date or a few days after.
PAYOUT_DAYS_BEFORE, PAYOUT_DAYS_AFTER = 1, 5
RETURN_DAYS_AFTER = 60


@dataclass(frozen=True, slots=True)
class Suggested:
    agreement_id: int
    participant_id: int
    score: int  # 0-100
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    transaction_id: int
    agreement_id: int | None  # set: book automatically; None: leave in the queue
    participant_id: int | None
    reason: str
    suggestions: tuple[Suggested, ...]
    payout_id: int | None = None


@dataclass
class _Candidate:
    agreement: AgreementFacts
    strong_terms: list[str] = field(default_factory=list)
    weak_terms: list[str] = field(default_factory=list)
    iban_match: bool = False
    iban_identifies: bool = False
    term_identifies: bool = False
    unmistakable: bool = False
    direction_ok: bool = False
    refund: bool = False
    amount_fit: bool = False
    amount_near: bool = False
    date_fit: bool = False
    valid: bool = False
    description_fit: bool = False
    name_fit: bool = False
    by_reference_only: bool = False  # unknown IBAN, unmistakable reference
    singled_out: bool = False  # chosen among alike agreements of one participant
    convincing: bool = False
    owner: str | None = None  # whose IBAN it is, when we know
    score: int = 0


def fold(text: str) -> str:
    """Upper case without accents, separators or spaces: for 'is X in this text' checks."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)  # 'ë' → 'e' + a mark the next line drops
    return _NOT_ALNUM.sub("", text).upper()


def is_strong_term(normalised: str) -> bool:
    """A reference that can tell participants apart: at least five digits. A surname, 'huur'
    or a short number is weak evidence only."""
    return len(normalised) >= 5 and sum(ch.isdigit() for ch in normalised) >= 5


def term_keys(term: str) -> set[str]:
    """What a search term is looked up by: its normalised form, and for a term typed with a
    label ('klantnr 20456789', 'reg 4471902') also its number, which is what payers print."""
    key = normalise_term(term)
    keys = {key} if key else set()
    numbers = re.findall(r"\d+", key)
    if numbers and not key.isdigit():
        longest = max(numbers, key=len)
        if len(longest) >= 6:
            keys.add(normalise_term(longest))
    return keys


def terms_in_text(texts: Iterable[str | None], known: dict[str, object]) -> dict[str, int]:
    """The normalised terms of ``known`` that occur in the texts, with the fewest pieces each
    was found in: also when typed in pieces ('261.000.012.3', '1234 5678 9012 3456'), but
    whole pieces only, never inside a longer number."""
    found: dict[str, int] = {}
    for text in texts:
        if not text:
            continue
        if not text.isascii():
            text = fold_accents(text)
        pieces = _TOKEN.findall(text.upper())
        for start in range(len(pieces)):
            joined = ""
            for end in range(start, min(start + MAX_PIECES, len(pieces))):
                joined += pieces[end]
                # normalise_term() of pieces that hold no separators, inlined: it runs for
                # every piece sequence of every transaction.
                key = joined.lstrip("0") or "0" if len(joined) >= 6 and joined.isdigit() \
                    else joined
                if key in known:
                    count = end - start + 1
                    found[key] = min(count, found.get(key, count))
    return found


def _strong_where_found(key: str, pieces: int) -> bool:
    # A short reference only counts whole (or exactly as typed): '08-2026' must not read as
    # personnel number 82026.
    return is_strong_term(key) and (pieces == 1 or len(key) >= 8 or not key.isdigit())


def fold_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(ch))


class AgreementIndex:
    """Agreements indexed by counter IBAN and by normalised search term."""

    def __init__(self, agreements: Iterable[AgreementFacts], *,
                 account_owners: dict[str, str] | None = None,
                 payouts: Iterable[PayoutFacts] = ()):
        self.by_id: dict[int, AgreementFacts] = {}
        self.by_iban: dict[str, list[AgreementFacts]] = defaultdict(list)
        self.by_iban_amount: dict[tuple[str, int], list[AgreementFacts]] = defaultdict(list)
        self.by_iban_participant: dict[tuple[str, int], list[AgreementFacts]] = defaultdict(list)
        self.by_term: dict[str, list[AgreementFacts]] = defaultdict(list)
        self.term_text: dict[tuple[int, str], str] = {}  # (agreement, normalised) → as typed
        self.account_owners = dict(account_owners or {})  # IBAN → "UWV", "de deelnemer" …
        payouts = list(payouts)
        self.payouts = {p.end_to_end_id: p for p in payouts if p.end_to_end_id}
        self.payouts_of_iban: dict[tuple[str, int], list[PayoutFacts]] = defaultdict(list)
        for payout in payouts:
            if payout.creditor_iban:
                self.payouts_of_iban[(payout.creditor_iban, payout.amount_cents)].append(payout)
        self.claimed_payouts: set[int] = set()  # each payout is recognised once per run
        self._folded_names: dict[int, tuple[str, str]] = {}
        for agreement in agreements:
            self.by_id[agreement.id] = agreement
            for iban in agreement.ibans:
                self.by_iban[iban].append(agreement)
                self.by_iban_participant[(iban, agreement.participant_id)].append(agreement)
                self.by_iban_amount[(iban, agreement.amount_cents)].append(agreement)
            for term in agreement.terms:
                for key in term_keys(term):
                    if (agreement.id, key) not in self.term_text:
                        self.by_term[key].append(agreement)
                        self.term_text[(agreement.id, key)] = term
        self.participants_of_iban = {
            iban: {a.participant_id for a in group} for iban, group in self.by_iban.items()
        }
        self.participants_of_term = {
            key: {a.participant_id for a in group} for key, group in self.by_term.items()
        }

    # -- deciding --------------------------------------------------------------------------

    def decide(self, transaction: TransactionFacts) -> Decision:
        payout = self._own_payout(transaction)
        if payout is not None:
            return payout
        iban = (transaction.counterparty_iban or "").replace(" ", "").upper()
        candidates = self._evaluate(transaction, iban)
        ranked = sorted(candidates, key=lambda c: (-c.score, c.agreement.id))
        chosen = self._choose(ranked)
        suggestions = tuple(
            Suggested(c.agreement.id, c.agreement.participant_id, c.score,
                      self._explain(c, transaction, iban))
            for c in ranked[:MAX_SUGGESTIONS]
        )
        if chosen is None:
            return Decision(transaction.id, None, None, _queue_reason(ranked), suggestions)
        reason = (suggestions[0].reason if chosen is ranked[0]
                  else self._explain(chosen, transaction, iban))
        return Decision(transaction.id, chosen.agreement.id, chosen.agreement.participant_id,
                        reason, suggestions)

    def _choose(self, ranked: list[_Candidate]) -> _Candidate | None:
        convincing = [c for c in ranked if c.convincing]
        if not convincing:
            return None
        participants = {c.agreement.participant_id for c in convincing}
        if len(participants) > 1:
            return None  # two participants both plausible: a clerk decides
        participant = participants.pop()
        # Another participant with real evidence of their own (their reference in the text,
        # their own IBAN) makes it ambiguous, however good the best one looks.
        if any(c.agreement.participant_id != participant
               and (c.strong_terms or c.iban_identifies) for c in ranked):
            return None
        chosen = convincing[0]
        if len(convincing) > 1:
            # One participant, several agreements alike (rent and service costs, three
            # toeslagen from one IBAN): the amount, then the description, must single one out.
            for test in (lambda c: c.amount_fit, lambda c: c.description_fit,
                         lambda c: c.amount_fit and c.description_fit):
                narrowed = [c for c in convincing if test(c)]
                if len(narrowed) == 1:
                    chosen = narrowed[0]
                    chosen.singled_out = True
                    break
            else:
                return None
        # The reference names one agreement but the amount is another's of the same
        # participant with this payer (service costs paid with the rent's contract number).
        if not chosen.amount_fit and not chosen.refund and any(
                c is not chosen and c.agreement.participant_id == participant and c.iban_match
                and c.amount_fit and c.valid and c.direction_ok for c in ranked):
            return None
        return chosen

    def _own_payout(self, transaction: TransactionFacts) -> Decision | None:
        """Our own payment coming back on the statement: by end-to-end id, else (banks that
        drop it) by the creditor's account and the exact amount within a few days of the
        execution date — one such payout, or the nearest before the booking day. A credit
        with a return reason is the bank returning a payment we saw go out."""
        amount = transaction.amount_cents
        returned = amount > 0 and transaction.return_reason is not None
        if amount >= 0 and not returned or transaction.reversal:
            return None
        payout = self.payouts.get(transaction.end_to_end_id or "")
        how = f"end-to-end-id {transaction.end_to_end_id}"
        if payout is None or payout.paid != returned or payout.amount_cents != abs(amount) \
                or payout.payout_id in self.claimed_payouts:
            payout = self._payout_by_account(transaction, returned)
            how = "eigen rekening en bedrag"
        if payout is None:
            return None
        self.claimed_payouts.add(payout.payout_id)
        what = "teruggekomen betaling" if returned else "eigen betaling"
        reason = f"{what} ({how}), bedrag {euro(payout.amount_cents)}"
        if returned:
            reason += f", reden {transaction.return_reason}"
        suggestions = () if payout.agreement_id is None else (
            Suggested(payout.agreement_id, payout.participant_id, 100, reason),)
        return Decision(transaction.id, payout.agreement_id, payout.participant_id, reason,
                        suggestions, payout_id=payout.payout_id)

    def _payout_by_account(self, transaction: TransactionFacts,
                           returned: bool) -> PayoutFacts | None:
        iban = (transaction.counterparty_iban or "").replace(" ", "").upper()
        day = transaction.booking_date
        before, after = (0, RETURN_DAYS_AFTER) if returned else (PAYOUT_DAYS_BEFORE,
                                                                 PAYOUT_DAYS_AFTER)
        fitting = [
            p for p in self.payouts_of_iban.get((iban, abs(transaction.amount_cents)), ())
            if p.paid == returned and p.payout_id not in self.claimed_payouts
            and p.execution_date is not None
            and -before <= (day - p.execution_date).days <= after]
        if len(fitting) > 1:  # two weeks' leefgeld of one amount: the one due before the day
            earlier = [p for p in fitting if p.execution_date <= day]
            nearest = max((p.execution_date for p in earlier), default=None)
            fitting = [p for p in earlier if p.execution_date == nearest]
        return fitting[0] if len(fitting) == 1 else None

    # -- evidence --------------------------------------------------------------------------

    def _evaluate(self, transaction: TransactionFacts, iban: str) -> list[_Candidate]:
        texts = (transaction.description, transaction.structured_reference,
                 transaction.mandate_id)
        found_terms = terms_in_text(texts, self.by_term)
        raw_text = " ".join(t for t in texts if t).upper()
        candidates: dict[int, _Candidate] = {}

        def consider(agreement: AgreementFacts) -> _Candidate:
            candidate = candidates.get(agreement.id)
            if candidate is None:
                candidate = candidates[agreement.id] = _Candidate(agreement)
            return candidate

        for key, pieces in found_terms.items():
            group = self.by_term[key]
            if len(group) > LARGE_GROUP:
                continue  # a word like 'huur' on hundreds of agreements tells nothing
            for agreement in group:
                candidate = consider(agreement)
                strong = _strong_where_found(key, pieces) or (
                    is_strong_term(key)
                    and self.term_text[(agreement.id, key)].upper() in raw_text)
                (candidate.strong_terms if strong else candidate.weak_terms).append(key)
        # The IBAN's other agreements only matter when the text names none of them (then
        # they are the candidates and the suggestions); with a reference of this IBAN's
        # agreement in the text, they can neither win nor make it ambiguous.
        named = {c.agreement.participant_id for c in candidates.values()
                 if iban in c.agreement.ibans and c.strong_terms}
        for participant in named:  # their other agreements with this payer or payee
            for agreement in self.by_iban_participant.get((iban, participant), ()):
                consider(agreement)
        if iban and not named:
            group = self.by_iban.get(iban, ())
            if len(group) <= LARGE_GROUP:
                for agreement in group:
                    consider(agreement)
            else:  # only the exact amount (a suggestion for an unknown reference)
                for agreement in self.by_iban_amount.get((iban, abs(transaction.amount_cents)),
                                                         ())[:LARGE_GROUP]:
                    consider(agreement)
        if not candidates:
            return []
        folded_text = fold(" ".join(t for t in (*texts, transaction.counterparty_name) if t))
        for candidate in candidates.values():
            self._weigh(candidate, transaction, iban, folded_text)
        return list(candidates.values())

    def _weigh(self, c: _Candidate, t: TransactionFacts, iban: str, folded_text: str) -> None:
        """The evidence as flags, and a score to rank by; no words yet (see ``_explain``)."""
        a = c.agreement
        credit = t.amount_cents > 0
        c.owner = self.account_owners.get(iban)
        c.iban_match = bool(iban) and iban in a.ibans
        c.iban_identifies = c.iban_match and self.participants_of_iban[iban] == {a.participant_id}
        own_terms = [k for k in c.strong_terms
                     if self.participants_of_term[k] == {a.participant_id}]
        c.term_identifies = bool(own_terms)
        c.unmistakable = any(len(k) >= 8 for k in own_terms)
        effective_credit = credit != t.reversal  # a reversal undoes the other direction
        c.direction_ok = effective_credit == a.income
        c.refund = (not c.direction_ok and credit and not a.income and not t.reversal
                    and c.iban_match and c.term_identifies)
        difference = abs(abs(t.amount_cents) - a.amount_cents)
        c.amount_fit = difference <= a.amount_cents * a.tolerance_percent / 100
        c.amount_near = difference <= a.amount_cents * NEAR_PERCENT / 100
        c.valid = a.is_valid_on(t.booking_date)
        c.date_fit = fits_schedule(a, t.booking_date)
        description, last_name = self._folded(a)
        c.description_fit = len(description) >= 4 and description in folded_text
        c.name_fit = len(last_name) >= 3 and last_name in folded_text

        score = 0
        if c.iban_match:
            score += 45 if c.iban_identifies else 35
        elif iban and c.owner:
            score -= 20
        if c.strong_terms:
            score += 40 if c.term_identifies else 15
        if c.weak_terms:
            score += 8
        if c.amount_fit:
            score += 15
        elif c.amount_near and not c.refund:
            score += 7
        if not c.direction_ok and not c.refund:
            score -= 40
        score += 5 * (c.date_fit + c.description_fit + (c.name_fit and not c.iban_identifies))
        if not c.valid:
            score -= 50
        c.score = max(0, min(100, score))

        c.by_reference_only = (not c.owner and not c.iban_match and c.unmistakable
                               and c.amount_near)
        identifies = (
            (c.iban_match and c.term_identifies)
            # An IBAN only this participant's agreements use: their own account, or an
            # organisation we know only for this participant (a landlord with one tenant, a
            # small employer) when the agreement has no references that could contradict the
            # text; money coming in then also has to arrive on schedule. UWV paying a benefit
            # number this participant's agreement does not have is not theirs just because
            # they are the only UWV client we know.
            or (c.iban_identifies and c.amount_fit
                and (a.organisation is None
                     or (not a.terms and (not a.income or c.date_fit))))
            or c.by_reference_only
        )
        c.convincing = identifies and c.valid and (c.direction_ok or c.refund)

    def _folded(self, a: AgreementFacts) -> tuple[str, str]:
        folded = self._folded_names.get(a.id)
        if folded is None:
            folded = self._folded_names[a.id] = (fold(a.description or ""), fold(a.last_name))
        return folded

    def _explain(self, c: _Candidate, t: TransactionFacts, iban: str) -> str:
        """The evidence in a short Dutch sentence a clerk understands."""
        a = c.agreement
        reasons = []
        if c.by_reference_only:
            reasons.append("kenmerk is eenduidig")
        if c.iban_match:
            reasons.append("eigen rekening van de deelnemer" if a.organisation is None
                           else f"IBAN van {a.organisation}")
        elif iban and c.owner:
            reasons.append(f"let op: IBAN van {c.owner}, niet van deze afspraak")
        else:
            reasons.append("onbekende IBAN" if iban else "geen tegenrekening")
        if c.strong_terms:
            typed = [self.term_text[(a.id, k)] for k in c.strong_terms]
            reasons.append(f"zoekterm {', '.join(dict.fromkeys(typed))} in de omschrijving"
                           + ("" if c.term_identifies else " (ook bij andere deelnemers)"))
        if c.weak_terms:
            typed = [self.term_text[(a.id, k)] for k in c.weak_terms]
            reasons.append(f"zwakke zoekterm {', '.join(dict.fromkeys(typed))} in de "
                           "omschrijving")
        if a.terms and c.iban_match and not c.strong_terms and not c.weak_terms:
            reasons.append("geen van de zoektermen in de omschrijving")
        amount = abs(t.amount_cents)
        if c.amount_fit:
            reasons.append(f"bedrag {euro(amount)} binnen {_percent(a.tolerance_percent)} "
                           f"van de afspraak ({euro(a.amount_cents)})")
        elif c.refund:
            reasons.append(f"terugbetaling van {euro(amount)} op een uitgave")
        elif a.amount_cents:
            off = round(abs(amount - a.amount_cents) * 100 / a.amount_cents)
            reasons.append(f"bedrag {euro(amount)} wijkt {off}% af van de afspraak "
                           f"({euro(a.amount_cents)})")
        if t.reversal and c.direction_ok:
            reasons.append("teruggeboekte " + ("incasso" if not a.income else "betaling"))
        if not c.direction_ok and not c.refund:
            reasons.append("let op: " + ("bijschrijving" if t.amount_cents > 0 else "afschrijving")
                           + " bij een " + ("inkomsten" if a.income else "uitgaven")
                           + "afspraak")
        if c.name_fit and not c.iban_identifies:
            reasons.append("naam van de deelnemer in de tekst")
        if not c.valid:
            if a.valid_through is not None and t.booking_date > a.valid_through:
                reasons.append(f"afspraak is beëindigd op {short_date(a.valid_through)}")
            else:
                reasons.append(f"afspraak gaat pas in op {short_date(a.valid_from)}")
        if c.singled_out:
            reasons.append("past als enige afspraak van deze deelnemer")
        return "; ".join(reasons)


def fits_schedule(agreement: AgreementFacts, day: date) -> bool:
    """Is ``day`` within the schedule's window around a due day?"""
    if agreement.day is None:
        return True  # no schedule given: the date says nothing either way
    window = DATE_WINDOW_DAYS.get(agreement.frequency, 7)
    if agreement.frequency in ("week", "4-weken"):
        distance = abs(day.isoweekday() - agreement.day)
        return min(distance, 7 - distance) <= window
    if abs(day.day - agreement.day) <= window and agreement.day <= 28:
        return True  # the common case, without building dates
    for month_shift in (-1, 0, 1):
        month = day.month + month_shift
        year = day.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        due = _day_in_month(year, month, agreement.day)
        if abs((day - due).days) <= window:
            return True
    return False


def _day_in_month(year: int, month: int, day: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day, last))


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + "%"


def _queue_reason(ranked: list[_Candidate]) -> str:
    if not ranked:
        return "geen afspraak gevonden: geen bekende IBAN of zoekterm"
    best = ranked[0]
    if best.convincing:
        return "meer dan één afspraak past even goed"
    if not best.valid:
        return "de afspraak die past is niet geldig op deze datum"
    if not (best.direction_ok or best.refund):
        return "richting past niet bij de afspraak"
    return "niet eenduidig: " + ("IBAN zonder zoekterm" if best.iban_match
                                 else "zoekterm zonder bekende IBAN")

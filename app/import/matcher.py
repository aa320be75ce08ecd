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

Names and what the clerks booked (issue 14) identify a participant only together with the
payer's IBAN — the payer pays this participant per an agreement — and only among the
participants this payer pays:
- *name*: the participant's surname with a fitting initial or first name, in the text or the
  counterparty name ('SALARIS OKT 2026 J. DE VRIES', 'Vries, J. de', 'Loon wk 42 Yilmaz A'),
  accents folded as banks fold them (Yılmaz → YILMAZ, Öztürk → OZTURK, ß → SS, ø → O) and
  prefixes (de, van der, el …) kept or left out. A surname alone is weak and never identifies
  by itself. Another initial beside the surname contradicts ('P. de Vries' is not J. de
  Vries). When another participant of this payer is named as well or better (two J. de Vries
  at one employer), the name tells nothing: both stay suggestions.
- *learned*: a clerk booked a transaction with this payer IBAN and this text pattern
  (numbers, dates and month names taken out: 'SALARIS J DE VRIES') to the agreement before,
  and the pattern names the participant (at least the surname, which no other participant of
  this payer shares here).
Either is convincing only when the agreement is valid, the direction fits, the payment falls
in the schedule's date window, and the amount fits: within the agreement's tolerance, or for
a wage (a salary agreement: hours differ every period) named with initial or first name,
within ``WAGE_BAND`` (a third) of the agreed amount. A wage further off (35% above the
agreement) waits in the queue with the suggestion: a one-off payment (bonus, final
settlement) is for a clerk to judge. The IBAN-only and name paths never link when the text
contradicts them: another participant named with initial or first name while this one is
not, or another participant's own account in the text; another participant's reference in
the text makes any decision ambiguous (see ``_choose``).

Cost: candidates come from dict lookups (IBAN and normalised terms found in the text; the
payer's participants by a surname in the text; the learned pattern); a group of more than
``LARGE_GROUP`` agreements (UWV pays thousands of participants from one IBAN) is never
enumerated — only the agreements a term, a name or the exact amount points at.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from app.formatting import euro, short_date
from app.importers.terms import normalise_term

LARGE_GROUP = 25  # candidates from one IBAN or term beyond this only via other evidence
MAX_PIECES = 8  # a reference may be typed in up to this many pieces ("261.000.012.3")
NEAR_PERCENT = 15  # "near the agreed amount" for unknown IBANs and for suggestions
MAX_SUGGESTIONS = 5
WAGE_BAND = Fraction(1, 3)  # a wage named with initial or first name may be this far off
# How far a payment may be from its due day and still "fit the schedule".
DATE_WINDOW_DAYS = {"week": 3, "4-weken": 4, "maand": 7, "kwartaal": 15, "jaar": 31}

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    id: int
    participant_id: int
    last_name: str  # the participant's name: evidence with the payer's IBAN (see above)
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
    initials: str = ""  # 'J.H.'
    first_name: str = ""
    infix: str = ""  # tussenvoegsel: 'de', 'van der'
    wage: bool = False  # a salary: the amount differs every period (WAGE_BAND)
    learned: tuple[tuple[str, str], ...] = ()  # (payer IBAN, text pattern) booked to it

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
    name_level: int = 0  # NO_NAME, SURNAME (weak) or FULL_NAME, for the payer's candidates
    name_contradicted: bool = False  # the surname with another initial
    name_shared: bool = False  # another participant of this payer is named as well
    learned: bool = False  # the payer's IBAN and this text pattern were booked to it before
    amount_in_band: bool = False  # within WAGE_BAND of the agreed amount
    identified_by: str | None = None  # "naam", "geleerd": how a convincing one was named
    contradiction: str | None = None  # why the text speaks against it
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
    return len(normalised) >= 5 and sum(map(str.isdigit, normalised)) >= 5


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


def terms_in_text(texts: Iterable[str | None], known: dict[str, object],
                  longest: int | None = None) -> dict[str, int]:
    """The normalised terms of ``known`` that occur in the texts, with the fewest pieces each
    was found in: also when typed in pieces ('261.000.012.3', '1234 5678 9012 3456'), but
    whole pieces only, never inside a longer number. ``longest``: the length of the longest
    term (pieces joined beyond it cannot be one)."""
    if longest is None:
        longest = max(map(len, known), default=0)
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
                # Without leading zeros (normalising drops them) it only grows: past the
                # longest term, no longer join can be one.
                if len(joined) > longest and len(joined.lstrip("0")) > longest:
                    break
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


# -- names and text patterns -----------------------------------------------------------------

NO_NAME, SURNAME, FULL_NAME = 0, 1, 2  # how well a text names a participant
_FOREIGN = 2  # beside a surname: a prefix that name does not have
# A participant whose agreement with a payer ended this long ago is no longer paid by it (a
# last wage or holiday pay may still come within it); one that starts more than a month later
# is not paid yet (see ``_may_be_paid``): neither shares a name with the payer's participants.
RECENTLY_ENDED_DAYS = 62

# Letters that NFKD does not take apart (no combining mark to drop), folded as Dutch banks
# print them; apostrophes go ("'t Hart", "D'Souza").
_UNDECOMPOSED = str.maketrans({
    "ı": "i", "ß": "ss", "ẞ": "SS", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe",
    "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th",
    "Þ": "TH", "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L", "ŋ": "n", "Ŋ": "N", "ſ": "s",
    "'": "", "’": "", "‘": "", "`": "", "´": "",
})
# Words before a surname that a bank may print or leave out ('van der Berg', 'El Amrani').
NAME_PREFIXES = frozenset({
    "DE", "DEN", "DER", "DES", "DU", "VAN", "VD", "VDR", "TER", "TEN", "TE", "OP", "IN", "HET",
    "AAN", "BIJ", "UIT", "VON", "ZU", "ZUR", "EL", "AL", "LA", "LE", "LO", "DA", "DI", "DO",
    "DOS", "DAS", "DEL", "DELLA", "ST", "MC", "MAC", "BEN", "BIN", "IBN", "ABU", "AIT", "OULD",
})
_LEADING_LETTERS = frozenset({"T", "D", "O", "L"})  # "'t Hart", "d'Souza" in a last name
MONTH_WORDS = frozenset({
    "JAN", "JANUARI", "JANUARY", "FEB", "FEBR", "FEBRUARI", "FEBRUARY", "MRT", "MAA", "MAART",
    "MAR", "MARCH", "APR", "APRIL", "MEI", "MAY", "JUN", "JUNI", "JUNE", "JUL", "JULI", "JULY",
    "AUG", "AUGUSTUS", "AUGUST", "SEP", "SEPT", "SEPTEMBER", "OKT", "OKTOBER", "OCT", "OCTOBER",
    "NOV", "NOVEMBER", "DEC", "DECEMBER",
})
_APOSTROPHE = re.compile("['’‘`´]")
_LEGAL_FORMS = frozenset({"BV", "NV", "VOF", "CV"})  # 'Bakkerij Kok B.V.': no initials
# An IBAN in a text, also in groups of four: 'NL05 INGB 0004 4444 44'.
_SPACED_IBAN = re.compile(r"\b[A-Z]{2}\d{2} ?(?:[A-Z]{4}|\d{4})(?: ?\d{4}){2,6}(?: ?\d{1,3})?\b")


def fold_name(text: str) -> str:
    """Upper case without accents and apostrophes: 'Yılmaz' → 'YILMAZ', 'Öztürk' → 'OZTURK',
    'Straße' → 'STRASSE', 'Søren' → 'SOREN', "'t Hart" → 'T HART'."""
    if text.isascii():
        return text.replace("'", "").replace("`", "").upper()
    text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper()


def name_tokens(text: str | None) -> tuple[str, ...]:
    """The words and numbers of a text, folded: 'Vries, J. de' → ('VRIES', 'J', 'DE')."""
    return tuple(_TOKEN.findall(fold_name(text))) if text else ()


def text_pattern(text: str | None) -> str:
    """What stays the same from one period to the next: the words without numbers, dates,
    month names and account numbers. 'SALARIS OKT 2026 J. DE VRIES' → 'SALARIS J DE VRIES'."""
    if text and len(text) >= 15:
        text = _SPACED_IBAN.sub(" ", text.upper())
    words = [t for t in name_tokens(text) if not t.isdigit() and t not in MONTH_WORDS]
    return " ".join(words)[:140].rstrip()


def _without_legal_forms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """A counterparty name without 'B.V.' and the like, whose letters are no initials."""
    kept: list[str] = []
    run: list[str] = []
    for token in (*tokens, ""):
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run and "".join(run) not in _LEGAL_FORMS:
            kept.extend(run)
        run = []
        if token and token not in _LEGAL_FORMS:
            kept.append(token)
    return tuple(kept)


Fields = tuple[tuple[tuple[str, ...], bool], ...]  # (tokens, a surname alone counts there)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A participant's name as a payment text may write it."""

    surnames: tuple[tuple[str, ...], ...]  # word sequences: 'DE VRIES' as ('VRIES',), ('DEVRIES',)
    initials: str  # 'JH'; '' unknown
    first_name: str  # the first of the first names, folded
    own_prefixes: frozenset[str]  # the infix and a last name's leading words ('EL', 'T')
    keys: frozenset[str]  # what the name is looked up by: each surname form's last word

    def level(self, fields: Fields) -> tuple[int, bool]:
        """How well the texts name this person, and whether they contradict it (the surname
        with another initial beside it)."""
        best, contradicted = NO_NAME, False
        for tokens, surname_counts in fields:
            for surname in self.surnames:
                width = len(surname)
                for start, token in enumerate(tokens):
                    if token != surname[0] or tokens[start:start + width] != surname:
                        continue
                    sides = (self._beside(tokens, start - 1, -1),
                             self._beside(tokens, start + width, 1))
                    if _FOREIGN in sides:
                        continue  # 'G. de Vos' does not name G. Vos
                    if -1 in sides:
                        contradicted = True
                    elif 1 in sides:
                        best = FULL_NAME
                    elif surname_counts and start > 0 and sum(map(len, surname)) >= 3:
                        # A surname that opens the text is more likely the kind of payment
                        # ('Loon wk 42', 'Bakker' the trade) than a name.
                        best = max(best, SURNAME)
        return (NO_NAME, True) if contradicted else (best, False)

    def _beside(self, tokens: tuple[str, ...], at: int, step: int) -> int:
        """Initials or the first name next to the surname (its own prefixes skipped): 1 they
        fit, -1 other initials, 0 nothing that tells, ``_FOREIGN`` a prefix this name does
        not have ('J. van Dijk' is not J. Dijk; 'Vries, J. de' not J. Vries)."""
        first = at
        while 0 <= at < len(tokens):
            token = tokens[at]
            if at == first and token in self.own_prefixes:
                at += step  # "'t Hart": the T is the name's, not an initial
                continue
            if len(token) == 1 and token.isalpha():
                end = at
                while 0 <= end + step < len(tokens) and len(tokens[end + step]) == 1 \
                        and tokens[end + step].isalpha():
                    end += step
                fit = self._initials_fit("".join(tokens[min(at, end):max(at, end) + 1]))
                if step > 0 and fit == 1 and self._foreign(tokens, end + 1):
                    return _FOREIGN
                return fit
            if not token.isalpha():
                return 0
            if len(token) >= 2 and token == self.initials:
                return _FOREIGN if step > 0 and self._foreign(tokens, at + 1) else 1
            if token == self.first_name and not (
                    token in MONTH_WORDS and at + 1 < len(tokens) and tokens[at + 1].isdigit()):
                return 1  # 'Jan de Vries', not 'De Vries jan 2026'
            if token in self.own_prefixes:
                at += step
                continue
            if token in NAME_PREFIXES:
                # Before the surname it is part of another name; after it, a word ('van').
                return _FOREIGN if step < 0 else 0
            return 0
        return 0

    def _foreign(self, tokens: tuple[str, ...], at: int) -> bool:
        return at < len(tokens) and tokens[at] in NAME_PREFIXES \
            and tokens[at] not in self.own_prefixes

    def _initials_fit(self, letters: str) -> int:
        if not self.initials:
            return 0
        if letters[0] != self.initials[0]:
            return -1
        return 1 if self.initials.startswith(letters) or letters.startswith(self.initials) \
            else -1


def person_name(initials: str | None, first_name: str | None, infix: str | None,
                last_name: str | None) -> PersonName | None:
    """The forms of a name a text may hold; None for a name too short to look for."""
    if not last_name:
        return None
    spaced = tuple(_TOKEN.findall(fold_name(_APOSTROPHE.sub(" ", last_name))))
    last = name_tokens(last_name)
    infix_words = name_tokens(infix)
    if sum(map(len, last)) < 2:
        return None
    surnames: set[tuple[str, ...]] = set()
    prefixes: set[str] = set(infix_words)
    for words in {last, spaced}:
        surnames.add(words)
        lead = 0
        while lead < len(words) - 1 and (words[lead] in NAME_PREFIXES
                                         or words[lead] in _LEADING_LETTERS):
            lead += 1
        prefixes.update(words[:lead])
        if lead and sum(map(len, words[lead:])) >= 2:
            surnames.add(words[lead:])  # 'El Amrani' also as 'AMRANI'
        if len(words) > 1:
            surnames.add(("".join(words),))  # 'JANSENBAKKER', 'ELAMRANI'
    if infix_words:
        surnames.add(("".join(infix_words + last),))  # 'DEVRIES'
    if "VAN" in prefixes and prefixes & {"DE", "DEN", "DER"}:
        prefixes.update(("VD", "VDR") if "DER" in prefixes else ("VD",))  # 'J. vd Berg'
    firsts = name_tokens(first_name)
    letters = "".join(ch for ch in fold_name(initials or "") if ch.isalpha())
    if not letters and firsts:
        letters = firsts[0][0]
    return PersonName(tuple(sorted(surnames)), letters, firsts[0] if firsts else "",
                      frozenset(prefixes), frozenset(surname[-1] for surname in surnames))


def names_participant(text: str | None, initials: str | None, first_name: str | None,
                      infix: str | None, last_name: str | None) -> bool:
    """Does the text name this participant (at least the surname, not contradicted)? What
    may be learned from a clerk's booking (a text pattern that names nobody is not)."""
    name = person_name(initials, first_name, infix, last_name)
    return name is not None and name.level(((name_tokens(text), True),))[0] > NO_NAME


class _Reading:
    """A transaction's texts read for names, patterns and accounts: made once per
    transaction, and each part only when a candidate needs it."""

    __slots__ = ("_accounts", "_pattern", "_strong", "fields", "transaction")

    def __init__(self, transaction: TransactionFacts):
        self.transaction = transaction
        self.fields: Fields = (
            (name_tokens(transaction.description), True),
            (_without_legal_forms(name_tokens(transaction.counterparty_name)), False),
        )
        self._pattern: str | None = None
        self._strong: set[int] | None = None
        self._accounts: set[str] | None = None

    @property
    def pattern(self) -> str:
        if self._pattern is None:
            self._pattern = text_pattern(self.transaction.description)
        return self._pattern

    def strongly_named(self, index: AgreementIndex) -> set[int]:
        """Every participant the texts name with initial or first name (dict lookups by the
        surname, not a walk over everybody)."""
        if self._strong is None:
            seen: set[int] = set()
            self._strong = set()
            for tokens, _alone in self.fields:
                for token in tokens:
                    for participant in index.by_name.get(token, ()):
                        if participant not in seen:
                            seen.add(participant)
                            if index.names[participant].level(self.fields)[0] == FULL_NAME:
                                self._strong.add(participant)
        return self._strong

    def accounts(self) -> set[str]:
        """IBANs written in the texts."""
        if self._accounts is None:
            self._accounts = set()
            t = self.transaction
            for text in (t.description, t.structured_reference):
                if text and len(text) >= 15:
                    for match in _SPACED_IBAN.finditer(text.upper()):
                        found = match.group().replace(" ", "")
                        self._accounts.update(found[:n] for n in range(15, len(found) + 1))
        return self._accounts


class AgreementIndex:
    """Agreements indexed by counter IBAN and by normalised search term."""

    def __init__(self, agreements: Iterable[AgreementFacts], *,
                 account_owners: dict[str, str] | None = None,
                 payouts: Iterable[PayoutFacts] = (),
                 own_accounts: dict[str, int] | None = None):
        self.by_id: dict[int, AgreementFacts] = {}
        self.by_iban: dict[str, list[AgreementFacts]] = defaultdict(list)
        self.by_iban_amount: dict[tuple[str, int], list[AgreementFacts]] = defaultdict(list)
        self.by_iban_participant: dict[tuple[str, int], list[AgreementFacts]] = defaultdict(list)
        self.by_term: dict[str, list[AgreementFacts]] = defaultdict(list)
        self.term_text: dict[tuple[int, str], str] = {}  # (agreement, normalised) → as typed
        self.account_owners = dict(account_owners or {})  # IBAN → "UWV", "de deelnemer" …
        self.payouts: dict[str, PayoutFacts] = {}
        self.payouts_of_iban: dict[tuple[str, int], list[PayoutFacts]] = defaultdict(list)
        self._payout_ids: set[int] = set()
        self.add_payouts(payouts)
        self.claimed_payouts: set[int] = set()  # each payout is recognised once per run
        self._folded_descriptions: dict[int, str] = {}
        # Names: each participant's once; the payer's participants by (IBAN, surname word);
        # everybody by surname word (only to see that a text names somebody else).
        self.names: dict[int, PersonName] = {}
        self.by_iban_name: dict[tuple[str, str], list[AgreementFacts]] = defaultdict(list)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_learned: dict[tuple[str, str], list[AgreementFacts]] = defaultdict(list)
        self.own_accounts = dict(own_accounts or {})  # a participant's own IBAN → participant
        unnamed: set[int] = set()
        for agreement in agreements:
            self.by_id[agreement.id] = agreement
            participant = agreement.participant_id
            name = self.names.get(participant)
            if name is None and participant not in unnamed:
                name = person_name(agreement.initials, agreement.first_name, agreement.infix,
                                   agreement.last_name)
                if name is None:
                    unnamed.add(participant)
                else:
                    self.names[participant] = name
                    for key in name.keys:
                        self.by_name[key].append(participant)
            for iban in agreement.ibans:
                self.by_iban[iban].append(agreement)
                self.by_iban_participant[(iban, agreement.participant_id)].append(agreement)
                self.by_iban_amount[(iban, agreement.amount_cents)].append(agreement)
                if name is not None and agreement.organisation is not None:
                    for key in name.keys:
                        self.by_iban_name[(iban, key)].append(agreement)
                elif agreement.organisation is None:
                    self.own_accounts.setdefault(iban, participant)
            for learned in agreement.learned:
                self.by_learned[learned].append(agreement)
            for term in agreement.terms:
                for key in term_keys(term):
                    if (agreement.id, key) not in self.term_text:
                        self.by_term[key].append(agreement)
                        self.term_text[(agreement.id, key)] = term
        self.participants_of_iban = {
            iban: {a.participant_id for a in group} for iban, group in self.by_iban.items()
        }
        self.longest_term = max(map(len, self.by_term), default=0)
        self.participants_of_term = {
            key: {a.participant_id for a in group} for key, group in self.by_term.items()
        }
        self.name_ibans = {iban for iban, _key in self.by_iban_name}
        self.learned_ibans = {iban for iban, _pattern in self.by_learned}

    # -- deciding --------------------------------------------------------------------------

    def add_payouts(self, payouts: Iterable[PayoutFacts]) -> None:
        """Our own payments the transactions to come may be (or be the return of); a payout
        already known is not added twice."""
        for payout in payouts:
            if payout.payout_id in self._payout_ids:
                continue
            self._payout_ids.add(payout.payout_id)
            if payout.end_to_end_id:
                self.payouts[payout.end_to_end_id] = payout
            if payout.creditor_iban:
                self.payouts_of_iban[(payout.creditor_iban, payout.amount_cents)].append(payout)

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
        found_terms = terms_in_text(texts, self.by_term, self.longest_term)
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
        reading: _Reading | None = None
        named_here: dict[int, tuple[int, bool]] = {}
        if iban and not named:
            group = self.by_iban.get(iban, ())
            if len(group) <= LARGE_GROUP:
                for agreement in group:
                    consider(agreement)
            else:  # only the exact amount (a suggestion for an unknown reference)
                for agreement in self.by_iban_amount.get((iban, abs(transaction.amount_cents)),
                                                         ())[:LARGE_GROUP]:
                    consider(agreement)
            if iban in self.name_ibans or iban in self.learned_ibans:
                reading = _Reading(transaction)
                named_here = self._payer_names(iban, reading, consider)
                if iban in self.learned_ibans:
                    for agreement in self.by_learned.get((iban, reading.pattern), ()):
                        consider(agreement)
        if not candidates:
            return []
        folded_text = fold(" ".join(t for t in (*texts, transaction.counterparty_name) if t))
        for candidate in candidates.values():
            self._weigh(candidate, transaction, iban, folded_text, reading, named_here)
        return list(candidates.values())

    def _payer_names(self, iban: str, reading: _Reading,
                     consider: Callable[[AgreementFacts], _Candidate]
                     ) -> dict[int, tuple[int, bool]]:
        """The participants this payer pays whose surname is in the texts: how well each is
        named (and contradicted); the named ones become candidates, also in a large group."""
        levels: dict[int, tuple[int, bool]] = {}
        day = reading.transaction.booking_date
        for tokens, _alone in reading.fields:
            for token in tokens:
                for agreement in self.by_iban_name.get((iban, token), ()):
                    if not _may_be_paid(agreement, day):
                        continue  # left long ago, or not started: the payer does not pay them
                    participant = agreement.participant_id
                    if participant not in levels:
                        levels[participant] = self.names[participant].level(reading.fields)
                    if levels[participant][0] > NO_NAME:
                        consider(agreement)
        return levels

    def _weigh(self, c: _Candidate, t: TransactionFacts, iban: str, folded_text: str,
               reading: _Reading | None = None,
               named_here: dict[int, tuple[int, bool]] | None = None) -> None:
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
        c.amount_in_band = (difference * WAGE_BAND.denominator
                            <= a.amount_cents * WAGE_BAND.numerator)
        c.valid = a.is_valid_on(t.booking_date)
        c.date_fit = fits_schedule(a, t.booking_date)
        description = self._folded(a)
        c.description_fit = len(description) >= 4 and description in folded_text
        if c.iban_match and named_here:
            participant = a.participant_id
            c.name_level, c.name_contradicted = named_here.get(participant, (NO_NAME, False))
            c.name_shared = c.name_level > NO_NAME and any(
                other != participant and level >= c.name_level and not contradicted
                for other, (level, contradicted) in named_here.items())
        c.learned = (bool(a.learned) and c.iban_match and reading is not None
                     and (iban, reading.pattern) in a.learned)

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
        elif (c.amount_near or (a.wage and c.amount_in_band)) and not c.refund:
            score += 7
        if not c.direction_ok and not c.refund:
            score -= 40
        score += 5 * (c.date_fit + c.description_fit)
        if c.name_contradicted:
            score -= 10
        elif c.name_level == FULL_NAME:
            score += 10 if c.name_shared else 20
        elif c.name_level == SURNAME:
            score += 5
        if c.learned:
            score += 15
        if not c.valid:
            score -= 50
        c.score = max(0, min(100, score))

        c.by_reference_only = (not c.owner and not c.iban_match and c.unmistakable
                               and c.amount_near)
        fits = c.valid and (c.direction_ok or c.refund)
        identifies = (
            (c.iban_match and c.term_identifies)
            # An IBAN only this participant's agreements use: their own account, or an
            # organisation we know only for this participant (a landlord with one tenant, a
            # small employer) when the agreement has no references that could contradict the
            # text; money coming in then also has to arrive on schedule. UWV paying a benefit
            # number this participant's agreement does not have is not theirs just because
            # they are the only UWV client we know. Nor is a salary that names somebody else.
            or (c.iban_identifies and c.amount_fit
                and (a.organisation is None
                     or (not a.terms and (not a.income or c.date_fit)
                         and not (fits and self._contradicted(c, reading)))))
            or c.by_reference_only
        )
        if not identifies and fits and c.iban_match and c.date_fit and c.direction_ok \
                and not c.name_contradicted and not c.name_shared:
            # The payer pays this participant and the text names them (the name the way a
            # clerk reads it, or a pattern a clerk booked to this agreement before).
            if c.name_level == FULL_NAME and (c.amount_fit or (a.wage and c.amount_in_band)):
                c.identified_by = "naam"
            elif c.learned and c.name_level > NO_NAME and c.amount_fit:
                c.identified_by = "geleerd"
            identifies = c.identified_by is not None and not self._contradicted(c, reading)
            if not identifies:
                c.identified_by = None
        c.convincing = identifies and fits

    def _contradicted(self, c: _Candidate, reading: _Reading | None) -> bool:
        """Does the text speak against this participant: the surname with another initial,
        another participant named with initial or first name while this one is not, or
        another participant's own account in the text? (Another participant's reference in
        the text is ``_choose``'s.)"""
        if c.name_contradicted:
            c.contradiction = "achternaam met een andere voorletter in de tekst"
            return True
        if reading is None:
            return False
        participant = c.agreement.participant_id
        if c.name_level < FULL_NAME and reading.strongly_named(self) - {participant}:
            c.contradiction = "de tekst noemt een andere deelnemer"
            return True
        if any(self.own_accounts.get(account, participant) != participant
               for account in reading.accounts()):
            c.contradiction = "rekening van een andere deelnemer in de tekst"
            return True
        return False

    def _folded(self, a: AgreementFacts) -> str:
        folded = self._folded_descriptions.get(a.id)
        if folded is None:
            folded = self._folded_descriptions[a.id] = fold(a.description or "")
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
        if c.name_contradicted:
            reasons.append("let op: achternaam met een andere voorletter in de tekst")
        elif c.name_level == FULL_NAME:
            reasons.append("naam van de deelnemer in de tekst" + (
                " (past ook bij een andere deelnemer van deze betaler)" if c.name_shared
                else ""))
        elif c.name_level == SURNAME:
            reasons.append("achternaam van de deelnemer in de tekst (zonder voorletter)" + (
                ", ook van een andere deelnemer van deze betaler" if c.name_shared else ""))
        if c.learned:
            reasons.append("eerder zo geboekt: tekstpatroon van deze IBAN geleerd")
        amount = abs(t.amount_cents)
        if c.amount_fit:
            reasons.append(f"bedrag {euro(amount)} binnen {_percent(a.tolerance_percent)} "
                           f"van de afspraak ({euro(a.amount_cents)})")
        elif c.refund:
            reasons.append(f"terugbetaling van {euro(amount)} op een uitgave")
        elif a.amount_cents:
            off = round(abs(amount - a.amount_cents) * 100 / a.amount_cents)
            wage = ""
            if a.wage:
                wage = ", loon: binnen een derde" if c.amount_in_band \
                    else ", loon: meer dan een derde"
            reasons.append(f"bedrag {euro(amount)} wijkt {off}% af van de afspraak "
                           f"({euro(a.amount_cents)}){wage}")
        if t.reversal and c.direction_ok:
            reasons.append("teruggeboekte " + ("incasso" if not a.income else "betaling"))
        if not c.direction_ok and not c.refund:
            reasons.append("let op: " + ("bijschrijving" if t.amount_cents > 0 else "afschrijving")
                           + " bij een " + ("inkomsten" if a.income else "uitgaven")
                           + "afspraak")
        if c.contradiction and not c.name_contradicted:
            reasons.append(f"let op: {c.contradiction}")
        if not c.valid:
            if a.valid_through is not None and t.booking_date > a.valid_through:
                reasons.append(f"afspraak is beëindigd op {short_date(a.valid_through)}")
            else:
                reasons.append(f"afspraak gaat pas in op {short_date(a.valid_from)}")
        if c.singled_out:
            reasons.append("past als enige afspraak van deze deelnemer")
        return "; ".join(reasons)


def _may_be_paid(agreement: AgreementFacts, day: date) -> bool:
    """Could a payment on ``day`` still (or already) be for this agreement? Up to a month
    early too, also for a wage: an agreement is often registered from the first full month,
    and a namesake who starts next month makes this month's "J. de Vries" ambiguous (the
    benchmark's three-month run linked such a first wage to the other J. de Vries)."""
    early = 31
    return (agreement.valid_from - timedelta(days=early) <= day
            and (agreement.valid_through is None
                 or day <= agreement.valid_through + timedelta(days=RECENTLY_ENDED_DAYS)))


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
    if best.contradiction:
        return f"niet eenduidig: {best.contradiction}"
    if best.name_shared:
        return "niet eenduidig: de naam past bij meer dan één deelnemer van deze betaler"
    if best.iban_match and best.name_level == FULL_NAME and not best.name_contradicted:
        if not best.date_fit:
            return "naam en IBAN passen, maar de datum valt buiten het schema"
        return "naam en IBAN passen, maar het bedrag wijkt te veel af"
    return "niet eenduidig: " + ("IBAN zonder zoekterm" if best.iban_match
                                 else "zoekterm zonder bekende IBAN")

"""Importing the dossier workbook (DESIGN §7): all rows or nothing.

``store_book`` checks every row of every sheet against the rules of ``validation`` and against
what the database already holds, collects all problems, and only when there are none inserts
everything in bulk within the caller's transaction. Keys the rows refer to (dossier numbers,
BSNs, IBANs, organisation names, employees, categories) are loaded once up front, so checking is
plain Python; rows are written with one executemany per table and ids are handed out up front
(see ``_allocate_ids``), so that 10,000 dossiers with 80,000 agreements take seconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.formatting import sha256_of
from app.importers.terms import normalise_term, split_terms
from app.importers.workbook import (
    AGREEMENT_SHEET,
    ORGANISATION_SHEET,
    PARTICIPANT_SHEET,
    AgreementRow,
    DossierBook,
    OrganisationRow,
    ParticipantRow,
    WorkbookError,
    read_workbook,
)
from app.models import (
    DEFAULT_BUFFER_CENTS,
    Agreement,
    BankAccount,
    Category,
    Direction,
    Employee,
    Frequency,
    Organisation,
    OrganisationKind,
    Participant,
    ParticipantStatus,
    PaymentMethod,
    Role,
    SearchTerm,
    StatusChange,
    Variant,
)
from app.models.base import utcnow
from app.models.participant import search_name_of
from app.services import validation
from app.services.agreements import fold_category_name
from app.services.bsn import bsns_among
from app.services.bulk import insert_rows
from app.services.matching import rematch_open_queue
from app.services.participants import LANGUAGES
from app.services.permissions import requires
from app.services.signals import touch_everyone

if TYPE_CHECKING:
    from app.services.unit_of_work import UnitOfWork

AUDIT_ACTION = "dossiers geïmporteerd"

# An account's owner: ("org", folded organisation name), ("participant", folded dossier
# number) or ("municipal", "").
Owner = tuple[str, str]


@dataclass
class ImportSummary:
    organisations: int = 0
    accounts: int = 0
    participants: int = 0
    agreements: int = 0
    search_terms: int = 0
    employees: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.participants} deelnemers, {self.agreements} afspraken, "
            f"{self.search_terms} zoektermen, {self.organisations} nieuwe organisaties, "
            f"{self.accounts} nieuwe rekeningen, {self.employees} nieuwe medewerkers opgeslagen"
        )


@requires(Role.BACKOFFICE, action="werkmap met dossiers importeren")
def import_workbook(uow: UnitOfWork, path: str | Path) -> ImportSummary:
    """``huishoudboekje dossiers import FILE.xlsx``: one transaction, one audit row."""
    path = Path(path)
    with uow:
        book = read_workbook(path)
        summary = store_book(uow.session, book, uow.actor)
        uow.record(
            AUDIT_ACTION,
            "workbook",
            None,
            after={"file_name": path.name, "sha256": sha256_of(path), **summary.as_dict()},
        )
        rematch_open_queue(uow)  # statements imported before their dossiers can link now
        touch_everyone(uow.session)
        uow.commit()
    return summary


def store_book(session: Session, book: DossierBook, actor: str) -> ImportSummary:
    """Check every row, then insert everything in the caller's transaction (no commit).

    Raises WorkbookError listing every problem (``problems``) before anything is stored.
    """
    plan = _Planner(session, actor)
    plan.organisations(book.organisations)
    plan.participants(book.participants)
    plan.agreements(book.agreements)
    if plan.problems:
        count = len(plan.problems)
        raise WorkbookError(
            f"Werkmap geweigerd: {count} {'fout' if count == 1 else 'fouten'}, niets opgeslagen",
            plan.problems,
        )
    return plan.store()


# ---------------------------------------------------------------------------------------------
# Checking


def _fold(value: str) -> str:
    """Names and numbers compare without regard to case and repeated spaces."""
    return " ".join(value.split()).casefold()


def _plain(value: object) -> object:
    """A number typed into a cell that Excel keeps as 12345678.0 is the text '12345678'."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _identifier(value: object, label: str, max_length: int) -> str | None:
    return validation.text(_plain(value), label, max_length)


@dataclass
class _NewOrganisation:
    id: int = 0
    name: str = ""
    kvk: str | None = None
    kvk_row: int = 0
    kind: OrganisationKind | None = None
    kind_row: int = 0


@dataclass
class _NewAccount:
    iban: str
    holder: str
    owner: Owner
    where: str  # "Organisaties rij 4", for messages about a second use of the IBAN
    id: int = 0


@dataclass
class _NewParticipant:
    key: str
    values: dict[str, Any]
    contact: str | None  # folded name of a new employee, resolved to an id when storing
    id: int = 0


@dataclass
class _NewEmployee:
    name: str
    username: str
    id: int = 0


@dataclass
class _NewAgreement:
    participant: str  # folded dossier number
    organisation: str | None  # folded name
    account: str | None  # IBAN
    values: dict[str, Any]
    terms: list[tuple[str, str]] = field(default_factory=list)


class _Row:
    """Collects the problems of one row, each prefixed with the sheet and row number."""

    __slots__ = ("sheet", "row", "problems", "ok")

    def __init__(self, sheet: str, row: int, problems: list[str]):
        self.sheet = sheet
        self.row = row
        self.problems = problems
        self.ok = True

    def error(self, message: str) -> None:
        self.problems.append(f"{self.sheet} rij {self.row}: {message}")
        self.ok = False


class _Column:
    """How one column is checked: a cleaner of ``validation`` with its arguments, whether the
    cell is required, and (``memo``) whether answers are remembered per cell value — the 80,000
    rows of a large workbook repeat the same dossier numbers, IBANs, rubrieken and dates."""

    __slots__ = ("check", "args", "required", "seen")

    def __init__(self, check: Callable[..., Any], *args: Any, required: str | None = None,
                 memo: bool = False):
        self.check = check
        self.args = args
        self.required = None
        if required:
            try:
                validation.required(None, required)
            except ValidationError as exc:
                self.required = str(exc)
        self.seen: dict[tuple[type, object], tuple[Any, str | None]] | None = (
            {} if memo else None
        )

    def __call__(self, row: _Row, raw: object) -> Any:
        """The clean value; None when the cell is blank or wrong (noted on the row)."""
        if raw is None or (raw.__class__ is str and not raw.strip()):
            if self.required:
                row.error(self.required)
            return None
        value, message = self._remembered(raw)
        if message is not None:
            row.error(message)
        return value

    def peek(self, raw: object) -> Any:
        """The clean value without noting anything on the row (None when blank or wrong): for
        a column another column's reading depends on, checked in its own turn later."""
        if raw is None or (raw.__class__ is str and not raw.strip()):
            return None
        return self._remembered(raw)[0]

    def _remembered(self, raw: object) -> tuple[Any, str | None]:
        if self.seen is None:
            return self._answer(raw)
        key = (raw.__class__, raw)
        try:
            return self.seen[key]
        except KeyError:
            answer = self.seen[key] = self._answer(raw)
            return answer
        except TypeError:  # an unhashable value from a caller other than the reader
            return self._answer(raw)

    def _answer(self, raw: object) -> tuple[Any, str | None]:
        try:
            return self.check(raw, *self.args), None
        except ValidationError as exc:
            return None, str(exc)


def _bsn(value: object) -> str:
    return validation.bsn(_plain(value))


def _kvk(value: object) -> str:
    return validation.kvk(_plain(value))


def _phone(value: object) -> str:
    return validation.phone(_plain(value))


def _buffer(value: object) -> int:
    return validation.cents(value, "buffer", allow_zero=True)


def _weekday(value: object) -> int | None:
    """dag_van_maand on a weekly agreement: 1-7 is the ISO weekday; 0 and any larger whole
    number mean no weekday (a day of the month means nothing for a weekly payment, and a
    migration should not fail on a column that does not apply). What is not a whole number is
    refused with the message of every other agreement."""
    try:
        day = validation.whole_number(value, "dag_van_maand", 0, 999_999_999)
    except ValidationError:
        validation.whole_number(value, "dag_van_maand", 1, 31)  # raises the usual message
        raise
    return day if 1 <= day <= 7 else None


def _bsn_or_none(row: ParticipantRow) -> str | None:
    try:
        return _bsn(row.bsn)
    except ValidationError:
        return None  # reported with its row


class _Planner:
    def __init__(self, session: Session, actor: str):
        self.session = session
        self.actor = actor
        self.today = date.today()
        self.problems: list[str] = []
        self._load_database()
        self._columns()
        # What the workbook adds.
        self.new_organisations: dict[str, _NewOrganisation] = {}
        self.new_accounts: dict[str, _NewAccount] = {}
        self.new_participants: list[_NewParticipant] = []
        self.new_employees: dict[str, _NewEmployee] = {}
        self.new_agreements: list[_NewAgreement] = []
        self.workbook_numbers: dict[str, str] = {}  # folded → as written, valid or not
        self.number_rows: dict[str, int] = {}
        self.bsn_rows: dict[str, int] = {}

    def _columns(self) -> None:
        C, v = _Column, validation
        self.o_name = C(v.text, "naam", 200, required="naam", memo=True)
        self.o_kvk = C(_kvk)
        self.o_kind = C(v.choice, OrganisationKind, "soort", memo=True)
        self.iban = C(v.iban, "IBAN", memo=True)
        self.p_number = C(_identifier, "dossiernummer", 20, required="dossiernummer")
        self.p_bsn = C(_bsn, required="bsn")
        self.p_first_name = C(v.text, "voornaam", 100, memo=True)
        self.p_infix = C(v.text, "tussenvoegsel", 20, memo=True)
        self.p_last_name = C(v.text, "achternaam", 100, required="achternaam")
        self.p_birth_date = C(v.day_of, "geboortedatum", memo=True)
        self.p_street = C(v.text, "straat", 200, memo=True)
        self.p_house_number = C(v.house_number, memo=True)
        self.p_postcode = C(v.postcode, memo=True)
        self.p_city = C(v.text, "woonplaats", 100, memo=True)
        self.p_phone = C(_phone)
        self.p_email = C(v.email)
        self.p_start = C(v.day_of, "startdatum", memo=True)
        self.p_variant = C(v.choice, Variant, "variant", memo=True)
        self.p_buffer = C(_buffer, memo=True)
        self.p_paper = C(v.yes_no, "papieren_overzicht", memo=True)
        self.p_language = C(v.language, LANGUAGES, "taal", memo=True)
        self.p_contact = C(v.text, "contactpersoon", 200, memo=True)
        self.a_number = C(_identifier, "dossiernummer", 20, required="dossiernummer", memo=True)
        self.a_organisation = C(v.text, "organisatie", 200, memo=True)
        self.a_direction = C(v.choice, Direction, "richting", required="richting", memo=True)
        self.a_amount = C(v.cents, "bedrag", required="bedrag", memo=True)
        self.a_description = C(v.text, "omschrijving", 2000)
        self.a_category = C(self._category, required="rubriek", memo=True)
        self.a_day = C(v.whole_number, "dag_van_maand", 1, 31, memo=True)
        self.a_weekday = C(_weekday, memo=True)  # dag_van_maand of a weekly agreement
        self.a_frequency = C(v.choice, Frequency, "frequentie", required="frequentie", memo=True)
        self.a_start = C(v.day_of, "startdatum", required="startdatum", memo=True)
        self.a_end = C(v.day_of, "einddatum", memo=True)
        self.a_payment = C(v.choice, PaymentMethod, "betaalwijze", memo=True)
        self.a_term = C(v.text, "zoekterm", 140)

    # -- what the database already holds ------------------------------------------------------

    def _load_database(self) -> None:
        session = self.session
        self.db_participants: dict[str, int] = {}
        participant_keys: dict[int, str] = {}
        self.db_numbers: dict[str, str] = {}
        for pid, number in session.execute(select(Participant.id, Participant.number)):
            key = _fold(number)
            self.db_participants[key] = pid
            self.db_numbers[key] = number
            participant_keys[pid] = key

        self.db_organisations: dict[str, int] = {}
        self.organisation_names: dict[str, str] = {}  # folded → display, database and workbook
        organisation_keys: dict[int, str] = {}
        for oid, name in session.execute(select(Organisation.id, Organisation.name)):
            key = _fold(name)
            self.db_organisations.setdefault(key, oid)
            self.organisation_names.setdefault(key, name)
            organisation_keys[oid] = key

        self.db_accounts: dict[str, tuple[int, Owner]] = {}
        accounts = select(
            BankAccount.id, BankAccount.iban, BankAccount.organisation_id,
            BankAccount.participant_id,
        )
        for aid, iban, organisation_id, participant_id in session.execute(accounts):
            if organisation_id is not None:
                owner: Owner = ("org", organisation_keys[organisation_id])
            elif participant_id is not None:
                owner = ("participant", participant_keys[participant_id])
            else:
                owner = ("municipal", "")
            self.db_accounts[iban] = (aid, owner)

        self.employee_by_username: dict[str, int] = {}
        self.employees_by_name: dict[str, list[int]] = {}
        self.usernames: set[str] = set()
        for eid, name, username in session.execute(
            select(Employee.id, Employee.name, Employee.username)
        ):
            self.employee_by_username[_fold(username)] = eid
            self.employees_by_name.setdefault(_fold(name), []).append(eid)
            self.usernames.add(username.casefold())

        self.categories: dict[str, tuple[int, bool]] = {
            fold_category_name(name): (cid, mandatory)
            for cid, name, mandatory in session.execute(
                select(Category.id, Category.name, Category.mandatory)
            )
        }

    # -- helpers ----------------------------------------------------------------------------

    def _owner_text(self, owner: Owner) -> str:
        kind, key = owner
        if kind == "org":
            return f"organisatie {self.organisation_names.get(key, key)}"
        if kind == "participant":
            number = self.workbook_numbers.get(key) or self.db_numbers.get(key, key)
            return f"deelnemer {number}"
        return "de gemeente"

    def _account_owner(self, iban: str) -> tuple[Owner, str] | None:
        """Who owns a known IBAN, and where it is known from; None when it is new."""
        known = self.db_accounts.get(iban)
        if known is not None:
            return known[1], "database"
        new = self.new_accounts.get(iban)
        if new is not None:
            return new.owner, new.where
        return None

    def _add_account(self, check: _Row, iban: str, holder: str, owner: Owner,
                     where: str) -> None:
        """Register an IBAN for an owner; an IBAN already known elsewhere is an error."""
        known = self._account_owner(iban)
        if known is None:
            self.new_accounts[iban] = _NewAccount(iban, holder, owner, where)
        elif known[0] != owner:
            source = "" if known[1] == "database" else f" ({known[1]})"
            check.error(
                f"IBAN {validation.format_iban(iban)} is al bekend als rekening van "
                f"{self._owner_text(known[0])}{source}"
            )

    # -- Organisaties -------------------------------------------------------------------------

    def organisations(self, rows: list[OrganisationRow]) -> None:
        for r in rows:
            check = _Row(ORGANISATION_SHEET, r.row, self.problems)
            name = self.o_name(check, r.name)
            kvk = self.o_kvk(check, r.kvk)
            iban = self.iban(check, r.iban)
            kind = self.o_kind(check, r.kind)
            if name is None:
                continue
            key = _fold(name)
            self.organisation_names.setdefault(key, name)
            if key not in self.db_organisations:
                new = self.new_organisations.setdefault(key, _NewOrganisation(name=name))
                if kvk is not None:
                    if new.kvk is not None and new.kvk != kvk:
                        check.error(
                            f"KvK-nummer {kvk} van {name} verschilt van rij {new.kvk_row} "
                            f"({new.kvk})"
                        )
                    elif new.kvk is None:
                        new.kvk, new.kvk_row = kvk, r.row
                if kind is not None:
                    if new.kind is not None and new.kind != kind:
                        check.error(
                            f"Soort {kind.value} van {name} verschilt van rij {new.kind_row} "
                            f"({new.kind.value})"
                        )
                    elif new.kind is None:
                        new.kind, new.kind_row = kind, r.row
            if iban is not None:
                self._add_account(check, iban, name, ("org", key),
                                  f"{ORGANISATION_SHEET} rij {r.row}")

    # -- Deelnemers ---------------------------------------------------------------------------

    def participants(self, rows: list[ParticipantRow]) -> None:
        # Only the workbook's own BSNs are looked up (the others stay in the database).
        self.db_bsns = set(bsns_among(self.session, filter(None, map(_bsn_or_none, rows))))
        for r in rows:
            self._participant(r)

    def _participant(self, r: ParticipantRow) -> None:
        check = _Row(PARTICIPANT_SHEET, r.row, self.problems)
        number = self.p_number(check, r.number)
        bsn = self.p_bsn(check, r.bsn)
        first_name = self.p_first_name(check, r.first_name)
        infix = self.p_infix(check, r.infix)
        last_name = self.p_last_name(check, r.last_name)
        birth_date = self.p_birth_date(check, r.birth_date)
        street = self.p_street(check, r.street)
        house = self.p_house_number(check, r.house_number)
        postcode = self.p_postcode(check, r.postcode)
        city = self.p_city(check, r.city)
        phone = self.p_phone(check, r.phone)
        email = self.p_email(check, r.email)
        iban = self.iban(check, r.iban)
        start = self.p_start(check, r.start_date)
        variant = self.p_variant(check, r.variant)
        buffer = self.p_buffer(check, r.buffer)
        paper = self.p_paper(check, r.paper_overview)
        language = self.p_language(check, r.language)
        contact = self.p_contact(check, r.contact_person)

        key = None
        if number is not None:
            key = _fold(number)
            self.workbook_numbers.setdefault(key, number)
            if key in self.db_participants:
                check.error(f"Dossiernummer {number} bestaat al in de database")
            elif key in self.number_rows:
                check.error(f"Dossiernummer {number} staat ook op rij {self.number_rows[key]}")
            else:
                self.number_rows[key] = r.row
        if bsn is not None:
            if bsn in self.db_bsns:
                check.error(f"BSN {validation.mask_bsn(bsn)} hoort al bij een ander dossier in "
                            "de database")
            elif bsn in self.bsn_rows:
                check.error(f"BSN {validation.mask_bsn(bsn)} staat ook op rij "
                            f"{self.bsn_rows[bsn]}")
            else:
                self.bsn_rows[bsn] = r.row
        full_name = " ".join(p for p in (first_name, infix, last_name) if p)
        if iban is not None and key is not None and full_name:
            self._add_account(check, iban, full_name, ("participant", key),
                              f"{PARTICIPANT_SHEET} rij {r.row}")
        contact_id, new_contact = None, None
        if contact is not None:
            contact_id, new_contact = self._contact(check, contact)
        if not check.ok or key is None:
            return

        active = start is not None and start <= self.today
        self.new_participants.append(_NewParticipant(
            key,
            {
                "number": number,
                "bsn": bsn,
                "first_name": first_name,
                "infix": infix,
                "last_name": last_name,
                "birth_date": birth_date,
                "street": street,
                "house_number": house[0] if house else None,
                "house_number_suffix": house[1] if house else None,
                "postcode": postcode,
                "city": city,
                "phone": phone,
                "email": email,
                "start_date": start,
                "status": ParticipantStatus.ACTIVE if active else ParticipantStatus.REGISTERED,
                "variant": variant or Variant.FULL,
                "buffer_limit_cents": DEFAULT_BUFFER_CENTS if buffer is None else buffer,
                "paper_overview": bool(paper),
                "overview_language": language or "nl",
                "contact_employee_id": contact_id,
            },
            new_contact,
        ))

    def _contact(self, check: _Row, name: str) -> tuple[int | None, str | None]:
        """An existing employee by user name or name; else a new frontoffice employee."""
        key = _fold(name)
        if key in self.employee_by_username:
            return self.employee_by_username[key], None
        matches = self.employees_by_name.get(key, [])
        if len(matches) == 1:
            return matches[0], None
        if len(matches) > 1:
            check.error(f"Contactpersoon {name!r} is niet eenduidig: er zijn {len(matches)} "
                        "medewerkers met die naam; vul de gebruikersnaam in")
            return None, None
        if key not in self.new_employees:
            self.new_employees[key] = _NewEmployee(name, self._free_username(name))
        return None, key

    def _free_username(self, name: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = ".".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))[:55] or "medewerker"
        username, n = base, 1
        while username in self.usernames:
            n += 1
            username = f"{base}{n}"
        self.usernames.add(username)
        return username

    # -- Afspraken ----------------------------------------------------------------------------

    def agreements(self, rows: list[AgreementRow]) -> None:
        for r in rows:
            self._agreement(r)

    def _category(self, raw: object) -> tuple[int, bool]:
        found = self.categories.get(fold_category_name(str(raw)))
        if found is None:
            raise ValidationError(f"Onbekende rubriek: {raw!r}", "rubriek")
        return found

    def _agreement(self, r: AgreementRow) -> None:
        check = _Row(AGREEMENT_SHEET, r.row, self.problems)
        number = self.a_number(check, r.participant_number)
        organisation = self.a_organisation(check, r.organisation)
        iban = self.iban(check, r.counter_iban)
        direction = self.a_direction(check, r.direction)
        amount = self.a_amount(check, _expense_sign_dropped(r.amount, direction))
        description = self.a_description(check, r.description)
        category = self.a_category(check, r.category)
        weekly = self.a_frequency.peek(r.frequency) is Frequency.WEEK
        day = (self.a_weekday if weekly else self.a_day)(check, r.day)
        frequency = self.a_frequency(check, r.frequency)
        start = self.a_start(check, r.valid_from)
        end = self.a_end(check, r.valid_through)
        payment = self.a_payment(check, r.payment_method)
        terms: dict[str, str] = {}
        for term in split_terms(r.search_terms):
            cleaned = self.a_term(check, term)
            normalised = normalise_term(cleaned) if cleaned else ""
            if normalised:
                terms.setdefault(normalised, cleaned)
        if start is not None and end is not None:
            try:
                validation.period(start, end)
            except ValidationError as exc:
                check.error(str(exc))

        participant = None
        if number is not None:
            key = _fold(number)
            if key in self.workbook_numbers or key in self.db_participants:
                participant = key
            else:
                check.error(f"Dossiernummer {number} bestaat niet (niet op het werkblad "
                            f"{PARTICIPANT_SHEET} en niet in de database)")
        organisation_key = None
        if organisation is not None:
            organisation_key = _fold(organisation)
            if organisation_key not in self.organisation_names:
                check.error(f"Organisatie {organisation!r} bestaat niet (niet op het werkblad "
                            f"{ORGANISATION_SHEET} en niet in de database)")
                organisation_key = None
        if iban is not None and participant is not None and (
            organisation is None or organisation_key is not None
        ):
            self._counter_account(check, iban, participant, organisation_key, r.row)
        if not check.ok or participant is None:
            return
        category_id, mandatory = category
        self.new_agreements.append(_NewAgreement(
            participant,
            organisation_key,
            iban,
            {
                "category_id": category_id,
                "direction": direction,
                "amount_cents": amount,
                "frequency": frequency,
                "day": day,
                "description": description,
                "valid_from": start,
                "valid_through": end,
                "mandatory": mandatory,
                "payment_method": payment,
            },
            [(term, normalised) for normalised, term in terms.items()],
        ))

    def _counter_account(self, check: _Row, iban: str, participant: str,
                         organisation: str | None, row: int) -> None:
        wanted: Owner = ("org", organisation) if organisation else ("participant", participant)
        known = self._account_owner(iban)
        if known is None:
            if organisation is None:
                check.error(
                    f"Tegenrekening {validation.format_iban(iban)} is onbekend: vul de "
                    f"organisatie in, of zet het IBAN bij de deelnemer op het werkblad "
                    f"{PARTICIPANT_SHEET}"
                )
            else:
                self.new_accounts[iban] = _NewAccount(
                    iban, self.organisation_names[organisation], wanted,
                    f"{AGREEMENT_SHEET} rij {row}",
                )
        elif known[0] != wanted:
            check.error(
                f"Tegenrekening {validation.format_iban(iban)} hoort bij "
                f"{self._owner_text(known[0])}, niet bij {self._owner_text(wanted)}"
            )

    # -- Storing ------------------------------------------------------------------------------

    def store(self) -> ImportSummary:
        session, now = self.session, utcnow()
        summary = ImportSummary()

        employees = list(self.new_employees.values())
        for employee, eid in zip(employees, _allocate_ids(session, Employee, len(employees)),
                                 strict=True):
            employee.id = eid
        _insert(session, Employee, [
            {"id": e.id, "username": e.username, "name": e.name, "role": Role.FRONTOFFICE,
             "active": True}
            for e in employees
        ])
        summary.employees = len(employees)

        organisations = self.new_organisations
        organisation_ids = dict(self.db_organisations)
        for (key, organisation), oid in zip(
            organisations.items(), _allocate_ids(session, Organisation, len(organisations)),
            strict=True,
        ):
            organisation.id = organisation_ids[key] = oid
        _insert(session, Organisation, [
            {"id": o.id, "name": o.name, "kvk": o.kvk, "kind": o.kind or OrganisationKind.OTHER}
            for o in organisations.values()
        ])
        summary.organisations = len(organisations)

        participants = self.new_participants
        participant_ids = dict(self.db_participants)
        for participant, pid in zip(
            participants, _allocate_ids(session, Participant, len(participants)), strict=True
        ):
            participant.id = participant_ids[participant.key] = pid
            participant.values["id"] = pid
            participant.values["created_at"] = participant.values["updated_at"] = now
            participant.values["version"] = 1
            participant.values["search_name"] = search_name_of(participant.values)
            if participant.contact is not None:
                participant.values["contact_employee_id"] = (
                    self.new_employees[participant.contact].id
                )
        _insert(session, Participant, [p.values for p in participants])
        _insert(session, StatusChange, [
            {
                "participant_id": p.id,
                "status": p.values["status"],
                "date": p.values["start_date"]
                if p.values["status"] is ParticipantStatus.ACTIVE else self.today,
                "reason": "geïmporteerd uit de dossierwerkmap",
                "changed_by": self.actor,
                "changed_at": now,
            }
            for p in participants
        ])
        summary.participants = len(participants)

        accounts = self.new_accounts
        account_ids = {iban: aid for iban, (aid, _) in self.db_accounts.items()}
        rows = []
        for account, aid in zip(
            accounts.values(), _allocate_ids(session, BankAccount, len(accounts)), strict=True
        ):
            kind, key = account.owner
            account.id = account_ids[account.iban] = aid
            rows.append({
                "id": aid,
                "iban": account.iban,
                "holder_name": account.holder,
                "organisation_id": organisation_ids[key] if kind == "org" else None,
                "participant_id": participant_ids[key] if kind == "participant" else None,
                "is_municipal": False,
            })
        _insert(session, BankAccount, rows)
        summary.accounts = len(accounts)

        agreements = self.new_agreements
        rows, terms = [], []
        for agreement, aid in zip(
            agreements, _allocate_ids(session, Agreement, len(agreements)), strict=True
        ):
            values = agreement.values
            values["id"] = aid
            values["participant_id"] = participant_ids[agreement.participant]
            values["organisation_id"] = (
                organisation_ids[agreement.organisation] if agreement.organisation else None
            )
            values["counter_account_id"] = account_ids[agreement.account] if agreement.account \
                else None
            values["created_at"] = now
            values["version"] = 1
            rows.append(values)
            terms.extend(
                {"agreement_id": aid, "term": term, "normalised": normalised, "learned": False,
                 "created_by": self.actor, "created_at": now}
                for term, normalised in agreement.terms
            )
        _insert(session, Agreement, rows)
        _insert(session, SearchTerm, terms)
        summary.agreements = len(agreements)
        summary.search_terms = len(terms)
        return summary


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """All rows of a table at once, through the Core table: the ORM's bulk path would only add
    per-row bookkeeping."""
    insert_rows(session, model.__table__, rows)


def _allocate_ids(session: Session, model: type, count: int) -> list[int]:
    """Primary keys for ``count`` new rows, handed out before inserting them, so that rows
    without a natural key (agreements) can be referred to without reading them back.

    PostgreSQL: taken from the table's sequence, safe next to other writers. SQLite: the write
    transaction holds the database lock (BEGIN IMMEDIATE), so the numbers after max(id) are
    free; should another writer get in first anyway, the insert fails and nothing is stored.
    """
    if count == 0:
        return []
    table: Table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        ).all()
        return sorted(ids)
    start = session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    return list(range(start + 1, start + 1 + count))


def _expense_sign_dropped(raw: object, direction: Direction | None) -> object:
    """Some systems export payments as negative amounts: -424,10 with richting 'uitgave'
    means 424,10 out. A negative amount with richting 'inkomst' stays refused."""
    if direction is not Direction.EXPENSE:
        return raw
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool) and raw < 0:
        return -raw
    if isinstance(raw, str) and raw.strip().startswith("-"):
        return raw.strip()[1:]
    return raw


"""Dossiers: create, change and end participants; status steps; contact log; BSN access."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from app.errors import NotFoundError, ValidationError
from app.formatting import euro
from app.models import (
    AllowanceFrequency,
    BankAccount,
    ContactKind,
    ContactNote,
    DebtSituation,
    Employee,
    OverviewDelivery,
    Participant,
    ParticipantStatus,
    Payout,
    PayoutStatus,
    SelfReliance,
    StatusChange,
    Variant,
)
from app.models.employee import Role
from app.services import validation
from app.services.accounts import ensure_iban_free, store_account
from app.services.bsn import bsn_holder, reveal_bsn  # noqa: F401 - the dossier screen's reveal
from app.services.permissions import EVERYONE, requires
from app.services.saldo import saldo_cents
from app.services.signals import touch
from app.services.unit_of_work import UnitOfWork, changed, snapshot

S = ParticipantStatus
# The steps a dossier may take. 'opgezegd' can be withdrawn (back to actief); somebody can
# drop out before the agreement starts (aangemeld/intake → beëindigd).
TRANSITIONS: dict[ParticipantStatus, frozenset[ParticipantStatus]] = {
    S.REGISTERED: frozenset({S.INTAKE, S.ENDED}),
    S.INTAKE: frozenset({S.ACTIVE, S.ENDED}),
    S.ACTIVE: frozenset({S.CANCELLED}),
    S.CANCELLED: frozenset({S.ACTIVE, S.ENDED}),
    S.ENDED: frozenset(),
}
NEEDS_REASON = frozenset({S.CANCELLED, S.ENDED})

EDITABLE_FIELDS = (
    "number", "bsn", "initials", "first_name", "infix", "last_name", "birth_date", "street",
    "house_number", "house_number_suffix", "postcode", "city", "phone", "email", "start_date",
    "variant", "buffer_limit_cents", "allowance_cents", "allowance_frequency", "allowance_day",
    "paper_overview", "overview_delivery", "overview_language", "large_print",
    "contact_employee_id", "supporter_name", "supporter_organisation", "supporter_phone",
    "self_reliance", "debt_situation", "next_progress_talk",
)
LANGUAGES = ("nl", "en", "ar", "tr", "pl", "ti", "uk")  # those of app.reports.letter_texts
NUMBER_PREFIX = "HHB-"


def clean_participant(values: dict, *, today: date | None = None) -> dict:
    """Check and normalise dossier fields; raises ValidationError naming the field."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown participant fields: {sorted(unknown)}")
    today = today or date.today()
    out = dict(values)
    if "number" in out:
        validation.required(out["number"], "dossiernummer")
        out["number"] = validation.text(out["number"], "dossiernummer", 20).upper()
    if "bsn" in out:
        validation.required(out["bsn"], "BSN")
        out["bsn"] = validation.bsn(out["bsn"])
    if "last_name" in out:
        validation.required(out["last_name"], "achternaam")
    for key, label, size in (
        ("initials", "voorletters", 20), ("first_name", "voornaam", 100),
        ("infix", "tussenvoegsel", 20), ("last_name", "achternaam", 100),
        ("street", "straat", 200), ("city", "woonplaats", 100),
        ("house_number_suffix", "toevoeging", 10), ("supporter_name", "begeleider", 200),
        ("supporter_organisation", "organisatie begeleider", 200),
    ):
        if key in out:
            out[key] = validation.text(out[key], label, size)
    if out.get("infix"):
        out["infix"] = out["infix"].lower()  # 'van der', as written after a first name
    if "house_number" in out and out["house_number"] not in (None, ""):
        number, suffix = validation.house_number(out["house_number"])
        out["house_number"] = number
        if suffix and not out.get("house_number_suffix"):
            out["house_number_suffix"] = suffix
    elif "house_number" in out:
        out["house_number"] = None
    if out.get("postcode"):
        out["postcode"] = validation.postcode(out["postcode"])
    for key in ("phone", "supporter_phone"):
        if out.get(key):
            out[key] = validation.phone(out[key])
    if out.get("email"):
        out["email"] = validation.email(out["email"])
    for key, label in (("birth_date", "geboortedatum"), ("start_date", "startdatum"),
                       ("next_progress_talk", "datum voortgangsgesprek")):
        if out.get(key) not in (None, ""):
            out[key] = validation.day_of(out[key], label)
        elif key in out:
            out[key] = None
    if out.get("birth_date") and not (date(1900, 1, 1) <= out["birth_date"] <= today):
        raise ValidationError(
            f"Ongeldige geboortedatum: {out['birth_date']:%d-%m-%Y}", "geboortedatum"
        )
    for key, enum_class, label in (
        ("variant", Variant, "variant"),
        ("allowance_frequency", AllowanceFrequency, "frequentie leefgeld"),
        ("overview_delivery", OverviewDelivery, "bezorging overzicht"),
        ("self_reliance", SelfReliance, "zelfredzaamheid"),
        ("debt_situation", DebtSituation, "schuldsituatie"),
    ):
        if out.get(key) not in (None, ""):
            out[key] = validation.choice(out[key], enum_class, label)
        elif key in out and key in ("variant", "overview_delivery"):
            raise ValidationError(f"{label} is verplicht", label)
        elif key in out:
            out[key] = None
    for key, label in (("buffer_limit_cents", "buffer"), ("allowance_cents", "leefgeld")):
        if out.get(key) is not None:
            out[key] = validation.whole_cents(out[key], label)
    if "buffer_limit_cents" in out and out["buffer_limit_cents"] is None:
        raise ValidationError("buffer is verplicht", "buffer")
    for key in ("paper_overview", "large_print"):
        if key in out:
            out[key] = validation.yes_no(out[key], key.replace("_", " "))
    if "overview_language" in out and out["overview_language"] not in LANGUAGES:
        raise ValidationError(
            f"Ongeldige taal {out['overview_language']!r} (kies uit {', '.join(LANGUAGES)})",
            "taal",
        )
    return out


def _check_allowance_day(participant: Participant) -> None:
    day, frequency = participant.allowance_day, participant.allowance_frequency
    if day is None:
        return
    limit = 7 if frequency == AllowanceFrequency.WEEK else 31
    if not 1 <= day <= limit:
        what = "weekdag (1 = maandag … 7 = zondag)" if limit == 7 else "dag van de maand (1-31)"
        raise ValidationError(f"Ongeldige leefgelddag {day}: verwacht een {what}", "leefgelddag")


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, action="deelnemer aanmaken")
def create_participant(
    uow: UnitOfWork, *, registered_on: date | None = None, iban: str | None = None, **values
) -> int:
    """A new dossier, status 'aangemeld'. Without a dossier number the next free one is used."""
    values = clean_participant(values)
    for key, label in (("bsn", "BSN"), ("last_name", "achternaam")):
        validation.required(values.get(key), label)
    own_iban = validation.iban(iban, "IBAN deelnemer") if iban else None
    with uow:
        session = uow.session
        if not values.get("number"):
            values["number"] = next_dossier_number(session)
        _check_unique(uow, values)
        _check_employee(uow, values.get("contact_employee_id"))
        participant = Participant(**values)
        _check_allowance_day(participant)
        session.add(participant)
        session.flush()
        on = registered_on or date.today()
        session.add(StatusChange(participant_id=participant.id, status=S.REGISTERED, date=on,
                                 changed_by=uow.actor))
        if own_iban:
            ensure_iban_free(session, own_iban)
            session.add(BankAccount(iban=own_iban, holder_name=participant.full_name,
                                    participant_id=participant.id))
        uow.record("deelnemer aangemaakt", participant,
                   after={**snapshot(participant), "bsn": validation.mask_bsn(values["bsn"]),
                          "iban": own_iban})
        uow.commit()
        return participant.id


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, action="deelnemer wijzigen")
def update_participant(
    uow: UnitOfWork, participant_id: int, *, expected_version: int | None = None, **changes
) -> None:
    """Save edited dossier fields. ``expected_version`` is the version the screen showed."""
    changes = clean_participant(changes)
    with uow:
        participant = get_participant(uow, participant_id)
        uow.check_version(participant, expected_version)
        _check_unique(uow, changes, participant_id)
        _check_employee(uow, changes.get("contact_employee_id"))
        before = snapshot(participant)
        for key, value in changes.items():
            setattr(participant, key, value)
        _check_allowance_day(participant)
        before, after = changed(before, snapshot(participant, exclude=("updated_at", "version")))
        if "bsn" in changes:  # the BSN itself never goes into the log
            before["bsn"], after["bsn"] = "(vorig BSN)", validation.mask_bsn(changes["bsn"])
        touch(uow.session, [participant_id])  # buffer, next talk …
        uow.record("deelnemer gewijzigd", participant, before=before, after=after)
        uow.commit()


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, action="status van deelnemer wijzigen")
def change_status(
    uow: UnitOfWork,
    participant_id: int,
    new_status: ParticipantStatus | str,
    on: date,
    reason: str | None = None,
) -> None:
    """One step in aangemeld → intake → actief → opgezegd → beëindigd, with its date."""
    new_status = validation.choice(new_status, ParticipantStatus, "status")
    reason = validation.text(reason, "reden", 2000)
    with uow:
        participant = get_participant(uow, participant_id)
        if new_status == S.ENDED and participant.status == S.CANCELLED:
            _refuse_money_left(uow, participant, on)
        take_status_step(uow, participant, new_status, on, reason)
        uow.commit()


def _refuse_money_left(uow: UnitOfWork, participant: Participant, on: date) -> None:
    """A participation with a saldo or payments still to go ends with the final settlement
    (app.services.leaving), never with the bare status step."""
    saldo = saldo_cents(uow.session, participant.id, on)
    waiting = uow.session.scalar(select(func.count()).select_from(Payout).where(
        Payout.participant_id == participant.id,
        Payout.status.in_((PayoutStatus.PLANNED, PayoutStatus.HELD, PayoutStatus.IN_FILE,
                           PayoutStatus.RETURNED))))
    if saldo or waiting:
        raise ValidationError(
            f"Het saldo op {on:%d-%m-%Y} is {euro(saldo)}"
            + (f" en er staan nog {waiting} betaling(en) open" if waiting else "")
            + ": beëindig de deelname met de eindafrekening", "status")


def take_status_step(uow: UnitOfWork, participant: Participant, new_status: ParticipantStatus,
                     on: date, reason: str | None, *, allowed_anyway: bool = False) -> None:
    """The step itself, inside the caller's transaction (with its audit row).
    ``allowed_anyway``: the final settlement ends an active participation whose rules a
    person overrode (moved away, deceased) without the opzegging step."""
    old = participant.status
    if new_status not in TRANSITIONS[old] and not allowed_anyway:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "geen"
        raise ValidationError(
            f"Status {old.value!r} kan niet naar {new_status.value!r} "
            f"(wel naar: {allowed})", "status"
        )
    if new_status in NEEDS_REASON and not reason:
        raise ValidationError(f"Geef een reden bij {new_status.value!r}", "reden")
    last_step = max((c.date for c in participant.status_changes), default=None)
    if last_step and on < last_step:
        raise ValidationError(
            f"De datum {on:%d-%m-%Y} ligt vóór de vorige stap ({last_step:%d-%m-%Y})",
            "datum",
        )
    before = snapshot(participant)
    participant.status = new_status
    if new_status == S.ACTIVE:
        participant.start_date = participant.start_date or on
        participant.exit_reason = None  # an opzegging withdrawn
    if new_status == S.CANCELLED:
        participant.exit_reason = reason
    if new_status == S.ENDED:
        participant.end_date = on
        participant.exit_reason = reason or participant.exit_reason
    uow.session.add(StatusChange(participant_id=participant.id, status=new_status, date=on,
                                 reason=reason, changed_by=uow.actor))
    before, after = changed(before, snapshot(participant, exclude=("updated_at", "version")))
    touch(uow.session, [participant.id])
    uow.record(f"status {new_status.value}", participant, before=before, after=after)


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, action="deelname beëindigen")
def end_participant(uow: UnitOfWork, participant_id: int, on: date, reason: str) -> None:
    """Beëindigen: the last step of a dossier."""
    change_status(uow, participant_id, S.ENDED, on, reason)


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, Role.TEAMLEADER, action="notitie toevoegen")
def add_contact_note(
    uow: UnitOfWork, participant_id: int, text: str, kind: ContactKind | str = ContactKind.PHONE
) -> int:
    validation.required(text, "notitie")
    if len(text) > 10_000:
        raise ValidationError("De notitie is te lang (meer dan 10.000 tekens)", "notitie")
    kind = validation.choice(kind, ContactKind, "soort contact")
    with uow:
        participant = get_participant(uow, participant_id)
        note = ContactNote(participant_id=participant.id, kind=kind, text=text.strip(),
                           author=uow.actor)
        uow.session.add(note)
        uow.record("notitie toegevoegd", note, after=snapshot(note))
        uow.commit()
        return note.id


@requires(Role.FRONTOFFICE, Role.BACKOFFICE, action="rekening van deelnemer toevoegen")
def add_participant_account(uow: UnitOfWork, participant_id: int, iban: str) -> int:
    iban = validation.iban(iban, "IBAN deelnemer")
    with uow:
        participant = get_participant(uow, participant_id)
        return store_account(uow, "rekening deelnemer toegevoegd", iban, participant.full_name,
                             participant_id=participant.id)


@requires(*EVERYONE, action="dossier openen")
def open_dossier(uow: UnitOfWork, participant_id: int) -> None:
    """Opening a dossier shows personal data (it holds a BSN): that is logged."""
    with uow:
        participant = get_participant(uow, participant_id)
        uow.record("dossier geopend", participant)
        uow.commit()


def get_participant(uow: UnitOfWork, participant_id: int) -> Participant:
    participant = uow.session.get(Participant, participant_id)
    if participant is None:
        raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
    return participant


def next_dossier_number(session) -> str:
    numbers = session.scalars(
        select(Participant.number).where(Participant.number.like(f"{NUMBER_PREFIX}%"))
    )
    highest = max(
        (int(m.group(1)) for n in numbers if (m := re.fullmatch(r"HHB-(\d+)", n))), default=0
    )
    return f"{NUMBER_PREFIX}{highest + 1:05d}"


def _check_unique(uow: UnitOfWork, values: dict, own_id: int | None = None) -> None:
    if "number" in values:
        query = select(Participant.number).where(Participant.number == values["number"])
        if own_id is not None:
            query = query.where(Participant.id != own_id)
        if uow.session.scalar(query):
            raise ValidationError(f"Het dossiernummer {values['number']} is al in gebruik "
                                  f"(dossier {values['number']})", "dossiernummer")
    if "bsn" in values:
        other = bsn_holder(uow.session, values["bsn"], own_id)
        if other:
            shown = validation.mask_bsn(values["bsn"])
            error = ValidationError(f"Het BSN {shown} is al in gebruik (dossier {other})", "BSN")
            # Finding out who has a BSN leaves a trace, even when nothing is saved.
            error.refusal = ("BSN al in gebruik", Participant.__tablename__,
                             {"bsn": shown, "dossier": other})
            raise error


def _check_employee(uow: UnitOfWork, employee_id: int | None) -> None:
    if employee_id is not None and uow.session.get(Employee, employee_id) is None:
        raise ValidationError(f"Medewerker {employee_id} bestaat niet", "contactpersoon")

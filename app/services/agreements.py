"""Agreements (afspraken) and their search terms (zoektermen)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError, ValidationError
from app.importers.terms import normalise_term
from app.models import (
    Agreement,
    BankAccount,
    Category,
    Direction,
    Frequency,
    Organisation,
    Participant,
    PaymentMethod,
    SearchTerm,
)
from app.models.employee import Role
from app.services import validation
from app.services.matching import rematch_open_queue
from app.services.permissions import requires
from app.services.signals import touch
from app.services.unit_of_work import UnitOfWork, changed, snapshot

EDITABLE_FIELDS = (
    "organisation_id", "counter_account_id", "category_id", "direction", "amount_cents",
    "tolerance_percent", "frequency", "day", "description", "valid_from", "valid_through",
    "payment_method",
)


def find_category(session: Session, name_or_id: str | int) -> Category:
    """A rubriek by id or by name; case, spaces and underscores do not matter."""
    if isinstance(name_or_id, int):
        category = session.get(Category, name_or_id)
    else:
        wanted = fold_category_name(name_or_id)
        category = next(
            (c for c in session.scalars(select(Category)) if fold_category_name(c.name) == wanted),
            None,
        )
    if category is None:
        raise ValidationError(f"Onbekende rubriek: {name_or_id!r}", "rubriek")
    return category


def usable_category(session: Session, name_or_id: str | int,
                    current_id: int | None = None) -> Category:
    """A category that may be chosen now: an active one, or the one already chosen (an old
    agreement keeps its deactivated category when it is edited)."""
    chosen = find_category(session, name_or_id)
    refuse_inactive_category(chosen, current_id)
    return chosen


def refuse_inactive_category(category: Category, current_id: int | None = None) -> None:
    """A deactivated category is no choice any more, except where it already stands."""
    if not category.active and category.id != current_id:
        raise ValidationError(f"De rubriek '{category.name}' is niet meer in gebruik.",
                              "rubriek")


def fold_category_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def clean_agreement(values: dict) -> dict:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")
    out = dict(values)
    if "direction" in out:
        out["direction"] = validation.choice(out["direction"], Direction, "richting")
    if "frequency" in out:
        out["frequency"] = validation.choice(out["frequency"], Frequency, "frequentie")
    if "amount_cents" in out:
        out["amount_cents"] = validation.whole_cents(out["amount_cents"], "bedrag")
        if out["amount_cents"] == 0:
            raise ValidationError("Ongeldig bedrag: moet groter dan 0 zijn", "bedrag")
    if out.get("tolerance_percent") is not None:
        out["tolerance_percent"] = validation.percent(out["tolerance_percent"])
    for key, label in (("valid_from", "startdatum"), ("valid_through", "einddatum")):
        if out.get(key) not in (None, ""):
            out[key] = validation.day_of(out[key], label)
        elif key in out:
            out[key] = None
    if "valid_from" in out and out["valid_from"] is None:
        raise ValidationError("startdatum is verplicht", "startdatum")
    if "description" in out:
        out["description"] = validation.text(out["description"], "omschrijving", 2000)
    if out.get("payment_method") in (None, ""):
        if "payment_method" in out:
            out["payment_method"] = None
    else:
        out["payment_method"] = validation.choice(out["payment_method"], PaymentMethod,
                                                  "betaalwijze")
    return out


def _check_agreement(session: Session, agreement: Agreement) -> None:
    """Rules that involve several fields or other records."""
    validation.period(agreement.valid_from, agreement.valid_through)
    if agreement.day is not None:
        weekly = agreement.frequency == Frequency.WEEK
        limit = 7 if weekly else 31
        if not 1 <= agreement.day <= limit:
            expected = "een weekdag (1-7)" if weekly else "een dag van de maand (1-31)"
            raise ValidationError(f"Ongeldige dag {agreement.day}: verwacht {expected}", "dag")
    if agreement.organisation_id is not None and (
        session.get(Organisation, agreement.organisation_id) is None
    ):
        raise ValidationError(f"Organisatie {agreement.organisation_id} bestaat niet",
                              "organisatie")
    if agreement.counter_account_id is not None:
        account = session.get(BankAccount, agreement.counter_account_id)
        if account is None:
            raise ValidationError("Die tegenrekening bestaat niet", "tegenrekening")
        owned = (
            account.organisation_id == agreement.organisation_id
            if agreement.organisation_id is not None
            else account.participant_id == agreement.participant_id
        )
        if not owned:
            whose = "de organisatie" if agreement.organisation_id else "de deelnemer"
            raise ValidationError(
                f"Tegenrekening {validation.format_iban(account.iban)} is niet van {whose}",
                "tegenrekening",
            )


@requires(Role.BACKOFFICE, action="afspraak aanmaken")
def create_agreement(
    uow: UnitOfWork,
    participant_id: int,
    *,
    category: str | int,
    search_terms: list[str] = (),
    **values,
) -> int:
    values = clean_agreement(values)
    for key, label in (("direction", "richting"), ("amount_cents", "bedrag"),
                       ("frequency", "frequentie"), ("valid_from", "startdatum")):
        validation.required(values.get(key), label)
    with uow:
        session = uow.session
        if session.get(Participant, participant_id) is None:
            raise NotFoundError(f"Deelnemer {participant_id} bestaat niet")
        chosen = usable_category(session, category)
        agreement = Agreement(participant_id=participant_id, category_id=chosen.id,
                              mandatory=chosen.mandatory, **values)
        _check_agreement(session, agreement)
        session.add(agreement)
        for term in _clean_terms(search_terms):
            agreement.search_terms.append(_new_term(term, uow.actor, learned=False))
        touch(session, [participant_id])
        uow.record("afspraak aangemaakt", agreement,
                   after={**snapshot(agreement), "zoektermen": list(search_terms)})
        rematch_open_queue(uow)
        uow.commit()
        return agreement.id


@requires(Role.BACKOFFICE, action="afspraak wijzigen")
def update_agreement(uow: UnitOfWork, agreement_id: int, **changes) -> None:
    category = changes.pop("category", None)
    changes = clean_agreement(changes)
    with uow:
        agreement = get_agreement(uow.session, agreement_id)
        before = snapshot(agreement)
        for key, value in changes.items():
            setattr(agreement, key, value)
        if category is not None:
            chosen = usable_category(uow.session, category, agreement.category_id)
            agreement.category_id, agreement.mandatory = chosen.id, chosen.mandatory
        _check_agreement(uow.session, agreement)
        before, after = changed(before, snapshot(agreement, exclude=("version",)))
        touch(uow.session, [agreement.participant_id])
        uow.record("afspraak gewijzigd", agreement, before=before, after=after)
        rematch_open_queue(uow)
        uow.commit()


@requires(Role.BACKOFFICE, action="afspraak beëindigen")
def end_agreement(uow: UnitOfWork, agreement_id: int, last_day: date) -> None:
    """An agreement that ended does not take later money."""
    with uow:
        agreement = get_agreement(uow.session, agreement_id)
        before = snapshot(agreement)
        agreement.valid_through = last_day
        validation.period(agreement.valid_from, last_day)
        before, after = changed(before, snapshot(agreement, exclude=("version",)))
        touch(uow.session, [agreement.participant_id])
        uow.record("afspraak beëindigd", agreement, before=before, after=after)
        rematch_open_queue(uow)
        uow.commit()


@requires(Role.BACKOFFICE, action="zoekterm toevoegen")
def add_search_term(uow: UnitOfWork, agreement_id: int, term: str, *, learned: bool = False
                    ) -> int:
    validation.required(term, "zoekterm")
    [term] = _clean_terms([term])
    with uow:
        agreement = get_agreement(uow.session, agreement_id)
        if any(t.normalised == normalise_term(term) for t in agreement.search_terms):
            raise ValidationError(f"De afspraak heeft de zoekterm {term!r} al", "zoekterm")
        search_term = _new_term(term, uow.actor, learned=learned)
        agreement.search_terms.append(search_term)
        uow.session.flush()  # the row then names its agreement (and its own id)
        uow.record("zoekterm toegevoegd", search_term, after=snapshot(search_term))
        rematch_open_queue(uow)
        uow.commit()
        return search_term.id


@requires(Role.BACKOFFICE, action="zoekterm verwijderen")
def remove_search_term(uow: UnitOfWork, search_term_id: int) -> None:
    """Forget a term, learned or typed: a wrong mapping must always be removable."""
    with uow:
        term = uow.session.get(SearchTerm, search_term_id)
        if term is None:
            raise NotFoundError(f"Zoekterm {search_term_id} bestaat niet")
        before = snapshot(term)
        uow.session.delete(term)
        uow.record("zoekterm verwijderd", "agreement_search_terms", search_term_id,
                   before=before)
        rematch_open_queue(uow)
        uow.commit()


def get_agreement(session: Session, agreement_id: int) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError(f"Afspraak {agreement_id} bestaat niet")
    return agreement


def count_agreements(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Agreement)) or 0


def _clean_terms(terms: list[str]) -> list[str]:
    cleaned = []
    for term in terms:
        term = " ".join(str(term).split())
        if not term:
            continue
        if len(term) > 140:
            raise ValidationError(f"Zoekterm te lang: {term[:20]}…", "zoekterm")
        if not normalise_term(term):
            raise ValidationError(f"Zoekterm zonder letters of cijfers: {term!r}", "zoekterm")
        cleaned.append(term)
    return cleaned


def _new_term(term: str, actor: str, *, learned: bool) -> SearchTerm:
    return SearchTerm(term=term, normalised=normalise_term(term), learned=learned,
                      created_by=actor)


"""Organisations (ketenpartners), their bank accounts, and the municipal accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from app.errors import NotFoundError, ValidationError
from app.models import BankAccount, Organisation, OrganisationKind
from app.models.employee import Role
from app.services import validation
from app.services.accounts import ensure_iban_free, store_account
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork, changed, snapshot

ORGANISATION_FIELDS = ("name", "kvk", "kind", "street", "house_number", "postcode", "city",
                       "phone")


def clean_organisation(values: dict) -> dict:
    unknown = set(values) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    out = dict(values)
    if "name" in out:
        validation.required(out["name"], "naam")
        out["name"] = validation.text(out["name"], "naam", 200)
    if out.get("kvk"):
        out["kvk"] = validation.kvk(out["kvk"])
    if "kind" in out:
        out["kind"] = validation.choice(out["kind"] or "overig", OrganisationKind, "soort")
    if out.get("postcode"):
        out["postcode"] = validation.postcode(out["postcode"])
    if out.get("phone"):
        out["phone"] = validation.phone(out["phone"])
    for key in ("street", "house_number", "city"):
        if key in out:
            out[key] = validation.text(out[key], key, 200)
    return out


@requires(Role.BACKOFFICE, Role.ADMIN, action="organisatie aanmaken")
def create_organisation(uow: UnitOfWork, *, ibans: list[str] = (), **values) -> int:
    values = clean_organisation(values)
    validation.required(values.get("name"), "naam")
    accounts = [validation.iban(i) for i in ibans]
    with uow:
        _check_name_free(uow, values["name"])
        organisation = Organisation(**values)
        uow.session.add(organisation)
        for iban in accounts:
            ensure_iban_free(uow.session, iban)
            organisation.accounts.append(BankAccount(iban=iban, holder_name=values["name"]))
        uow.record(
            "organisatie aangemaakt", organisation,
            after={**snapshot(organisation), "ibans": accounts},
        )
        uow.commit()
        return organisation.id


@requires(Role.BACKOFFICE, Role.ADMIN, action="organisatie wijzigen")
def update_organisation(uow: UnitOfWork, organisation_id: int, **changes) -> None:
    changes = clean_organisation(changes)
    with uow:
        organisation = _get(uow, organisation_id)
        if "name" in changes and changes["name"].lower() != organisation.name.lower():
            _check_name_free(uow, changes["name"])
        before = snapshot(organisation)
        for key, value in changes.items():
            setattr(organisation, key, value)
        before, after = changed(before, snapshot(organisation))
        uow.record("organisatie gewijzigd", organisation, before=before, after=after)
        uow.commit()


@requires(Role.BACKOFFICE, Role.ADMIN, action="rekening van organisatie toevoegen")
def add_organisation_account(uow: UnitOfWork, organisation_id: int, iban: str) -> int:
    iban = validation.iban(iban)
    with uow:
        organisation = _get(uow, organisation_id)
        return store_account(uow, "rekening toegevoegd", iban, organisation.name,
                             organisation_id=organisation.id)


def _get(uow: UnitOfWork, organisation_id: int) -> Organisation:
    organisation = uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFoundError(f"Organisatie {organisation_id} bestaat niet")
    return organisation


def _check_name_free(uow: UnitOfWork, name: str) -> None:
    if uow.session.scalar(
        select(func.count()).where(func.lower(Organisation.name) == name.lower())
    ):
        raise ValidationError(f"Er is al een organisatie met de naam {name!r}", "naam")

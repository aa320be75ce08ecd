"""Bank accounts: the municipal (shared) accounts and the one-owner rule for every IBAN."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.models import BankAccount
from app.models.employee import Role
from app.services import validation
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork, snapshot


@requires(Role.ADMIN, action="gemeentelijke rekening toevoegen")
def add_municipal_account(uow: UnitOfWork, iban: str, name: str) -> int:
    """``accounts add IBAN --name NAME``: a shared account whose statements are imported."""
    iban = validation.iban(iban)
    validation.required(name, "naam")
    with uow:
        return store_account(uow, "gemeentelijke rekening toegevoegd", iban,
                             validation.text(name, "naam", 200), is_municipal=True)


def store_account(uow: UnitOfWork, action: str, iban: str, holder_name: str, **owner) -> int:
    """Inside an open unit of work: add the account of one owner (organisation_id=…,
    participant_id=… or is_municipal=True), audit it and commit."""
    ensure_iban_free(uow.session, iban)
    account = BankAccount(iban=iban, holder_name=holder_name, **owner)
    uow.session.add(account)
    uow.record(action, account, after=snapshot(account))
    uow.commit()
    return account.id


def describe_owner(account: BankAccount) -> str:
    if account.is_municipal:
        return "de gemeente"
    if account.organisation is not None:
        return f"organisatie {account.organisation.name}"
    return f"deelnemer {account.participant.number}"


def ensure_iban_free(session: Session, iban: str) -> None:
    """An IBAN has one owner; saying whose it is helps the clerk find the mistake."""
    account = session.scalar(select(BankAccount).where(BankAccount.iban == iban))
    if account is not None:
        raise ValidationError(
            f"IBAN {validation.format_iban(iban)} is al geregistreerd "
            f"(van {describe_owner(account)})",
            "IBAN",
        )

"""Categories (rubrieken): add, rename, make inactive or active again (beheerder).

A category is never deleted: bookings and agreements refer to it. An inactive one is no longer
offered for new agreements and bookings, and stays on everything booked with it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.errors import NotFoundError, ValidationError
from app.models import Category, CategoryKind
from app.models.employee import Role
from app.services import validation
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork, changed, snapshot

# The program itself looks these up by name (leefgeld payouts, the queue's "onbekend —
# terugstorten"): they keep their name and stay active.
PROGRAM_CATEGORIES = ("leefgeld", "onbekend")


@requires(Role.ADMIN, action="rubriek toevoegen")
def add_category(uow: UnitOfWork, name: str, kind: CategoryKind | str) -> int:
    name = _clean_name(name)
    kind = validation.choice(kind, CategoryKind, "soort")
    with uow:
        _check_name_free(uow, name)
        category = Category(name=name, kind=kind, mandatory=False, active=True)
        uow.session.add(category)
        uow.record("rubriek toegevoegd", category, after=snapshot(category))
        uow.commit()
        return category.id


@requires(Role.ADMIN, action="rubriek hernoemen")
def rename_category(uow: UnitOfWork, category_id: int, name: str) -> None:
    name = _clean_name(name)
    with uow:
        category = _get(uow, category_id)
        if category.name == name:
            raise ValidationError("De rubriek heet al zo", "naam")
        if category.name in PROGRAM_CATEGORIES:
            raise ValidationError(
                f"De rubriek {category.name!r} gebruikt het programma zelf; die houdt haar naam",
                "naam")
        if name.lower() != category.name.lower():
            _check_name_free(uow, name)
        before = snapshot(category)
        category.name = name
        before, after = changed(before, snapshot(category))
        uow.record("rubriek hernoemd", category, before=before, after=after)
        uow.commit()


@requires(Role.ADMIN, action="rubriek (de)activeren")
def set_category_active(uow: UnitOfWork, category_id: int, active: bool) -> None:
    """Make a category inactive (no longer offered) or active again."""
    with uow:
        category = _get(uow, category_id)
        if category.active == active:
            state = "actief" if active else "inactief"
            raise ValidationError(f"De rubriek {category.name!r} is al {state}", "actief")
        if not active and category.name in PROGRAM_CATEGORIES:
            raise ValidationError(
                f"De rubriek {category.name!r} gebruikt het programma zelf; die blijft actief",
                "actief")
        if not active and category.mandatory:
            raise ValidationError(
                f"De rubriek {category.name!r} is verplicht bij variant 'volledig' en blijft "
                "actief", "actief")
        category.active = active
        uow.record("rubriek geactiveerd" if active else "rubriek gedeactiveerd", category,
                   before={"active": not active}, after={"active": active})
        uow.commit()


def _clean_name(name: str) -> str:
    validation.required(name, "naam")
    return validation.text(name, "naam", 100)


def _get(uow: UnitOfWork, category_id: int) -> Category:
    category = uow.session.get(Category, category_id)
    if category is None:
        raise NotFoundError(f"Rubriek {category_id} bestaat niet")
    return category


def _check_name_free(uow: UnitOfWork, name: str) -> None:
    if uow.session.scalar(select(func.count()).where(func.lower(Category.name) == name.lower())):
        raise ValidationError(f"Er is al een rubriek met de naam {name!r}", "naam")

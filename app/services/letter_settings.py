"""Letter settings (municipality name, sender line, phone, logo, envelope window) in the
``settings`` key/value table; a missing key has the default of ``LetterSettings``."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.models import Setting
from app.models.employee import Role
from app.reports.letter import LetterSettings
from app.services import validation
from app.services.letter_templates import texts_for_print
from app.services.permissions import requires
from app.services.unit_of_work import UnitOfWork

# Setting key per field; Dutch, as a beheerder sees them in the table.
KEYS = {
    "municipality": "brief.gemeente",
    "department": "brief.afdeling",
    "sender_line": "brief.afzender",
    "phone": "brief.telefoon",
    "logo": "brief.logo",
    "window_left_mm": "brief.venster.links_mm",
    "window_top_mm": "brief.venster.boven_mm",
    "window_width_mm": "brief.venster.breedte_mm",
    "window_height_mm": "brief.venster.hoogte_mm",
}
# Plausible limits (mm) for envelope windows on A4 (210 × 297 mm).
WINDOW_LIMITS = {
    "window_left_mm": ("venster links", 5.0, 120.0),
    "window_top_mm": ("venster boven", 35.0, 150.0),  # below the letterhead
    "window_width_mm": ("vensterbreedte", 40.0, 150.0),
    "window_height_mm": ("vensterhoogte", 15.0, 80.0),
}
TEXT_LIMITS = {
    "municipality": ("naam gemeente", 80),
    "department": ("afdeling", 80),
    "sender_line": ("afzenderregel", 120),
    "phone": ("telefoonnummer", 30),
    "logo": ("logo", 500),
}


def load_letter_settings(session: Session) -> LetterSettings:
    stored = dict(session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(KEYS.values()))).all())
    defaults = LetterSettings()
    values = {}
    for name, key in KEYS.items():
        if key not in stored:
            continue
        if name in WINDOW_LIMITS:
            try:
                values[name] = float(stored[key])
            except ValueError:
                continue  # a hand-edited value that is no number: keep the default
        else:
            values[name] = (stored[key] or None) if name == "logo" else stored[key]
    # The print run's sentences: the shipped texts with the municipality's own (Brieven).
    return replace(defaults, **values, texts=texts_for_print(session))


def clean_letter_settings(values: dict) -> dict:
    names = {f.name for f in fields(LetterSettings)}
    unknown = set(values) - names
    if unknown:
        raise TypeError(f"unknown letter settings: {sorted(unknown)}")
    out = {}
    for name, value in values.items():
        if name in WINDOW_LIMITS:
            label, low, high = WINDOW_LIMITS[name]
            try:
                number = float(str(value).replace(",", "."))
            except ValueError:
                raise ValidationError(f"Ongeldige {label}: {value!r} (een getal in mm)",
                                      label) from None
            if not low <= number <= high:
                raise ValidationError(
                    f"Ongeldige {label}: {number:g} mm (tussen {low:g} en {high:g})", label)
            out[name] = round(number, 1)
        else:
            label, size = TEXT_LIMITS[name]
            out[name] = validation.text(value, label, size)
            if name == "municipality" and not out[name]:
                raise ValidationError("De naam van de gemeente is verplicht", label)
            if name == "logo" and out[name] and not Path(out[name]).is_file():
                raise ValidationError(f"Logo {out[name]!r} bestaat niet", label)
    return out


@requires(Role.ADMIN, action="briefinstellingen wijzigen")
def save_letter_settings(uow: UnitOfWork, **changes) -> LetterSettings:
    """The beheerder changes the letter settings; one audit row with before and after."""
    cleaned = clean_letter_settings(changes)
    with uow:
        session = uow.session
        before = load_letter_settings(session)
        after = replace(before, **cleaned)
        wx, wy, ww, wh = (after.window_left_mm, after.window_top_mm, after.window_width_mm,
                          after.window_height_mm)
        if wx + ww > 200 or wy + wh > 160:
            raise ValidationError("Het venster valt buiten het bovenste deel van het A4-blad",
                                  "venster")
        changed_names = [n for n in cleaned if getattr(before, n) != getattr(after, n)]
        for name in changed_names:
            value = getattr(after, name)
            text = "" if value is None else (f"{value:g}" if isinstance(value, float)
                                             else str(value))
            setting = session.get(Setting, KEYS[name])
            if setting is None:
                session.add(Setting(key=KEYS[name], value=text))
            else:
                setting.value = text
        old, new = asdict(before), asdict(after)
        uow.record("briefinstellingen gewijzigd", "settings", "brief",
                   before={n: old[n] for n in changed_names},
                   after={n: new[n] for n in changed_names})
        uow.commit()
        return after

"""Field rules with clear Dutch messages. Each cleaner returns the normalised value or raises
ValidationError naming the field; services and the workbook import use the same ones."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import postcode as stdnum_postcode

from app.errors import ValidationError

E = TypeVar("E", bound=enum.Enum)


def required(value: object, label: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"{label} is verplicht", label)


def text(value: object, label: str, max_length: int) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(str(value).split())
    if len(cleaned) > max_length:
        raise ValidationError(f"{label} is te lang (meer dan {max_length} tekens)", label)
    return cleaned or None


def iban(value: str, label: str = "IBAN") -> str:
    """The electronic form (no spaces, capitals) of a valid IBAN."""
    try:
        return IBAN(str(value)).compact
    except (SchwiftyException, ValueError):
        raise ValidationError(f"Ongeldig {label}: {value!r}", label) from None


def format_iban(compact: str) -> str:
    """Groups of four for reading: NL91 ABNA 0417 1643 00."""
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def bsn(value: object) -> str:
    digits = re.sub(r"[\s.\-]", "", str(value))
    if digits.isdigit() and len(digits) < 9:
        digits = digits.zfill(9)  # a spreadsheet drops leading zeros
    try:
        return stdnum_bsn.validate(digits)
    except StdnumError:
        raise ValidationError(
            f"Ongeldig BSN {mask_bsn(digits)}: voldoet niet aan de 11-proef", "BSN"
        ) from None


def mask_bsn(value: str) -> str:
    """Show only the last three digits, for messages and screens."""
    return "******" + value[-3:] if len(value) >= 3 else "***"


def postcode(value: str) -> str:
    try:
        return stdnum_postcode.validate(str(value))  # "1234 AB"
    except StdnumError:
        raise ValidationError(f"Ongeldige postcode: {value!r} (verwacht 1234 AB)", "postcode")\
            from None


def kvk(value: object) -> str:
    digits = re.sub(r"\s", "", str(value))
    if digits.isdigit() and len(digits) == 7:
        digits = "0" + digits  # a spreadsheet drops the leading zero
    if not re.fullmatch(r"\d{8}", digits):
        raise ValidationError(f"Ongeldig KvK-nummer: {value!r} (8 cijfers)", "KvK-nummer")
    return digits


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise ValidationError(f"Ongeldig e-mailadres: {value!r}", "e-mail")
    return value


def phone(value: object) -> str:
    cleaned = str(value).strip()
    if not re.fullmatch(r"\+?[\d\s\-()]{6,20}", cleaned):
        raise ValidationError(f"Ongeldig telefoonnummer: {value!r}", "telefoon")
    return cleaned


def house_number(value: object) -> tuple[int, str | None]:
    """'12', '12A', '12-2', '12 bis' → (12, suffix)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        value = int(value)
    match = re.fullmatch(r"\s*(\d{1,5})\s*[-\s]?\s*([A-Za-z0-9\-\s]{0,10}?)\s*", str(value))
    if not match or int(match.group(1)) == 0:
        raise ValidationError(f"Ongeldig huisnummer: {value!r}", "huisnummer")
    return int(match.group(1)), (match.group(2).upper() or None)


def day_of(value: object, label: str) -> date:
    """A date from a date, a datetime or text as 2026-01-31 or 31-01-2026."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValidationError(f"Ongeldige {label}: {raw!r} (verwacht dd-mm-jjjj)", label)


def period(start: date, end: date | None, what: str = "De afspraak") -> None:
    if end is not None and end < start:
        raise ValidationError(
            f"{what} eindigt ({end:%d-%m-%Y}) vóór de startdatum ({start:%d-%m-%Y})",
            "einddatum",
        )


def cents(value: object, label: str = "bedrag", *, allow_zero: bool = False) -> int:
    """Euros (number, '1234.56', '1.234,56', '€ 12,50') to integer cents, never via float
    arithmetic; negative amounts are refused (the direction says which way money goes)."""
    if isinstance(value, bool):
        raise ValidationError(f"Ongeldig {label}: {value!r}", label)
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float | Decimal):
        amount = Decimal(str(value))  # str() of an Excel float is its shortest exact text
    else:
        raw = str(value).replace("€", "").replace("\u00a0", "").strip().replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d{1,2})?|-?\d+,\d{1,2}", raw):
            raw = raw.replace(".", "").replace(",", ".")  # Dutch notation
        elif re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d{1,2}", raw):  # 1,234.56; not 12,345
            raw = raw.replace(",", "")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(f"Ongeldig {label}: {value!r}", label) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(f"Ongeldig {label}: {value!r} (hooguit 2 decimalen)", label)
    if amount < 0 and allow_zero:
        raise ValidationError(f"Ongeldig {label}: {value!r} (mag niet negatief zijn)", label)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(f"Ongeldig {label}: {value!r} (moet groter dan 0 zijn)", label)
    if amount >= Decimal("100000000"):
        raise ValidationError(f"Ongeldig {label}: {value!r} (te groot)", label)
    return int(amount * 100)


def whole_number(value: object, label: str, low: int, high: int) -> int:
    """A whole number from low to high inclusive: 5, 5.0 and '5' are the same."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,9}", raw) or not low <= int(raw) <= high:
        raise ValidationError(
            f"Ongeldige {label}: {value!r} (een geheel getal van {low} tot en met {high})", label
        )
    return int(raw)


def percent(value: object, label: str = "marge") -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        raise ValidationError(f"Ongeldige {label}: {value!r}", label) from None
    if not (0 <= amount <= 100):
        raise ValidationError(f"Ongeldige {label}: {value!r} (0 tot 100%)", label)
    return amount.quantize(Decimal("0.01"))


def yes_no(value: object, label: str) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value).strip().lower()
    if raw in {"ja", "j", "yes", "y", "1", "true", "waar", "x"}:
        return True
    if raw in {"nee", "n", "no", "0", "false", "onwaar", ""}:
        return False
    raise ValidationError(f"Ongeldige waarde voor {label}: {value!r} (ja of nee)", label)


def choice(value: object, options: type[E], label: str) -> E:
    """One of an enum's Dutch values; case and spaces/underscores do not matter."""
    wanted = _fold(str(value))
    for option in options:
        if _fold(option.value) == wanted:
            return option
    allowed = " | ".join(o.value for o in options)
    raise ValidationError(f"Ongeldige {label}: {value!r} (kies uit {allowed})", label)


def language(value: object, options: tuple[str, ...], label: str = "taal") -> str:
    """A language code of the letter ('nl', 'AR ' → 'ar')."""
    code = str(value).strip().lower()
    if code not in options:
        raise ValidationError(f"Ongeldige {label} {value!r} (kies uit {', '.join(options)})",
                              label)
    return code


def _fold(value: str) -> str:
    return re.sub(r"[\s_]+", " ", value.strip().lower())


def whole_cents(value: object, label: str) -> int:
    """An amount already in integer cents (from a form or a service call), not negative."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"Ongeldig {label}: {value!r} (verwacht hele centen)", label)
    if value < 0:
        raise ValidationError(f"Ongeldig {label}: mag niet negatief zijn", label)
    return value


def positive_cents(value: object, label: str) -> int:
    """An amount in integer cents that must be more than nothing (an instalment)."""
    cents = whole_cents(value, label)
    if cents == 0:
        raise ValidationError(f"Ongeldig {label}: moet groter dan 0 zijn", label)
    return cents

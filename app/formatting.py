"""Money and dates as a Dutch clerk reads them: € 1.234,56 and 23-11-2026."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path


def euro(cents: int) -> str:
    """Integer cents as '€ 1.234,56' (negative: '€ -42,41'), with an ordinary space so that
    messages read the same everywhere. Written out rather than through babel (which gives the
    same text, tested) because the matcher and the tables call it hundreds of thousands of
    times."""
    whole, part = divmod(abs(cents), 100)
    return f"€ {'-' if cents < 0 else ''}{whole:,}".replace(",", ".") + f",{part:02d}"


def decimal_text(cents: int, *, plus: bool = False) -> str:
    """Cents as a plain signed decimal for files scripts read: -42.41, 1234.56 (+1234.56)."""
    sign = "-" if cents < 0 else ("+" if plus else "")
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def short_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def sha256_of(path: Path) -> str:
    """The fingerprint of an imported file, kept in the audit trail and the import history."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

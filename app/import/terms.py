"""Normalising references (zoektermen) so that typing differences do not matter."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-/_]+")


def normalise_term(term: str) -> str:
    """Case, spaces, dots, dashes and slashes do not matter; leading zeros of long numbers
    neither: '261.000.012.3' and '2610000123' are the same reference."""
    folded = _SEPARATORS.sub("", term).upper()
    if folded.isdigit() and len(folded) >= 6:
        folded = folded.lstrip("0") or "0"
    return folded


def split_terms(cell: object) -> list[str]:
    """The workbook's zoektermen cell: terms separated by ';', blanks dropped."""
    if cell is None:
        return []
    return [t.strip() for t in str(cell).split(";") if t.strip()]

"""Texts and identifiers in a SEPA file, restricted to the Latin character set every Dutch bank
accepts (the Betaalvereniging's implementation guideline): a-z A-Z 0-9 / - ? : ( ) . , ' + and
space. Names and remittances are cleaned (diacritics folded the way banks drop them, other
scripts left out); identifiers are refused when they break the rules, never changed quietly.
"""

from __future__ import annotations

import re
import unicodedata

NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
ID_LENGTH = 35
ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
# Letters NFKD does not fold, and signs with a usual SEPA spelling.
SPECIAL = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ı": "i",
           "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "&": "+",
           "€": "EUR", "_": "-", "‘": "'", "’": "'", "‚": "'", "“": "'", "”": "'", "„": "'",
           "\"": "'", "–": "-", "—": "-", "ə": "e", "Ə": "E"}
_ID = re.compile(r"[A-Za-z0-9/\-?:().,'+]+")
_SPACES = re.compile(r"\s+")
WORD_CUT_SLACK = 10


def fold(text: str) -> str:
    out = []
    for ch in text:
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if part in ALLOWED:
                out.append(part)
            elif not unicodedata.combining(part):
                out.append(" ")
    return "".join(out)


def sepa_text(text: str | None, max_length: int) -> str:
    """``text`` in the SEPA character set, whitespace folded, at most ``max_length`` long (cut
    at a word when that loses little)."""
    if not text:
        return ""
    cleaned = _SPACES.sub(" ", fold(text)).strip()
    if len(cleaned) <= max_length:
        return cleaned
    cut = cleaned[:max_length]
    space = cut.rfind(" ")
    if space >= max_length - WORD_CUT_SLACK and space > 0:
        cut = cut[:space]
    return cut.strip()


def sepa_id(text: str, max_length: int = ID_LENGTH) -> str:
    """An identifier (MsgId, PmtInfId, EndToEndId) as it is, or ValueError why not."""
    if not text or len(text) > max_length:
        raise ValueError(f"ongeldige kenmerk {text!r}: 1 tot {max_length} tekens")
    if not _ID.fullmatch(text):
        raise ValueError(f"ongeldige kenmerk {text!r}: alleen letters, cijfers en / - ? : ( ) . "
                         ", ' +")
    if text.startswith("/") or text.endswith("/") or "//" in text:
        raise ValueError(f"ongeldige kenmerk {text!r}: geen '/' aan het begin of eind, geen '//'")
    return text

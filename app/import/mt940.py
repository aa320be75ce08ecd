"""MT940 statements of the Dutch banks: file in, plain dataclasses out.

Our own tokenizer, not a library: the Dutch files break the rules a generic MT940 parser relies
on (a ``:61:`` glued to the end of an ``:86:`` line, tags and values hard-wrapped in the middle,
a soft hyphen turned into a line holding only ``-``, a counter-account on the line after ``:61:``,
several statements in SWIFT blocks or behind the banks' old header lines), and every failure must
become one StatementFileError line. The reader works in three steps:

1. **Lines into fields.** The text is decoded (UTF-8, else Windows-1252), soft hyphens removed,
   no-break spaces made spaces. Each line is a tag line (``:61:…``), a continuation of the field
   before it, a SWIFT block line (``{1:…}{2:…}{4:``, ``-}``, ``-}{5:}``) or a separator (``-``,
   a bank header such as ``ABNANL2A``/``940``/``0000 01INGBNL2AXXXX00001``). Lines after a
   separator are held back: when the next tag starts a new statement (``:20:``) they were header
   lines and are dropped; otherwise they continue the field (the lone ``-`` itself is dropped).
2. **Fields joined.** A field's lines are joined without a space where the bank cut a line at
   its 65-column width, with a line break (a space in the text) where a shorter line ended; in a
   ``/TAG/`` text every line up to that width counts as cut (see ``_join_text``). A file that
   shows it was wrapped at arbitrary places (a tag like ``/RE⏎MI/`` cut in two, a ``:28C:`` over
   two lines, a lone ``-`` inside a text) is joined without spaces throughout.
3. **Fields into statements.** ``:20:`` starts a statement; ``:60F:``/``:60M:`` and
   ``:62F:``/``:62M:`` are its opening and closing (of that page); each ``:61:`` is an entry and the
   ``:86:`` after it its text, read in the structured ``/TAG/`` form, the German ``?20``
   subfield form (older Triodos files: ``>20``), the ABN AMRO/Knab ``LABEL:`` form, SNS's
   "IBAN name" first line, BNG's columns, or else kept whole.

An MT942 or other SWIFT message that looks like an MT940 is refused saying what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.importers.statements import (
    Entry,
    ReadResult,
    StatementData,
    StatementFileError,
    amount_problem,
    file_error,
)

FILE_FORMAT = "mt940"
LINE_WIDTH = 65  # SWIFT x-character lines; a line this long (±1) was cut, not ended

# -- Recognising the format ------------------------------------------------------------------

_SNIFF_20 = re.compile(rb"(?m)(?:^|\{4:)[ \t]*:20:")
_SNIFF_OTHER = re.compile(rb"(?m)(?:^|\{4:)[ \t]*:(?:25P?|28C?|60[FM]):")


def sniff(head: bytes) -> bool:
    """True when the first bytes carry MT940's tag structure (``:20:`` and ``:25:``/``:60F:``)."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in head or head.lstrip().startswith(b"<"):
        return False
    return bool(_SNIFF_20.search(head) and _SNIFF_OTHER.search(head))


# -- Reading ---------------------------------------------------------------------------------


def read(path: str | Path) -> ReadResult:
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise file_error(path, exc) from None
    text = _decode(data, name)
    tokens = _tokenize(text)
    if not any(f.tag in ("20", "25", "60F", "60M", "61") for f in tokens.fields):
        raise StatementFileError(
            f"{name} is geen MT940-afschrift: geen velden :20:, :25: of :60F: gevonden"
        )
    other = _other_message(tokens)
    if other:
        raise StatementFileError(f"{name} is een {other}, geen MT940-afschrift")
    truncated = _truncation(tokens, name)
    if truncated:
        raise StatementFileError(truncated)
    builder = _Builder(name, _arbitrarily_wrapped(tokens))
    for fld in tokens.fields:
        builder.add(fld)
    statements = builder.finish(tokens.ended)
    return ReadResult(
        file_format=FILE_FORMAT,
        statements=statements,
        bank=_bank_name(tokens.bics, statements),
        warnings=builder.warnings,
    )


# -- Step 0: bytes into clean text -----------------------------------------------------------

_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise StatementFileError(f"{name} is leeg")
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if b"\x00" in data or controls > max(2, len(data) // 100):
        raise StatementFileError(f"{name} is geen tekstbestand: het bevat binaire gegevens")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00ad", "").replace("\u00a0", " ").replace("\ufeff", "")
    return _CONTROL.sub(" ", text)


# -- Step 1: lines into fields ---------------------------------------------------------------

_TAG_LINE = re.compile(r":(\d{2}[A-Z]?):(.*)", re.S)
_PARTIAL_TAG = re.compile(r":[0-9A-Z]{0,3}:?")
_BLOCK_HEAD = re.compile(r"\{[1-5]:")
_BLOCK_PART = re.compile(r"\{([1-35]):([^{}]*)\}?")
_BLOCK_END = re.compile(r"-?\}.*|\{5:.*")
_SEPARATOR = re.compile(
    r":940:|940(?: \d\d)?|[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?|\d{4} \d\d[A-Z0-9]{12}\d{5}"
)
_HEADER_BIC = re.compile(r"(?:\d{4} \d\d)?([A-Z]{6}[A-Z0-9]{2})(?:[A-Z0-9]{4}\d{5})?")
_GLUED_TAG = re.compile(r":(?:61:\d{6}(?:\d{4})?R?[CD][A-Z]?\d|62[FM]:[CD]\d{6}[A-Z]{3}\d)")


@dataclass
class _Field:
    tag: str
    lines: list[str]  # the first holds the text after the tag
    lineno: int
    soft_hyphen_lines: int = 0  # continuation lines that came after a lone "-"


@dataclass
class _Tokens:
    fields: list[_Field] = field(default_factory=list)
    bics: list[str] = field(default_factory=list)
    message_types: list[str] = field(default_factory=list)  # "940", "942" … from {2:I940…}
    block_open: bool = False  # a {4: block that no "-}" closed
    ended: bool = False  # a terminator ("-", "-}", "}") came after the last field
    after_end: list[str] = field(default_factory=list)  # text after that terminator
    last_line: str = ""  # the last line that held anything


def _physical_lines(text: str):
    """(line number, line) with a tag glued to the end of a line split off onto its own."""
    for number, line in enumerate(text.split("\n"), start=1):
        while True:
            match = _GLUED_TAG.search(line, 1)
            if match is None:
                break
            yield number, line[: match.start()]
            line = line[match.start():]
        yield number, line


def _tokenize(text: str) -> _Tokens:
    tokens = _Tokens()
    current: _Field | None = None
    held: list[str] = []  # lines after a separator, waiting for the next tag to say what they are
    seen_tag = False

    def end() -> None:
        tokens.ended = True
        tokens.after_end = []

    def take(number: int, line: str) -> None:
        nonlocal current, held, seen_tag
        stripped = line.strip()
        if stripped:
            tokens.last_line = stripped
        if _BLOCK_HEAD.match(line) and not line.startswith("{5:"):
            for part in _BLOCK_PART.finditer(line):
                if part.group(1) == "1":
                    bic = re.match(r"F\d\d([A-Z]{6}[A-Z0-9]{2})", part.group(2))
                    if bic:
                        tokens.bics.append(bic.group(1))
                elif part.group(1) == "2" and (kind := re.match(r"[IO](\d{3})", part.group(2))):
                    tokens.message_types.append(kind.group(1))
            current, held = None, []
            position = line.find("{4:")
            if position < 0:
                tokens.after_end.append(stripped)
                return
            tokens.block_open = True
            tokens.ended = False
            rest = line[position + 3:]
            if rest.strip():
                take(number, rest)
            return
        if _BLOCK_END.fullmatch(stripped):
            tokens.block_open = False
            current, held = None, []
            end()
            return
        tag = _TAG_LINE.match(line)
        if tag:
            if held and current is not None and tag.group(1) != "20":
                dashes = sum(1 for h in held if h.strip() == "-")
                kept = [h for h in held if h.strip() != "-"]
                current.lines.extend(kept)
                if dashes and kept:
                    current.soft_hyphen_lines += 1
            held = []
            current = _Field(tag.group(1), [tag.group(2)], number)
            tokens.fields.append(current)
            tokens.ended, tokens.after_end = False, []
            seen_tag = True
            return
        if not seen_tag:
            header = _HEADER_BIC.fullmatch(stripped)
            if header:
                tokens.bics.append(header.group(1))
            return
        if stripped in ("-", "-XXX"):  # end of a message; or a soft hyphen on its own line
            end()
            if current is not None:
                held.append(line)
            return
        if stripped and tokens.ended:
            tokens.after_end.append(stripped)
        if _SEPARATOR.fullmatch(stripped):
            if current is not None:
                held.append(line)
            header = _HEADER_BIC.fullmatch(stripped)
            if header and header.group(1) not in tokens.bics:
                tokens.bics.append(header.group(1))
            return
        if current is None:
            return
        if held:
            held.append(line)
        else:
            current.lines.append(line)

    for number, line in _physical_lines(text):
        take(number, line)
    return tokens


_NEIGHBOURS = {
    "900": "MT900 (bevestiging van een afschrijving)",
    "910": "MT910 (bevestiging van een bijschrijving)",
    "941": "MT941 (saldorapport)",
    "942": "MT942 (tussentijds overzicht van boekingen)",
    "950": "MT950 (afschrift tussen banken)",
}


def _other_message(tokens: _Tokens) -> str | None:
    """The SWIFT message this is when it is not an MT940: by its header ({2:I942…}), or for an
    MT942 without one by the fields only it has (:34F:, :13D:, :90D:/:90C:, no :60F:)."""
    for kind in tokens.message_types:
        if kind != "940":
            return _NEIGHBOURS.get(kind, f"SWIFT-bericht MT{kind}")
    tags = {fld.tag for fld in tokens.fields}
    if tags & {"34F", "13D", "90D", "90C"} and not tags & {"60F", "60M"}:
        return _NEIGHBOURS["942"]
    return None


def _truncation(tokens: _Tokens, name: str) -> str | None:
    """Why the file looks cut off, if it does."""
    if tokens.block_open:
        return f"{name} lijkt afgebroken: het laatste SWIFT-blok ({{4:) wordt niet afgesloten"
    if tokens.ended and tokens.after_end:
        return (
            f"{name} lijkt afgebroken: het eindigt in de kop van een volgend afschrift "
            f"({_snippet(tokens.after_end[0])})"
        )
    if not tokens.ended and _PARTIAL_TAG.fullmatch(tokens.last_line):
        return f"{name} lijkt afgebroken: het eindigt midden in een veld ({tokens.last_line})"
    return None


# -- Step 2: joining a field's lines ---------------------------------------------------------

_SINGLE_LINE_TAGS = ("20", "25", "28", "28C", "60F", "60M")
_SUBTAGS = (
    "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "MARF", "CSID", "CNTP", "ORDP", "BENM",
    "RTRN", "PREF", "ADDR", "ISDT", "ID", "ULTC", "ULTD", "ULTB", "PURP", "SVCL", "BUSP",
    "CDTRREF", "CDTRREFTP", "ACCW", "OCMT", "CHGS", "EXCH", "IREF", "KREF", "TRCD", "SUM",
    "BBAN",
)
_SUBTAG = re.compile(r"/(" + "|".join(sorted(_SUBTAGS, key=len, reverse=True)) + r")/")


def _arbitrarily_wrapped(tokens: _Tokens) -> bool:
    """Did something wrap this file at arbitrary columns (so line ends carry no meaning)?"""
    for fld in tokens.fields:
        if fld.soft_hyphen_lines:
            return True
        if fld.tag in _SINGLE_LINE_TAGS and any(line.strip() for line in fld.lines[1:]):
            return True
        if fld.tag == "86":
            for before, after in zip(fld.lines, fld.lines[1:], strict=False):
                if _cut_at_width(before):
                    continue  # a cut at the line width may fall inside a tag
                joined = before + after
                for match in _SUBTAG.finditer(joined, max(0, len(before) - 12)):
                    if match.start() < len(before) < match.end():
                        return True
    return False


def _join_text(lines: list[str], arbitrary: bool) -> str:
    """An :86: text: cut lines joined without a space, ended lines with a line break.

    In a ``/TAG/`` text every line up to the width is taken as cut: banks (and the people who
    anonymised sample files) cut those anywhere, and a space inside a reference or BIC does more
    harm than two remittance lines run together.
    """
    structured = bool(_SUBTAG.match(lines[0].lstrip()))
    text = lines[0]
    for before, after in zip(lines, lines[1:], strict=False):
        cut = arbitrary or _cut_at_width(before)
        cut = cut or (structured and len(before) <= LINE_WIDTH + 1)
        text += ("" if cut else "\n") + after
    return text


def _cut_at_width(line: str) -> bool:
    return LINE_WIDTH - 1 <= len(line) <= LINE_WIDTH + 1


def _fold(text: str | None) -> str | None:
    if text is None:
        return None
    folded = " ".join(text.split())
    return folded or None


# -- Step 3: fields into statements ----------------------------------------------------------

_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d+[,.]\d*)")
# The amount may lack its decimal comma (Knab: "C500NTRF29-07-2014 10:05//…", the booking time
# in the reference); then only a type code may follow it (checked in _entry).
_ENTRY = re.compile(
    r"(?P<vdate>\d{6})(?P<edate>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d+(?:[,.]\d*)?)(?:(?=//|NONREF)|(?P<type>[NSF][A-Z0-9]{2}[A-Z0-9 ]))"
    r"(?P<rest>.*)",
    re.S,
)
_ENTRY_HEAD = re.compile(r"\d{6}(?:\d{4})?(?:RC|RD|C|D)[A-Z]?\s*$")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_ACCOUNT = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}|P?\d{7,18}")
_STRICT_ACCOUNT = r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}|\d{9,10}|P\d{1,9}"  # IBAN, BBAN, giro
_CURRENCIES = {"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "JPY"}
_PLACEHOLDERS = {"", "NONREF", "NOTPROVIDED", "NOT PROVIDED"}


@dataclass
class _Pending:
    """An entry being built: the :61: facts, then whatever the :86: adds."""

    facts: dict
    supplementary: str | None
    account_ref: str | None  # SNS/ASN: the counter-IBAN in the reference field
    type_code: str | None
    ref_name: str | None = None  # old Rabobank: "P1901950        P.D.VAN BINSBERGEN"
    text: str | None = None


class _Builder:
    def __init__(self, name: str, arbitrary: bool):
        self.name = name
        self.arbitrary = arbitrary
        self.statements: list[StatementData] = []
        self.linenos: list[int] = []
        self.current: StatementData | None = None
        self.entry: _Pending | None = None
        self.warnings: list[str] = []

    # The statement being filled; a new one when the file did not say :20: first.
    def _statement(self, lineno: int, fresh: bool = False) -> StatementData:
        if self.current is None or fresh:
            previous = self.current
            self.current = StatementData(account="")
            if previous is not None:
                self.current.account = previous.account
                self.current.statement_id = previous.statement_id
            self.statements.append(self.current)
            self.linenos.append(lineno)
        return self.current

    def _fail(self, lineno: int, reason: str) -> StatementFileError:
        return StatementFileError(f"{self.name}, regel {lineno}: {reason}")

    def add(self, fld: _Field) -> None:
        tag = fld.tag
        if tag != "86":
            self._flush()
        if tag == "20":
            statement = self._statement(fld.lineno, fresh=True)
            statement.account = ""
            statement.statement_id = _fold("".join(fld.lines))
        elif tag == "25":
            statement = self._statement(fld.lineno)
            if statement.account:
                statement = self._statement(fld.lineno, fresh=True)
            statement.account, suffix = _account("".join(fld.lines))
            if suffix and statement.opening_balance_cents is None:
                statement.currency = suffix
        elif tag in ("28", "28C"):
            self._statement(fld.lineno).sequence = _fold("".join(fld.lines))
        elif tag in ("60F", "60M"):
            statement = self._statement(fld.lineno)
            if statement.opening_balance_cents is not None:
                statement = self._statement(fld.lineno, fresh=True)
            cents, when, currency = self._balance(fld)
            statement.opening_balance_cents, statement.opening_date = cents, when
            statement.currency = currency
        elif tag in ("62F", "62M"):
            statement = self._statement(fld.lineno)
            cents, when, _currency = self._balance(fld)
            statement.closing_balance_cents, statement.closing_date = cents, when
        elif tag == "61":
            statement = self._statement(fld.lineno)
            if statement.closing_balance_cents is not None:
                statement = self._statement(fld.lineno, fresh=True)
            self.entry = self._entry(fld)
        elif tag == "86" and self.entry is not None:
            text = _join_text(fld.lines, self.arbitrary)
            self.entry.text = text if self.entry.text is None else f"{self.entry.text}\n{text}"
        # :64:, :65:, :86: outside an entry (ING's /SUM/) and unknown tags say nothing we keep.

    def finish(self, ended: bool) -> list[StatementData]:
        self._flush()
        for number, (statement, lineno) in enumerate(
            zip(self.statements, self.linenos, strict=True), start=1
        ):
            label = statement.sequence or statement.statement_id or str(number)
            if not statement.account:
                raise self._fail(lineno, f"afschrift {label} heeft geen rekeningnummer (:25:)")
            if statement.opening_balance_cents is None:
                raise self._fail(lineno, f"afschrift {label} heeft geen beginsaldo (:60F:)")
            if statement.closing_balance_cents is None:
                if number == len(self.statements) and not ended:
                    raise StatementFileError(
                        f"{self.name} lijkt afgebroken: het laatste afschrift ({label}) "
                        "heeft geen eindsaldo (:62F:) en het bestand eindigt midden in een veld"
                    )
                self.warnings.append(
                    f"afschrift {label} van {statement.account} heeft geen eindsaldo (:62F:)"
                )
            if statement.currency != "EUR":
                self.warnings.append(
                    f"afschrift {label} van {statement.account} is in {statement.currency}, "
                    "niet in EUR"
                )
        return self.statements

    def _balance(self, fld: _Field) -> tuple[int, date, str]:
        for candidate in ("".join(fld.lines), fld.lines[0]):
            match = _BALANCE.fullmatch(candidate.strip())
            if match:
                break
        else:
            raise self._fail(
                fld.lineno, f"kan het saldo (:{fld.tag}:) niet lezen: {_snippet(fld.lines[0])}"
            )
        mark, yymmdd, currency, amount = match.groups()
        cents = self._cents(amount, fld)
        return (-cents if mark == "D" else cents), self._date(yymmdd, fld), currency

    def _cents(self, amount: str, fld: _Field) -> int:
        whole, _, fraction = amount.replace(".", ",").partition(",")
        if len(fraction) > 2 and fraction[2:].strip("0"):
            raise self._fail(fld.lineno, f"bedrag met meer dan twee decimalen: {amount}")
        # int() refuses thousands of digits; an amount this long is refused below anyway
        whole = whole.lstrip("0")[:30] or "0"
        cents = int(whole) * 100 + int((fraction + "00")[:2])
        problem = amount_problem(cents)
        if problem:
            raise self._fail(fld.lineno, problem)
        return cents

    def _date(self, yymmdd: str, fld: _Field) -> date:
        year = int(yymmdd[:2])
        year += 2000 if year < 80 else 1900
        try:
            return date(year, int(yymmdd[2:4]), int(yymmdd[4:6]))
        except ValueError:
            raise self._fail(fld.lineno, f"ongeldige datum {yymmdd} in :{fld.tag}:") from None

    def _entry(self, fld: _Field) -> _Pending:
        first = fld.lines[0].strip()
        rest_lines = [line.strip() for line in fld.lines[1:] if line.strip()]
        # A first line cut inside the bank reference (ING, wrapped) continues on the next lines.
        if rest_lines and "//" in first and (self.arbitrary or rest_lines[0].startswith("/")):
            first += "".join(rest_lines)
            rest_lines = []
        match = _ENTRY.fullmatch(first)
        if match and not match["type"] and not re.search(r"[,.]", match["amount"]):
            match = None  # "C500//…": without comma or type code the amount has no clear end
        if match is None:
            if _ENTRY_HEAD.match(first) or not first:
                reason = "de boeking (:61:) heeft geen bedrag; is het bestand afgebroken?"
            else:
                reason = f"kan de boeking (:61:) niet lezen: {_snippet(first)}"
            raise self._fail(fld.lineno, reason)
        value_date = self._date(match["vdate"], fld)
        booking_date = value_date
        if match["edate"]:
            booking_date = self._entry_date(value_date, match["edate"], fld)
        cents = self._cents(match["amount"], fld)
        mark = match["mark"]
        own_ref, bank_ref, extra = _references(match["rest"])
        supplementary = " ".join([*([extra] if extra else []), *rest_lines]) or None
        type_code = (match["type"] or "").strip()
        trcd = re.search(r"/TRCD/([^/]+)/?", supplementary or "")
        if trcd:
            type_code = f"{type_code} {trcd.group(1).strip()}".strip()
            supplementary = _fold(supplementary.replace(trcd.group(0), " "))
        facts = {
            "booking_date": booking_date,
            "value_date": value_date,
            # RC (reversal of a credit) is booked as a debit, RD as a credit.
            "amount_cents": -cents if mark in ("D", "RC") else cents,
            "reversal": mark.startswith("R"),
            "bank_reference": bank_ref,
        }
        account_ref = ref_name = None
        if own_ref and _IBAN.fullmatch(own_ref.replace(" ", "")):
            account_ref = own_ref.replace(" ", "")
        elif own_ref and (columns := re.fullmatch(r"(\S+)\s{2,}(\S.*)", own_ref)):
            if _is_account(columns.group(1)):
                account_ref = columns.group(1)
            ref_name = columns.group(2)
        return _Pending(facts, supplementary, account_ref, type_code or None, ref_name)

    def _entry_date(self, value_date: date, mmdd: str, fld: _Field) -> date:
        """The entry date (MMDD) in the year that puts it closest to the value date."""
        candidates = []
        for year in (value_date.year - 1, value_date.year, value_date.year + 1):
            try:
                candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
            except ValueError:
                continue
        if not candidates:
            raise self._fail(fld.lineno, f"ongeldige boekdatum {mmdd} in :61:")
        return min(candidates, key=lambda d: abs((d - value_date).days))

    def _flush(self) -> None:
        pending, self.entry = self.entry, None
        if pending is None or self.current is None:
            return
        details = _details(
            pending.text, pending.account_ref, pending.supplementary, self.current.account
        )
        facts = dict(pending.facts)
        # The :61: fills what the :86: did not say: SNS's counter-IBAN in the reference field,
        # Rabobank's counter-account on the line after :61:, the type code. That line is a name
        # only after a counter-account (SNS/ASN, Rabobank); elsewhere it is text.
        supplementary = pending.supplementary
        named = pending.account_ref is not None
        account = re.fullmatch(r"(" + _ACCOUNT.pattern + r")(?:\s+(.*))?", supplementary or "")
        if account:
            supplementary, named = account.group(2), True
            if _is_account(account.group(1)) and not details.get("counterparty_iban"):
                details["counterparty_iban"] = account.group(1)
        if pending.account_ref and not details.get("counterparty_iban"):
            details["counterparty_iban"] = pending.account_ref
        for name in (supplementary if named else None, pending.ref_name):
            if name and not details.get("counterparty_name"):
                details["counterparty_name"] = _fold(name)
        if supplementary and not named and not details.get("description"):
            details["description"] = _fold(supplementary)
        if not details.get("transaction_code"):
            details["transaction_code"] = pending.type_code
        facts.update({k: v for k, v in details.items() if v})
        facts["currency"] = self.current.currency
        self.current.entries.append(Entry(**facts))


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "…"


def _account(value: str) -> tuple[str, str | None]:
    """The :25: account as given (IBAN or BBAN), without a currency suffix; and that suffix."""
    value = value.strip()
    if "/" in value:  # "BIC/IBAN" or "bank code/account"
        value = value.rsplit("/", 1)[1].strip() or value
    parts = value.split()
    currency = None
    if len(parts) > 1 and parts[-1] in _CURRENCIES:
        currency = parts.pop()
    account = "".join(parts)
    if currency is None and account[-3:] in _CURRENCIES and account[-4:-3].isdigit():
        account, currency = account[:-3], account[-3:]
    return account, currency


def _is_account(value: str) -> bool:
    """An account number worth keeping (not a placeholder of zeros)."""
    return bool(_ACCOUNT.fullmatch(value)) and bool(value.strip("0P"))


def _references(rest: str) -> tuple[str | None, str | None, str | None]:
    """The :61: tail: the account owner's reference, the bank's reference, what follows."""
    rest = rest.strip()
    if "//" not in rest:
        return rest or None, None, None
    own, bank = rest.split("//", 1)
    extra = None
    tag = re.search(r"/[A-Z]{3,4}/", bank)
    if tag:
        bank, extra = bank[: tag.start()], bank[tag.start():]
    elif len(bank) > 16:
        bank, extra = bank[:16], bank[16:]
    bank = bank.strip()
    if bank.upper() in _PLACEHOLDERS:
        bank = None
    return own.strip() or None, bank or None, extra


# -- The :86: text ---------------------------------------------------------------------------


def _details(
    text: str | None, account_ref: str | None, supplementary: str | None, own_account: str
) -> dict:
    if text is None or not text.strip():
        return {}
    stripped = text.strip()
    if _GVC_START.match(stripped):
        return _subfields(stripped, own_account)
    if _SUBTAG.match(stripped):
        return _structured(stripped)
    if re.search(r"(?:^|[\s/])(?:IBAN|NAAM|REK):", stripped):
        return _labelled(stripped)
    details: dict = {"description": _fold(stripped)}
    if account_ref and stripped.startswith(account_ref):
        details = _account_first(stripped, account_ref, supplementary)
        rest = details.get("description") or ""
        if _SUBTAG.match(rest):  # ASN: "IBAN name", then a /TRTP/… block
            own = {k: v for k, v in details.items() if k != "description"}
            details = {**own, **{k: v for k, v in _structured(rest).items() if v}}
            return details
    elif card := _card_payment(stripped):
        details.update(card)
    else:
        details.update(_columns(stripped))
    details.update(_extras(stripped, details))
    return details


def _structured(text: str) -> dict:
    """``/TAG/value`` texts: ING (``//`` between tags, CNTP, REMI/USTD, REMI/STRD), Rabobank,
    ABN AMRO's SEPA form, Triodos, bunq, Knab."""
    values: dict[str, str] = {}
    matches = list(_SUBTAG.finditer(text))
    for this, following in zip(matches, [*matches[1:], None], strict=True):
        raw = text[this.end(): following.start() if following else len(text)]
        raw = raw.strip()
        if raw.endswith("/"):
            raw = raw[:-1]
        values.setdefault(this.group(1), raw)
    details: dict = {}

    def value(tag: str) -> str | None:
        folded = _fold(values.get(tag))
        return None if folded is None or folded.upper() in _PLACEHOLDERS else folded

    details["counterparty_iban"] = value("IBAN") or value("BBAN")
    details["counterparty_bic"] = value("BIC")
    if value("ACCW") and not details["counterparty_iban"]:  # Rabobank: /ACCW/iban,bic/
        account, _, bic = value("ACCW").partition(",")
        details["counterparty_iban"], details["counterparty_bic"] = account, bic or None
    details["counterparty_name"] = value("NAME")
    if "CNTP" in values:  # ING, Triodos: /CNTP/iban/bic/name/city/
        parts = [_fold(p) for p in values["CNTP"].split("/")] + [None, None, None]
        details["counterparty_iban"] = parts[0] or details["counterparty_iban"]
        details["counterparty_bic"] = parts[1] or details["counterparty_bic"]
        details["counterparty_name"] = parts[2] or details["counterparty_name"]
    details["end_to_end_id"] = value("EREF")
    details["mandate_id"] = value("MARF")
    details["return_reason"] = value("RTRN")
    details["transaction_code"] = value("TRTP")
    remi = values.get("REMI")
    if remi is not None:
        kind = remi.lstrip().upper()
        if kind.startswith("USTD"):
            details["description"] = _fold(remi.lstrip()[4:].lstrip("/"))
        elif kind.startswith("STRD"):
            parts = [p.strip() for p in remi.split("/") if p.strip()]
            details["structured_reference"] = parts[-1] if len(parts) > 1 else None
        else:
            details["description"] = _fold(remi)
    elif set(values) - _FIELD_TAGS:  # no remittance tag: keep the words of the others
        details["description"] = _fold(text)  # (e.g. "/OCMT/USD2853,12/ PAYMENT OF INVOICES …")
    # else only counterparty and reference tags (ING's "/CNTP/0001234500////"): no text
    if value("PREF"):
        batch = f"batch {value('PREF')}"
        count = re.search(r"TOTAAL\s+(\d+)\s+POSTEN", details.get("description") or "")
        details["batch_info"] = batch + (f", {int(count.group(1))} posten" if count else "")
    return details


# Tags read into an Entry field (or naming a part of one): a text of only these has no words.
_FIELD_TAGS = {
    "TRTP", "IBAN", "BBAN", "BIC", "ACCW", "NAME", "CNTP", "ORDP", "BENM", "ADDR", "EREF",
    "MARF", "CSID", "RTRN", "PREF", "ID", "ISDT",
}


# The German "structured 86" (GVC) form, which older Triodos files use with ">" for "?":
# "000>100555555555>20purpose…>310666666666". Three digits (the GVC code), then subfields
# >00 booking text, >10 primanota, >20–>29 and >60–>63 purpose, >30 bank code or BIC,
# >31 account, >32–>33 name, >34 return code, >38 IBAN. A full subfield (27 characters) was
# cut anywhere, a word running on in the next one; a shorter one at a line end lost its
# trailing space there.
_GVC_START = re.compile(r"\d{3}([>?])\d\d")
_SUBFIELD_WIDTH = 27
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_PURPOSE = [str(n) for n in range(20, 30)] + ["60", "61", "62", "63"]


def _subfields(text: str, own_account: str) -> dict:
    """The ``>NN`` (or ``?NN``) subfields: counterparty, booking text and purpose apart."""
    separator = _GVC_START.match(text).group(1)
    parts = re.split(re.escape(separator) + r"(\d\d)", text)
    fields: dict[str, str] = {}
    for code, raw in zip(parts[1::2], parts[2::2], strict=True):
        piece = raw.rstrip("\n").replace("\n", "")  # a line cut inside a subfield
        if raw.endswith("\n") and len(piece) < _SUBFIELD_WIDTH:
            piece += " "
        fields[code] = fields.get(code, "") + piece

    def value(*codes: str) -> str | None:
        return _fold("".join(fields.get(code, "") for code in codes))

    purpose = [code for code in _PURPOSE if code in fields]
    details: dict = {"counterparty_name": value("32", "33"), "transaction_code": value("00")}
    # Triodos puts the statement's own account in >31: that is no counterparty.
    account = value("38") or value("31")
    if account and account.strip("0") and account.lstrip("0") != own_account.lstrip("0"):
        details["counterparty_iban"] = account
    bank = value("30")
    if bank and _BIC.fullmatch(bank):
        details["counterparty_bic"] = bank
    returned = value("34")
    if returned and returned.strip("0"):
        details["return_reason"] = returned
    if not details.get("counterparty_iban"):
        found, used = _triodos_counter_account(fields)
        details.update(found)
        purpose = [code for code in purpose if code not in used]
    details["description"] = value(*purpose)
    return details


def _triodos_counter_account(fields: dict[str, str]) -> tuple[dict, set[str]]:
    """Triodos: the counter-account (BBAN) in >10, or BIC and IBAN in >20 and >21; and the
    subfields that then are not purpose."""
    bban = (fields.get("10") or "").strip()
    if re.fullmatch(r"\d{10}", bban) and bban.strip("0"):  # a primanota is shorter
        return {"counterparty_iban": bban}, set()
    bic, iban = (_fold(fields.get(code)) or "" for code in ("20", "21"))
    if _BIC.fullmatch(bic) and _IBAN.fullmatch(iban):
        return {"counterparty_bic": bic, "counterparty_iban": iban}, {"20", "21"}
    return {}, set()


_LABELS = re.compile(
    r"(?:^|(?<=[\s/]))(IBAN|BIC|NAAM|OMSCHRIJVING|KENMERK|BETALINGSKENM\.|MACHTIGING|"
    r"INCASSANT|ID DEBITEUR|REK):\s*"
)


def _labelled(text: str) -> dict:
    """ABN AMRO's fixed-width "SEPA IDEAL  IBAN: … BIC: … NAAM: …" and Knab's "REK: …/NAAM: …"."""
    matches = list(_LABELS.finditer(text))
    values: dict[str, str] = {}
    for this, following in zip(matches, [*matches[1:], None], strict=True):
        raw = text[this.end(): following.start() if following else len(text)]
        values.setdefault(this.group(1), _fold(raw.strip().rstrip("/")) or "")
    details: dict = {}

    def token(label: str) -> str | None:
        raw = values.get(label)
        return raw.split()[0] if raw else None

    details["counterparty_iban"] = token("IBAN") or token("REK")
    details["counterparty_bic"] = token("BIC")
    details["counterparty_name"] = values.get("NAAM") or None
    details["end_to_end_id"] = values.get("KENMERK") or None
    details["structured_reference"] = token("BETALINGSKENM.")
    details["mandate_id"] = token("MACHTIGING")
    lead = _fold(text[: matches[0].start()]) if matches else None
    if lead and lead.startswith("SEPA "):
        details["transaction_code"] = lead
    details["description"] = values.get("OMSCHRIJVING") or _fold(text)
    return details


def _account_first(text: str, account: str, name: str | None) -> dict:
    """SNS/ASN: the text opens with the counter-IBAN and the name the :61: gave already."""
    rest = text[len(account):].lstrip()
    folded_name = _fold(name)
    if folded_name:
        words = r"\s+".join(map(re.escape, folded_name.split()))
        rest = re.sub(r"^\s*" + words + r"(?=\s|$)", "", rest, count=1)
    details: dict = {"counterparty_iban": account, "description": _fold(rest)}
    if folded_name:
        details["counterparty_name"] = folded_name
    return details


def _card_payment(text: str) -> dict | None:
    """Card payments: ABN AMRO's "BEA NR:… 11.01.14/12.00 SHOP CITY,PAS123", SNS's "SHOP >CITY"."""
    abn = re.match(
        r"(?:BEA|GEA)\s+NR:\s*\S+\s+\d\d\.\d\d\.\d\d/\d\d[.:]\d\d\s+(.+?)\s*,\s*PAS\s*\d*", text
    )
    if abn:
        return {"counterparty_name": _fold(abn.group(1))}
    sns = re.match(r"\s*(\S.{0,60}?)\s*>\s*\S+\s+\d\d\.\d\d\.\d{4}\s", text)
    if sns:
        return {"counterparty_name": _fold(sns.group(1))}
    return None


def _columns(text: str) -> dict:
    """BNG's fixed-width columns: counter-account, (BIC) name, city and text."""
    chunks = [c for c in re.split(r"\s{2,}|\n", text) if c.strip()]
    details: dict = {}
    if not chunks:
        return details
    first = chunks[0].strip()
    if _ACCOUNT.fullmatch(first) and len(chunks) > 1:
        details["counterparty_iban"] = first
        second = chunks[1].strip()
        bic = re.match(r"([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?) (.+)", second)
        if bic and _IBAN.fullmatch(first):
            details["counterparty_bic"], second = bic.group(1), bic.group(2)
        details["counterparty_name"] = _fold(second)
    elif len(chunks) > 1 and (
        account := re.fullmatch(r"(" + _STRICT_ACCOUNT + r") (.+)", chunks[1].strip())
    ):
        details["counterparty_iban"] = account.group(1)
        details["counterparty_name"] = _fold(account.group(2))
    elif first_line := re.match(r"\s*(" + _STRICT_ACCOUNT + r") (\S[^\n]*)", text):
        # ING before SEPA and others: "0111111111 ING Bank N.V. inzake TEST" on the first line
        details["counterparty_iban"] = first_line.group(1)
        details["counterparty_name"] = _fold(first_line.group(2))
    if details.get("counterparty_iban") and not _is_account(details["counterparty_iban"]):
        details["counterparty_iban"] = None
    returned = re.search(
        r"(?:BET KENMERK|REFO):\s*\S+\s+(" + _ACCOUNT.pattern + r")\s+(.+?)\s+"
        r"(NIET AKKOORD MET AFSCHRIJVING|REDEN TERUGBOEKING)",
        text,
    )
    if returned:
        details["counterparty_iban"] = returned.group(1)
        details["counterparty_name"] = _fold(returned.group(2))
    return details


def _extras(text: str, details: dict) -> dict:
    """Facts that free texts of several banks share: returns, batches, references, mandates."""
    extras: dict = {}
    returned = re.search(r"NIET AKKOORD MET AFSCHRIJVING|REDEN TERUGBOEKING(?::\s*(\S+))?", text)
    if returned:
        extras["return_reason"] = returned.group(1) or returned.group(0)
    batch = re.search(r"BATCH(?: INCASSO)?:\s*(\d+)", text)
    count = re.search(r"POSTEN:\s*0*(\d+)|COMPRIMEREN:\s*([\d.]+)\s+POSTEN", text)
    if batch or count:
        parts = [f"batch {batch.group(1)}"] if batch else []
        if count:
            parts.append(f"{int((count.group(1) or count.group(2)).replace('.', ''))} posten")
        extras["batch_info"] = ", ".join(parts)
        # A batch total has no one counterparty: what stands in its columns is not a payer.
        extras["counterparty_name"] = extras["counterparty_iban"] = None
    giros = re.search(r"BGC\.\s*(\d+)\s+ACCEPTGIRO", text)
    if giros:
        extras["batch_info"] = f"{int(giros.group(1))} acceptgiro's"
    kenmerk = re.search(r"(?:REMI:|BET(?:ALINGS)?\.? ?KENMERK:)\s*(\d{7,16})\b", text)
    if kenmerk and not details.get("structured_reference"):
        extras["structured_reference"] = kenmerk.group(1)
    mandate = re.search(r"Kenmerk Machtiging:\s*(\S+)", text, re.I)
    if mandate and not details.get("mandate_id"):
        extras["mandate_id"] = mandate.group(1)
    return extras


# -- The bank --------------------------------------------------------------------------------

_BANKS = {
    "ABNA": "ABN AMRO", "ASNB": "ASN Bank", "BNGH": "BNG Bank", "BUNQ": "bunq", "INGB": "ING",
    "KNAB": "Knab", "RABO": "Rabobank", "RBRB": "RegioBank", "SNSB": "SNS", "TRIO": "Triodos",
}


def _bank_name(bics: list[str], statements: list[StatementData]) -> str | None:
    for bic in bics:
        if bic[:4] in _BANKS:
            return _BANKS[bic[:4]]
    for statement in statements:
        if _IBAN.fullmatch(statement.account) and statement.account[4:8] in _BANKS:
            return _BANKS[statement.account[4:8]]
    for bic in bics:
        if bic.strip("X"):
            return bic
    return None

"""Reading camt.053 bank statements (ISO 20022 BankToCustomerStatement, 001.02 … 001.xx).

Streaming: lxml ``iterparse`` hands over one ``Ntry`` at a time; each is read into plain
dataclasses and then cleared, together with everything before it, so memory stays flat however
many entries the file holds. The version comes from the XML namespace.

Hostile files: the parser never resolves entities, never loads a DTD and never reaches the
network, and a file with a DOCTYPE is refused before anything in it is read. Everything this
module cannot read raises StatementFileError with one Dutch line; nothing else gets out.

Judgement calls (see the functions for the details):

* Counterparty by direction: the debtor of money we receive, the creditor of money we pay. A
  reversal undoes a booking in the other direction; its counterparty is the counterparty of
  that original booking (``_counterparty``).
* ``AddtlNtryInf`` in ABN AMRO's ``/TRTP/…/IBAN/…/NAME/…/REMI/…`` form fills only what the
  structured elements left empty; other text there is the description when nothing better is
  present.
* Amounts must be whole cents; more decimals are fine only when they are zeros. A sub-cent or a
  negative amount refuses the file: rounding silently or guessing a sign is never right.
* The one sign that is guessed: a balance without CdtDbtInd (banks leave it out of a zero
  balance) is read as a credit, with a warning; the balance check against the entries catches
  a wrong guess. An entry without CdtDbtInd still refuses the file.
* A camt.052, camt.054 or pain.001 handed in instead is refused by what it is (``_check_root``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree

from app.formatting import decimal_text, euro
from app.importers.statements import (
    CHUNK_ENTRIES,
    Entry,
    ReadResult,
    StatementChunk,
    StatementData,
    StatementFileError,
    StatementStream,
    file_error,
)

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})")
# Never resolve entities, load a DTD or fetch anything; keep libxml2's size limits on.
SAFE_PARSING = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                "huge_tree": False}
PROLOG_LIMIT = 1 << 20  # the root element must start within the first MB
MAX_AMOUNT_DIGITS = 15  # ISO 20022 allows 18 digits in all, at most 5 of them decimals

# The ISO 20022 camt and pain messages are claimed too, so that a camt.052/054 or a pain.001
# handed in by mistake gets a reason by name from this reader (_check_root), not a shrug.
_SNIFF_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(?:camt|pain)\.\d{3}\.")
_SNIFF_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(?:BkToCstmrStmt|BkToCstmrAcctRpt|"
                        rb"BkToCstmrDbtCdtNtfctn|CstmrCdtTrfInitn|CstmrDrctDbtInitn)"
                        rb"(?:V\d{2})?[\s>/]")
_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_ISO_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
NOT_PROVIDED = "NOTPROVIDED"  # SEPA's placeholder for "no end-to-end reference"


def sniff(head: bytes) -> bool:
    """Do the first bytes look like a camt.053 message, or another ISO 20022 camt or pain
    message that the reader refuses by name? Decided from the content only."""
    text = _as_ascii(head).lstrip()
    if not text.startswith(b"<"):
        return False
    return bool(_SNIFF_NAMESPACE.search(text) or _SNIFF_ROOT.search(text))


def read(path: str | Path) -> ReadResult:
    """Read a camt.053 file; anything that cannot be read raises StatementFileError."""
    return stream(path).collect()


def stream(path: str | Path) -> StatementStream:
    """The file a chunk of entries at a time (see StatementStream); whether it is a camt.053
    file at all is settled here, everything else while the chunks are taken."""
    path = Path(path)
    name = _shown(path.name, 200)
    with _one_line_errors(name):
        result = _stream(path, name)
    result.chunks = _guarded(name, result.chunks)
    return result


def _stream(path: Path, name: str) -> StatementStream:
    namespace, file_format = _probe(path, name)
    reader = _Reader(path, name, namespace, file_format)
    result = StatementStream(file_format, (), warnings=reader.warnings)
    result.chunks = reader.chunks(result)
    return result


def _read(path: Path) -> ReadResult:
    """The reader without its last line of defence (the property tests call this one)."""
    return _stream(path, _shown(path.name, 200)).collect()


def _guarded(name: str, chunks: Iterator[StatementChunk]) -> Iterator[StatementChunk]:
    with _one_line_errors(name):
        yield from chunks


@contextmanager
def _one_line_errors(name: str) -> Iterator[None]:
    try:
        yield
    except StatementFileError:
        raise
    except MemoryError:
        raise StatementFileError(f"{name} is te groot om in te lezen") from None
    except Exception as exc:  # noqa: BLE001 - the contract: one clear line, never a crash
        # The reader is written to raise nothing else (the property tests check that); this
        # is the last line of defence, so that a clerk never sees a traceback.
        raise StatementFileError(
            f"{name} kan niet als camt.053 worden gelezen ({type(exc).__name__})") from None


# -- Before reading: is this a camt.053 file at all? -------------------------------------------


def _probe(path: Path, name: str) -> tuple[str, str]:
    """The namespace and format name of the file's root element, read from its first bytes.

    Refuses empty files, files that are not XML, XML of another kind and any file with a
    DOCTYPE (a bank statement never has one; entity tricks need one)."""
    parser = etree.XMLPullParser(events=("start",), **SAFE_PARSING)
    seen = 0
    start = head = b""
    root = None  # a namespace-less Document: its first child names the message
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(1 << 16)
                if not head:
                    head = _as_ascii(chunk)
                if not start:
                    start = _as_ascii(chunk[:64]).lstrip()
                if not chunk:
                    if root is not None:
                        return _check_root(root, name)
                    if seen == 0 or not start:
                        raise StatementFileError(f"{name} is leeg")
                    parser.close()  # raises: the root element never started
                    raise StatementFileError(f"{name} is geen camt.053-bestand")
                seen += len(chunk)
                parser.feed(chunk)
                for _event, element in parser.read_events():
                    if root is not None:
                        return _check_root(root, name, element)
                    if element.tag != "Document":
                        return _check_root(element, name)
                    root = element
                if seen > PROLOG_LIMIT:
                    if root is not None:
                        return _check_root(root, name)
                    raise StatementFileError(
                        f"{name} is geen camt.053-bestand (geen XML-document gevonden)"
                    )
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in head:  # e.g. libxml2's own guard against entity expansion fired
            raise StatementFileError(_DTD_REFUSED.format(name=name)) from None
        if not start.startswith(b"<"):
            raise StatementFileError(f"{name} is geen XML-bestand en geen camt.053") from None
        raise StatementFileError(f"{name} is geen geldige XML{_where(exc)}") from None
    except OSError as exc:
        raise file_error(path, exc) from None


_DTD_REFUSED = "{name} bevat een DTD; dat hoort niet in een bankafschrift"


# ISO 20022 messages a clerk may hand in instead of the day statement, by their message element
# (version 1 of each adds 'V01': BkToCstmrAcctRptV01).
_ISO_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})\.\d{3}\.\d{2}")
_MESSAGES = {"BkToCstmrStmt": "camt.053", "BkToCstmrAcctRpt": "camt.052",
             "BkToCstmrDbtCdtNtfctn": "camt.054", "CstmrCdtTrfInitn": "pain.001",
             "CstmrDrctDbtInitn": "pain.008"}
_ASK_FOR_053 = "lever het camt.053-afschrift aan"
_NEIGHBOURS = {
    "camt.052": f"een camt.052-rekeningrapport (tussentijds), geen dagafschrift: {_ASK_FOR_053}",
    "camt.054": "een camt.054-melding (bij- en afschrijvingsberichten), geen dagafschrift: "
                + _ASK_FOR_053,
    "pain.001": f"een betaalbestand (pain.001) voor de bank, geen afschrift: {_ASK_FOR_053}",
    "pain.008": f"een incassobestand (pain.008), geen afschrift: {_ASK_FOR_053}",
}


def _check_root(root: etree._Element, name: str, first: etree._Element | None = None
                ) -> tuple[str, str]:
    """``first``: the first element inside a namespace-less Document, when there is one."""
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementFileError(_DTD_REFUSED.format(name=name))
    namespace, local = _split_tag(root.tag)
    match = NAMESPACE.fullmatch(namespace)
    if match and local in ("Document", "BkToCstmrStmt"):
        return namespace, f"camt.053.001.{match.group(1)}"
    iso = _ISO_NAMESPACE.fullmatch(namespace)
    if iso:
        message = iso.group(1)
    else:  # no namespace (or a stranger's): the message element tells
        element = first if local == "Document" and first is not None else root
        message = _MESSAGES.get(_split_tag(element.tag)[1].removesuffix("V01"))
        if not namespace and local in ("Document", "BkToCstmrStmt") \
                and message in (None, "camt.053"):
            return "", "camt.053"  # the version is unknown; Stmt must follow
    if message in _NEIGHBOURS:
        raise StatementFileError(f"{name} is {_NEIGHBOURS[message]}")
    if iso and message != "camt.053":
        kind = _shown(namespace.rsplit(":", 1)[-1], 30)
        raise StatementFileError(f"{name} is een ISO 20022-bericht {kind}, geen camt.053-afschrift")
    kind = _shown(namespace.rsplit(":", 1)[-1] if namespace else local, 60)
    raise StatementFileError(f"{name} is XML, maar geen camt.053-afschrift ({kind})")


def _split_tag(tag) -> tuple[str, str]:
    """'{namespace}local' → (namespace, local); a comment or PI has no str tag."""
    if not isinstance(tag, str):
        return "", ""
    return tuple(tag[1:].rpartition("}")[::2]) if tag[:1] == "{" else ("", tag)


def _where(exc: etree.XMLSyntaxError) -> str:
    line = getattr(exc, "lineno", None)
    if isinstance(line, int) and line > 0:
        return f": het bestand is afgebroken of beschadigd (regel {line})"
    return ": het bestand is afgebroken of beschadigd"


def _as_ascii(data: bytes) -> bytes:
    """Enough of the bytes, in an ASCII-compatible form, to recognise markup: UTF-16 and
    UTF-32 files are decoded, UTF-8's byte order mark is dropped."""
    for bom, codec in ((b"\xef\xbb\xbf", None), (b"\xff\xfe\x00\x00", "utf-32-le"),
                       (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom):]
            if codec is None:
                return body
            usable = len(body) - len(body) % (4 if "32" in codec else 2)
            return body[:usable].decode(codec, "ignore").encode("utf-8", "ignore")
    if data[:2] in (b"<\x00", b"\x00<"):
        codec = "utf-16-le" if data[:1] == b"<" else "utf-16-be"
        return data[: len(data) - len(data) % 2].decode(codec, "ignore").encode("utf-8")
    return data


# -- Reading -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Statement:
    element: etree._Element
    number: int
    data: StatementData
    own_account: str | None
    balance_currencies: list[tuple[str, str]]  # ("beginsaldo", "EUR"), …
    entries_seen: int = 0
    currencies: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class _Party:
    name: str | None
    account: str | None
    bic: str | None


@dataclass(slots=True)
class _Detail:
    """What one TxDtls says."""

    amount_cents: int | None  # unsigned; None when the detail carries no amount
    currency: str | None
    credit: bool | None  # its own CdtDbtInd (v04+), when given
    bank_reference: str | None
    end_to_end_id: str | None
    mandate_id: str | None
    code_element: etree._Element | None  # its BkTxCd, read only when needed
    parties: dict[str, etree._Element]  # RltdPties and RltdAgts children, read when needed
    description: str | None
    structured_reference: str | None
    return_reason: str | None


class _Reader:
    def __init__(self, path: Path, name: str, namespace: str, file_format: str):
        self.path = path
        self.name = name
        self.file_format = file_format
        self.prefix = f"{{{namespace}}}" if namespace else ""
        self.strip = len(self.prefix)
        p = self.prefix
        self.NTRY, self.STMT, self.NTRYDTLS = p + "Ntry", p + "Stmt", p + "NtryDtls"
        self.TXDTLS, self.BTCH, self.BAL = p + "TxDtls", p + "Btch", p + "Bal"
        self.USTRD, self.STRD = p + "Ustrd", p + "Strd"
        self.statements: list[StatementData] = []
        self.warnings: list[str] = []
        self.bank: str | None = None
        self.current: _Statement | None = None
        self.pending: list[Entry] = []  # entries read and not yet handed over

    # The stream ------------------------------------------------------------------------------

    def chunks(self, result: StatementStream) -> Iterator[StatementChunk]:
        events = etree.iterparse(str(self.path), events=("end",), tag=(self.NTRY, self.STMT),
                                 remove_comments=True, remove_pis=True, **SAFE_PARSING)
        try:
            for _event, element in events:
                if element.tag == self.NTRY:
                    self._on_entry(element)
                    if len(self.pending) >= CHUNK_ENTRIES:
                        current = self.current
                        yield StatementChunk(current.number, current.data, self.pending, False)
                        self.pending = []
                else:
                    finished = self._on_statement_end(element)
                    result.bank = self.bank
                    yield StatementChunk(finished.number, finished.data, self.pending, True)
                    self.pending = []
        except etree.XMLSyntaxError as exc:
            raise StatementFileError(f"{self.name} is geen geldige XML{_where(exc)}") from None
        except OSError as exc:
            raise StatementFileError(f"Kan {self.name} niet lezen: {exc.strerror or exc}") \
                from None
        if not self.statements:
            raise StatementFileError(f"{self.name} bevat geen afschrift (geen Stmt)")

    def _on_entry(self, element: etree._Element) -> None:
        parent = element.getparent()
        if parent is None or parent.tag != self.STMT:
            self._refuse("er staat een post (Ntry) buiten een afschrift (Stmt)")
        current = self.current
        if current is None:
            current = self._begin(parent)
        elif current.element is not parent:
            self._refuse(f"afschrift {current.number} bevat een ander afschrift (Stmt)")
        current.entries_seen += 1
        self.pending.extend(self._entries(element, current))
        # Done with it: free the entry and everything before it (header elements were read
        # when the statement began), so that memory stays flat.
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del parent[0]

    def _on_statement_end(self, element: etree._Element) -> _Statement:
        current = self.current
        if current is None:
            current = self._begin(element)  # a statement without entries
        elif current.element is not element:
            self._refuse(f"afschrift {current.number} bevat een ander afschrift (Stmt)")
        self._finish(current)
        self.current = None
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
        return current

    def _refuse(self, reason: str):
        raise StatementFileError(f"{self.name}: {reason}")

    # Statements ------------------------------------------------------------------------------

    def _begin(self, element: etree._Element) -> _Statement:
        """Read a statement's header (everything before its first Ntry)."""
        number = len(self.statements) + 1
        where = f"afschrift {number}"
        flat: dict[str, list] = {}
        balances = []
        for child in element:
            tag = child.tag
            if tag == self.NTRY:
                break
            if tag == self.BAL:
                balances.append(self._flatten(child))
            elif isinstance(tag, str):
                self._add(child, flat)
        account = _iban(_text(flat, "Acct/Id/IBAN")) or _text(flat, "Acct/Id/Othr/Id")
        if not account:
            self._refuse(f"{where} heeft geen rekeningnummer (Acct/Id)")
        currency = _currency(_text(flat, "Acct/Ccy"))
        if currency is None:
            for balance in balances:
                currency = _currency(_attr(balance, "Amt", "Ccy"))
                if currency:
                    break
        data = StatementData(
            account=account,
            currency=currency or "",  # settled in _finish when only the entries tell
            statement_id=_text(flat, "Id"),
            sequence=_text(flat, "ElctrncSeqNb") or _text(flat, "LglSeqNb"),
            period_from=self._day(_first(flat, "FrToDt/FrDtTm"), where, "begin van de periode"),
            period_through=self._day(_first(flat, "FrToDt/ToDtTm"), where,
                                     "einde van de periode"),
        )
        balance_currencies = self._balances(data, balances, where)
        if self.bank is None:
            bic = _text(flat, "Acct/Svcr/FinInstnId/BIC") or _text(
                flat, "Acct/Svcr/FinInstnId/BICFI")
            if bic and _BIC.fullmatch(bic.upper()):
                self.bank = bic.upper()
            else:
                self.bank = _text(flat, "Acct/Svcr/FinInstnId/Nm")
        self.current = _Statement(element, number, data, account, balance_currencies)
        return self.current

    def _balances(self, data: StatementData, balances: list[dict], where: str
                  ) -> list[tuple[str, str]]:
        """OPBD (else PRCD) is the opening balance, CLBD the closing balance. Returns the
        currency of each, for the warnings. A balance without CdtDbtInd (some banks leave it
        out of a zero balance) is read as a credit, with a warning: the balance check against
        the entries catches a wrong guess; an entry without it is still refused."""
        found: dict[str, tuple[int, date | None, str | None]] = {}
        guessed: list[str] = []  # the codes of balances without CdtDbtInd
        for balance in balances:
            code = _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")
            code = (code or "").upper()
            if code not in ("OPBD", "PRCD", "CLBD") or code in found:
                continue
            here = f"{where}, saldo {code}"
            cents = self._amount(_first(balance, "Amt"), here)
            currency = _currency(_attr(balance, "Amt", "Ccy"))
            indicator = _text(balance, "CdtDbtInd")
            credit = indicator is None or self._credit(indicator, here)
            if indicator is None:
                guessed.append(code)
            day = self._day(_first(balance, "Dt"), here, "datum")
            found[code] = (cents if credit else -cents, day, currency)
        opening_code = "OPBD" if "OPBD" in found else "PRCD"
        opening = found.get(opening_code)
        closing = found.get("CLBD")
        for code in guessed:
            if code in (opening_code, "CLBD"):
                cents, _day, currency = found[code]
                self.warnings.append(
                    f"A{where[1:]}: saldo {code} zonder CdtDbtInd gelezen als bijschrijving "
                    f"({_money(cents, currency or data.currency or 'EUR')})")
        if opening:
            data.opening_balance_cents, data.opening_date = opening[0], opening[1]
        if closing:
            data.closing_balance_cents, data.closing_date = closing[0], closing[1]
        return [(label, value[2]) for label, value in
                (("beginsaldo", opening), ("eindsaldo", closing)) if value and value[2]]

    def _finish(self, current: _Statement) -> None:
        data = current.data
        if not data.currency:
            data.currency = current.currencies.most_common(1)[0][0] if current.currencies \
                else "EUR"
        number = current.number
        if data.currency != "EUR":
            self.warnings.append(f"Afschrift {number} is in {data.currency}, niet in EUR")
        for label, currency in current.balance_currencies:
            if currency != data.currency:
                self.warnings.append(
                    f"Afschrift {number}: {label} is in {currency}, niet in {data.currency}")
        for currency, count in sorted(current.currencies.items()):
            if currency != data.currency:
                posts = "post" if count == 1 else "posten"
                self.warnings.append(
                    f"Afschrift {number}: {count} {posts} in {currency}, niet in {data.currency}"
                )
        self.statements.append(data)

    # Entries ---------------------------------------------------------------------------------

    def _entries(self, ntry: etree._Element, current: _Statement) -> list[Entry]:
        # The reader's inner loop: one pass over the entry's children, descending only into
        # what is used. (A generic walk building a path for every element cost half again as
        # much; the whole read stays under twice a bare iterparse of the file.)
        where = (current.number, current.entries_seen)  # formatted only for an error
        strip = self.strip
        top: dict[str, etree._Element] = {}
        details: list[etree._Element] = []
        batch: dict[str, list] | None = None
        for child in ntry:
            tag = child.tag
            if tag == self.NTRYDTLS:
                for part in child:
                    if part.tag == self.TXDTLS:
                        details.append(part)
                    elif part.tag == self.BTCH and batch is None:
                        batch = self._flatten(part)
            elif tag.__class__ is str:
                top.setdefault(tag[strip:], child)

        amount = top.get("Amt")
        cents = self._amount(amount, where)
        credit = self._credit(_text_of(top.get("CdtDbtInd")), where)
        signed = cents if credit else -cents
        currency = _currency(amount.get("Ccy")) or current.data.currency or "EUR"
        current.currencies[currency] += 1
        reversal = (_text_of(top.get("RvslInd")) or "").lower() in ("true", "1")
        status = top.get("Sts")
        if status is not None:
            status = _text_of(status) or _text_of(_child(status, self.prefix + "Cd")) \
                or _text_of(_child(status, self.prefix + "Prtry"))
        booked = self._day(top.get("BookgDt"), where, "boekdatum")
        value = self._day(top.get("ValDt"), where, "valutadatum")
        if booked is None:
            booked = value  # e.g. a pending entry: the bank has not booked it yet
        if booked is None:
            self._refuse(f"{_place(where)} heeft geen datum (BookgDt/ValDt)")
        code = self._code(top.get("BkTxCd"))
        extra = _fold(_text_of(top.get("AddtlNtryInf")))
        abn = _abn_amro_fields(extra) if extra and extra[0] == "/" else None

        common = {
            "booking_date": booked, "currency": currency, "value_date": value,
            "reversal": reversal, "status": (status or "BOOK").upper(),
            "entry_reference": _text_of(top.get("NtryRef")),
        }
        reference = _text_of(top.get("AcctSvcrRef"))
        parsed = [self._detail(d, (*where, i)) for i, d in enumerate(details, 1)]
        batch_info = _batch_info(batch, abn, len(parsed))

        if len(parsed) > 1 and all(d.amount_cents is not None for d in parsed):
            if all((d.currency or currency) == currency for d in parsed):
                return self._split(parsed, signed, credit, current, common, code, reference,
                                   batch_info, extra, abn, where)
            self.warnings.append(
                f"Afschrift {current.number}, post {current.entries_seen}: de details staan "
                "in een andere valuta; de post is niet gesplitst")

        detail = parsed[0] if len(parsed) == 1 else None
        fields = self._entry_fields(detail, credit, reversal, current.own_account)
        fields["bank_reference"] = reference or (detail.bank_reference if detail else None)
        fields["transaction_code"] = code or (self._code(detail.code_element) if detail
                                              else None)
        if abn:
            _fill_from_abn_amro(fields, abn)
        elif extra and not fields["description"]:
            fields["description"] = extra
        return [Entry(amount_cents=signed, batch_info=batch_info, **common, **fields)]

    def _split(self, parsed: list[_Detail], signed: int, credit: bool, current: _Statement,
               common: dict, code: str | None, reference: str | None, batch_info: str | None,
               extra: str | None, abn: dict | None, where: tuple) -> list[Entry]:
        """A batch entry whose details carry their own amounts: one Entry per detail. The
        details must add up to the entry; otherwise the file is refused."""
        credits = [credit if d.credit is None else d.credit for d in parsed]
        amounts = [d.amount_cents if c else -d.amount_cents
                   for d, c in zip(parsed, credits, strict=True)]
        if sum(amounts) != signed:
            currency = common["currency"]
            self._refuse(f"{_place(where)}: de {len(parsed)} details tellen op tot "
                         f"{_money(sum(amounts), currency)}, maar de post is "
                         f"{_money(signed, currency)}")
        reversal = common["reversal"]
        # Entry-level AddtlNtryInf describes the batch as a whole (TRTP, PREF, NRTX): only
        # its text is used, as the description of a detail that has none.
        text = (abn.get("REMI") or None) if abn else extra
        entries = []
        for index, (detail, cents, detail_credit) in enumerate(
                zip(parsed, amounts, credits, strict=True), start=1):
            fields = self._entry_fields(detail, detail_credit, reversal, current.own_account)
            fields["bank_reference"] = reference or detail.bank_reference
            fields["transaction_code"] = self._code(detail.code_element) or code
            if not fields["description"]:
                fields["description"] = text
            entries.append(Entry(amount_cents=cents, batch_info=batch_info, detail_index=index,
                                 **common, **fields))
        return entries

    def _entry_fields(self, detail: _Detail | None, credit: bool, reversal: bool,
                      own_account: str | None) -> dict:
        if detail is None:
            return {"end_to_end_id": None, "mandate_id": None, "counterparty_name": None,
                    "counterparty_iban": None, "counterparty_bic": None, "description": None,
                    "structured_reference": None, "return_reason": None}
        party = self._counterparty(detail, credit, reversal, own_account)
        return {
            "end_to_end_id": detail.end_to_end_id,
            "mandate_id": detail.mandate_id,
            "counterparty_name": party.name if party else None,
            "counterparty_iban": party.account if party else None,
            "counterparty_bic": party.bic if party else None,
            "description": detail.description,
            "structured_reference": detail.structured_reference,
            "return_reason": detail.return_reason,
        }

    def _detail(self, element: etree._Element, where: tuple) -> _Detail:
        strip = self.strip
        amount = amount_details = credit = code = reason = extra = None
        refs: dict[str, etree._Element] = {}
        parties: dict[str, etree._Element] = {}
        texts: list[str] = []
        references: list[str] = []
        for child in element:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            name = tag[strip:]
            if name == "Refs":
                for ref in child:
                    if ref.tag.__class__ is str:
                        refs.setdefault(ref.tag[strip:], ref)
            elif name == "Amt":
                amount = child
            elif name == "AmtDtls":
                amount_details = _child(_child(child, self.prefix + "TxAmt"),
                                        self.prefix + "Amt")
            elif name == "CdtDbtInd":
                credit = self._credit(_text_of(child), where)
            elif name == "BkTxCd":
                code = child
            elif name in ("RltdPties", "RltdAgts"):
                for party in child:
                    if party.tag.__class__ is str:
                        parties.setdefault(party.tag[strip:], party)
            elif name == "RmtInf":
                for part in child:
                    if part.tag == self.USTRD:
                        text = _fold(part.text)
                        if text:
                            texts.append(text)
                    elif part.tag == self.STRD:
                        reference = _text_of(_child(_child(part, self.prefix + "CdtrRefInf"),
                                                    self.prefix + "Ref"))
                        if reference:
                            references.append(reference)
            elif name == "RtrInf":
                reason_element = _child(child, self.prefix + "Rsn")
                reason = _text_of(_child(reason_element, self.prefix + "Cd")) or _text_of(
                    _child(reason_element, self.prefix + "Prtry"))
            elif name == "AddtlTxInf":
                extra = child
        if amount is None:
            amount = amount_details
        end_to_end = _text_of(refs.get("EndToEndId"))
        return _Detail(
            amount_cents=None if amount is None else self._amount(amount, where),
            currency=None if amount is None else _currency(amount.get("Ccy")),
            credit=credit,
            bank_reference=_text_of(refs.get("AcctSvcrRef")),
            end_to_end_id=None if end_to_end == NOT_PROVIDED else end_to_end,
            mandate_id=_text_of(refs.get("MndtId")),
            code_element=code,
            parties=parties,
            description=" ".join(texts) if texts else _fold(_text_of(extra)),
            structured_reference=references[0] if references else None,
            return_reason=reason,
        )

    def _counterparty(self, detail: _Detail, credit: bool, reversal: bool,
                          own_account: str | None) -> _Party | None:
        """The other party, by direction: the debtor of money we receive (a credit), the creditor
        of money we pay (a debit) — never simply the debtor.

        A reversal (RvslInd) undoes an earlier booking in the opposite direction, and its
        counterparty is the counterparty of that original booking: the customer whose direct
        debit bounced, not the municipality itself. Banks disagree on where they put that party.
        The ISO 20022/EPC guidance keeps the roles of the original transaction (a reversed credit
        names the original debtor under Dbtr), so that role is tried first; ABN AMRO, ING and the
        OCA test bank instead put the party in the role of the reversal booking itself (a reversal
        booked as a debit names it under Cdtr) and leave the other role empty, so the other role
        is the fallback. A party holding the statement's own account is never the counterparty.
        """
        original_credit = credit != reversal
        roles = ("Dbtr", "Cdtr") if original_credit else ("Cdtr", "Dbtr")
        for role in roles if reversal else roles[:1]:
            party = self._party(detail.parties, role)
            if party is not None and (own_account is None or party.account != own_account):
                return party
        return None

    def _party(self, parties: dict[str, etree._Element], role: str) -> _Party | None:
        """RltdPties/Dbtr (or Cdtr) with its account and its bank's BIC; v08 nests the name
        under Pty. The account is the IBAN, else the bank's own account number."""
        p = self.prefix
        party = parties.get(role)
        name = None
        if party is not None:
            name = _fold(_text_of(_child(party, p + "Nm"))
                         or _text_of(_child(_child(party, p + "Pty"), p + "Nm")))
        account = None
        identification = _child(parties.get(role + "Acct"), p + "Id")
        if identification is not None:
            account = _iban(_text_of(_child(identification, p + "IBAN"))) or _text_of(
                _child(_child(identification, p + "Othr"), p + "Id"))
        if name is None and account is None:
            return None
        institution = _child(parties.get(role + "Agt"), p + "FinInstnId")
        bic = _text_of(_child(institution, p + "BIC")) or _text_of(
            _child(institution, p + "BICFI"))
        return _Party(name, account, bic.upper() if bic else None)

    def _code(self, element: etree._Element | None) -> str | None:
        """BkTxCd as 'PMNT-RCDT-ESCT' (domain, family, sub-family), else the bank's own code."""
        if element is None:
            return None
        p = self.prefix
        domain = _child(element, p + "Domn")
        if domain is not None:
            family = _child(domain, p + "Fmly")
            parts = [_text_of(_child(domain, p + "Cd")), _text_of(_child(family, p + "Cd")),
                     _text_of(_child(family, p + "SubFmlyCd"))]
            if parts[0]:
                return "-".join(part for part in parts if part)
        return _text_of(_child(_child(element, p + "Prtry"), p + "Cd"))

    # Small readers ---------------------------------------------------------------------------

    def _add(self, child: etree._Element, flat: dict[str, list]) -> None:
        """``child`` and everything below it into ``flat``."""
        name = child.tag[self.strip:]
        found = flat.get(name)
        if found is None:
            flat[name] = [child]
        else:
            found.append(child)
        if len(child):
            self._flatten_into(child, name + "/", flat)

    def _flatten(self, element: etree._Element) -> dict[str, list]:
        """Every element below ``element`` under its path of local names ("Refs/MndtId")."""
        flat: dict[str, list] = {}
        self._flatten_into(element, "", flat)
        return flat

    def _flatten_into(self, element: etree._Element, prefix: str, flat: dict[str, list]
                      ) -> None:
        # One pass in document order; a parent's path is always known before its children.
        # (This is the reader's inner loop: far cheaper than recursing in Python.)
        strip = self.strip
        paths = {element: prefix}
        for node in element.iterdescendants():
            tag = node.tag
            if tag.__class__ is not str:  # a comment, processing instruction or entity
                continue
            path = paths[node.getparent()] + tag[strip:]
            paths[node] = path + "/"
            found = flat.get(path)
            if found is None:
                flat[path] = [node]
            else:
                found.append(node)

    def _amount(self, element: etree._Element | None, where: str | tuple) -> int:
        text = _text_of(element)
        if text is None:
            self._refuse(f"{_place(where)}: het bedrag ontbreekt")
        try:
            return _cents(text)
        except ValueError as exc:
            self._refuse(f"{_place(where)}: {exc}")

    def _credit(self, indicator: str | None, where: str | tuple) -> bool:
        if indicator == "CRDT":
            return True
        if indicator == "DBIT":
            return False
        if indicator is None:
            self._refuse(f"{_place(where)}: bij- of afschrijving (CdtDbtInd) ontbreekt")
        self._refuse(f"{_place(where)}: onbekende CdtDbtInd '{_shown(indicator, 10)}' "
                     "(CRDT of DBIT verwacht)")

    def _day(self, element: etree._Element | None, where: str | tuple, what: str
             ) -> date | None:
        """The date in ``element`` (FrDtTm) or in its first child (BookgDt/Dt, Bal/Dt/DtTm)."""
        if element is not None and len(element):
            element = element[0]
        text = _text_of(element)
        if text is None:
            return None
        try:
            return _local_date(text)
        except (ValueError, OverflowError):
            self._refuse(f"{_place(where)}: ongeldige {what} '{_shown(text, 30)}'")


# -- Pure helpers ------------------------------------------------------------------------------


def _shown(text: str, limit: int) -> str:
    """File content quoted in a message: on one line, and not too long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _money(cents: int, currency: str) -> str:
    return euro(cents) if currency == "EUR" else f"{currency} {decimal_text(cents)}"


def _place(where: str | tuple) -> str:
    """(1, 4, 2) → 'afschrift 1, post 4, detail 2': where in the file a problem is."""
    if isinstance(where, str):
        return where
    text = f"afschrift {where[0]}, post {where[1]}"
    return f"{text}, detail {where[2]}" if len(where) > 2 else text


def _text(flat: dict[str, list], key: str) -> str | None:
    found = flat.get(key)
    if not found:
        return None
    text = found[0].text
    if text is None:
        return None
    text = text.strip()
    return text or None


def _attr(flat: dict[str, list], key: str, name: str) -> str | None:
    found = flat.get(key)
    return found[0].get(name) if found else None


def _first(flat: dict[str, list], key: str) -> etree._Element | None:
    found = flat.get(key)
    return found[0] if found else None


def _text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = element.text
    if text is None:
        return None
    text = text.strip()
    return text or None


def _child(element: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child with this (namespaced) tag."""
    if element is None:
        return None
    for child in element:
        if child.tag == tag:
            return child
    return None


def _fold(text: str | None) -> str | None:
    """Whitespace (also line breaks inside a bank's text) folded to single spaces."""
    if not text:
        return None
    return " ".join(text.split()) or None


def _iban(text: str | None) -> str | None:
    """An IBAN in its electronic form: no spaces, capitals."""
    if not text:
        return None
    return "".join(text.split()).upper() or None


def _currency(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip().upper()
    return text[:3] if text else None


def _cents(text: str) -> int:
    """'1.00', '01.00', '8.850', '38' → cents. Refuses negative, sub-cent and malformed."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if text.startswith("-"):
            raise ValueError(f"negatief bedrag {_shown(text, 20)} (in camt staat het teken in "
                             "CdtDbtInd, niet in het bedrag)")
        raise ValueError(f"ongeldig bedrag '{_shown(text, 20)}'")
    units, decimals = match.group(1), match.group(2) or ""
    if len(units) > MAX_AMOUNT_DIGITS:
        raise ValueError(f"bedrag van {len(units)} cijfers is te groot")
    if decimals[2:].strip("0"):
        raise ValueError(f"bedrag {_shown(text, 30)} is geen heel aantal centen")
    return int(units) * 100 + int((decimals[:2] or "0").ljust(2, "0"))


@lru_cache(maxsize=8192)
def _local_date(text: str) -> date:
    """An ISO date ('2014-01-05', also with an offset) as written; an ISO date-time as the
    date in Europe/Amsterdam when it carries an offset, as written when it does not."""
    if "T" not in text:
        match = _ISO_DATE.fullmatch(text)
        if match is None:
            raise ValueError(text)
        return date.fromisoformat(match.group(1))
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TIME)
    return moment.date()


def _batch_info(batch: dict[str, list] | None, abn: dict | None, details: int) -> str | None:
    """'batch <PmtInfId>, <NbOfTxs> posten' for a batch entry; None for a single payment."""
    # The payment information id is what the municipality knows its own batch by (ABN AMRO
    # repeats it as PREF); the bank's message id is the last resort.
    identifier = count = None
    if batch is not None:
        identifier = _text(batch, "PmtInfId")
        count = _text(batch, "NbOfTxs")
    if abn:
        identifier = identifier or abn.get("PREF") or None
        count = count or abn.get("NRTX") or None
    if batch is not None and identifier is None:
        identifier = _text(batch, "MsgId")
    if batch is None and details < 2 and not (abn and abn.get("NRTX")):
        return None
    if count is None and details > 1:
        count = str(details)
    text = f"batch {_fold(identifier)}" if identifier else "batch"
    if count:
        text += f", {count} {'post' if count == '1' else 'posten'}"
    return text


# ABN AMRO's (and BNG's) structured AddtlNtryInf: /TRTP/SEPA OVERBOEKING/IBAN/NL…/BIC/…/NAME/…
# /REMI/…/EREF/…  Values may contain '/', so only these known tags split the text.
_ABN_TAGS = ("TRTP", "RTYP", "IBAN", "BIC", "NAME", "REMI", "EREF", "CSID", "MARF", "PREF",
             "NRTX", "PIND", "RTRN", "SVCL", "SHA1", "ORDP", "BENM", "ID", "ADDR", "ISDT",
             "CNTP", "ULTC", "ULTD", "ULTB", "PURP", "SWOC", "OCMT", "EXCH", "CHGS", "BUSP")
_ABN_TAG = re.compile("/(" + "|".join(_ABN_TAGS) + ")/")
_ABN_STRUCTURED = re.compile(r"STRD/(?:[A-Z]+/)?(\S+?)/?|Issuer: *\w+ +Ref: *(\S+)")


def _abn_amro_fields(text: str) -> dict | None:
    """The parts of a '/TRTP/…' text; None for free text. Repeated tags (ABN AMRO writes
    '/REMI//REMI/…') keep their non-empty values, joined."""
    if _ABN_TAG.match(text) is None:
        return None
    pieces = _ABN_TAG.split(text)
    fields: dict[str, str] = {}
    for tag, value in zip(pieces[1::2], pieces[2::2], strict=True):
        value = value.strip()
        if value:
            fields[tag] = f"{fields[tag]} {value}" if fields.get(tag) else value
    remittance = fields.get("REMI", "")
    if remittance.startswith("USTD//"):
        fields["REMI"] = remittance[6:].strip()
    else:
        structured = _ABN_STRUCTURED.fullmatch(remittance)
        if structured:
            fields["STRD"] = structured.group(1) or structured.group(2)
            fields["REMI"] = ""
    return fields


def _fill_from_abn_amro(fields: dict, abn: dict) -> None:
    """Fill what the structured elements did not give; never overwrite them. The counterparty
    comes from the text only when it does not contradict a structured account."""
    iban = _iban(abn.get("IBAN"))
    if iban and fields["counterparty_iban"] in (None, iban):
        fields["counterparty_iban"] = iban
        fields["counterparty_name"] = fields["counterparty_name"] or abn.get("NAME")
        bic = abn.get("BIC")
        fields["counterparty_bic"] = fields["counterparty_bic"] or (bic.upper() if bic else None)
    elif not iban and not fields["counterparty_iban"] and not fields["counterparty_name"]:
        fields["counterparty_name"] = abn.get("NAME")
    eref = abn.get("EREF")
    if not fields["end_to_end_id"] and eref and eref != NOT_PROVIDED:
        fields["end_to_end_id"] = eref
    for key, tag in (("mandate_id", "MARF"), ("return_reason", "RTRN"),
                     ("structured_reference", "STRD"), ("description", "REMI"),
                     ("transaction_code", "TRTP")):
        if not fields[key] and abn.get(tag):
            fields[key] = abn[tag]
    if not fields["description"] and not fields["structured_reference"]:
        fields["description"] = abn.get("TRTP")  # "SEPA BATCH SALARIS": better than nothing

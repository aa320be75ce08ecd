"""The pain.001.001.03 file (SEPA credit transfers) for the bank, following the Dutch
implementation guideline: one ``PmtInf`` per execution date, an end-to-end id per payment
(never NOTPROVIDED), SEPA characters, names to 70 and remittances to 140, amounts as exact
decimals. The file is validated against the official XSD before it is returned: a file that
does not validate, or that would carry a BSN, is not made (``Pain001Error``, one Dutch line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from app.assets import resource_root
from app.payments.sepa_text import NAME_LENGTH, REMITTANCE_LENGTH, sepa_id, sepa_text

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
MAX_CENTS = 99_999_999_999  # 999,999,999.99: the largest InstdAmt the schema allows
_NS = {"p": NAMESPACE}


@dataclass(frozen=True)
class CreditTransfer:
    end_to_end_id: str  # unique per payment, never NOTPROVIDED
    amount_cents: int  # > 0
    creditor_name: str
    creditor_iban: str
    remittance: str  # Ustrd
    execution_date: date  # a TARGET2 day (the caller moves it)
    creditor_bic: str | None = None


@dataclass(frozen=True)
class TransferBatch:
    message_id: str
    created_at: datetime
    initiating_party: str  # the municipality
    debtor_name: str
    debtor_iban: str
    debtor_bic: str | None
    transfers: tuple[CreditTransfer, ...]


class Pain001Error(ValueError):
    """Why the file was not made: one Dutch line."""


def amount_text(cents: int) -> str:
    return f"{Decimal(cents).scaleb(-2):.2f}"


@cache
def schema() -> etree.XMLSchema:
    path = resource_root() / "xsd" / "pain.001.001.03.xsd"
    with path.open("rb") as handle:
        return etree.XMLSchema(etree.parse(handle, _safe_parser()))


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _fail(reason: str) -> Pain001Error:
    return Pain001Error(f"Betaalbestand niet gemaakt: {reason}")


def _check_iban(iban: str, whose: str) -> str:
    try:
        return IBAN(iban).compact
    except (SchwiftyException, ValueError):
        raise _fail(f"ongeldige IBAN {iban or '(leeg)'} ({whose})") from None


def _check(batch: TransferBatch, forbidden: _Forbidden) -> None:
    if not batch.transfers:
        raise _fail("er zijn geen betalingen")
    if len(batch.message_id) > 31:  # room for "-n" in the PmtInfId
        raise _fail(f"berichtkenmerk {batch.message_id} is langer dan 31 tekens")
    try:
        sepa_id(batch.message_id)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _check_iban(batch.debtor_iban, "de gemeentelijke rekening")
    seen: set[str] = set()
    for transfer in batch.transfers:
        e2e = transfer.end_to_end_id
        if e2e.upper() == "NOTPROVIDED":
            raise _fail("een betaling heeft geen eigen end-to-end-id (NOTPROVIDED)")
        try:
            sepa_id(e2e)
        except ValueError as exc:
            raise _fail(f"betaling {e2e}: {exc}") from None
        if e2e in seen:
            raise _fail(f"end-to-end-id {e2e} komt twee keer voor")
        seen.add(e2e)
        if not 0 < transfer.amount_cents <= MAX_CENTS:
            raise _fail(f"betaling {e2e}: ongeldig bedrag {amount_text(transfer.amount_cents)}")
        _check_iban(transfer.creditor_iban, f"betaling {e2e}")
        if not sepa_text(transfer.creditor_name, NAME_LENGTH):
            raise _fail(f"betaling {e2e}: de naam van de ontvanger is leeg")
        texts = (transfer.creditor_name, transfer.remittance, e2e)
        if any(_holds(text, forbidden) for text in texts):
            raise _fail(f"een omschrijving bevat een BSN (betaling {e2e})")
    if any(_holds(text, forbidden) for text in (batch.initiating_party, batch.debtor_name)):
        raise _fail("de naam van de gemeente bevat een BSN")


@dataclass(frozen=True)
class _Forbidden:
    """The strings no text may hold, and their lengths (computed once per batch)."""

    strings: frozenset[str]
    lengths: frozenset[int]

    @classmethod
    def of(cls, strings: Iterable[str]) -> _Forbidden:
        found = frozenset(s for s in strings if s)
        return cls(found, frozenset(len(s) for s in found))


BSN_LENGTH = 9
_SEPARATORS = " .-/"


def _checked_texts(batch: TransferBatch) -> Iterator[str | None]:
    for transfer in batch.transfers:
        yield from (transfer.creditor_name, transfer.remittance, transfer.end_to_end_id)
    yield from (batch.initiating_party, batch.debtor_name)


def bsn_candidates(batch: TransferBatch) -> set[str]:
    """Every run of nine digits the file's texts would hold (also across spaces, dots and
    dashes): what to ask the database about (app.services.bsn.bsns_among), so the writer can
    refuse a BSN without anybody reading all BSNs."""
    found: set[str] = set()
    for text in _checked_texts(batch):
        if not text:
            continue
        for candidate in (text, "".join(ch for ch in text if ch not in _SEPARATORS)):
            for run in re.findall(r"\d{9,}", candidate):
                found.update(run[i:i + BSN_LENGTH] for i in range(len(run) - BSN_LENGTH + 1))
    return found


def _holds(text: str | None, forbidden: _Forbidden) -> bool:
    """Whether ``text`` names one of ``forbidden``, also written with spaces, dots or dashes.
    Each slice of the text of a forbidden length is looked up in the set: linear in the text,
    whatever the number of BSNs (comparing every BSN with every text was quadratic: 40,000
    transfers took two minutes)."""
    if not text or not forbidden.strings:
        return False
    digits = "".join(ch for ch in text if ch not in _SEPARATORS)
    for length in forbidden.lengths:
        for candidate in (text, digits):
            if any(candidate[i:i + length] in forbidden.strings
                   for i in range(len(candidate) - length + 1)):
                return True
    return False


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: etree._Element, *tags: str, text: str | None = None) -> etree._Element:
    for tag in tags:
        parent = _sub(parent, tag)
    if text is not None:
        parent.text = text
    return parent


def _agent(parent: etree._Element, tag: str, bic: str | None) -> None:
    institution = _path(parent, tag, "FinInstnId")
    if bic:
        _sub(institution, "BIC", bic)
    else:
        _path(institution, "Othr", "Id", text="NOTPROVIDED")


def write_pain001(batch: TransferBatch, *, forbidden: Iterable[str] = ()) -> bytes:
    """The file for the bank, validated against the XSD; ``forbidden`` are strings (the
    participants' BSNs) that may appear nowhere in it."""
    _check(batch, _Forbidden.of(forbidden))
    by_date: dict[date, list[CreditTransfer]] = {}
    for transfer in sorted(batch.transfers, key=lambda t: t.execution_date):
        by_date.setdefault(transfer.execution_date, []).append(transfer)
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", batch.created_at.replace(tzinfo=None, microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(batch.transfers)))
    _sub(header, "CtrlSum", amount_text(sum(t.amount_cents for t in batch.transfers)))
    _path(header, "InitgPty", "Nm", text=sepa_text(batch.initiating_party, NAME_LENGTH))
    debtor_iban = IBAN(batch.debtor_iban).compact
    for number, (day, transfers) in enumerate(by_date.items(), start=1):
        info = _sub(initiation, "PmtInf")
        _sub(info, "PmtInfId", f"{batch.message_id}-{number}")
        _sub(info, "PmtMtd", "TRF")
        _sub(info, "BtchBookg", "true")
        _sub(info, "NbOfTxs", str(len(transfers)))
        _sub(info, "CtrlSum", amount_text(sum(t.amount_cents for t in transfers)))
        _path(info, "PmtTpInf", "SvcLvl", "Cd", text="SEPA")
        _sub(info, "ReqdExctnDt", day.isoformat())
        _path(info, "Dbtr", "Nm", text=sepa_text(batch.debtor_name, NAME_LENGTH))
        account = _sub(info, "DbtrAcct")
        _path(account, "Id", "IBAN", text=debtor_iban)
        _sub(account, "Ccy", "EUR")
        _agent(info, "DbtrAgt", batch.debtor_bic)
        _sub(info, "ChrgBr", "SLEV")
        for transfer in transfers:
            item = _sub(info, "CdtTrfTxInf")
            ids = _sub(item, "PmtId")
            _sub(ids, "InstrId", transfer.end_to_end_id)
            _sub(ids, "EndToEndId", transfer.end_to_end_id)
            _sub(_sub(item, "Amt"), "InstdAmt", amount_text(transfer.amount_cents), Ccy="EUR")
            if transfer.creditor_bic:
                _agent(item, "CdtrAgt", transfer.creditor_bic)
            _path(item, "Cdtr", "Nm", text=sepa_text(transfer.creditor_name, NAME_LENGTH))
            _path(item, "CdtrAcct", "Id", "IBAN", text=IBAN(transfer.creditor_iban).compact)
            remittance = sepa_text(transfer.remittance, REMITTANCE_LENGTH)
            if remittance:
                _path(item, "RmtInf", "Ustrd", text=remittance)
    checker = schema()
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise _fail(f"voldoet niet aan pain.001.001.03 ({error.message if error else '?'})")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_pain001(data: bytes) -> TransferBatch:
    """A pain.001.001.03 file as plain data (to show a stored file, and for tests). Read
    safely: no entities, no network."""
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise Pain001Error(f"Geen leesbaar betaalbestand: {exc}") from None
    if etree.QName(root).namespace != NAMESPACE:
        raise Pain001Error("Geen pain.001.001.03-bestand")

    def text(element, path: str) -> str | None:
        return element.findtext(path, namespaces=_NS)

    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", _NS)
    transfers = []
    debtor_name = debtor_iban = debtor_bic = None
    for info in root.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", _NS):
        day = date.fromisoformat(text(info, "p:ReqdExctnDt"))
        debtor_name = text(info, "p:Dbtr/p:Nm")
        debtor_iban = text(info, "p:DbtrAcct/p:Id/p:IBAN")
        debtor_bic = text(info, "p:DbtrAgt/p:FinInstnId/p:BIC")
        for item in info.iterfind("p:CdtTrfTxInf", _NS):
            amount = Decimal(text(item, "p:Amt/p:InstdAmt"))
            transfers.append(CreditTransfer(
                end_to_end_id=text(item, "p:PmtId/p:EndToEndId"),
                amount_cents=int(amount.scaleb(2)), creditor_name=text(item, "p:Cdtr/p:Nm"),
                creditor_iban=text(item, "p:CdtrAcct/p:Id/p:IBAN"),
                remittance=text(item, "p:RmtInf/p:Ustrd") or "", execution_date=day,
                creditor_bic=text(item, "p:CdtrAgt/p:FinInstnId/p:BIC")))
    return TransferBatch(
        message_id=text(header, "p:MsgId"),
        created_at=datetime.fromisoformat(text(header, "p:CreDtTm")),
        initiating_party=text(header, "p:InitgPty/p:Nm") or "", debtor_name=debtor_name or "",
        debtor_iban=debtor_iban or "", debtor_bic=debtor_bic, transfers=tuple(transfers))

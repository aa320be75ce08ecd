"""Writing camt.053.001.02 files: the demo's bank statements, test files and benchmark input.

The municipality never sends statements to a bank; this writer exists so that the demo, the
tests and the benchmarks can make realistic statement files of any size. It streams: a file of
100,000 entries is written without holding its XML in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from app.formatting import decimal_text
from app.importers.statements import Entry, StatementData

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CREDIT_CODE = ("PMNT", "RCDT", "ESCT")  # received SEPA credit transfer
DEBIT_CODE = ("PMNT", "ICDT", "ESCT")  # issued SEPA credit transfer


def write_camt053(path: Path, statements: Iterable[StatementData], *, message_id: str,
                  created: datetime, bank_bic: str = "BNGHNL2G") -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f'<Document xmlns="{NAMESPACE}">\n<BkToCstmrStmt>\n')
        out.write(f"<GrpHdr><MsgId>{escape(message_id)}</MsgId>"
                  f"<CreDtTm>{created:%Y-%m-%dT%H:%M:%S}</CreDtTm></GrpHdr>\n")
        for number, statement in enumerate(statements, start=1):
            _write_statement(out, statement, number, created, bank_bic)
        out.write("</BkToCstmrStmt>\n</Document>\n")


def _write_statement(out, statement: StatementData, number: int, created: datetime,
                     bank_bic: str) -> None:
    identifier = statement.statement_id or f"{statement.account}-{number}"
    out.write(f"<Stmt><Id>{escape(identifier)}</Id>"
              f"<ElctrncSeqNb>{statement.sequence or number}</ElctrncSeqNb>"
              f"<CreDtTm>{created:%Y-%m-%dT%H:%M:%S}</CreDtTm>")
    if statement.period_from and statement.period_through:
        out.write(f"<FrToDt><FrDtTm>{statement.period_from}T00:00:00</FrDtTm>"
                  f"<ToDtTm>{statement.period_through}T23:59:59</ToDtTm></FrToDt>")
    out.write(f"<Acct><Id><IBAN>{statement.account}</IBAN></Id><Ccy>{statement.currency}</Ccy>"
              f"<Svcr><FinInstnId><BIC>{bank_bic}</BIC></FinInstnId></Svcr></Acct>\n")
    for code, cents, day in (("OPBD", statement.opening_balance_cents, statement.opening_date),
                             ("CLBD", statement.closing_balance_cents, statement.closing_date)):
        if cents is not None and day is not None:
            out.write(_balance(code, cents, day, statement.currency))
    for entry in statement.entries:
        out.write(_entry(entry))
    out.write("</Stmt>\n")


def _balance(code: str, cents: int, day: date, currency: str) -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="{currency}">{decimal_text(abs(cents))}</Amt>'
            f"<CdtDbtInd>{'CRDT' if cents >= 0 else 'DBIT'}</CdtDbtInd>"
            f"<Dt><Dt>{day}</Dt></Dt></Bal>\n")


def _entry(entry: Entry) -> str:
    credit = entry.amount_cents >= 0
    domain, family, sub_family = _codes(entry.transaction_code) or (
        CREDIT_CODE if credit else DEBIT_CODE)
    parts = [
        "<Ntry>",
        f"<NtryRef>{escape(entry.entry_reference)}</NtryRef>" if entry.entry_reference else "",
        f'<Amt Ccy="{entry.currency}">{decimal_text(abs(entry.amount_cents))}</Amt>',
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>",
        "<RvslInd>true</RvslInd>" if entry.reversal else "",
        f"<Sts>{entry.status}</Sts>",
        f"<BookgDt><Dt>{entry.booking_date}</Dt></BookgDt>",
        f"<ValDt><Dt>{entry.value_date or entry.booking_date}</Dt></ValDt>",
        f"<AcctSvcrRef>{escape(entry.bank_reference)}</AcctSvcrRef>"
        if entry.bank_reference else "",
        f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
        f"<SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd>",
        "<NtryDtls><TxDtls>",
    ]
    if entry.end_to_end_id or entry.mandate_id:
        parts.append("<Refs>")
        if entry.end_to_end_id:
            parts.append(f"<EndToEndId>{escape(entry.end_to_end_id)}</EndToEndId>")
        if entry.mandate_id:
            parts.append(f"<MndtId>{escape(entry.mandate_id)}</MndtId>")
        parts.append("</Refs>")
    if entry.counterparty_name or entry.counterparty_iban:
        # The counterparty is the debtor of money we receive and the creditor of money we pay.
        party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
        parts.append("<RltdPties>")
        if entry.counterparty_name:
            parts.append(f"<{party}><Nm>{escape(entry.counterparty_name)}</Nm></{party}>")
        if entry.counterparty_iban:
            parts.append(f"<{account}><Id><IBAN>{entry.counterparty_iban}</IBAN></Id>"
                         f"</{account}>")
        parts.append("</RltdPties>")
    if entry.description or entry.structured_reference:
        parts.append("<RmtInf>")
        if entry.description:
            parts.append(f"<Ustrd>{escape(entry.description[:140])}</Ustrd>")
        if entry.structured_reference:
            parts.append("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
                         f"<Issr>CUR</Issr></Tp><Ref>{escape(entry.structured_reference)}</Ref>"
                         "</CdtrRefInf></Strd>")
        parts.append("</RmtInf>")
    if entry.return_reason:
        parts.append(f"<RtrInf><Rsn><Cd>{escape(entry.return_reason[:4])}</Cd></Rsn></RtrInf>")
    parts.append("</TxDtls></NtryDtls></Ntry>\n")
    return "".join(parts)


def _codes(code: str | None) -> tuple[str, str, str] | None:
    """An entry's own ISO bank transaction code 'PMNT/RDDT/ESDD' (or 'PMNT-RDDT-ESDD'),
    when it has one."""
    parts = tuple(code.replace("-", "/").split("/")) if code else ()
    if len(parts) == 3 and all(1 <= len(p) <= 4 and p.isalnum() for p in parts):
        return parts  # type: ignore[return-value]
    return None


_PAYERS = (("UWV", "NL28INGB0000000001", "WW-uitkering"), ("Belastingdienst", "NL65INGB0000867000",
           "Zorgtoeslag"), ("SVB", "NL17INGB0007010001", "Kinderbijslag"),
           ("Gemeente Utrecht", "NL70BNGH0285008471", "Bijstand"))
_PAYEES = (("Portaal", "NL96ABNA0411035556", "Huur"), ("Eneco", "NL73ABNA0421006600", "Termijn"),
           ("Vitens", "NL90INGB0000004220", "Water"), ("Zilveren Kruis", "NL11RABO0303020000",
           "Premie"))


def synthetic_statement(account: str, entries: int, first_day: date, *, seed: int = 1,
                        opening_cents: int = 1_000_000, days: int = 30) -> StatementData:
    """A statement of ``entries`` plausible entries over ``days`` days whose balances add up;
    each entry carries a unique AcctSvcrRef, as real bank files do."""
    rng = random.Random(seed)
    rows = []
    for number in range(entries):
        day = first_day + timedelta(days=number * days // max(entries, 1))
        credit = rng.random() < 0.5
        name, iban, text = rng.choice(_PAYERS if credit else _PAYEES)
        cents = rng.randint(500, 150_000)
        reference = f"{rng.randrange(10**9, 10**10)}"
        rows.append(Entry(
            booking_date=day,
            value_date=day,
            amount_cents=cents if credit else -cents,
            bank_reference=f"{seed:04d}{number:09d}",
            end_to_end_id=f"E2E-{seed}-{number}",
            counterparty_name=name,
            counterparty_iban=iban,
            description=f"{text} {reference} {day:%m-%Y}",
        ))
    last_day = first_day + timedelta(days=days - 1)
    closing = opening_cents + sum(e.amount_cents for e in rows)
    return StatementData(
        account=account, statement_id=f"STMT-{seed}-{first_day:%Y%m%d}",
        period_from=first_day, period_through=last_day,
        opening_balance_cents=opening_cents, opening_date=first_day,
        closing_balance_cents=closing, closing_date=last_day, entries=rows,
    )

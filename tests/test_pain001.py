"""The pain.001 file, TARGET2 days and SEPA text: pure, no database."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from app.payments.pain001 import (
    CreditTransfer,
    Pain001Error,
    TransferBatch,
    read_pain001,
    schema,
    write_pain001,
)
from app.payments.sepa_text import sepa_id, sepa_text
from app.payments.target2 import easter_sunday, is_target2_day, previous_target2_day

DATA = Path(__file__).parent / "data" / "pain001"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
BSN = "111222333"


def transfer(e2e: str, cents: int, day: date, **changes) -> CreditTransfer:
    values = dict(end_to_end_id=e2e, amount_cents=cents, creditor_name="Woonstad Rotterdam",
                  creditor_iban="NL39RABO0300065264", remittance="Huur december 2026",
                  execution_date=day)
    values.update(changes)
    return CreditTransfer(**values)


BATCH = TransferBatch(
    message_id="HHB20261201090000-1", created_at=datetime(2026, 12, 1, 9, 0, 0),
    initiating_party="Gemeente Utrecht", debtor_name="Gemeente Utrecht Budgetbeheer",
    debtor_iban="NL86INGB0002445588", debtor_bic=None,
    transfers=(
        transfer("HHB-0000000001-1", 700_00, date(2026, 12, 1),
                 remittance="Huur december 2026 contract 88-12 A. Jansen"),
        transfer("HHB-0000000002-1", 60_05, date(2026, 12, 7), creditor_name="İbrahim Özkan",
                 creditor_iban="NL28INGB0004444444", remittance="Leefgeld week 50 2026 HHB-00004"),
        transfer("HHB-0000000003-1", 12_50, date(2026, 12, 1), creditor_name="Univé",
                 creditor_iban="NL91ABNA0417164300", remittance="Inboedelverzekering",
                 creditor_bic="ABNANL2A"),
    ))


def test_the_file_validates_adds_up_and_groups_per_execution_date():
    data = write_pain001(BATCH, forbidden=[BSN])
    document = etree.fromstring(data)
    assert schema().validate(document)
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "772.55"
    infos = document.findall(".//p:PmtInf", NS)
    assert [(i.findtext("p:ReqdExctnDt", namespaces=NS), i.findtext("p:NbOfTxs", namespaces=NS),
             i.findtext("p:CtrlSum", namespaces=NS)) for i in infos] == [
        ("2026-12-01", "2", "712.50"), ("2026-12-07", "1", "60.05")]
    assert [i.findtext("p:PmtInfId", namespaces=NS) for i in infos] == [
        "HHB20261201090000-1-1", "HHB20261201090000-1-2"]
    assert document.findtext(".//p:Cdtr/p:Nm", namespaces=NS) == "Woonstad Rotterdam"
    names = [n.text for n in document.iterfind(".//p:Cdtr/p:Nm", NS)]
    assert "Ibrahim Ozkan" in names  # İ and Ö folded the way banks drop them


def test_read_back_is_the_same_batch():
    back = read_pain001(write_pain001(BATCH))
    assert back.message_id == BATCH.message_id and back.debtor_iban == BATCH.debtor_iban
    by_id = {t.end_to_end_id: t for t in back.transfers}
    for sent in BATCH.transfers:
        got = by_id[sent.end_to_end_id]
        assert (got.amount_cents, got.creditor_iban, got.execution_date, got.creditor_bic) == (
            sent.amount_cents, sent.creditor_iban, sent.execution_date, sent.creditor_bic)
        assert got.creditor_name == sepa_text(sent.creditor_name, 70)


def test_golden_file():
    expected = DATA / "expected_batch.xml"
    data = write_pain001(BATCH)
    if os.environ.get("HHB_REGENERATE_GOLDEN") == "1":
        expected.write_bytes(data)
    assert data == expected.read_bytes()


@pytest.mark.parametrize(("change", "message"), [
    ({"end_to_end_id": "HHB-0000000002-1"}, "komt twee keer voor"),
    ({"end_to_end_id": "NOTPROVIDED"}, "NOTPROVIDED"),
    ({"end_to_end_id": "HHB 1"}, "ongeldige kenmerk"),
    ({"amount_cents": 0}, "ongeldig bedrag 0.00"),
    ({"creditor_iban": "NL39RABO0300065265"}, "ongeldige IBAN NL39RABO0300065265"),
    ({"creditor_name": "محمد"}, "naam van de ontvanger is leeg"),
    ({"remittance": f"Huur BSN {BSN}"}, "een omschrijving bevat een BSN"),
    ({"remittance": "Huur 1112.22.333"}, "een omschrijving bevat een BSN"),
])
def test_a_bad_payment_is_refused_with_one_dutch_line(change, message):
    first, *rest = BATCH.transfers
    bad = TransferBatch(**{**BATCH.__dict__, "transfers": (
        CreditTransfer(**{**first.__dict__, **change}), *rest)})
    with pytest.raises(Pain001Error, match=message) as refused:
        write_pain001(bad, forbidden=[BSN])
    assert str(refused.value).startswith("Betaalbestand niet gemaakt: ")
    assert BSN not in str(refused.value) and "\n" not in str(refused.value)


def test_an_empty_batch_is_refused():
    with pytest.raises(Pain001Error, match="geen betalingen"):
        write_pain001(TransferBatch(**{**BATCH.__dict__, "transfers": ()}))


@pytest.mark.parametrize("name", ["huishoudboekje_nl_pain001_001_03_25_payments.xml",
                                  "php_sepa_xml_pain001_001_03_structured_ref.xml"])
def test_the_public_samples_are_read(name):
    data = (DATA / name).read_bytes()
    assert schema().validate(etree.fromstring(data))
    batch = read_pain001(data)
    header = etree.fromstring(data).find(".//p:GrpHdr", NS)
    assert len(batch.transfers) == int(header.findtext("p:NbOfTxs", namespaces=NS))


def test_a_hostile_file_is_not_expanded():
    evil = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
            b'<CstmrCdtTrfInitn><GrpHdr><MsgId>&x;</MsgId><CreDtTm>2026-01-01T00:00:00'
            b'</CreDtTm></GrpHdr></CstmrCdtTrfInitn></Document>')
    batch = read_pain001(evil)
    assert "root" not in (batch.message_id or "")


@pytest.mark.parametrize(("text", "length", "expected"), [
    ("Yılmaz", 70, "Yilmaz"), ("Öztürk Çelik", 70, "Ozturk Celik"),
    ("Straße 12", 70, "Strasse 12"), ("Jansen & Zn.", 70, "Jansen + Zn."),
    ("Huur “december”", 70, "Huur 'december'"), ("محمد Ali", 70, "Ali"),
    ("  veel    ruimte  ", 70, "veel ruimte"), ("ሰላም", 70, ""), (None, 70, ""),
])
def test_sepa_text(text, length, expected):
    assert sepa_text(text, length) == expected


def test_sepa_text_cuts_at_a_word_within_the_length():
    text = " ".join(["Huur december 2026 contract"] * 10)
    cut = sepa_text(text, 140)
    assert len(cut) <= 140 and text.startswith(cut) and not cut.endswith(" ")
    assert text[len(cut)] == " "  # a whole word
    assert sepa_text("x" * 200, 140) == "x" * 140  # no word to cut at: a hard cut


@pytest.mark.parametrize("bad", ["", "a b", "/start", "end/", "a//b", "x" * 36, "é"])
def test_sepa_id_refuses_rather_than_changes(bad):
    with pytest.raises(ValueError):
        sepa_id(bad)
    assert sepa_id("HHB-0000000001-1") == "HHB-0000000001-1"


def test_target2_days():
    assert easter_sunday(2027) == date(2027, 3, 28)
    assert not is_target2_day(date(2027, 3, 26))  # Good Friday
    assert not is_target2_day(date(2027, 3, 29))  # Easter Monday
    assert not is_target2_day(date(2026, 12, 25)) and not is_target2_day(date(2026, 12, 26))
    assert previous_target2_day(date(2026, 12, 26)) == date(2026, 12, 24)
    assert previous_target2_day(date(2027, 5, 1)) == date(2027, 4, 30)  # 1 May, a Saturday
    assert previous_target2_day(date(2027, 1, 1)) == date(2026, 12, 31)
    assert previous_target2_day(date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert previous_target2_day(date(2027, 3, 29)) == date(2027, 3, 25)

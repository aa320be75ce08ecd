"""The bank CSV reader's newer formats (Rabobank, bunq, ASN/SNS/RegioBank with header, Triodos) and
the neighbouring files it refuses in one line (credit-card exports, impossible amounts).

Each sample in tests/data/statements/csv is also checked against its golden file by
tests/test_statement_golden.py; these tests name the facts a clerk relies on.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.importers import bank_csv
from app.importers.statements import (
    StatementFileError,
    detect_format,
    read_statement_file,
)

CSV_DIR = Path(__file__).parent / "data" / "statements" / "csv"
NEW_SAMPLES = {
    "rabobank_nl_export_unquoted.csv": "csv-rabobank",
    "hhb_synthetic_rabobank_nl_export_quoted.csv": "csv-rabobank",
    "hhb_synthetic_bunq_nl_export_dutch_semicolon.csv": "csv-bunq",
    "hhb_synthetic_bunq_nl_export_english_comma.csv": "csv-bunq",
    "hhb_synthetic_volksbank_nl_export_with_header.csv": "csv-volksbank",
    "triodos_nl_export_no_header.csv": "csv-triodos",
    "hhb_synthetic_triodos_nl_export_with_balance.csv": "csv-triodos",
}
CARD_REFUSAL = "is een creditcardoverzicht, geen rekeningafschrift van de gemeentelijke rekening"

RABOBANK_HEADER = (
    '"IBAN/BBAN","Munt","BIC","Volgnr","Datum","Rentedatum","Bedrag","Saldo na trn",'
    '"Tegenrekening IBAN/BBAN","Naam tegenpartij","Naam uiteindelijke partij",'
    '"Naam initiërende partij","BIC tegenpartij","Code","Batch ID","Transactiereferentie",'
    '"Machtigingskenmerk","Incassant ID","Betalingskenmerk","Omschrijving-1","Omschrijving-2",'
    '"Omschrijving-3","Reden retour","Oorspr bedrag","Oorspr munt","Koers"\n'
)


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rabobank_row(amount="-10,00", balance="+90,00", volgnr="000000000000000001") -> str:
    fields = ["NL44RABO0123456789", "EUR", "RABONL2U", volgnr, "2026-10-01", "2026-10-01",
              amount, balance, "NL02INGB0001234567", "Winkel", "", "", "INGBNL2A", "tb", "",
              "", "", "", "", "Boodschappen", "", "", "", "", "", ""]
    return ",".join(f'"{f}"' for f in fields) + "\n"


def only_entries(path: Path):
    result = bank_csv.read(path)
    assert len(result.statements) == 1
    return result.statements[0].entries


# -- Recognising the formats ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "file_format"), sorted(NEW_SAMPLES.items()))
def test_each_new_sample_is_claimed_by_the_csv_reader_alone(name, file_format):
    path = CSV_DIR / name
    assert detect_format(path) == "CSV"  # refused when no reader or two readers claim it
    assert read_statement_file(path).file_format == file_format


def test_sniff_claims_a_rabobank_header_in_iso_8859_1(tmp_path):
    data = (RABOBANK_HEADER + rabobank_row()).encode("iso-8859-1")
    assert bank_csv.sniff(data)
    assert bank_csv.read(write(tmp_path, RABOBANK_HEADER + rabobank_row(),
                               encoding="iso-8859-1")).bank == "Rabobank"


# -- Rabobank ------------------------------------------------------------------------------------


def test_rabobank_facts_come_from_their_own_columns():
    entries = only_entries(CSV_DIR / "hhb_synthetic_rabobank_nl_export_quoted.csv")
    incasso, energy, card, storno = entries[1], entries[2], entries[3], entries[4]
    assert incasso.amount_cents == -65000
    assert (incasso.mandate_id, incasso.end_to_end_id) == ("LINDE-0042", "HUUR-0042-2610")
    assert incasso.counterparty_bic == "INGBNL2A"
    assert energy.structured_reference == "9000123456789012"
    assert energy.end_to_end_id is None  # NOTPROVIDED is no id
    assert card.description == "Supermarkt Centrum ZWOLLE Pas: 1234 pasnr. 002"  # -1 and -2
    assert (storno.amount_cents, storno.return_reason) == (65000, "MD06")
    assert entries[0].bank_reference == "000000000000007101"  # Volgnr


def test_rabobank_balance_after_gives_opening_and_closing():
    result = bank_csv.read(CSV_DIR / "hhb_synthetic_rabobank_nl_export_quoted.csv")
    statement = result.statements[0]
    assert result.has_balances and not result.warnings
    total = sum(e.amount_cents for e in statement.entries)
    assert statement.opening_balance_cents == 34217
    assert statement.closing_balance_cents == 34217 + total == 147724


def test_rabobank_published_sample_unquoted():
    entries = only_entries(CSV_DIR / "rabobank_nl_export_unquoted.csv")
    assert [(e.booking_date, e.amount_cents) for e in entries] == [(date(2018, 2, 28), -14899)]
    assert entries[0].counterparty_iban == "987654321"  # a domestic number stays as given
    assert entries[0].description == "Nice computer stuff"


# -- bunq ------------------------------------------------------------------------------------------


def test_bunq_dutch_header_with_decimal_comma_and_thousands_dot():
    entries = only_entries(CSV_DIR / "hhb_synthetic_bunq_nl_export_dutch_semicolon.csv")
    assert [e.amount_cents for e in entries] == [125000, -65000, -1738, 5]
    assert entries[2].value_date == date(2026, 11, 1)  # Rentedatum


def test_bunq_english_header_with_decimal_point_newest_first():
    entries = only_entries(CSV_DIR / "hhb_synthetic_bunq_nl_export_english_comma.csv")
    assert [e.amount_cents for e in entries] == [125000, -103475, -350]
    assert entries[1].description == "Jaarafrekening 2026, klantnr 778899"


def test_bunq_decimal_point_with_thousands_comma(tmp_path):
    text = ('"Date","Interest Date","Amount","Account","Counterparty","Name","Description"\n'
            '"2026-10-01","2026-10-01","-1,034.75","NL12BUNQ2025123456","","X","Y"\n')
    assert only_entries(write(tmp_path, text))[0].amount_cents == -103475


def test_bunq_amounts_with_both_decimal_marks_are_refused(tmp_path):
    text = ('"Date";"Amount";"Account";"Counterparty";"Name";"Description"\n'
            '"2026-10-01";"-12,50";"NL12BUNQ2025123456";"";"X";"Y"\n'
            '"2026-10-02";"-12.50";"NL12BUNQ2025123456";"";"X";"Y"\n')
    with pytest.raises(StatementFileError, match="regel 3: ongeldig bedrag '-12.50'"):
        bank_csv.read(write(tmp_path, text))


def test_older_bunq_export_without_own_account_is_refused_by_name(tmp_path):
    text = ('"Date";"Interest Date";"Amount";"Counterparty";"Name";"Description"\n'
            '"2024-07-02";"2024-07-02";"0,05";"NL13BUNQ2094122549";"bunq";"bunq Payday"\n')
    with pytest.raises(StatementFileError) as caught:
        bank_csv.read(write(tmp_path, text))
    assert str(caught.value) == "export.csv: kolom 'Rekening' of 'Account' ontbreekt"


# -- ASN / SNS / RegioBank with header row -------------------------------------------------------


def test_volksbank_header_export_reads_like_the_one_without_header():
    result = bank_csv.read(CSV_DIR / "hhb_synthetic_volksbank_nl_export_with_header.csv")
    statement = result.statements[0]
    assert (result.file_format, statement.account) == ("csv-volksbank", "NL58RBRB0123456789")
    assert [e.amount_cents for e in statement.entries] == [125000, -65000, -8753, -220]
    assert statement.entries[0].description == "Leefgeld oktober dossier 2026-0042"  # no quotes
    assert statement.entries[2].structured_reference == "9000123456789012"
    assert (statement.opening_balance_cents, statement.closing_balance_cents) == (4412, 55439)


def test_volksbank_header_export_with_decimal_comma(tmp_path):
    data = (CSV_DIR / "hhb_synthetic_volksbank_nl_export_with_header.csv").read_text()
    lines = data.splitlines()
    comma = "\n".join([lines[0]] + [
        ";".join(f.replace(".", ",") if f.replace(".", "").lstrip("-").isdigit() else f
                 for f in line.split(";"))
        for line in lines[1:]
    ])
    entries = only_entries(write(tmp_path, comma))
    assert [e.amount_cents for e in entries] == [125000, -65000, -8753, -220]


# -- Triodos -------------------------------------------------------------------------------------


def test_triodos_sign_comes_from_credit_debet():
    entries = only_entries(CSV_DIR / "triodos_nl_export_no_header.csv")
    assert [e.amount_cents for e in entries] == [2578, -1550]
    assert entries[1].counterparty_name == "Software Dev. Norberhuis"
    assert entries[1].transaction_code == "ET"


def test_triodos_balance_column_and_bic_before_the_counter_account():
    result = bank_csv.read(CSV_DIR / "hhb_synthetic_triodos_nl_export_with_balance.csv")
    statement = result.statements[0]
    assert result.has_balances
    assert (statement.opening_balance_cents, statement.closing_balance_cents) == (150000, 209605)
    rent = statement.entries[1]
    assert (rent.counterparty_iban, rent.counterparty_bic) == ("NL02INGB0001234567", "INGBNL2A")


# -- Refused neighbours --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    # ICS (also ABN AMRO's credit card), as in HichamSadike/creditcard-mt940's tests
    "Transactiedatum;Boekingsdatum;Omschrijving;Naam Card-houder;Card nummer;Debit/Credit;"
    "Bedrag;Merchant categorie;Land;Valuta;Bedrag in oorspronkelijke valuta;Type transactie;"
    "WalletProvider\n"
    '30-06-2025;01-07-2025;WINKEL AMSTERDAM NLD;"Jansen, J";****4073;D;121,00;Retail;NLD;EUR;'
    "121,00;Transaction;null\n",
    # ING credit card
    '"Accountnummer","Kaartnummer","Naam op kaart","Transactiedatum","Boekingsdatum",'
    '"Omschrijving","Valuta","Bedrag","Koers","Bedrag in EUR"\n'
    '"00000374942","5534.****.****.5722","J JANSEN","2025-05-05","2025-05-05","Winkel","","",'
    '"","-11,99"\n',
    # Rabobank (Business)Card
    "Counterpty IBAN,Ccy,Credit Card Number,Product Name,Credit Card Line1,Credit Card Line2,"
    "Transaction Reference,Date,Amount,Description,Instr Amt,Instr Ccy,Rate\n"
    "NL44RABO0123456789,EUR,4204,Rabo BusinessCard Visa,J. JANSEN,GEMEENTE,0002000000001,"
    "2025-06-02,-2.88,WINKEL,,,\n",
    # American Express
    "Datum,Omschrijving,Kaartlid,Rekening #,Bedrag\n01/06/2025,WINKEL,J JANSEN,-11006,\"12,50\"\n",
], ids=["ics", "ing", "rabobank", "amex"])
def test_credit_card_export_is_refused_as_such(tmp_path, text):
    path = write(tmp_path, text)
    assert detect_format(path) == "CSV"  # claimed, so the clerk hears what the file is
    with pytest.raises(StatementFileError) as caught:
        read_statement_file(path)
    assert str(caught.value) == f"export.csv {CARD_REFUSAL}"


def test_amount_beyond_the_database_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, RABOBANK_HEADER + rabobank_row()
                 + rabobank_row(amount="-99999999999999999999,99", volgnr="2"))
    with pytest.raises(StatementFileError) as caught:
        read_statement_file(path)
    assert str(caught.value) == (
        "export.csv: regel 3: bedrag € -99.999.999.999.999.999.999,99 is groter dan een "
        "bankafschrift kan bevatten (meer dan 12 cijfers voor de komma)"
    )


def test_balance_beyond_the_database_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, RABOBANK_HEADER + rabobank_row(balance="+99999999999999999999,99"))
    with pytest.raises(StatementFileError, match=r"^export\.csv: regel 2: bedrag .* groter dan"):
        bank_csv.read(path)


def test_largest_storable_amount_is_read(tmp_path):
    path = write(tmp_path, RABOBANK_HEADER
                 + rabobank_row(amount="+999999999999,99", balance="+999999999999,99"))
    assert only_entries(path)[0].amount_cents == 99_999_999_999_999

"""The bank CSV/TAB export reader (app/import/bank_csv.py): what a clerk would notice."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.importers import bank_csv
from app.importers.statements import ReadResult, StatementFileError

CSV_DIR = Path(__file__).parent / "data" / "statements" / "csv"
SAMPLES = sorted(p for p in CSV_DIR.iterdir() if p.suffix != ".golden")
OTHER_SAMPLES = sorted(
    p for p in (CSV_DIR.parent).rglob("*")
    if p.is_file() and p.parent != CSV_DIR and p.suffix not in (".golden", ".md")
)

ING_HEADER = (
    '"Datum","Naam / Omschrijving","Rekening","Tegenrekening","Code","Af Bij","Bedrag (EUR)",'
    '"MutatieSoort","Mededelingen"\n'
)
KNAB_HEADER = (
    "KNAB EXPORT;;;;;;;;;;;;;;;;\n"
    "Rekeningnummer;Transactiedatum;Valutacode;CreditDebet;Bedrag;Tegenrekeningnummer;"
    "Tegenrekeninghouder;Valutadatum;Betaalwijze;Omschrijving;Type betaling;"
    "Machtigingsnummer;Incassant ID;Adres;Referentie;Boekdatum;\n"
)


def write(tmp_path: Path, text: str | bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def ing_row(datum="20240105", name="Gemeente", own="NL99INGB9999999999", counter="",
            code="OV", afbij="Bij", amount="10,00", kind="Overschrijving", text="") -> str:
    fields = (datum, name, own, counter, code, afbij, amount, kind, text)
    return ",".join(f'"{f}"' for f in fields) + "\n"


def knab_row(amount="2500", cd="C", boekdatum="02-01-2024", reference="REF1") -> str:
    fields = ("NL99KNAB9999999999", "01-01-2024", "EUR", cd, amount, "NL01ABNA0123456789",
              "J Jansen", "02-01-2024", "Overboeking", "huur januari", "", "", "", "",
              reference, boekdatum)
    return ";".join(f'"{f}"' for f in fields) + ";\n"


def only_entries(result: ReadResult):
    assert len(result.statements) == 1
    return result.statements[0].entries


# -- Signs and amounts ---------------------------------------------------------------------------


def test_ing_sign_comes_from_af_bij(tmp_path):
    path = write(tmp_path, ING_HEADER + ing_row(afbij="Af", amount="12,34")
                 + ing_row(afbij="Bij", amount="56,78"))
    entries = only_entries(bank_csv.read(path))
    assert [e.amount_cents for e in entries] == [-1234, 5678]


def test_knab_sign_comes_from_d_c(tmp_path):
    path = write(tmp_path, KNAB_HEADER + knab_row(cd="D", amount="827,75", reference="A")
                 + knab_row(cd="C", amount="0,01", reference="B"))
    entries = only_entries(bank_csv.read(path))
    assert [e.amount_cents for e in entries] == [-82775, 1]


def test_decimal_comma_and_thousands_dot(tmp_path):
    path = write(tmp_path, ING_HEADER + ing_row(amount="1.234,5"))
    assert only_entries(bank_csv.read(path))[0].amount_cents == 123450


def test_amount_without_decimals_is_whole_euros(tmp_path):
    path = write(tmp_path, KNAB_HEADER + knab_row(amount="2500"))
    assert only_entries(bank_csv.read(path))[0].amount_cents == 250000


def test_asn_signed_amounts_with_decimal_point():
    entries = only_entries(bank_csv.read(CSV_DIR / "asn_nl_export_no_header.csv"))
    assert entries[0].amount_cents == 22377
    assert entries[1].amount_cents == -20000
    assert entries[2].amount_cents == -220


def test_abnamro_signed_amounts_with_decimal_comma():
    result = bank_csv.read(CSV_DIR / "abnamro_nl_export.tab")
    first = result.statements[0].entries[0]
    assert first.amount_cents == -2500
    assert result.statements[0].entries[1].amount_cents == 2500


# -- Each bank's shape -----------------------------------------------------------------------------


def test_knab_banner_line_is_skipped():
    result = bank_csv.read(CSV_DIR / "knab_nl_export.csv")
    assert result.file_format == "csv-knab"
    entries = only_entries(result)
    assert len(entries) == 28
    # Newest first in the file; oldest first in the statement, file order kept within a day.
    assert entries[0].booking_date == date(2019, 1, 7)
    assert entries[0].amount_cents == -1
    assert entries[-1].booking_date == date(2019, 6, 21)
    assert entries[0].counterparty_iban == "99999999"  # a domestic number stays as given


def test_asn_export_without_header_row():
    result = bank_csv.read(CSV_DIR / "asn_nl_export_no_header.csv")
    assert result.file_format == "csv-asn"
    statement = result.statements[0]
    assert statement.account == "NL00ASNB9999999999"
    second = statement.entries[1]
    assert second.counterparty_name == "International Card Services B V"
    assert second.counterparty_iban == "NL11ABNA0000000000"
    assert second.description.startswith("000000000000000000000000000000000 1111111111111111")
    assert not second.description.startswith("'")
    assert second.transaction_code == "IDM"


def test_asn_running_balance_gives_exact_opening_and_closing():
    result = bank_csv.read(CSV_DIR / "asn_nl_export_no_header.csv")
    statement = result.statements[0]
    assert result.has_balances
    total = sum(e.amount_cents for e in statement.entries)
    assert statement.opening_balance_cents == 13044
    assert statement.closing_balance_cents == statement.opening_balance_cents + total == 8424


def test_ing_semicolon_variant_with_extra_column_reads_the_same():
    comma = bank_csv.read(CSV_DIR / "ing_nl_export_comma.csv")
    semicolon = bank_csv.read(CSV_DIR / "ing_nl_export_semicolon_extra_column.csv")
    assert semicolon.file_format == comma.file_format == "csv-ing"
    assert semicolon.statements == comma.statements


def test_ing_text_gives_description_iban_and_value_date(tmp_path):
    text = ("Naam: UWV Omschrijving: Uitkering 2610000123 IBAN: NL12INGB0001234567 "
            "Kenmerk: 0010008346912014 Valutadatum: 08-01-2024")
    path = write(tmp_path, ING_HEADER + ing_row(name="UWV", text=text))
    entry = only_entries(bank_csv.read(path))[0]
    assert entry.description == "Uitkering 2610000123"
    assert entry.counterparty_iban == "NL12INGB0001234567"
    assert entry.value_date == date(2024, 1, 8)
    assert entry.structured_reference == "0010008346912014"  # a valid betalingskenmerk


def test_abnamro_slash_form_is_taken_apart():
    result = bank_csv.read(CSV_DIR / "abnamro_nl_export.tab")
    entries = {e.amount_cents: e for e in result.statements[0].entries}
    incasso = entries[-1175]
    assert incasso.counterparty_name == "Albert Heijn B.V."
    assert incasso.counterparty_iban == "NL00INGB0123456789"
    assert incasso.mandate_id.startswith("AH0123")
    assert incasso.end_to_end_id == "AB0123456789"
    assert incasso.description == "Foobarment Foobar Fobar - AB012345678"
    assert incasso.transaction_code == "SEPA Incasso algemeen doorlopend"


def test_abnamro_statement_per_account():
    result = bank_csv.read(CSV_DIR / "abnamro_nl_export.tab")
    assert [s.account for s in result.statements] == ["123456789", "112233445"]
    assert [len(s.entries) for s in result.statements] == [23, 3]


def test_abnamro_running_balances_that_do_not_link_up_are_not_used():
    result = bank_csv.read(CSV_DIR / "abnamro_nl_export.tab")
    assert not result.has_balances
    assert all(s.opening_balance_cents is None for s in result.statements)
    assert any("sluiten niet" in w and "niet gecontroleerd" in w for w in result.warnings)


def test_ing_balance_column_links_up_newest_first(tmp_path):
    header = ING_HEADER.replace('"Mededelingen"', '"Mededelingen";"Saldo na mutatie"')
    header = header.replace('","', '";"')
    rows = [  # newest first, as ING exports
        ("20240103", "Af", "5,00", "95,00"),
        ("20240102", "Bij", "50,00", "100,00"),
        ("20240101", "Af", "10,00", "50,00"),
    ]
    body = "".join(
        f'"{d}";"X";"NL99INGB9999999999";"";"OV";"{s}";"{a}";"Overschrijving";"";"{b}"\n'
        for d, s, a, b in rows
    )
    result = bank_csv.read(write(tmp_path, header + body))
    statement = result.statements[0]
    assert result.has_balances and not result.warnings
    assert statement.opening_balance_cents == 6000
    assert statement.closing_balance_cents == 9500


# -- No balances, bad rows -----------------------------------------------------------------------


def test_export_without_balances_says_so():
    result = bank_csv.read(CSV_DIR / "ing_nl_export_comma.csv")
    assert result.has_balances is False
    assert bank_csv.NO_BALANCES in result.warnings
    assert bank_csv.NO_BALANCES == (
        "CSV-export bevat geen saldi: begin- en eindsaldo niet gecontroleerd"
    )
    assert result.statements[0].opening_balance_cents is None


def test_bad_amount_names_the_row(tmp_path):
    path = write(tmp_path, ING_HEADER + ing_row() + ing_row(amount="12,3x4"))
    with pytest.raises(StatementFileError) as caught:
        bank_csv.read(path)
    assert str(caught.value) == "export.csv: regel 3: ongeldig bedrag '12,3x4'"


def test_bad_date_names_the_row(tmp_path):
    path = write(tmp_path, KNAB_HEADER + knab_row() + knab_row(boekdatum="31-02-2024"))
    with pytest.raises(StatementFileError, match="regel 4: ongeldige datum '31-02-2024'"):
        bank_csv.read(path)


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path, KNAB_HEADER.replace(";Bedrag;", ";Som;") + knab_row())
    with pytest.raises(StatementFileError) as caught:
        bank_csv.read(path)
    assert str(caught.value) == "export.csv: kolom 'Bedrag' ontbreekt"


def test_header_without_sign_column_is_no_ing_export(tmp_path):
    path = write(tmp_path, ING_HEADER.replace('"Af Bij"', '"Richting"') + ing_row())
    with pytest.raises(StatementFileError, match="geen CSV-export van ING, Knab, ASN"):
        bank_csv.read(path)


def test_asn_name_starting_with_apostrophe_and_description_with_comma(tmp_path):
    data = (CSV_DIR / "asn_nl_export_no_header.csv").read_bytes()
    quoted = bank_csv.read(write(tmp_path, data.replace(b"DIVIDEND 27", b"DIVIDEND, 27"), "a"))
    assert quoted.statements[0].entries[3].description == "DIVIDEND, 27/06/2022"
    apostrophe = bank_csv.read(write(tmp_path, data.replace(b"Optimal BV", b"'t Hoekje"), "b"))
    entry = apostrophe.statements[0].entries[3]
    assert (entry.counterparty_name, entry.description) == ("'t Hoekje", "DIVIDEND 27/06/2022")


def test_file_cut_in_the_middle_of_a_row(tmp_path):
    data = (CSV_DIR / "asn_nl_export_no_header.csv").read_bytes()
    cut = data[: data.index(b"Kosten gebruik") - 40]
    with pytest.raises(StatementFileError, match="regel 3 heeft te weinig kolommen"):
        bank_csv.read(write(tmp_path, cut))
    knab = (CSV_DIR / "knab_nl_export.csv").read_bytes()
    with pytest.raises(StatementFileError, match="afgebroken"):
        bank_csv.read(write(tmp_path, knab[: len(knab) // 2]))


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "is leeg"),
    (b"   \r\n\n", "is leeg"),
    (bytes(range(256)) * 8, "binaire gegevens"),
    (b"naam,adres,woonplaats\nJan,Dorpsstraat 1,Ergens\n", "geen CSV-export"),
])
def test_unreadable_files_get_one_line(tmp_path, data, reason):
    with pytest.raises(StatementFileError) as caught:
        bank_csv.read(write(tmp_path, data))
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_header_without_rows(tmp_path):
    with pytest.raises(StatementFileError, match="geen transacties"):
        bank_csv.read(write(tmp_path, ING_HEADER))


def test_cp1252_and_bom_are_read(tmp_path):
    row = ing_row(name="Café Zoë")
    plain = bank_csv.read(write(tmp_path, (ING_HEADER + row).encode("cp1252"), "a.csv"))
    bom = bank_csv.read(write(tmp_path, b"\xef\xbb\xbf" + (ING_HEADER + row).encode(), "b.csv"))
    assert only_entries(plain)[0].counterparty_name == "Café Zoë"
    assert only_entries(bom) == only_entries(plain)


def test_repeated_bank_reference_is_dropped(tmp_path):
    path = write(tmp_path, KNAB_HEADER + knab_row(reference="SAME") + knab_row(reference="SAME"))
    assert [e.bank_reference for e in only_entries(bank_csv.read(path))] == [None, None]


# -- Recognising the format --------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sniff_claims_every_bank_export(path):
    assert bank_csv.sniff(path.read_bytes()[:4096])


@pytest.mark.parametrize("path", OTHER_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_leaves_camt_mt940_and_other_files_alone(path):
    assert not bank_csv.sniff(path.read_bytes()[:4096])


@pytest.mark.parametrize("head", [
    b"",
    b"a,b,c\n1,2,3\n",
    b"Datum,Bedrag\n2024-01-01,12\n",
    b"Dear clerk, please find attached, as promised, the file.\n",
    b":20:STARTUMSE\n:25:NL12ABNA0123456789\n",
    b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">',
    bytes(range(256)),
])
def test_sniff_refuses_what_is_no_bank_export(head):
    assert not bank_csv.sniff(head)


def test_sniff_ignores_the_file_name(tmp_path):
    data = (CSV_DIR / "knab_nl_export.csv").read_bytes()
    path = write(tmp_path, data, "statement.xml")
    assert bank_csv.sniff(data[:4096])
    assert bank_csv.read(path).file_format == "csv-knab"


# -- Hostile input: mutated real samples ------------------------------------------------------


@st.composite
def mutated_sample(draw):
    data = bytearray(draw(st.sampled_from([p.read_bytes() for p in SAMPLES])))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "flip", "drop_line", "truncate",
                                     "duplicate_line"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "delete":
            del data[position:position + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=20)
                                           | st.sampled_from([b",", b";", b"\t", b'"', b"'",
                                                              b"\n", b"\r\n", b"-", b"\x00"]))
        elif kind == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind in ("drop_line", "duplicate_line"):
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if kind == "drop_line":
                del lines[index]
            else:
                lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
        elif kind == "truncate":
            del data[position:]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_sample())
def test_mutated_samples_read_or_fail_cleanly(data):
    assert isinstance(bank_csv.sniff(data[:4096]), bool)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.csv"
        path.write_bytes(data)
        try:
            result = bank_csv.read(path)
        except StatementFileError as exc:
            message = str(exc)
            assert message and "\n" not in message
            assert "mutated.csv" in message
            return
    assert isinstance(result, ReadResult)
    for statement in result.statements:
        assert statement.entries
        dates = [e.booking_date for e in statement.entries]
        assert dates == sorted(dates)
        assert statement.period_from == dates[0] and statement.period_through == dates[-1]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_read_or_fail_cleanly(data):
    assert isinstance(bank_csv.sniff(data[:4096]), bool)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_bytes(data)
        try:
            bank_csv.read(path)
        except StatementFileError as exc:
            assert "\n" not in str(exc)

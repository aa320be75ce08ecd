"""``huishoudboekje overviews``: the print run from the command line (one PDF, a folder, an
Excel workbook), the selection, skipped participants and one-line reasons — on both
databases."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.cli import main
from app.reports.overview_excel import write_overview_workbook
from tests import overview_scenario as golden
from tests.helpers import audit_json, audit_rows
from tests.overview_scenario import (  # noqa: F401 - fixtures 'two', 'mail_room'
    MAIL_ROOM_BY_NUMBER,
    MAIL_ROOM_BY_POSTCODE,
    mail_room_participants,
    two_participants,
)


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_one_pdf_of_everybody_with_a_paper_overview(capsys, db, db_url, two, tmp_path):
    out = tmp_path / "brieven.pdf"
    code, stdout, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10",
                            "--out", str(out))
    assert (code, err) == (0, "")
    # The pages are those of the file: the cover sheet, its blank back and the letter's two.
    assert stdout.startswith("1 overzicht(en) van 2026-10 gemaakt, 4 pagina's")
    reader = PdfReader(out)
    assert len(reader.pages) == 4 and reader.metadata.title == "Papieren overzichten oktober 2026"
    assert "Voorblad voor de postkamer" in reader.pages[0].extract_text()
    assert reader.pages[1].extract_text().strip() == ""
    assert "Ayşe Yılmaz-Çelik" in reader.pages[2].extract_text()
    entry = audit_rows(db, "papieren overzichten gemaakt")[-1]
    assert audit_json(entry, "after") == {"maand": "2026-10", "brieven": 1, "pagina's": 4,
                                          "uitvoer": "pdf", "dossiers": ["HHB-00042"],
                                          "overgeslagen": []}
    assert entry.actor  # who printed


def test_everybody_into_a_folder_skips_who_has_no_address(capsys, db, db_url, two, tmp_path):
    folder = tmp_path / "oktober"
    code, stdout, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10",
                            "--out", str(folder), "--alle")
    assert code == 1  # something was left out: a script notices, the rest is made
    assert sorted(p.name for p in folder.iterdir()) == ["HHB-00042.pdf"]
    assert "1 overzicht(en)" in stdout and "1 overgeslagen" in stdout
    # stderr starts with one summary line, then one line per skipped dossier.
    assert err.splitlines() == [
        "huishoudboekje: 1 deelnemer(s) overgeslagen zonder overzicht, 1 wel gemaakt",
        "  HHB-00043: adres onvolledig (geen straat, huisnummer, postcode, woonplaats)",
    ]
    assert PdfReader(folder / "HHB-00042.pdf").metadata.title == "Uw overzicht van oktober 2026"
    after = audit_json(audit_rows(db, "papieren overzichten gemaakt")[-1], "after")
    assert (after["uitvoer"], after["dossiers"], after["overgeslagen"]) == (
        "folder", ["HHB-00042"], ["HHB-00043"])


def test_sorted_by_postcode_for_the_mail_room(capsys, db_url, mail_room, tmp_path):
    """--op-postcode: the letters in the order of postcode and house number, and the cover
    sheet says so; without it, by dossier number as before."""
    orders = {}
    for name, extra in (("postcode", ["--op-postcode"]), ("nummer", [])):
        out = tmp_path / f"{name}.pdf"
        code, stdout, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10",
                                "--out", str(out), *extra)
        assert code == 1 and err.splitlines()[1:] == [  # HHB-00106 has no address
            "  HHB-00106: adres onvolledig (geen straat, huisnummer, postcode, woonplaats)"]
        assert stdout.startswith("6 overzicht(en) van 2026-10 gemaakt")
        pages = [" ".join(page.extract_text().split()) for page in PdfReader(out).pages]
        numbers = [re.findall(r"HHB-\d{5}", text) for text in pages]
        orders[name] = list(dict.fromkeys(n[-1] for n in numbers if n))
        assert not numbers[0] and "Aantal brieven 6" in pages[0]
        assert ("Volgorde op postcode, dan huisnummer" in pages[0]) == (name == "postcode")
    assert orders == {"postcode": MAIL_ROOM_BY_POSTCODE, "nummer": MAIL_ROOM_BY_NUMBER}


def test_the_help_documents_output_and_exit_status(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["overviews", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "exit-status" in text and "stderr" in text
    assert "1  een of meer deelnemers overgeslagen (de rest is wel gemaakt)" in text
    assert "huishoudboekje: 2 deelnemer(s) overgeslagen zonder overzicht, 12 wel gemaakt" in text
    assert "--op-postcode" in text and "voor de postkamer" in " ".join(text.split())


def test_one_dossier_and_nothing_printable(capsys, db_url, two, tmp_path):
    code, _, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10", "--out",
                       str(tmp_path / "een.pdf"), "--dossier", "hhb-00043")
    assert code == 1
    assert err == ("huishoudboekje: Geen enkel overzicht gemaakt: HHB-00043: adres onvolledig "
                   "(geen straat, huisnummer, postcode, woonplaats)\n")
    assert not [p.name for p in tmp_path.iterdir() if not p.name.startswith("hhb.db")]


@pytest.mark.parametrize(("args", "reason"), [
    (["--month", "2026/10"], "Ongeldige maand '2026/10' (verwacht JJJJ-MM, bijv. 2026-10)"),
    (["--month", "2099-01"], "Maand 2099-01 is nog niet begonnen"),
    (["--month", "2026-10", "--dossier", "HHB-99999"], "Dossier HHB-99999 bestaat niet"),
    (["--month", "2026-10", "--dossier", "HHB-00042", "--alle"],
     "--dossier en --alle gaan niet samen"),
])
def test_refusals_are_one_line(capsys, db_url, tmp_path, args, reason):
    code, stdout, err = run(capsys, "--db", db_url, "overviews", "--out",
                            str(tmp_path / "x.pdf"), *args)
    assert (code, stdout, err) == (1, "", f"huishoudboekje: {reason}\n")


def test_wrong_kind_of_output_and_nobody_selected(capsys, db_url, tmp_path):
    code, _, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10", "--out",
                       str(tmp_path / "brieven.txt"))
    assert (code, err) == (1, "huishoudboekje: brieven.txt: geef een .pdf-bestand, een "
                              ".xlsx-bestand of een map op\n")
    code, _, err = run(capsys, "--db", db_url, "overviews", "--month", "2026-10", "--out",
                       str(tmp_path / "brieven.pdf"))
    assert code == 1 and "geen deelnemers met een papieren overzicht" in err


def test_excel_workbook_of_the_overview(capsys, db_url, two, tmp_path):
    out = tmp_path / "oktober.xlsx"
    code, stdout, _ = run(capsys, "--db", db_url, "overviews", "--month", "2026-10", "--out",
                          str(out), "--dossier", "HHB-00042")
    assert code == 0 and "1 overzicht(en)" in stdout
    book = load_workbook(out)
    assert book.sheetnames == ["Overzicht", "HHB-00042"]
    summary = book["Overzicht"]
    assert [c.value for c in summary[2]][:2] == ["HHB-00042", "Ayşe Yılmaz-Çelik"]
    assert summary.cell(2, 5).value == pytest.approx(273.72)
    assert "€" in summary.cell(2, 5).number_format
    sheet = book["HHB-00042"]
    assert sheet.freeze_panes == "C5"
    assert [c.value for c in sheet[4]] == ["Organisatie", "Afspraak", "augustus 2026",
                                           "september 2026", "oktober 2026"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_col=5)]
    labels = [r[0] for r in rows]
    uwv = labels.index("UWV")
    assert [r[4] for r in rows[uwv:uwv + 5]] == pytest.approx(
        [457.34, 223.28, 205.60, 268.00, 637.68])
    footer = {r[0]: r[2:] for r in rows if str(r[0]).startswith(("Saldo", "Balans"))}
    assert footer["Saldo begin van periode"] == pytest.approx([-85.36, -281.17, -279.77])
    assert footer["Balans periode"] == pytest.approx([-195.81, 1.40, 553.49])
    assert footer["Saldo eind van periode"] == pytest.approx([-281.17, -279.77, 273.72])
    everything = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    assert golden.BSN not in everything


def test_excel_amounts_are_exact_decimals(tmp_path):
    out = tmp_path / "x.xlsx"
    assert write_overview_workbook([golden.sample_overview()], out) == 1
    sheet = load_workbook(out)["HHB-00042"]
    assert sheet.cell(2, 3).value == pytest.approx(float(Decimal("273.72")))
    assert sheet.cell(2, 3).number_format == '"€" #,##0.00;"€" -#,##0.00'

"""The letter read back from the PDF (pypdf) as the post room and the participant get it:
the saldo on page 1 is the saldo function's, the address lies in the envelope window, no BSN,
large print is larger, pages numbered, fonts embedded, duplex sheets. Screenshots of a normal
and a large-print letter go to tests/artifacts."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from datetime import date

import pypdfium2
import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from app.assets import resource_root
from app.reports.letter import (
    BOLD,
    PAGE_HEIGHT,
    REGULAR,
    LetterSettings,
    letter_pdf,
    register_fonts,
    width_of,
    write_calibration,
    write_letters,
)
from app.services.letter_settings import load_letter_settings, save_letter_settings
from app.services.overview import print_overviews
from app.services.saldo import saldo_cents
from tests import overview_scenario as golden
from tests.conftest import ARTIFACTS

TODAY = golden.TODAY


@dataclass(frozen=True)
class Placed:
    text: str
    x: float
    y: float  # baseline
    size: float
    font: str


def placed(page) -> list[Placed]:
    found: list[Placed] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = tm[0] * cm[0] or 1
            found.append(Placed(text.strip().replace("\xa0", " "), tm[4] * cm[0] + cm[4],
                                tm[5] * cm[3] + cm[5], size * scale,
                                str(font.get("/BaseFont", "")) if font else ""))

    page.extract_text(visitor_text=visit)
    return found


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text().replace("\xa0", " ") for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """The text as one line: sentences are compared whatever their line breaks."""
    return " ".join(text.replace("\xa0", " ").split(" ")).replace("\n", " ")


SALDO = re.compile(r"Uw saldo op (\d+ \w+ \d{4}): € (-?[\d.]+,\d\d)")


def cents_of(text: str) -> int:
    return int(text.replace(".", "").replace(",", ""))


# --- from the database --------------------------------------------------------------------

@pytest.fixture
def scenario(db):
    return golden.build(db)


def test_saldo_on_page_one_is_the_saldo_function(db, scenario, tmp_path):
    for month, last_day in ((date(2026, 10, 1), date(2026, 10, 31)),
                            (date(2026, 9, 1), date(2026, 9, 30))):
        out = tmp_path / f"{month:%m}.pdf"
        run = print_overviews(db.unit_of_work("front"), month, out, dossier="HHB-00042",
                              today=TODAY)
        assert (run.letters, run.skipped) == (1, [])
        first_page = page_texts(out.read_bytes())[2]  # after the cover sheet and its back
        match = SALDO.search(first_page)
        assert match, first_page
        with db.read() as session:
            expected = saldo_cents(session, scenario.participant_id, last_day)
        assert cents_of(match.group(2)) == expected
        assert match.group(1) == f"{last_day.day} {('september', 'oktober')[month.month - 9]} 2026"
    assert expected == -27977
    assert "Uw saldo is lager dan nul" in flat(first_page)  # September: one plain sentence
    assert "Heeft u vragen? Bel Joke de Vries op 030 286 0000." in flat(first_page)


def test_the_bsn_is_nowhere_on_paper(db, scenario, tmp_path):
    out = tmp_path / "brieven.pdf"
    print_overviews(db.unit_of_work("front"), golden.MONTH, out, today=TODAY)
    text = "\n".join(page_texts(out.read_bytes()))
    assert "Yılmaz-Çelik" in text  # the letter is really there
    for shape in (golden.BSN, " ".join(golden.BSN), golden.BSN[:4] + " " + golden.BSN[4:]):
        assert shape not in text
        assert shape not in text.replace(" ", "").replace(".", "")


def test_address_sits_in_the_configured_window(db, scenario, tmp_path):
    # Envelopes with the window on the right, as some municipalities use.
    save_letter_settings(db.unit_of_work("beheer"), window_left_mm="110", window_top_mm=45,
                         window_width_mm=90, window_height_mm=35)
    with db.read() as session:
        settings = load_letter_settings(session)
    assert settings.window_left_mm == 110
    out = tmp_path / "rechts.pdf"
    print_overviews(db.unit_of_work("front"), golden.MONTH, out, dossier="HHB-00042",
                    today=TODAY)
    page = PdfReader(out).pages[2]  # after the cover sheet and its blank back
    assert_address_in_window(placed(page), settings)


def assert_address_in_window(texts: list[Placed], settings: LetterSettings) -> None:
    left, top = settings.window_left_mm * mm, PAGE_HEIGHT - settings.window_top_mm * mm
    right = left + settings.window_width_mm * mm
    bottom = top - settings.window_height_mm * mm

    def inside(t: Placed) -> bool:
        width = width_of(t.text, t.size)
        return (left <= t.x and t.x + width <= right and bottom <= t.y - 0.25 * t.size
                and t.y + 0.8 * t.size <= top)

    def overlaps(t: Placed) -> bool:
        width = width_of(t.text, t.size)
        return t.x < right and t.x + width > left and t.y - 0.25 * t.size < top \
            and t.y + 0.8 * t.size > bottom

    postcode = [t for t in texts if t.text == "3511 AB  UTRECHT"]
    assert len(postcode) == 1 and inside(postcode[0]), postcode
    in_window = [t.text for t in texts if overlaps(t)]
    assert in_window == ["Ayşe Yılmaz-Çelik", "Kerkstraat 12A", "3511 AB  UTRECHT"]
    assert all(inside(t) for t in texts if overlaps(t))


# --- pure: the letter from plain data --------------------------------------------------------

def test_default_window_holds_the_address_and_nothing_else():
    pdf = letter_pdf(golden.sample_overview(), LetterSettings(), TODAY)
    assert_address_in_window(placed(PdfReader(io.BytesIO(pdf)).pages[0]), LetterSettings())
    large = letter_pdf(golden.sample_overview(large_print=True), LetterSettings(), TODAY)
    assert_address_in_window(placed(PdfReader(io.BytesIO(large)).pages[0]), LetterSettings())


def body_sizes(pdf: bytes) -> list[float]:
    """Font sizes of the body text (below the window, above the page number)."""
    reader = PdfReader(io.BytesIO(pdf))
    sizes = []
    for page in reader.pages:
        sizes += [t.size for t in placed(page) if 25 * mm < t.y < PAGE_HEIGHT - 85 * mm]
    return sizes


def test_large_print_is_larger_and_reflowed_not_scaled():
    normal = letter_pdf(golden.sample_overview(), LetterSettings(), TODAY)
    large = letter_pdf(golden.sample_overview(large_print=True), LetterSettings(), TODAY)
    assert min(body_sizes(normal)) == 12
    assert min(body_sizes(large)) >= 16
    normal_pages = PdfReader(io.BytesIO(normal)).pages
    large_pages = PdfReader(io.BytesIO(large)).pages
    assert len(large_pages) > len(normal_pages)  # re-flowed onto more pages
    assert {tuple(p.mediabox) for p in large_pages} == {tuple(p.mediabox) for p in normal_pages}
    saldo = [t for t in placed(large_pages[0]) if t.text.startswith("Uw saldo op")]
    assert saldo and saldo[0].size >= 24 and "Bold" in saldo[0].font
    text = "\n".join(page_texts(large))
    for amount in ("+223,28", "-737,50", "+273,72", "-85,36"):  # nothing lost in the re-flow
        assert amount in text


def test_every_text_is_at_least_12_points():
    pdf = letter_pdf(golden.sample_overview(), LetterSettings(), TODAY)
    sizes = [t.size for page in PdfReader(io.BytesIO(pdf)).pages for t in placed(page)]
    assert min(sizes) >= 12


def test_large_print_is_large_everywhere():
    """Letterhead, return address, continuation header, page number and dossier number too:
    not only the body."""
    pdf = letter_pdf(golden.sample_overview(large_print=True), LetterSettings(), TODAY)
    pages = PdfReader(io.BytesIO(pdf)).pages
    small = [(t.text, t.size) for page in pages for t in placed(page) if t.size < 16]
    assert small == []
    texts = {t.text: t.size for page in pages for t in placed(page)}
    assert texts["Postbus 16200, 3500 CE Utrecht"] >= 16
    assert texts["HHB-00042"] >= 16
    assert texts["Uw overzicht van oktober 2026 (vervolg)"] >= 16


def test_page_numbers_title_language_and_embedded_fonts():
    pdf = letter_pdf(golden.sample_overview(), LetterSettings(), TODAY)
    reader = PdfReader(io.BytesIO(pdf))
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert "pagina 1 van 2" in texts[0] and "pagina 2 van 2" in texts[1]
    assert reader.metadata.title == "Uw overzicht van oktober 2026"
    assert reader.trailer["/Root"]["/Lang"] == "nl-NL"
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/TrueType", font
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_order_of_the_letter():
    text = flat("\n".join(page_texts(letter_pdf(golden.sample_overview(), LetterSettings(),
                                                  TODAY))))
    body = text[text.index("Uw saldo op"):]
    order = ["Uw saldo op 31 oktober 2026: € 273,72", "De laatste drie maanden",
             "Saldo eind van periode", "Wat kwam er binnen en wat is betaald in oktober 2026?",
             "In oktober kreeg u in totaal € 460,16 leefgeld.", "Wat gebeurt er hierna?",
             "Op woensdag 2 december 2026 krijgt u € 460,16 leefgeld.", "Heeft u vragen?",
             "Uw contactpersoon is Joke de Vries. U kunt bellen met 030 286 0000."]
    positions = [body.find(part) for part in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)


def test_english_letter():
    data = golden.sample_overview(language="en")
    pdf = letter_pdf(data, LetterSettings(), TODAY)
    text = flat("\n".join(page_texts(pdf)))
    assert "Your balance on 31-10-2026: € 273,72" in text  # "saldo" is not English
    assert "saldo" not in text.lower()
    assert "page 1 of 2" in text and "Health insurance" in text
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "en-GB"


def test_below_zero_and_beyond_the_buffer():
    below = golden.shifted(golden.sample_overview(), 60_000)
    text = flat(page_texts(letter_pdf(below, LetterSettings(), TODAY))[0])
    assert "Uw saldo op 31 oktober 2026: € -326,28" in text
    assert "uit uw buffer van € 1.500,00" in text
    assert "groter dan uw buffer" not in text
    beyond = golden.shifted(golden.sample_overview(), 200_000)
    text = flat(page_texts(letter_pdf(beyond, LetterSettings(), TODAY))[0])
    assert "Uw tekort is groter dan uw buffer. Wij nemen contact met u op." in text


def test_font_has_every_character_of_the_demo_names():
    register_fonts()
    names = json.loads((resource_root() / "demo" / "names.json").read_text(encoding="utf-8"))
    characters = set()
    for community in names["communities"]:
        for key in ("female", "male", "surnames"):
            for name in community.get(key, []):
                characters |= set(name)
    characters |= set("€çğışöüëïéèêáàâäóòôñÇĞİŞÖÜË")
    for font_name in (REGULAR, BOLD):
        cmap = pdfmetrics.getFont(font_name).face.charToGlyph
        missing = sorted(c for c in characters if c != " " and ord(c) not in cmap)
        assert not missing, (font_name, missing)


def test_duplex_every_letter_starts_on_a_new_sheet():
    three_pages = golden.sample_overview(large_print=True)
    two_pages = golden.sample_overview(number="HHB-00043")
    out = io.BytesIO()
    result = write_letters([three_pages, two_pages, three_pages], out, LetterSettings(), TODAY,
                           title="Papieren overzichten oktober 2026")
    texts = page_texts(out.getvalue())
    assert (result.letters, result.pages, len(texts)) == (3, 9, 9)
    assert "pagina 3 van 3" in texts[2] and texts[3].strip() == ""  # the blank back
    assert "pagina 1 van 2" in texts[4] and "HHB-00043" in texts[4]
    assert "pagina 1 van 3" in texts[6]  # odd page 7: a new sheet; no blank after the last
    assert "pagina 3 van 3" in texts[8]


def test_calibration_page_shows_the_window():
    settings = replace(LetterSettings(), window_left_mm=30, window_top_mm=55)
    out = io.BytesIO()
    write_calibration(out, settings)
    page = PdfReader(io.BytesIO(out.getvalue())).pages[0]
    texts = placed(page)
    sample = [t for t in texts if t.text == "1234 AB  WOONPLAATS"]
    assert sample and 30 * mm < sample[0].x < 40 * mm
    assert "Kalibratie van het adresvenster" in page.extract_text()
    assert "30 mm van links, 55 mm van boven, 85 × 30 mm" in page.extract_text()


def test_screenshots_of_a_normal_and_a_large_print_letter():
    """Rendered as a participant sees them; reviewed by eye (tests/artifacts)."""
    for name, data in (("normal", golden.sample_overview()),
                       ("large_print", golden.sample_overview(large_print=True)),
                       ("english_below_zero", golden.shifted(
                           golden.sample_overview(language="en"), 60_000))):
        document = pypdfium2.PdfDocument(letter_pdf(data, LetterSettings(), TODAY))
        for index in range(len(document)):
            image = document[index].render(scale=1.5).to_pil()
            path = ARTIFACTS / f"overview_letter_{name}_p{index + 1}.png"
            image.save(path)
            assert image.size == (893, 1263) and path.stat().st_size > 20_000


def test_letter_settings_are_checked_and_audited(db):
    from app.errors import ValidationError
    from tests.helpers import audit_json, last_audit

    uow = db.unit_of_work
    with pytest.raises(ValidationError, match="venster boven: 10 mm"):
        save_letter_settings(uow("beheer"), window_top_mm=10)  # in the letterhead
    with pytest.raises(ValidationError, match="naam van de gemeente is verplicht"):
        save_letter_settings(uow("beheer"), municipality="  ")
    with pytest.raises(ValidationError, match="buiten"):
        save_letter_settings(uow("beheer"), window_left_mm=110, window_width_mm=100)
    with pytest.raises(ValidationError, match="bestaat niet"):
        save_letter_settings(uow("beheer"), logo="/nergens/logo.png")
    settings = save_letter_settings(uow("beheer"), municipality="Gemeente Zeist",
                                    window_height_mm="32,5", phone="14 030")
    assert (settings.municipality, settings.window_height_mm) == ("Gemeente Zeist", 32.5)
    entry = last_audit(db)
    assert entry.action == "briefinstellingen gewijzigd"
    assert audit_json(entry, "before") == {"municipality": "Gemeente Utrecht",
                                           "window_height_mm": 30.0}
    assert audit_json(entry, "after") == {"municipality": "Gemeente Zeist",
                                          "window_height_mm": 32.5}
    with db.read() as session:
        assert load_letter_settings(session) == settings


@pytest.mark.parametrize("large_print", [False, True])
def test_a_long_letterhead_stays_on_the_sheet_and_out_of_the_window(large_print):
    settings = replace(LetterSettings(), municipality="Gemeente Súdwest-Fryslân en omstreken",
                       department="Afdeling Schuldhulpverlening en Budgetbeheer",
                       sender_line="Postbus 10.000, 8600 HA Sneek — bezoekadres Marktstraat 15, "
                                   "8601 CR Sneek (maandag tot en met vrijdag)",
                       window_top_mm=40)
    pdf = letter_pdf(golden.sample_overview(large_print=large_print), settings, TODAY)
    texts = placed(PdfReader(io.BytesIO(pdf)).pages[0])
    page_width = 210 * mm
    assert all(t.x + width_of(t.text, t.size, "Bold" in t.font) <= page_width - 20 * mm + 0.5
               for t in texts)
    shown = flat(" ".join(t.text for t in texts))
    assert "(maandag tot en met vrijdag)" in shown and "Súdwest-Fryslân" in shown
    assert_address_in_window(texts, settings)  # nothing but the address in the window

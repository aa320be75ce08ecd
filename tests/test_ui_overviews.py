"""The Overzichten screen (pytest-qt, offscreen) on both databases: pre-selection by paper
preference, save as PDF with skipped participants named, the print preview, printing through
Qt's painter (read back from Qt's own PDF), the cover sheet and the order by postcode, the
letter settings and the dossier's print; the preview's Arabic and Tigrinya in the shipped
fonts (screenshots in tests/artifacts)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget

from app.services.letter_settings import load_letter_settings
from app.ui.operations import wait_for_operations
from app.ui.overviews_screen import OverviewsScreen, print_participant_overview
from tests import overview_scenario as golden
from tests.conftest import ARTIFACTS
from tests.helpers import audit_json, audit_rows
from tests.overview_scenario import (  # noqa: F401 - fixtures 'two', 'mail_room'
    MAIL_ROOM_BY_NUMBER,
    MAIL_ROOM_BY_POSTCODE,
    mail_room_participants,
    two_participants,
)


@pytest.fixture
def screen(qtbot, db, two):
    return shown_screen(qtbot, db, rows=2)


def shown_screen(qtbot, db, *, rows: int) -> OverviewsScreen:
    """The Overzichten screen, shown, once its table lists ``rows`` participants."""
    widget = OverviewsScreen(db, today=golden.TODAY)
    qtbot.addWidget(widget)
    widget.resize(1000, 650)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == rows, timeout=10_000)
    return widget


def finish(qtbot) -> None:
    assert wait_for_operations()
    qtbot.wait(50)  # let the results reach the GUI thread


def print_to_pdf_printer(qtbot, screen: OverviewsScreen, folder) -> object:
    """Print through Qt onto a PDF "printer" (what the painter puts on paper); its path."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = folder / "printer.pdf"
    printer.setOutputFileName(str(printed))
    screen.print_to(printer)
    finish(qtbot)
    qtbot.waitUntil(lambda: "naar de printer" in screen.result_text.text(), timeout=30_000)
    return printed


def test_preselected_by_paper_preference_then_saved_as_pdf(qtbot, screen, backend, tmp_path):
    first, second = screen.model.rows
    assert (first.number, first.paper, second.number, second.paper) == (
        "HHB-00042", True, "HHB-00043", False)
    assert screen.model.selected() == [first.id]
    assert screen.selected_month() == date(2026, 10, 1)
    assert screen.month.currentText() == "oktober 2026"
    assert screen.count.text() == "1 deelnemer(s) gekozen"
    screen.buttons["all"].click()
    assert screen.count.text() == "2 deelnemer(s) gekozen"
    out = tmp_path / "oktober.pdf"
    screen.save(out)
    qtbot.waitUntil(lambda: screen.last_run is not None, timeout=20_000)
    finish(qtbot)
    # The cover sheet and its blank back, then the letter's two pages.
    assert screen.last_run.letters == 1 and len(PdfReader(out).pages) == 4
    assert "Voorblad voor de postkamer" in PdfReader(out).pages[0].extract_text()
    assert screen.result.isVisible()
    text = screen.result_text.text()
    assert "1 overzicht(en) van 2026-10 gemaakt" in text
    assert "HHB-00043: adres onvolledig" in text
    screen.grab().save(str(ARTIFACTS / f"overviews_screen_{backend}.png"))
    screen.buttons["none"].click()
    assert not screen.buttons["pdf"].isEnabled() and not screen.buttons["preview"].isEnabled()


def test_preview_and_print_through_qt(qtbot, screen, db, backend, tmp_path):
    screen.preview()
    qtbot.waitUntil(lambda: screen.preview_dialog is not None, timeout=20_000)
    dialog = screen.preview_dialog
    preview = dialog.findChild(QPrintPreviewWidget)
    preview.updatePreview()
    assert len(dialog.pages) == 4 and preview.pageCount() == 4  # cover, blank back, letter
    dialog.resize(800, 900)
    dialog.grab().save(str(ARTIFACTS / f"overviews_preview_{backend}.png"))
    dialog.close()  # closed without printing: nothing left the building
    finish(qtbot)
    assert audit_rows(db, "papieren overzichten gemaakt") == []

    printed = print_to_pdf_printer(qtbot, screen, tmp_path)
    reader = PdfReader(printed)  # what Qt's painter put on the "paper"
    assert len(reader.pages) == 4
    cover = " ".join(reader.pages[0].extract_text().split())
    assert "Papieren overzichten oktober 2026" in cover and "Nederlands 1" in cover
    assert "Ayşe" not in cover and "Kerkstraat" not in cover
    first = " ".join(reader.pages[2].extract_text().split())
    assert "Uw saldo op 31 oktober 2026: € 273,72" in first
    assert "3511 AB UTRECHT" in first and "pagina 1 van 2" in first
    # The letters left the building: one audit row says whose, which month, where to.
    qtbot.waitUntil(lambda: len(audit_rows(db, "papieren overzichten gemaakt")) == 1,
                    timeout=10_000)
    after = audit_json(audit_rows(db, "papieren overzichten gemaakt")[0], "after")
    assert after == {"maand": "2026-10", "brieven": 1, "pagina's": 4, "uitvoer": "pdf",
                     "dossiers": ["HHB-00042"], "overgeslagen": []}


def test_letter_settings_and_calibration(qtbot, screen, db):
    dialog = screen.edit_settings()
    panel = dialog.panel
    assert panel.municipality.text() == "Gemeente Utrecht"
    assert panel.window_fields["window_left_mm"].value() == 22
    panel.municipality.setText("Gemeente Zeist")
    panel.window_fields["window_left_mm"].setValue(30)
    panel.save()
    finish(qtbot)
    qtbot.waitUntil(lambda: panel.message.text() == "Opgeslagen.", timeout=10_000)
    with db.read() as session:
        settings = load_letter_settings(session)
    assert (settings.municipality, settings.window_left_mm) == ("Gemeente Zeist", 30)
    panel.sender_line.setText("x" * 200)
    panel.save()
    finish(qtbot)
    qtbot.waitUntil(lambda: "afzenderregel" in panel.message.text(), timeout=10_000)
    preview = panel.calibrate()
    assert len(preview.pages) == 1
    preview.close()
    dialog.close()


def test_print_from_the_dossier(qtbot, db, two, tmp_path):
    opened = []
    print_participant_overview(None, db, two[0].participant_id, date(2026, 10, 1),
                               today=golden.TODAY, on_open=opened.append)
    finish(qtbot)
    qtbot.waitUntil(lambda: bool(opened), timeout=20_000)
    dialog = opened[0]
    assert dialog.windowTitle() == "Uw overzicht van oktober 2026 — HHB-00042"
    assert len(dialog.pages) == 2
    # What the preview's print button does once the print dialog said yes: print, accept.
    printer = dialog.printer_ref
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "dossier.pdf"))
    dialog.findChild(QPrintPreviewWidget).print()
    dialog.accept()
    finish(qtbot)
    qtbot.waitUntil(lambda: len(audit_rows(db, "papieren overzichten gemaakt")) == 1,
                    timeout=10_000)
    entry = audit_rows(db, "papieren overzichten gemaakt")[0]
    assert audit_json(entry, "after") == {
        "maand": "2026-10", "brieven": 1, "pagina's": 2, "uitvoer": "pdf",
        "dossiers": ["HHB-00042"], "overgeslagen": []}
    assert len(PdfReader(tmp_path / "dossier.pdf").pages) == 2


def test_excel_from_the_dossier_needs_no_address(qtbot, db, two, tmp_path):
    from openpyxl import load_workbook

    from app.ui.overviews_screen import export_participant_overview

    runs = []
    out = tmp_path / "zoe.xlsx"
    export_participant_overview(None, db, two[1].participant_id, out, date(2026, 10, 1),
                                on_done=runs.append)
    finish(qtbot)
    qtbot.waitUntil(lambda: bool(runs), timeout=20_000)
    assert runs[0].letters == 1 and runs[0].skipped == []
    assert load_workbook(out).sheetnames == ["Overzicht", "HHB-00043"]


def test_printer_pages_start_every_letter_on_a_new_sheet():
    """What the printer gets (Qt replay) has the same blank backs as the combined PDF."""
    from app.reports.letter import LetterSettings, Text
    from app.ui.overviews_screen import letter_pages

    three_pages = golden.sample_overview(large_print=True)
    two_pages = golden.sample_overview(number="HHB-00043")
    pages = letter_pages([three_pages, two_pages, three_pages], LetterSettings(), golden.TODAY)

    def words(page) -> str:
        return " ".join(op.text for op in page if isinstance(op, Text))

    assert len(pages) == 9 and pages[3] == []  # the blank back after three pages
    assert "pagina 1 van 2" in words(pages[4]) and "HHB-00043" in words(pages[4])
    assert "pagina 1 van 3" in words(pages[6]) and "pagina 3 van 3" in words(pages[8])


# --- the mail room: order by postcode, the cover sheet ----------------------------------------

def pdf_pages(path) -> list[str]:
    return [" ".join(page.extract_text().replace("\xa0", " ").split())
            for page in PdfReader(path).pages]


def letter_order(pages: list[str]) -> list[str]:
    """The dossier numbers of the letters in page order (the cover and blank backs have none)."""
    numbers = [re.findall(r"HHB-\d{5}", text) for text in pages]
    return list(dict.fromkeys(found[-1] for found in numbers if found))


def mail_room_screen(qtbot, db) -> OverviewsScreen:
    return shown_screen(qtbot, db, rows=7)


def test_sorted_by_postcode_from_the_screen(qtbot, db, mail_room, backend, tmp_path):
    screen = mail_room_screen(qtbot, db)
    box = screen.by_postcode
    assert box.text() == "Sorteren op postcode (voor de postkamer)" and not box.isChecked()
    screen.buttons["all"].click()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert box.isChecked()
    screen.grab().save(str(ARTIFACTS / f"overviews_screen_by_postcode_{backend}.png"))

    saved = tmp_path / "postkamer.pdf"  # Opslaan als PDF…
    screen.save(saved)
    qtbot.waitUntil(lambda: screen.last_run is not None, timeout=30_000)
    finish(qtbot)
    pages = pdf_pages(saved)
    assert letter_order(pages) == MAIL_ROOM_BY_POSTCODE == screen.last_run.numbers
    assert "Volgorde op postcode, dan huisnummer" in pages[0]

    printed = print_to_pdf_printer(qtbot, screen, tmp_path)  # Afdrukken…
    pages = pdf_pages(printed)  # what Qt's painter put on the "paper"
    cover = pages[0]
    assert letter_order(pages) == MAIL_ROOM_BY_POSTCODE
    assert "Papieren overzichten oktober 2026" in cover and "Aantal brieven 6" in cover
    assert "Volgorde op postcode, dan huisnummer" in cover
    assert "Overgeslagen (adres onvolledig) 1" in cover
    assert "Nederlands 3 Engels 1 Arabisch 1 Tigrinya 1" in cover
    assert not re.search(r"HHB-\d|Bakker|Haddad|Oudegracht|3512", cover)
    assert pages[1] == "" and "HHB-00102" in pages[2]  # the first letter on a sheet of its own
    qtbot.waitUntil(lambda: len(audit_rows(db, "papieren overzichten gemaakt")) == 2,
                    timeout=10_000)
    after = audit_json(audit_rows(db, "papieren overzichten gemaakt")[-1], "after")
    assert (after["uitvoer"], after["dossiers"], after["pagina's"]) == (
        "pdf", MAIL_ROOM_BY_POSTCODE, len(pages))

    # The workstation remembers the choice; unticked, the order is the dossier number's.
    again = mail_room_screen(qtbot, db)
    assert again.by_postcode.isChecked()
    again.by_postcode.setChecked(False)
    again.buttons["all"].click()
    by_number = tmp_path / "nummer.pdf"
    again.save(by_number)
    qtbot.waitUntil(lambda: again.last_run is not None, timeout=30_000)
    finish(qtbot)
    pages = pdf_pages(by_number)
    assert letter_order(pages) == MAIL_ROOM_BY_NUMBER
    assert "Volgorde op dossiernummer" in pages[0]


# --- the preview's fonts: Arabic and Tigrinya ------------------------------------------------

def qt_glyph_runs(text: str, rtl: bool) -> list[tuple[str, list[int]]]:
    """How the preview sets a line (``text_layout``, 12 pt): (font family, glyph ids from
    left to right) per run of glyphs."""
    from app.reports.letter import Text
    from app.ui.overviews_screen import letter_font, text_layout

    line = Text(500, 700, text, 12, right=rtl, rtl=rtl)
    runs = []
    for run in text_layout(line, letter_font(False, 12, 72)).glyphRuns():
        placed = sorted(zip((p.x() for p in run.positions()), run.glyphIndexes(), strict=True))
        runs.append((run.rawFont().familyName(), [glyph for _, glyph in placed]))
    return runs


def test_the_preview_sets_arabic_and_tigrinya_in_the_shipped_fonts(qtbot):
    import uharfbuzz
    from reportlab.pdfbase import pdfmetrics

    from app.assets import resource_root
    from app.reports.letter import ARABIC, FONT_FILES, register_fonts

    assert {family for family, _ in qt_glyph_runs("ሒሳብኩም", False)} == {"Noto Sans Ethiopic"}
    assert {family for family, _ in qt_glyph_runs("ሒሳብ € 1.234,56", False)} == {
        "Noto Sans Ethiopic", "Noto Sans"}
    word = "السلام"  # joined, and read from the right
    runs = qt_glyph_runs(word, True)
    assert [family for family, _ in runs] == ["Noto Sans Arabic"]
    # Qt's glyphs are the ones HarfBuzz picks with the shipped font for the logical text, in
    # visual order: joining forms and the lam-alef ligature, not the isolated letters of the
    # cmap (text reordered before Qt saw it would be shaped the wrong way round).
    path = resource_root() / "fonts" / FONT_FILES[ARABIC]
    buffer = uharfbuzz.Buffer()
    buffer.add_str(word)
    buffer.guess_segment_properties()
    uharfbuzz.shape(uharfbuzz.Font(uharfbuzz.Face(path.read_bytes())), buffer, {})
    shaped = [info.codepoint for info in buffer.glyph_infos]  # left to right
    register_fonts()
    isolated = [pdfmetrics.getFont(ARABIC).face.charToGlyph[ord(c)] for c in reversed(word)]
    assert runs[0][1] == shaped != isolated


def test_the_preview_right_aligns_arabic_at_the_pdfs_size(qtbot):
    """The saldo line of an Arabic letter, replayed on an image: it ends at the right margin
    and is as wide as in the PDF (its Arabic run set 10 % larger, as reportlab draws it)."""
    from PySide6.QtGui import QColor, QImage, QPainter

    from app.reports.letter import PAGE_HEIGHT, LetterSettings, Text, layout_letter, width_of
    from app.reports.letter_texts import ARABIC
    from app.ui.overviews_screen import paint_page

    data = golden.shifted(golden.sample_overview(language="ar"), 60_000)
    pages = layout_letter(data, LetterSettings(), golden.TODAY).pages
    opening = ARABIC.saldo_line.split("{")[0]
    line = next(op for op in pages[0] if isinstance(op, Text) and op.text.startswith(opening))
    assert line.rtl and line.right  # in logical order, as typed: Qt orders it itself
    scale = 4  # pixels per point
    image = QImage(int(595 * scale), int(842 * scale), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint_page(painter, [line], 72 * scale)
    painter.end()
    top = int((PAGE_HEIGHT - line.y - line.size) * scale)
    bottom = int((PAGE_HEIGHT - line.y + 0.4 * line.size) * scale)
    ink = [x for x in range(image.width()) if any(
        image.pixelColor(x, y).lightness() < 128 for y in range(top, bottom, 2))]
    left, right = ink[0] / scale, ink[-1] / scale
    assert line.x - 3 < right <= line.x + 0.5
    pdf_width = width_of(line.text, line.size, line.bold, line.rtl)
    assert abs((right - left) - pdf_width) < 0.04 * pdf_width


def test_the_preview_keeps_arabic_lines_as_laid_out(qtbot):
    """QPrintPreviewDialog records each page as a QPicture and plays it back; a QPicture keeps
    the characters of every run of text and lays each run out again on its own, which put the
    colons and commas of an Arabic sentence on the wrong side. The page played back from a
    QPicture must look like the page painted directly (compared in blocks of 8 × 8 pixels at
    216 dpi, so antialiasing does not count)."""
    import numpy
    from PySide6.QtGui import QImage, QPainter, QPicture

    from app.reports.letter import LetterSettings, layout_letter
    from app.ui.overviews_screen import paint_page

    data = golden.shifted(golden.sample_overview(language="ar"), 60_000)
    page = layout_letter(data, LetterSettings(), golden.TODAY).pages[0]
    dpi, block = 216, 8

    def ink(paint) -> numpy.ndarray:
        image = QImage(int(595 * dpi / 72), int(842 * dpi / 72),
                       QImage.Format.Format_Grayscale8)
        image.fill(255)
        painter = QPainter(image)
        paint(painter)
        painter.end()
        pixels = numpy.frombuffer(image.constBits(), dtype=numpy.uint8).reshape(
            image.height(), image.bytesPerLine())[:, :image.width()] < 128
        height, width = (n - n % block for n in pixels.shape)
        return pixels[:height, :width].reshape(height // block, block, width // block,
                                                block).sum(axis=(1, 3)).astype(int)

    picture = QPicture()
    recorder = QPainter(picture)
    paint_page(recorder, page, picture.logicalDpiY())
    recorder.end()

    def play(painter: QPainter) -> None:
        painter.scale(dpi / picture.logicalDpiY(), dpi / picture.logicalDpiY())
        picture.play(painter)

    direct = ink(lambda painter: paint_page(painter, page, dpi))
    played = ink(play)
    assert direct.sum() > 10_000  # the page is there
    assert abs(direct - played).max() < block * block / 3


def test_screenshots_of_the_preview_in_arabic_and_tigrinya(qtbot):
    """The print preview of an Arabic and a Tigrinya letter, as a clerk sees it (reviewed by
    eye in tests/artifacts)."""
    from app.reports.letter import LetterSettings, layout_letter
    from app.ui.overviews_screen import open_preview

    for code in ("ar", "ti"):
        data = golden.shifted(golden.sample_overview(language=code), 60_000)
        pages = layout_letter(data, LetterSettings(), golden.TODAY).pages
        dialog = open_preview(None, pages, f"Voorbeeld {code}")
        qtbot.addWidget(dialog)
        preview = dialog.findChild(QPrintPreviewWidget)
        dialog.resize(1000, 1300)
        preview.setZoomMode(QPrintPreviewWidget.ZoomMode.FitToWidth)
        preview.updatePreview()
        qtbot.wait(100)
        path = ARTIFACTS / f"overviews_preview_{code}.png"
        assert dialog.grab().save(str(path))
        assert preview.pageCount() == len(pages) and path.stat().st_size > 50_000
        dialog.close()

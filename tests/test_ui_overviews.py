"""The Overzichten screen (pytest-qt, offscreen) on both databases: pre-selection by paper
preference, save as PDF with skipped participants named, the print preview, printing through
Qt's painter (read back from Qt's own PDF), the letter settings and the dossier's print."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget

from app.services.letter_settings import load_letter_settings
from app.ui.operations import wait_for_operations
from app.ui.overviews_screen import OverviewsScreen, print_participant_overview
from tests import overview_scenario as golden
from tests.conftest import ARTIFACTS
from tests.helpers import audit_json, audit_rows
from tests.overview_scenario import two_participants  # noqa: F401 - fixture 'two'


@pytest.fixture
def screen(qtbot, db, two):
    widget = OverviewsScreen(db, today=golden.TODAY)
    qtbot.addWidget(widget)
    widget.resize(1000, 650)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2, timeout=10_000)
    return widget


def finish(qtbot) -> None:
    assert wait_for_operations()
    qtbot.wait(50)  # let the results reach the GUI thread


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
    assert screen.last_run.letters == 1 and len(PdfReader(out).pages) == 2
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
    assert len(dialog.pages) == 2 and preview.pageCount() == 2
    dialog.resize(800, 900)
    dialog.grab().save(str(ARTIFACTS / f"overviews_preview_{backend}.png"))
    dialog.close()  # closed without printing: nothing left the building
    finish(qtbot)
    assert audit_rows(db, "papieren overzichten gemaakt") == []

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printer.pdf"
    printer.setOutputFileName(str(printed))
    screen.print_to(printer)
    finish(qtbot)
    qtbot.waitUntil(lambda: "naar de printer" in screen.result_text.text(), timeout=20_000)
    reader = PdfReader(printed)  # what Qt's painter put on the "paper"
    assert len(reader.pages) == 2
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Uw saldo op 31 oktober 2026: € 273,72" in first
    assert "3511 AB UTRECHT" in first and "pagina 1 van 2" in first
    # The letters left the building: one audit row says whose, which month, where to.
    qtbot.waitUntil(lambda: len(audit_rows(db, "papieren overzichten gemaakt")) == 1,
                    timeout=10_000)
    after = audit_json(audit_rows(db, "papieren overzichten gemaakt")[0], "after")
    assert after == {"maand": "2026-10", "brieven": 1, "pagina's": 2, "uitvoer": "pdf",
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

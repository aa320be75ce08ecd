"""Overzichten: the monthly paper overviews from the desktop client.

Choose a month; the participants who want their overview on paper are ticked (tick others or
untick them); then preview (``QPrintPreviewDialog``), print (``QPrintDialog``), or save as one
PDF or an Excel workbook. Gathering and laying out letters, writing files and painting on the
printer run off the GUI thread (``run_operation``) with progress and Annuleren.

The preview and the printer get the same pages as the PDF: ``app.reports.letter`` lays each
letter out into drawing operations, which ``paint_page`` replays on a QPainter in the shipped
fonts (Noto Sans, Noto Sans Arabic, Noto Sans Ethiopic; Qt shapes and orders the logical text
of each line itself). A run printed or saved from this screen begins with the same cover sheet
for the mail room as the command line's PDF, and can be sorted by postcode.
``print_participant_overview`` is what the dossier's "Print overzicht" calls;
``LetterSettingsPanel`` edits the letter settings (also for the Instellingen screen).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.assets import resource_root
from app.reports.letter import (
    ARABIC,
    ETHIOPIC,
    FONT_FILES,
    PAGE_HEIGHT,
    REGULAR,
    Box,
    LetterSettings,
    Page,
    Picture,
    Rule,
    RunCover,
    Text,
    calibration_page,
    cover_sheet,
    is_complex,
    layout_letter,
    optical_spans,
    printed_language,
)
from app.reports.letter_texts import DUTCH
from app.reports.overview_data import add_months
from app.services.letter_settings import load_letter_settings, save_letter_settings
from app.services.overview import (
    Candidate,
    PrintRun,
    Skipped,
    default_month,
    in_postcode_order,
    overview_batches,
    overview_candidates,
    overview_for_dossier,
    print_overviews,
    record_overviews_made,
)
from app.ui.operations import Progress, run_operation
from app.ui.widgets import Card, heading, muted, settings

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
PREVIEW_LIMIT = 50  # letters in one preview; printing and saving take them all
MONTHS_BACK = 13
BY_POSTCODE_KEY = "overzichten/op_postcode"  # the workstation remembers the mail room's order


# --- painting the laid-out pages on Qt paint devices --------------------------------------

@functools.cache
def _families() -> dict[str, str]:
    """Load the letter's TrueType fonts into Qt once; the family name of each."""
    families = {}
    for name, file_name in FONT_FILES.items():
        data = (resource_root() / "fonts" / file_name).read_bytes()
        font_id = QFontDatabase.addApplicationFontFromData(data)
        found = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        families[name] = found[0] if found else "DejaVu Sans"
    return families


def letter_font(bold: bool, size: float, device_dpi: float) -> QFont:
    """The letter's font in Qt: the shipped Noto families in the order the PDF picks them
    (Latin, digits and € first; Arabic; Ethiopic), so Qt takes every character from the
    program's fonts and none from the system's. ``size`` in points on the sheet."""
    families = _families()
    font = QFont(families[REGULAR])
    font.setFamilies([families[REGULAR], families[ARABIC], families[ETHIOPIC]])
    font.setBold(bold)
    font.setPointSizeF(size * 72 / device_dpi)
    font.setKerning(False)  # reportlab does not kern Latin text either
    return font


def paint_page(painter: QPainter, page: Page, dpi: float) -> None:
    """Replay one page's operations; the painter's device shows an A4 sheet at ``dpi``.

    A Text holds its line in logical order, as typed (the PDF's shaping and bidi ordering
    happen only when it is drawn on a canvas): Qt orders and shapes it itself, with the
    line's base direction (``Text.rtl``); see ``draw_text``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.scale(dpi / 72, dpi / 72)  # from here on one unit is one point
    device_dpi = painter.device().logicalDpiY() or 72
    fonts: dict[tuple[bool, float], QFont] = {}
    for op in page:
        if isinstance(op, Text):
            key = (op.bold, op.size)
            font = fonts.get(key)
            if font is None:
                font = fonts[key] = letter_font(op.bold, op.size, device_dpi)
            painter.setFont(font)
            painter.setPen(QColor("black"))
            draw_text(painter, op, font)
        elif isinstance(op, Rule):
            grey = int(op.grey * 255)
            painter.setPen(QPen(QColor(grey, grey, grey), op.width))
            painter.drawLine(QPointF(op.x1, PAGE_HEIGHT - op.y1),
                             QPointF(op.x2, PAGE_HEIGHT - op.y2))
        elif isinstance(op, Box):
            rect = QRectF(op.x, PAGE_HEIGHT - op.y - op.height, op.width, op.height)
            if op.fill is not None:
                grey = int(op.fill * 255)
                painter.fillRect(rect, QColor(grey, grey, grey))
            else:
                pen = QPen(QColor("black"), 0.8)
                if op.dashed:
                    pen.setStyle(Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.drawRect(rect)
        elif isinstance(op, Picture):
            image = QImage(op.path)
            if not image.isNull():
                target = QRectF(op.x, PAGE_HEIGHT - op.y - op.height, op.width, op.height)
                scaled = image.size().scaled(target.size().toSize(),
                                             Qt.AspectRatioMode.KeepAspectRatio)
                target.setSize(scaled.toSizeF())
                painter.drawImage(target, image)
    painter.restore()


def draw_text(painter: QPainter, op: Text, font: QFont) -> None:
    """One line. A Latin line is drawText's. A line that needs bidi or shaping (Arabic,
    Ethiopic, a right-to-left line) is laid out by ``text_layout`` and drawn as the glyphs it
    chose: the print preview records its pages as a QPicture, which keeps the characters of
    each run of text and lays every run out again on its own when shown, so punctuation
    between an Arabic and a Latin run would land on the wrong side."""
    baseline = PAGE_HEIGHT - op.y
    if not is_complex(op.text, op.rtl):
        x = op.x
        if op.right:
            x -= QFontMetricsF(font, painter.device()).horizontalAdvance(op.text)
        painter.drawText(QPointF(x, baseline), op.text)
        return
    layout = text_layout(op, font, painter.device())
    line = layout.lineAt(0)
    x = op.x - line.naturalTextWidth() if op.right else op.x
    origin = QPointF(x, baseline - line.ascent())
    for run in layout.glyphRuns():
        painter.drawGlyphRun(origin, run)


def text_layout(op: Text, font: QFont, device: QPaintDevice | None = None) -> QTextLayout:
    """A line as Qt lays it out: its text in logical order (as the Text holds it; Qt does
    the bidi ordering and the shaping), the line's base direction, never wrapped (the letter
    broke its lines already), left at x = 0, its Arabic runs set larger as the PDF sets them
    (``optical_spans``)."""
    layout = QTextLayout(op.text, font, device)
    option = QTextOption()
    option.setTextDirection(Qt.LayoutDirection.RightToLeft if op.rtl
                            else Qt.LayoutDirection.LeftToRight)
    option.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute)
    option.setWrapMode(QTextOption.WrapMode.NoWrap)
    layout.setTextOption(option)
    formats = []
    families = font.families()
    for start, end, scale in optical_spans(op.text, op.bold, op.rtl):
        larger = QFont(font)
        larger.setFamilies([families[1], families[0], *families[2:]])  # spaces too: Arabic
        larger.setPointSizeF(font.pointSizeF() * scale)
        style = QTextCharFormat()
        style.setFont(larger)
        span = QTextLayout.FormatRange()
        span.start, span.length, span.format = start, end - start, style
        formats.append(span)
    layout.setFormats(formats)
    layout.beginLayout()
    layout.createLine().setLineWidth(4 * PAGE_HEIGHT)
    layout.endLayout()
    return layout


def prepare_printer(printer: QPrinter, title: str) -> None:
    printer.setDocName(title)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)  # coordinates are the sheet's, as in the PDF


def paint_pages(printer: QPrinter, pages: Sequence[Page],
                progress: Callable[[int, int], None] | None = None) -> int:
    """Paint pages on a printer (or a preview's printer); returns how many."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("De printer kan niet beginnen met afdrukken.")
    try:
        dpi = printer.resolution()
        for number, page in enumerate(pages):
            if number:
                printer.newPage()
            paint_page(painter, page, dpi)
            if progress is not None:
                progress(number + 1, len(pages))
    finally:
        painter.end()
    return len(pages)


def letter_pages(letters, settings: LetterSettings, today: date, *, duplex: bool = True
                 ) -> list[Page]:
    """The pages of laid-out letters as one document (a blank back after an odd letter)."""
    pages: list[Page] = []
    for data in letters:
        laid_out = layout_letter(data, settings, today).pages
        if pages and duplex and len(pages) % 2:
            pages.append([])
        pages.extend(laid_out)
    return pages


def open_preview(parent: QWidget | None, pages: list[Page], title: str, *,
                 on_printed: Callable[[QPrinter], None] | None = None) -> QPrintPreviewDialog:
    """A print preview of the pages; its print button prints them (then ``on_printed``:
    the dialog accepts itself only after printing or exporting as PDF)."""
    _families()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    prepare_printer(printer, title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(title)
    dialog.paintRequested.connect(lambda device: paint_pages(device, pages))
    dialog.resize(900, 1000)
    dialog.printer_ref = printer  # the dialog does not own it: keep it alive with the dialog
    dialog.pages = pages
    if on_printed is not None:
        dialog.accepted.connect(lambda: on_printed(printer))
    dialog.open()
    return dialog


# --- one participant, from the dossier ---------------------------------------------------------

def print_participant_overview(parent: QWidget | None, db, participant_id: int,
                               month: date | None = None, *, today: date | None = None,
                               on_open: Callable[[QPrintPreviewDialog], None] | None = None
                               ) -> None:
    """"Print overzicht" in a dossier: this participant's overview of last month (or
    ``month``) in a print preview, from which it is printed."""
    today = today or date.today()
    month = month or default_month(today)

    def gather(_progress: Progress):
        data, settings = overview_for_dossier(db, participant_id, month, today=today)
        return data, layout_letter(data, settings, today)

    def show(result) -> None:
        data, laid_out = result
        title = f"{laid_out.title} — {data.number}"
        dialog = open_preview(parent, laid_out.pages, title, on_printed=lambda printer: record(
            printer, [data.number], len(laid_out.pages)))
        if on_open is not None:
            on_open(dialog)

    def record(printer: QPrinter, numbers: list[str], pages: int) -> None:
        record_printed(parent, db, month, printer, numbers, pages)

    run_operation(parent, gather, on_done=show, label=None)


def printer_output(printer: QPrinter) -> str:
    """What the audit row says a QPrinter made: a PDF file or paper."""
    return "pdf" if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat else "printer"


def record_printed(parent: QWidget | None, db, month: date, printer: QPrinter,
                   numbers: list[str], pages: int) -> None:
    """The audit row of letters that went to a printer (or a PDF) from a print preview."""
    output = printer_output(printer)
    run_operation(parent, lambda _progress: record_overviews_made(
        db.unit_of_work(), month, numbers, output=output, pages=pages), label=None)


def export_participant_overview(parent: QWidget | None, db, participant_id: int,
                                path: Path | None = None, month: date | None = None, *,
                                on_done: Callable[[PrintRun], None] | None = None) -> None:
    """"Exporteer naar Excel" in a dossier: this participant's overview of last month as an
    Excel workbook (asks where, unless ``path`` is given)."""
    month = month or default_month()
    if path is None:
        chosen, _ = QFileDialog.getSaveFileName(
            parent, QCoreApplication.translate("Overviews", "Opslaan als"),
            f"overzicht-{month:%Y-%m}.xlsx", "Excel (*.xlsx)")
        if not chosen:
            return
        path = Path(chosen if chosen.lower().endswith(".xlsx") else chosen + ".xlsx")
    run_operation(parent, lambda progress: print_overviews(
        db.unit_of_work(), month, path, participant_ids=[participant_id], progress=progress),
        on_done=on_done, label=QCoreApplication.translate("Overviews", "Excel maken…"))


# --- the screen ----------------------------------------------------------------------------

class CandidateModel(QAbstractTableModel):
    """Participants who can get an overview, with a tick box each."""

    COLUMNS = ("", "Dossiernummer", "Naam", "Woonplaats", "Op papier", "Adres",
               "Grote letters", "Taal")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Candidate] = []
        self.ticked: set[int] = set()

    def load(self, rows: list[Candidate]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.ticked = {r.id for r in rows if r.paper}
        self.endResetModel()

    def tick(self, ids: set[int]) -> None:
        self.ticked = set(ids)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))

    def selected(self) -> list[int]:
        return [r.id for r in self.rows if r.id in self.ticked]

    def rowCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = ROOT) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def flags(self, index: Index):
        base = super().flags(index)
        if index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if row.id in self.ticked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            return ("", row.number, row.name, row.city or "", "ja" if row.paper else "nee",
                    "in orde" if row.address_complete else "onvolledig",
                    "ja" if row.large_print else "", row.language)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and not row.address_complete:
            return QColor("#b3261e")
        return None

    def setData(self, index: Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        row = self.rows[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
            else value
        if checked:
            self.ticked.add(row.id)
        else:
            self.ticked.discard(row.id)
        self.dataChanged.emit(index, index)
        return True

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None


class OverviewsScreen(QWidget):
    def __init__(self, db, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        _families()  # the letter fonts, loaded on the GUI thread before any painting
        self.db = db
        self.today = today or date.today()
        self.last_run: PrintRun | None = None
        self.preview_dialog: QPrintPreviewDialog | None = None

        self.month = QComboBox()
        first = default_month(self.today)
        for back in range(MONTHS_BACK):
            month = add_months(self.today, -back)
            self.month.addItem(DUTCH.month(month), month.isoformat())
        self.month.setCurrentIndex(max(0, self.month.findData(first.isoformat())))
        self.model = CandidateModel()
        self.model.dataChanged.connect(self._update_count)
        self.model.modelReset.connect(self._update_count)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.count = QLabel()
        self.by_postcode = QCheckBox(self.tr("Sorteren op postcode (voor de postkamer)"))
        self.by_postcode.setToolTip(self.tr(
            "De brieven op volgorde van postcode en huisnummer, voor het voorbeeld, het "
            "afdrukken en de PDF; anders op dossiernummer."))
        self.by_postcode.setChecked(settings().value(BY_POSTCODE_KEY, False, type=bool))
        self.by_postcode.toggled.connect(
            lambda checked: settings().setValue(BY_POSTCODE_KEY, checked))
        self.result = Card()
        self.result.hide()
        self.result_text = QLabel()
        self.result_text.setWordWrap(True)
        self.result.body.addWidget(self.result_text)

        buttons = {}
        for key, text in (("all", "Alles aanvinken"), ("none", "Niets aanvinken"),
                          ("paper", "Volgens voorkeur"), ("preview", "Voorbeeld…"),
                          ("print", "Afdrukken…"), ("pdf", "Opslaan als PDF…"),
                          ("excel", "Opslaan als Excel…"), ("settings", "Briefinstellingen…")):
            buttons[key] = QPushButton(self.tr(text))
        self.buttons = buttons
        buttons["all"].clicked.connect(lambda: self.model.tick({r.id for r in self.model.rows}))
        buttons["none"].clicked.connect(lambda: self.model.tick(set()))
        buttons["paper"].clicked.connect(
            lambda: self.model.tick({r.id for r in self.model.rows if r.paper}))
        buttons["preview"].clicked.connect(self.preview)
        buttons["print"].clicked.connect(self.ask_print)
        buttons["pdf"].clicked.connect(lambda: self._ask_save("pdf"))
        buttons["excel"].clicked.connect(lambda: self._ask_save("xlsx"))
        buttons["settings"].clicked.connect(self.edit_settings)
        buttons["preview"].setDefault(True)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Maand:")))
        top.addWidget(self.month)
        top.addSpacing(16)
        for key in ("all", "none", "paper"):
            top.addWidget(buttons[key])
        top.addStretch(1)
        top.addWidget(buttons["settings"])
        actions = QHBoxLayout()
        actions.addWidget(self.count, 1)
        actions.addWidget(self.by_postcode)
        actions.addSpacing(16)
        for key in ("preview", "print", "pdf", "excel"):
            actions.addWidget(buttons[key])
        layout = QVBoxLayout(self)
        layout.addWidget(heading(self.tr("Papieren overzichten")))
        layout.addWidget(muted(self.tr(
            "Deelnemers die hun overzicht op papier willen, zijn aangevinkt. Elke brief begint "
            "op een nieuw vel (dubbelzijdig afdrukken), na een voorblad voor de postkamer met "
            "de aantallen. Wie geen volledig adres heeft, wordt overgeslagen en hieronder "
            "genoemd.")))
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)
        layout.addLayout(actions)
        self._update_count()
        self.reload()

    # loading
    def activate(self) -> None:
        self.reload()

    def reload(self) -> None:
        def load(_progress: Progress) -> list[Candidate]:
            with self.db.read() as session:
                return overview_candidates(session)

        run_operation(self, load, on_done=self.model.load)

    def selected_month(self) -> date:
        return date.fromisoformat(self.month.currentData())

    def _update_count(self, *_args) -> None:
        chosen = len(self.model.ticked)
        self.count.setText(self.tr("%n deelnemer(s) gekozen", "", chosen))
        for key in ("preview", "print", "pdf", "excel"):
            self.buttons[key].setEnabled(chosen > 0)

    # actions
    def _choices(self) -> tuple[list[int], date, bool]:
        """What the clerk chose (read on the GUI thread): the ticked participants, the month
        and whether the letters go in the mail room's order."""
        return self.model.selected(), self.selected_month(), self.by_postcode.isChecked()

    def _layout_selected(self, choices: tuple[list[int], date, bool], limit: int | None,
                         progress: Progress) -> tuple[list[Page], list[Skipped], list[str]]:
        """The pages of the chosen letters (in the mail room's order when asked, behind the
        run's cover sheet), who was skipped, and who got a letter."""
        ids, month, by_postcode = choices
        with self.db.read() as session:
            settings = load_letter_settings(session)
            if by_postcode:
                ids = in_postcode_order(session, ids)
        ids = ids[:limit] if limit else ids
        skipped: list[Skipped] = []
        letters = []
        for done, item in enumerate(overview_batches(self.db, ids, month, today=self.today),
                                    start=1):
            if isinstance(item, Skipped):
                skipped.append(item)
            else:
                letters.append(item)
            progress(done, len(ids))
        pages = letter_pages(letters, settings, self.today)
        if letters:  # counted from the letters laid out, as write_letters counts its own
            languages: dict[str, int] = {}
            for data in letters:
                code = printed_language(data, settings)
                languages[code] = languages.get(code, 0) + 1
            cover = RunCover(month, self.today, self.db.default_actor(), languages,
                             by_postcode, len(skipped))
            pages = cover_sheet(cover, settings) + pages
        return pages, skipped, [data.number for data in letters]

    def preview(self) -> None:
        """The first letters of the selection in a print preview."""
        title = self.tr("Voorbeeld overzichten %1").replace(
            "%1", DUTCH.month(self.selected_month()))

        choices = self._choices()
        month = choices[1]

        def show(result) -> None:
            pages, skipped, numbers = result
            self._show_skipped(skipped, None)
            if pages:
                self.preview_dialog = open_preview(
                    self, pages, title, on_printed=lambda printer: record_printed(
                        self, self.db, month, printer, numbers, len(pages)))

        run_operation(self, lambda progress: self._layout_selected(choices, PREVIEW_LIMIT,
                                                                   progress),
                      on_done=show, label=self.tr("Voorbeeld maken…"))

    def ask_print(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, f"Overzichten {self.selected_month():%Y-%m}")
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """Lay out and paint every selected letter on the printer, off the GUI thread."""
        choices = self._choices()
        month = choices[1]
        output = printer_output(printer)

        def work(progress: Progress) -> tuple[int, list[Skipped]]:
            pages, skipped, numbers = self._layout_selected(choices, None, progress)
            progress.check()
            painted = paint_pages(printer, pages) if pages else 0
            if painted:
                record_overviews_made(self.db.unit_of_work(), month, numbers, output=output,
                                      pages=painted, skipped=[s.number for s in skipped])
            return painted, skipped

        def done(result) -> None:
            painted, skipped = result
            self._show_skipped(skipped, self.tr("%1 pagina's naar de printer gestuurd.")
                               .replace("%1", str(painted)))

        self._printer = printer  # alive until the operation is done
        run_operation(self, work, on_done=done, label=self.tr("Afdrukken…"))

    def _ask_save(self, kind: str) -> None:
        month = self.selected_month()
        suggested = f"overzichten-{month:%Y-%m}.{kind}"
        filters = self.tr("PDF (*.pdf)") if kind == "pdf" else self.tr("Excel (*.xlsx)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Opslaan als"), suggested, filters)
        if path:
            if not path.lower().endswith(f".{kind}"):
                path += f".{kind}"
            self.save(Path(path))

    def save(self, path: Path, on_done: Callable[[PrintRun], None] | None = None) -> None:
        """The selected overviews as one PDF (or .xlsx workbook) at ``path``."""
        ids, month = self.model.selected(), self.selected_month()

        def done(run: PrintRun) -> None:
            self.last_run = run
            self._show_skipped(run.skipped, run.summary())
            if on_done is not None:
                on_done(run)

        by_postcode = self.by_postcode.isChecked()
        run_operation(self, lambda progress: print_overviews(
            self.db.unit_of_work(), month, path, participant_ids=ids, today=self.today,
            progress=progress, by_postcode=by_postcode), on_done=done,
            label=self.tr("Overzichten maken…"))

    def _show_skipped(self, skipped: list[Skipped], message: str | None) -> None:
        lines = [message] if message else []
        if skipped:
            lines.append(self.tr("Overgeslagen (vul eerst het adres aan):"))
            lines += [f"• {s.number}: {s.reason}" for s in skipped[:20]]
            if len(skipped) > 20:
                lines.append(self.tr("… en nog %1").replace("%1", str(len(skipped) - 20)))
        if not lines:
            self.result.hide()
            return
        self.result.set_tone("warning" if skipped else "good")
        self.result_text.setText("\n".join(lines))
        self.result.show()

    def edit_settings(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Briefinstellingen"))
        layout = QVBoxLayout(dialog)
        panel = LetterSettingsPanel(self.db)
        layout.addWidget(panel)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.reject)
        layout.addWidget(close)
        dialog.panel = panel
        dialog.open()
        return dialog


class LetterSettingsPanel(QWidget):
    """Municipality name, sender line, phone, logo and the envelope window, with a calibration
    page to print on plain paper and hold against the envelopes in use."""

    def __init__(self, db, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.municipality = QLineEdit()
        self.department = QLineEdit()
        self.sender_line = QLineEdit()
        self.phone = QLineEdit()
        self.logo = QLineEdit()
        self.logo.setPlaceholderText(self.tr("(voorbeeldlogo)"))
        browse = QPushButton(self.tr("Kies…"))
        browse.clicked.connect(self._choose_logo)
        self.window_fields = {}
        for name, low, high in (("window_left_mm", 5, 120), ("window_top_mm", 35, 150),
                                ("window_width_mm", 40, 150), ("window_height_mm", 15, 80)):
            spin = QDoubleSpinBox()
            spin.setRange(low, high)
            spin.setDecimals(1)
            spin.setSuffix(" mm")
            self.window_fields[name] = spin
        form = QFormLayout()
        form.addRow(self.tr("Naam gemeente"), self.municipality)
        form.addRow(self.tr("Afdeling"), self.department)
        form.addRow(self.tr("Afzenderregel"), self.sender_line)
        form.addRow(self.tr("Telefoonnummer"), self.phone)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(browse)
        form.addRow(self.tr("Logo"), logo_row)
        for name, label in (("window_left_mm", "Venster: van links"),
                            ("window_top_mm", "Venster: van boven"),
                            ("window_width_mm", "Venster: breedte"),
                            ("window_height_mm", "Venster: hoogte")):
            form.addRow(self.tr(label), self.window_fields[name])
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Opslaan"))
        self.save_button.clicked.connect(self.save)
        self.calibrate_button = QPushButton(self.tr("Kalibratiepagina…"))
        self.calibrate_button.clicked.connect(self.calibrate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.calibrate_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(muted(self.tr(
            "Het adres staat op de plaats van het venster in de envelop. Druk de "
            "kalibratiepagina af op gewoon papier en houd die achter een envelop: het gestreepte "
            "kader moet helemaal in het venster vallen.")))
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        with self.db.read() as session:
            self.show_settings(load_letter_settings(session))

    def show_settings(self, settings: LetterSettings) -> None:
        self.settings = settings
        self.municipality.setText(settings.municipality)
        self.department.setText(settings.department)
        self.sender_line.setText(settings.sender_line)
        self.phone.setText(settings.phone)
        self.logo.setText(settings.logo or "")
        for name, spin in self.window_fields.items():
            spin.setValue(getattr(settings, name))

    def values(self) -> dict:
        values = dict(municipality=self.municipality.text(), department=self.department.text(),
                      sender_line=self.sender_line.text(), phone=self.phone.text(),
                      logo=self.logo.text() or None)
        values.update({name: spin.value() for name, spin in self.window_fields.items()})
        return values

    def save(self) -> None:
        values = self.values()

        def done(settings: LetterSettings) -> None:
            self.show_settings(settings)
            self.message.setText(self.tr("Opgeslagen."))

        def failed(exc: BaseException) -> None:
            self.message.setText(str(exc))

        run_operation(self, lambda _p: save_letter_settings(self.db.unit_of_work(), **values),
                      on_done=done, on_error=failed)

    def calibrate(self) -> QPrintPreviewDialog:
        """The calibration page (with the window as entered, saved or not) in a preview."""
        from dataclasses import replace

        values = {k: v for k, v in self.values().items() if k.startswith("window_")}
        settings = replace(self.settings, **values)
        return open_preview(self, [calibration_page(settings)],
                            self.tr("Kalibratie van het adresvenster"))

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Logo kiezen"), "",
                                              self.tr("Afbeeldingen (*.png *.jpg *.jpeg)"))
        if path:
            self.logo.setText(path)


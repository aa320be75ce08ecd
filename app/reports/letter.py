"""The monthly paper overview as a letter (reportlab): A4, window-envelope address, the saldo
first, the three-month table, this month's list, what happens next, the contact person.

Two steps. ``layout_letter`` lays a letter out into pages of drawing operations (text at a
position in a font and size, rules, boxes, the logo): all line breaking, column widths and
page breaks happen there, in points on A4 with the origin at the bottom left as in PDF. Then
``draw_page`` puts those operations on a reportlab canvas; the desktop client replays the
same operations on a QPainter for its print preview, so preview and PDF cannot differ.
Knowing the pages before drawing also gives "pagina 1 van 2" without a second pass.

Large print is laid out again at 16 pt and more (re-flowed, not scaled): when the amounts no
longer leave room for the names beside them, each table row puts its name on its own line
with the amounts beneath. The fonts are the DejaVu Sans shipped in ``resources/fonts``
(embedded, with € and the diacritics of the names we write). No BSN exists in the data given
to this module, so none can be printed. Pure: no Session, no Qt.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.assets import resource_root
from app.reports.letter_texts import (
    CALIBRATION_SAMPLE,
    CALIBRATION_STEPS,
    CALIBRATION_TITLE,
    DUTCH,
    Texts,
    texts_for,
)
from app.reports.overview_data import BookedAmount, OverviewData, Settlement
from app.reports.overview_table import FOOTER_ROWS, SALDO_END, month_table

PAGE_WIDTH, PAGE_HEIGHT = A4
REGULAR, BOLD = "HHB-Sans", "HHB-Sans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
NORMAL_SIZE, LARGE_SIZE = 12.0, 16.0
MIN_ADDRESS_SIZE = 9.0  # the address shrinks to fit the window, never below this
LEFT, RIGHT = 25 * mm, 20 * mm
BOTTOM = 24 * mm  # lowest body line; the page number sits below it
CONTENT_WIDTH = PAGE_WIDTH - LEFT - RIGHT
GREY = 0.92  # table header shading
LINE_GREY = 0.55


@dataclass(frozen=True)
class LetterSettings:
    """Municipality-wide letter settings (stored in the settings table; these are the
    defaults). Window position and size are those of the envelopes in use, in millimetres
    from the sheet's top-left corner."""

    municipality: str = "Gemeente Utrecht"
    department: str = "Budgetbeheer"
    sender_line: str = "Postbus 16200, 3500 CE Utrecht"
    phone: str = "14 030"
    logo: str | None = None  # a PNG/JPEG file; None: the placeholder in resources/letter
    window_left_mm: float = 22.0
    window_top_mm: float = 50.0
    window_width_mm: float = 85.0
    window_height_mm: float = 30.0

    def window(self) -> tuple[float, float, float, float]:
        """The window as (x, y, width, height) in points, y at its bottom edge (PDF)."""
        width, height = self.window_width_mm * mm, self.window_height_mm * mm
        return (self.window_left_mm * mm, PAGE_HEIGHT - self.window_top_mm * mm - height,
                width, height)

    def logo_path(self) -> str:
        if self.logo and Path(self.logo).is_file():
            return self.logo
        return str(resource_root() / "letter" / "logo-placeholder.png")


# --- drawing operations -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Text:
    x: float  # left edge, or right edge when ``right``
    y: float  # baseline
    text: str
    size: float
    bold: bool = False
    right: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6
    grey: float = LINE_GREY


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float  # bottom edge
    width: float
    height: float
    fill: float | None = None  # grey level, None: not filled
    dashed: bool = False  # a dashed outline (calibration page)


@dataclass(frozen=True, slots=True)
class Picture:
    path: str
    x: float
    y: float
    width: float
    height: float


Op = Text | Rule | Box | Picture
Page = list[Op]


@dataclass(frozen=True)
class LaidOutLetter:
    number: str
    pages: list[Page]
    language: str  # the PDF language code, nl-NL
    title: str


# --- fonts ----------------------------------------------------------------------------------

@functools.cache
def register_fonts() -> None:
    """Register the shipped TrueType fonts once per process (reportlab embeds a subset)."""
    folder = resource_root() / "fonts"
    for name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file_name)))


def width_of(text: str, size: float, bold: bool = False) -> float:
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy line breaking on spaces; a word longer than a line is broken by characters."""
    font = pdfmetrics.getFont(BOLD if bold else REGULAR)
    measure = font.stringWidth
    space = measure(" ", size)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in text.split(" "):  # a no-break space (in "€ 273,72") holds words together
        word_width = measure(word, size)
        while word and word_width > width:  # break an overlong word (an IBAN, a long name)
            head = word
            while len(head) > 1 and measure(head, size) > width:
                head = head[:-1]
            if current:
                lines.append(" ".join(current))
                current, used = [], 0.0
            lines.append(head)
            word = word[len(head):]
            word_width = measure(word, size)
        if not word:
            continue
        if current and used + space + word_width > width:
            lines.append(" ".join(current))
            current, used = [], 0.0
        used += (space if current else 0.0) + word_width
        current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines or [""]


# --- layout ---------------------------------------------------------------------------------

class _Layout:
    def __init__(self, data: OverviewData, settings: LetterSettings, today: date):
        register_fonts()
        self.data, self.settings, self.today = data, settings, today
        self.texts: Texts = texts_for(data.language)
        self.size = LARGE_SIZE if data.large_print else NORMAL_SIZE
        self.leading = self.size * 1.3
        self.heading_size = self.size + 3
        self.saldo_size = self.size * 1.6
        self.pages: list[Page] = []
        self.page: Page = []
        self.y = 0.0

    # pages
    def new_page(self) -> None:
        self.page = []
        self.pages.append(self.page)
        if len(self.pages) == 1:
            self.y = self.first_page_header()
        else:
            self.y = self.next_page_header()

    def ensure(self, height: float) -> bool:
        """Room for ``height`` more points on this page? Else a new page; True if so."""
        if self.y - height < BOTTOM:
            self.new_page()
            return True
        return False

    def text(self, x: float, text: str, *, size: float | None = None, bold: bool = False,
             right: bool = False, y: float | None = None) -> None:
        self.page.append(Text(x, self.y if y is None else y, text, size or self.size, bold,
                              right))

    # the parts of a page
    def first_page_header(self) -> float:
        s, t, d = self.settings, self.texts, self.data
        top = PAGE_HEIGHT - 12 * mm
        logo = 20 * mm
        self.page.append(Picture(s.logo_path(), LEFT, top - logo, logo, logo))
        x = LEFT + logo + 5 * mm
        self.letterhead(x, top - 6 * mm)
        window_bottom = self.address_block()
        # The reference block stands beside the window (right of it, or left of a window on
        # the right side of the sheet), else below it; never in it.
        wx, wy, ww, wh = s.window()
        y = wy + wh - self.size
        if PAGE_WIDTH - RIGHT - (wx + ww + 8 * mm) >= 45 * mm:
            x = max(wx + ww + 8 * mm, PAGE_WIDTH - RIGHT - 62 * mm)
            width = PAGE_WIDTH - RIGHT - x
        elif wx - 8 * mm - LEFT >= 45 * mm:
            x, width = LEFT, wx - 8 * mm - LEFT
        else:
            x, width = LEFT, CONTENT_WIDTH
            y = wy - 6 * mm - self.size
        contact = d.contact.name
        for label, value in ((t.reference_date, t.day(self.today)),
                             (t.reference_number, d.number),
                             (t.reference_contact, contact)):
            if not value:
                continue
            for line in wrap(label, self.size, width, bold=True):
                self.page.append(Text(x, y, line, self.size, True))
                y -= self.leading
            for line in wrap(value, self.size, width):
                self.page.append(Text(x, y, line, self.size))
                y -= self.leading
            y -= self.leading * 0.3
        return min(window_bottom, y) - 10 * mm

    def letterhead(self, x: float, y: float) -> None:
        """Municipality, department and sender line beside the logo, wrapped to the sheet's
        width and kept above the window: in the letter's size (large print is large here
        too: the return address), smaller only when a long text would reach the window."""
        s = self.settings
        width = PAGE_WIDTH - RIGHT - x
        window_top = PAGE_HEIGHT - s.window_top_mm * mm - 2 * mm
        size = self.size
        while True:
            name_size = max(16.0, size + 3)
            lines = [(line, name_size, True) for line in wrap(s.municipality, name_size, width,
                                                               bold=True)]
            lines += [(line, size, False) for text in (s.department, s.sender_line) if text
                      for line in wrap(text, size, width)]
            height = sum(line_size * (1.0 if bold else 1.25) for _, line_size, bold in lines)
            if y - height + 5 > window_top or size <= NORMAL_SIZE:
                break
            size -= 1
        for text, line_size, bold in lines:
            self.page.append(Text(x, y, text, line_size, bold))
            y -= line_size * (1.0 if bold else 1.25)

    def address_block(self) -> float:
        """The address, inside the envelope window with a margin of 4 mm on each side; nothing
        else is drawn in the window."""
        wx, wy, ww, wh = self.settings.window()
        lines = self.data.address.lines()
        inner = ww - 8 * mm
        size = self.size
        while size > MIN_ADDRESS_SIZE and (
            max(width_of(line, size) for line in lines) > inner
            or len(lines) * size * 1.2 > wh - 6 * mm
        ):
            size -= 0.5
        leading = size * 1.2
        y = wy + wh - 3 * mm - size
        for line in lines:
            self.page.append(Text(wx + 4 * mm, y, line, size))
            y -= leading
        return wy

    def next_page_header(self) -> float:
        top = PAGE_HEIGHT - 15 * mm
        self.page.append(Text(LEFT, top, self.settings.municipality, self.size, True))
        title = self.texts.continued.format(month=self.texts.month(self.data.month))
        lines = wrap(title, self.size, CONTENT_WIDTH)
        y = top - self.size * 1.4
        for line in lines:
            self.page.append(Text(LEFT, y, line, self.size))
            y -= self.size * 1.3
        self.page.append(Rule(LEFT, y + 4, PAGE_WIDTH - RIGHT, y + 4))
        return y - 8 * mm

    # blocks
    def paragraph(self, text: str, *, size: float | None = None, bold: bool = False,
                  space_after: float | None = None) -> None:
        size = size or self.size
        leading = size * 1.3
        for line in wrap(text, size, CONTENT_WIDTH, bold):
            self.ensure(leading)
            self.y -= size
            self.text(LEFT, line, size=size, bold=bold)
            self.y -= leading - size
        self.y -= self.leading * 0.5 if space_after is None else space_after

    def heading(self, text: str, keep: float) -> None:
        """A heading kept on one page with the first ``keep`` points of what follows."""
        lines = wrap(text, self.heading_size, CONTENT_WIDTH, True)
        self.y -= self.leading * 0.5
        self.ensure(len(lines) * self.heading_size * 1.3 + keep)
        self.paragraph(text, size=self.heading_size, bold=True, space_after=self.leading * 0.3)

    def saldo(self) -> None:
        d, t = self.data, self.texts
        line = t.saldo_line.format(day=t.day(d.as_of), amount=t.money(d.saldo_cents))
        self.paragraph(line, size=self.saldo_size, bold=True, space_after=self.leading * 0.6)
        if d.saldo_cents < 0:
            who = d.contact.name or t.municipality_word
            phone = _unbroken(d.contact.phone or self.settings.phone)
            self.paragraph(t.below_zero.format(buffer=t.money(d.buffer_cents), who=who,
                                               phone=phone))
            if -d.saldo_cents > d.buffer_cents:
                self.paragraph(t.beyond_buffer, bold=True)

    def three_months(self) -> None:
        t = self.texts
        table = month_table(self.data)
        self.heading(t.heading_table, keep=4 * self.leading)
        self.paragraph(t.table_note)
        months = table.months
        rows = table.rows()
        footer = [(t.footer.get(name, name), [int(table.footer.at[name, m]) for m in months],
                   name == SALDO_END) for name in FOOTER_ROWS]
        amounts = [t.amount(c) for _, _, cells in rows for cell in cells for c in cell]
        amounts += [t.amount(c) for _, cents, _ in footer for c in cents]
        headers = [t.month_name(m) for m in months]
        pad = 1.2 * self.size
        column = max([width_of(a, self.size) for a in amounts]
                     + [width_of(h, self.size, True) for h in headers]) + pad
        label_width = CONTENT_WIDTH - 3 * column
        stacked = label_width < 0.34 * CONTENT_WIDTH
        if stacked:
            column = CONTENT_WIDTH / 3
            label_width = CONTENT_WIDTH
        right_edges = [PAGE_WIDTH - RIGHT - (2 - i) * column for i in range(3)]

        def header() -> None:
            height = self.leading + 4
            self.page.append(Box(LEFT, self.y - height, CONTENT_WIDTH, height, fill=GREY))
            self.y -= self.size + 2
            for edge, name in zip(right_edges, headers, strict=True):
                self.text(edge - pad / 2, name, bold=True, right=True)
            self.y -= self.leading - self.size + 2

        def row(label_lines: list[tuple[str, bool]], cells: list[list[str]],
                rule: tuple[float, float] | None = None) -> None:
            depth = max(len(c) for c in cells) if cells else 0
            lines = len(label_lines) + depth if stacked else max(len(label_lines), depth, 1)
            height = lines * self.leading + 4
            if self.ensure(height + 2):
                header()
            if rule is not None:  # (width, grey) of a line above the row
                self.page.append(Rule(LEFT, self.y, PAGE_WIDTH - RIGHT, self.y, *rule))
            top = self.y - 2
            y = top
            for text, bold in label_lines:
                y -= self.size
                self.text(LEFT + 2, text, bold=bold, y=y)
                y -= self.leading - self.size
            amounts_top = y if stacked else top
            for edge, cell in zip(right_edges, cells, strict=True):
                y = amounts_top
                for text in cell:
                    y -= self.size
                    self.text(edge - pad / 2, text, right=True, y=y)
                    y -= self.leading - self.size
            self.y -= height

        self.ensure(self.leading * 3)
        header()
        previous_group = None
        for group, label, cells in rows:
            lines: list[tuple[str, bool]] = []
            name = _capital(t.category(group))
            if group != previous_group:
                lines += [(line, True) for line in wrap(name, self.size, label_width - 4, True)]
            shown = _capital(t.category(label))
            if shown != name:
                lines += [(line, False) for line in wrap(shown, self.size, label_width - 4)]
            separate = previous_group is not None and group != previous_group
            row(lines, [[t.amount(c) for c in cell] for cell in cells],
                (0.4, LINE_GREY) if separate else None)
            previous_group = group
        footer_rows = [([(line, bold) for line in wrap(name, self.size, label_width - 4, bold)],
                        [[t.amount(c)] for c in cents]) for name, cents, bold in footer]
        # The three saldo rows stay together, on the page of the rows above them if they fit.
        needed = sum((len(lines) + (1 if stacked else 0)) * self.leading + 4
                     for lines, _ in footer_rows)
        if self.ensure(needed + 2):
            header()
        for index, (lines, cells) in enumerate(footer_rows):
            row(lines, cells, (0.9, 0.2) if index == 0 else None)
        self.y -= self.leading * 0.5

    def month_list(self) -> None:
        d, t = self.data, self.texts
        self.heading(t.heading_list.format(month=t.month(d.month)), keep=2 * self.leading)
        bookings = d.this_month
        if not bookings:
            self.paragraph(t.list_empty)
        else:
            day_width = max(width_of(t.short_day(b.booking_date), self.size) for b in bookings)
            amount_width = max(width_of(t.amount(b.amount_cents), self.size) for b in bookings)
            text_x = LEFT + day_width + self.size
            text_width = PAGE_WIDTH - RIGHT - amount_width - self.size - text_x
            for booking in bookings:
                lines = wrap(self.describe(booking), self.size, text_width)
                self.ensure(len(lines) * self.leading)
                self.y -= self.size
                self.text(LEFT, t.short_day(booking.booking_date))
                self.text(PAGE_WIDTH - RIGHT, t.amount(booking.amount_cents), right=True)
                for index, line in enumerate(lines):
                    if index:
                        self.y -= self.leading
                    self.text(text_x, line)
                self.y -= self.leading - self.size
            self.y -= self.leading * 0.5
        if d.allowance_paid_cents:
            self.paragraph(t.allowance_paid.format(month=t.month_name(d.month),
                                                   amount=t.money(d.allowance_paid_cents)))
        if d.withheld_cents:
            self.paragraph(t.withheld.format(month=t.month_name(d.month),
                                             amount=t.money(d.withheld_cents)))

    def describe(self, booking: BookedAmount) -> str:
        group = _capital(self.texts.category(booking.group))
        label = _capital(self.texts.category(booking.label))
        return group if label == group else f"{group}: {label}"

    def what_next(self) -> None:
        d, t = self.data, self.texts
        self.heading(t.heading_next, keep=self.leading)
        if d.settlement is not None:
            self.final_settlement(d.settlement)
            return
        if d.next_allowances:
            for allowance in d.next_allowances:
                self.paragraph(t.next_allowance.format(day=t.weekday(allowance.day),
                                                       amount=t.money(allowance.amount_cents)),
                               space_after=self.leading * 0.2)
            self.y -= self.leading * 0.3
        else:
            self.paragraph(t.no_allowance_known)
        if d.instalment_cents and d.saldo_cents < 0:
            self.paragraph(t.instalment_running.format(amount=t.money(d.instalment_cents)))
        for notice in d.notices:
            template = t.notices.get(notice.kind)
            if template:
                organisation = notice.organisation or t.somebody
                self.paragraph(_capital(template.format(organisation=organisation)))

    def final_settlement(self, settlement: Settlement) -> None:
        t = self.texts
        day = t.day(settlement.end_date)
        if settlement.final_cents > 0:
            self.paragraph(t.settlement_paid.format(day=day,
                                                    amount=t.money(settlement.final_cents)))
        elif settlement.final_cents == 0:
            self.paragraph(t.settlement_zero.format(day=day))
        else:
            self.paragraph(t.settlement_owed.format(day=day,
                                                    amount=t.money(-settlement.final_cents)))
            if settlement.instalment_cents and settlement.first_instalment:
                self.paragraph(t.settlement_instalment.format(
                    amount=t.money(settlement.instalment_cents),
                    day=t.day(settlement.first_instalment)))

    def contact(self) -> None:
        d, t, s = self.data, self.texts, self.settings
        self.heading(t.heading_contact, keep=self.leading)
        phone = _unbroken(d.contact.phone or s.phone)
        if d.contact.name:
            self.paragraph(t.contact.format(name=d.contact.name, phone=phone))
        else:
            self.paragraph(t.contact_without_name.format(phone=phone))
        self.ensure(4 * self.leading)
        self.paragraph(t.closing, space_after=self.leading * 0.2)
        self.paragraph(s.municipality, space_after=0)
        if s.department:
            self.paragraph(s.department, space_after=0)

    def page_numbers(self) -> None:
        total = len(self.pages)
        for number, page in enumerate(self.pages, start=1):
            label = self.texts.page.format(page=number, pages=total)
            page.append(Text(PAGE_WIDTH / 2 - width_of(label, self.size) / 2, 12 * mm, label,
                             self.size))
            page.append(Text(PAGE_WIDTH - RIGHT, 12 * mm, self.data.number, self.size,
                             right=True))

    def build(self) -> list[Page]:
        d, t = self.data, self.texts
        self.new_page()
        if d.settlement is not None:  # the last letter says what it is first
            self.heading(letter_title(d, t), keep=self.leading)
        self.saldo()  # the first thing in the body: what participants asked for
        self.paragraph(t.greeting.format(name=d.address.name), space_after=self.leading * 0.3)
        self.paragraph(t.intro.format(month=t.month(d.month)))
        self.three_months()
        self.month_list()
        self.what_next()
        self.contact()
        self.page_numbers()
        return self.pages


def _unbroken(text: str) -> str:
    """A phone number or amount is never broken over two lines."""
    return text.replace(" ", "\xa0")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def layout_letter(data: OverviewData, settings: LetterSettings, today: date
                  ) -> LaidOutLetter:
    texts = texts_for(data.language)
    pages = _Layout(data, settings, today).build()
    return LaidOutLetter(data.number, pages, texts.code, letter_title(data, texts))


def letter_title(data: OverviewData, texts: Texts) -> str:
    if data.settlement is not None:
        return texts.settlement_title.format(day=texts.day(data.settlement.end_date))
    return texts.title.format(month=texts.month(data.month))


# --- drawing --------------------------------------------------------------------------------

def draw_page(canvas: Canvas, page: Page) -> None:
    """Draw one page's operations and end the page."""
    font: tuple[str, float] | None = None
    for op in page:
        if isinstance(op, Text):
            wanted = (BOLD if op.bold else REGULAR, op.size)
            if wanted != font:
                canvas.setFont(*wanted)
                font = wanted
            if op.right:
                canvas.drawRightString(op.x, op.y, op.text)
            else:
                canvas.drawString(op.x, op.y, op.text)
        elif isinstance(op, Rule):
            canvas.setStrokeGray(op.grey)
            canvas.setLineWidth(op.width)
            canvas.line(op.x1, op.y1, op.x2, op.y2)
        elif isinstance(op, Box):
            canvas.saveState()
            if op.dashed:
                canvas.setDash(4, 3)
            if op.fill is not None:
                canvas.setFillGray(op.fill)
            canvas.rect(op.x, op.y, op.width, op.height, stroke=int(op.fill is None),
                        fill=int(op.fill is not None))
            canvas.restoreState()
        else:
            canvas.drawImage(op.path, op.x, op.y, op.width, op.height, mask="auto",
                             preserveAspectRatio=True, anchor="sw")
    canvas.showPage()


def new_canvas(out: str | Path | BinaryIO, *, title: str, language: str, author: str
               ) -> Canvas:
    register_fonts()
    canvas = Canvas(out if not isinstance(out, Path) else str(out), pagesize=A4,
                    pageCompression=1, lang=language, initialFontName=REGULAR,
                    initialFontSize=NORMAL_SIZE)  # no unembedded Helvetica in the file
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("Huishoudboekje")
    canvas.setSubject(title)
    return canvas


@dataclass
class WriteResult:
    letters: int = 0
    pages: int = 0  # including the blank backs added for duplex printing


def write_letters(letters: Iterable[OverviewData], out: str | Path | BinaryIO,
                  settings: LetterSettings, today: date, *, title: str,
                  language: str = DUTCH.code, duplex: bool = True,
                  progress: Callable[[int], None] | None = None) -> WriteResult:
    """Write the letters into one PDF. With ``duplex`` every letter starts on a new sheet: a
    letter with an odd number of pages is followed by a blank page (not after the last)."""
    canvas = new_canvas(out, title=title, language=language, author=settings.municipality)
    result = WriteResult()
    pending_blank = False
    for data in letters:
        laid_out = layout_letter(data, settings, today)
        if pending_blank:
            canvas.showPage()
            result.pages += 1
        for page in laid_out.pages:
            draw_page(canvas, page)
        result.letters += 1
        result.pages += len(laid_out.pages)
        pending_blank = duplex and len(laid_out.pages) % 2 == 1
        if progress is not None:
            progress(result.letters)
    canvas.save()
    return result


def letter_pdf(data: OverviewData, settings: LetterSettings, today: date) -> bytes:
    """One participant's letter as PDF bytes, titled and in the participant's language."""
    import io

    texts = texts_for(data.language)
    buffer = io.BytesIO()
    write_letters([data], buffer, settings, today,
                  title=letter_title(data, texts), language=texts.code)
    return buffer.getvalue()


def calibration_page(settings: LetterSettings) -> Page:
    """A page to print on plain paper and hold against the envelopes in use: the window as a
    dashed frame with a sample address in it, a millimetre scale along the edges, and what to
    do."""
    register_fonts()
    wx, wy, ww, wh = settings.window()
    page: Page = [Box(wx, wy, ww, wh, dashed=True)]
    size = NORMAL_SIZE
    y = wy + wh - 3 * mm - size
    for line in CALIBRATION_SAMPLE:
        page.append(Text(wx + 4 * mm, y, line, size))
        y -= size * 1.2
    for millimetre in range(0, 211, 5):  # scale along the top edge
        x = millimetre * mm
        length = 6 * mm if millimetre % 10 == 0 else 3 * mm
        page.append(Rule(x, PAGE_HEIGHT, x, PAGE_HEIGHT - length, 0.5, 0.0))
        if millimetre % 20 == 0 and millimetre:
            page.append(Text(x + 1, PAGE_HEIGHT - 10 * mm, str(millimetre), 8))
    for millimetre in range(0, 298, 5):  # scale along the left edge
        y = PAGE_HEIGHT - millimetre * mm
        length = 6 * mm if millimetre % 10 == 0 else 3 * mm
        page.append(Rule(0, y, length, y, 0.5, 0.0))
        if millimetre % 20 == 0 and millimetre:
            page.append(Text(7 * mm, y - 3, str(millimetre), 8))
    y = wy - 25 * mm
    page.append(Text(LEFT, y, CALIBRATION_TITLE, 16, True))
    y -= 24
    facts = (f"Venster: {settings.window_left_mm:g} mm van links, {settings.window_top_mm:g} mm "
             f"van boven, {settings.window_width_mm:g} × {settings.window_height_mm:g} mm.")
    for paragraph in (facts, *CALIBRATION_STEPS):
        for line in wrap(paragraph, size, CONTENT_WIDTH):
            page.append(Text(LEFT, y, line, size))
            y -= size * 1.3
        y -= size * 0.5
    return page


def write_calibration(out: str | Path | BinaryIO, settings: LetterSettings) -> None:
    canvas = new_canvas(out, title=CALIBRATION_TITLE, language=DUTCH.code,
                        author=settings.municipality)
    draw_page(canvas, calibration_page(settings))
    canvas.save()

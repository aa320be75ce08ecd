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
with the amounts beneath. No BSN exists in the data given to this module, so none can be
printed. Pure: no Session, no Qt.

Languages and scripts: the fonts are Noto (OFL, shipped in ``resources/fonts``, embedded as
subsets): Noto Sans for Latin and Cyrillic (with € and the diacritics of the names we write),
Noto Sans Arabic and Noto Sans Ethiopic. A letter in Arabic is right to left: its lines are
right-aligned, the three-month table and the month's list mirrored (amounts stay right-aligned
in their columns, written 1.234,56 as everywhere), and every value in a sentence is a bidi
isolate. Lines with Arabic or Ethiopic letters are shaped and ordered in ``shaped_line``
(HarfBuzz and the Unicode Bidirectional Algorithm) and written so that the PDF's extracted
text is in logical order; everything else is drawn by reportlab directly, so a Dutch letter
costs what it did.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

import uharfbuzz
from bidi import get_display
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont
from reportlab.pdfgen.canvas import Canvas

from app.assets import resource_root
from app.reports import letter_texts as words
from app.reports.letter_texts import (
    CALIBRATION_SAMPLE,
    CALIBRATION_STEPS,
    CALIBRATION_TITLE,
    DUTCH,
    LANGUAGE_NAMES,
    LANGUAGES,
    Texts,
    texts_for,
)
from app.reports.overview_data import BookedAmount, OverviewData, Settlement
from app.reports.overview_table import FOOTER_ROWS, SALDO_END, month_table

PAGE_WIDTH, PAGE_HEIGHT = A4
REGULAR, BOLD = "HHB-Sans", "HHB-Sans-Bold"  # Latin, Greek, Cyrillic; digits, € …
ARABIC, ARABIC_BOLD = "HHB-Arabic", "HHB-Arabic-Bold"
ETHIOPIC, ETHIOPIC_BOLD = "HHB-Ethiopic", "HHB-Ethiopic-Bold"
FONT_FILES = {  # Noto (SIL Open Font License), see resources/fonts/LICENSE-Noto.txt
    REGULAR: "NotoSans-Regular.ttf", BOLD: "NotoSans-Bold.ttf",
    ARABIC: "NotoSansArabic-Regular.ttf", ARABIC_BOLD: "NotoSansArabic-Bold.ttf",
    ETHIOPIC: "NotoSansEthiopic-Regular.ttf", ETHIOPIC_BOLD: "NotoSansEthiopic-Bold.ttf",
}
SCRIPT_FONTS = {False: (REGULAR, ARABIC, ETHIOPIC), True: (BOLD, ARABIC_BOLD, ETHIOPIC_BOLD)}
# Arabic letters look a size smaller than Latin ones of the same point size: Arabic runs are
# set 10 % larger (the line's size stays that of the letter, so the layout is unchanged).
OPTICAL_SIZE = {ARABIC: 1.1, ARABIC_BOLD: 1.1}
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
    # The letter's sentences per language as the municipality edited them (Instellingen ›
    # Brieven); a language not in here prints its shipped texts.
    texts: dict[str, Texts] = field(default_factory=dict, compare=False, repr=False)

    def texts_for(self, language: str) -> Texts:
        return self.texts.get(language) or texts_for(language)

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
    text: str  # in logical order, as typed (bidi isolates around values in an RTL letter)
    size: float
    bold: bool = False
    right: bool = False
    rtl: bool = False  # a line of a right-to-left paragraph (its base direction)


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
        pdfmetrics.registerFont(LetterFont(name, str(folder / file_name),
                                           OPTICAL_SIZE.get(name, 1.0)))


_PRIVATE = 0xF0000  # Supplementary Private Use Area-A: the codes of shaped glyphs


class LetterFont(TTFont):
    """A TrueType font as reportlab embeds it (subsets of 256 codes, a ToUnicode map per
    subset), that can also draw glyphs no single character maps to: the joining forms and
    ligatures HarfBuzz chooses for Arabic. Such a glyph gets a private code point in this
    process (U+F0000 …) that reportlab subsets like any character; the ToUnicode map gives
    the characters the glyph stands for, so the PDF's text is the letters, not private codes.
    """

    def __init__(self, name: str, path: str, optical: float = 1.0):
        super().__init__(name, path)
        self.optical = optical  # drawn at this times the size of the text
        self.covers = frozenset(self.face.charToGlyph)  # the font's own characters
        self.stands_for: dict[int, str] = {}  # private code → the characters of its glyph
        self._codes: dict[tuple[int, str], str] = {}
        self._path = path
        self._lock = threading.Lock()  # the preview and a print run may shape at once

    @functools.cached_property
    def harfbuzz(self) -> uharfbuzz.Font:
        """The HarfBuzz font (in font units; these fonts have 1000 to the em)."""
        return uharfbuzz.Font(uharfbuzz.Face(Path(self._path).read_bytes()))

    @functools.cached_property
    def scale(self) -> float:
        return 1000 / self.harfbuzz.face.upem

    def code(self, glyph: int, text: str) -> str:
        """The character that draws ``glyph`` standing for ``text``: the character itself when
        the font's cmap maps it to this glyph, else a private code for (glyph, text)."""
        if len(text) == 1 and self.face.charToGlyph.get(ord(text)) == glyph:
            return text
        code = self._codes.get((glyph, text))
        if code is None:
            with self._lock:
                code = self._codes.get((glyph, text))
                if code is None:
                    point = _PRIVATE + len(self.stands_for)
                    face = self.face
                    face.charToGlyph[point] = glyph
                    face.charWidths[point] = face._pdfScale(face.hmetrics[glyph][0])
                    self.stands_for[point] = text
                    code = self._codes[(glyph, text)] = chr(point)
        return code

    def addObjects(self, doc) -> None:
        state = self.state.get(doc)
        super().addObjects(doc)  # (forgets the document's state)
        for number, subset in enumerate(state.subsets if state else ()):
            if not any(code in self.stands_for for code in subset):
                continue
            base = b"".join((SUBSETN(number), b"+", self.face.name,
                             self.face.subfontNameX)).decode("pdfdoc")
            doc.idToObject["toUnicodeCMap:" + base].content = _to_unicode(
                base, subset, self.stands_for)


def _to_unicode(name: str, subset: list[int], stands_for: dict[int, str]) -> str:
    """reportlab's ToUnicode CMap, with the characters of each private code (a ligature maps
    to several characters, in logical order; the second glyph of a decomposed character to
    none: ``<>``, as extractors read it)."""

    def hex_of(code: int) -> str:
        return stands_for.get(code, chr(code)).encode("utf-16-be").hex().upper()

    entries = [f"<{index:02X}> <{hex_of(code)}>" for index, code in enumerate(subset)]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", f"<< /Registry ({name})", f"/Ordering ({name})", "/Supplement 0",
        ">> def", f"/CMapName /{name} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(entries)} beginbfchar",
        *entries, "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop",
        "end", "end"])


# --- scripts: which font, which direction, which glyphs ------------------------------------
#
# Latin, Cyrillic, digits and € are drawn by reportlab as they always were (drawString): a
# Dutch letter does not pay for the rest. A line with Arabic or Ethiopic letters, bidi
# controls, or a line of a right-to-left paragraph goes through ``shaped_line``:
#
# 1. bidi: the Unicode Bidirectional Algorithm (python-bidi, the Rust unicode-bidi crate)
#    gives every character its embedding level; values in an Arabic sentence come in
#    isolates (FSI … PDI), so "€ -326,28" and "030 286 0000" keep their order;
# 2. fonts: each character in the font of its script (Arabic, Ethiopic, else Noto Sans); a
#    space or punctuation mark in the font of the letters around it, if that font has it;
# 3. shaping: every run of one level and one font that is Arabic or right-to-left is shaped
#    by HarfBuzz (joining forms, ligatures, mirrored brackets, mark positions); the rest are
#    the font's own glyphs (Ethiopic syllables are precomposed characters: no joining);
# 4. order: the runs are put in visual order (rule L2) and placed left to right.
#
# The PDF gets the glyphs at these places. Text extractors read a PDF's text in the order
# it is written in the content stream and turn right-to-left characters around themselves
# (pypdf reverses a run of Arabic characters, taking neutral characters such as spaces with
# it). So a line is written as pieces in *logical* order, each piece in its own text object
# and in a shape an extractor reads back correctly: a right-to-left piece is written in
# visual order and its logical last character, written first, is an Arabic letter; a
# left-to-right piece starts with a strong left-to-right character; spaces and punctuation
# that would otherwise be carried to the wrong side are written one by one. The extracted
# text is then the logical text (tests/test_letter_languages.py).

_RTL_RANGES = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_COMPLEX = re.compile(f"[{_RTL_RANGES}\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f"
                      "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_RTL = re.compile(f"[{_RTL_RANGES}]")
_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LEVELS = re.compile(r"levels: \[(.*?)\]", re.S)
_LEVEL = re.compile(r"Level\(\s*(\d+)")
# What pypdf's extraction counts as neutral (it keeps them with the run they are in) and as
# right to left (pypdf._utils NEUTRAL_CHARACTER_RANGES, RTL_CHARACTER_RANGES).
_EXTRACT_NEUTRAL = re.compile("[\x00-\x2f\x3a-\x40\u0660-\u066d\u06f0-\u06f9\u2000-\u206f"
                              "\u20a0-\u21ff]")
_EXTRACT_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def is_complex(text: str, rtl: bool = False) -> bool:
    """Does this line need bidi, other fonts or shaping (else reportlab draws it as is)?"""
    return rtl or _COMPLEX.search(text) is not None


def _script(character: str) -> int | None:
    """Index into SCRIPT_FONTS: 1 Arabic, 2 Ethiopic, 0 other letters and digits; None: a
    space, punctuation mark or symbol (drawn in the font of the letters around it)."""
    point = ord(character)
    if 0x0590 <= point <= 0x08FF or 0xFB1D <= point <= 0xFDFF or 0xFE70 <= point <= 0xFEFF:
        return 1
    if 0x1200 <= point <= 0x139F or 0x2D80 <= point <= 0x2DDF or 0xAB00 <= point <= 0xAB2F:
        return 2
    category = unicodedata.category(character)
    return 0 if category[0] in "LM" or category == "Nd" else None  # digits: the amounts' font


def _fonts_of(text: str, levels: list[int], bold: bool) -> list[str]:
    """The font of each character: its script's (digits: Noto Sans, like every amount); a
    space or punctuation mark that of the letters before it (else after it) on the same
    level, so "€ -326,28" in an isolate in an Arabic sentence is all Noto Sans."""
    family = SCRIPT_FONTS[bold]
    fonts = [pdfmetrics.getFont(name) for name in family]
    scripts = [_script(c) for c in text]
    chosen: list[str] = []
    for index, (character, script) in enumerate(zip(text, scripts, strict=True)):
        point = ord(character)
        if script is None:
            level = levels[index]
            before = next((scripts[i] for i in range(index - 1, -1, -1)
                           if scripts[i] is not None and levels[i] == level), None)
            after = next((scripts[i] for i in range(index + 1, len(text))
                          if scripts[i] is not None and levels[i] == level), None)
            candidates = [s for s in (before, after, 0) if s is not None]
        else:
            candidates = [script]
        candidates += [0, 1, 2]
        pick = next((c for c in candidates if point in fonts[c].covers), candidates[0])
        chosen.append(family[pick])
    return chosen


def _bidi_levels(text: str, rtl: bool) -> list[int]:
    """The embedding level of every character (rules up to I2 of UAX #9), by python-bidi:
    its ``debug`` result lists the resolved levels, one per byte of the UTF-8 text."""
    if not rtl and _RTL.search(text) is None:
        return [0] * len(text)
    report = get_display(text, base_dir="R" if rtl else "L", debug=True)
    found = _LEVELS.search(report)
    by_byte = [int(level) for level in _LEVEL.findall(found.group(1))] if found else []
    if len(by_byte) != len(text.encode("utf-8")):
        raise RuntimeError(f"python-bidi gave no levels for {text!r}")
    levels, offset = [], 0
    for character in text:
        levels.append(by_byte[offset])
        offset += len(character.encode("utf-8"))
    return levels


@dataclass(frozen=True, slots=True)
class Glyph:
    code: str  # the character that draws it in its font (maybe a private code)
    x: float  # left edge of its pen position, in 1/1000 of the font size from the line's left
    y: float  # offset from the baseline, same unit
    cluster: int  # index of the first character it stands for (logical order)


@dataclass(frozen=True, slots=True)
class Piece:
    """Glyphs of one font written in one text object, in visual order (left to right)."""

    font: str
    glyphs: tuple[Glyph, ...]


@dataclass(frozen=True, slots=True)
class ShapedLine:
    width: float  # in 1/1000 of the font size
    pieces: tuple[Piece, ...]  # in the order to write them (logical)
    text: str  # the characters drawn (logical order, without bidi controls)


@dataclass
class _Run:
    start: int
    end: int
    level: int
    font: str
    glyphs: list[Glyph]  # visual order, x from the run's left edge
    width: float = 0.0


def _shape_run(run: _Run, text: str) -> None:
    font = pdfmetrics.getFont(run.font)
    part = text[run.start:run.end]
    if run.font not in (ARABIC, ARABIC_BOLD) and run.level % 2 == 0:
        widths = font.face.charWidths
        default = font.face.defaultWidth
        x = 0.0
        for offset, character in enumerate(part):
            run.glyphs.append(Glyph(character, x, 0.0, run.start + offset))
            x += widths.get(ord(character), default)
        run.width = x
        return
    buffer = uharfbuzz.Buffer()
    buffer.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buffer.add_str(part)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if run.level % 2 else "ltr"
    uharfbuzz.shape(font.harfbuzz, buffer, {})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    starts = sorted({info.cluster for info in infos}) + [len(part)]
    ends = {start: starts[i + 1] for i, start in enumerate(starts[:-1])}
    scale = font.scale * font.optical
    seen: set[int] = set()
    pen = 0.0
    # The first glyph of a cluster (in logical order) stands for its characters; any other
    # glyph of the same cluster for none. In a right-to-left run that is its last glyph.
    order = range(len(infos) - 1, -1, -1) if run.level % 2 else range(len(infos))
    first = set()
    for index in order:
        if infos[index].cluster not in seen:
            seen.add(infos[index].cluster)
            first.add(index)
    for index, (info, position) in enumerate(zip(infos, positions, strict=True)):
        cluster = info.cluster
        stands_for = part[cluster:ends[cluster]] if index in first else ""
        run.glyphs.append(Glyph(font.code(info.codepoint, stands_for),
                                pen + position.x_offset * scale, position.y_offset * scale,
                                run.start + cluster))
        pen += position.x_advance * scale
    run.width = pen


def _visual_order(levels: list[int]) -> list[int]:
    """Rule L2 of UAX #9: indices of items (runs) in visual order from their levels."""
    order = list(range(len(levels)))
    if not levels:
        return order
    lowest_odd = min((level for level in levels if level % 2), default=None)
    if lowest_odd is None:
        return order
    for level in range(max(levels), lowest_odd - 1, -1):
        index = 0
        while index < len(order):
            if levels[order[index]] >= level:
                end = index
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[index:end] = reversed(order[index:end])
                index = end
            else:
                index += 1
    return order


def _extraction_class(text: str) -> str:
    """How pypdf reads what a glyph stands for: 'R' right to left, 'L' left to right, 'N'
    neutral (a ligature of several characters too)."""
    if len(text) != 1 or text == "\xa0" or _EXTRACT_NEUTRAL.match(text):
        return "N"
    return "R" if _EXTRACT_RTL.match(text) else "L"


def _resolved(text: str, bold: bool, rtl: bool
              ) -> tuple[list[int], str, list[int], list[str]]:
    """The characters drawn (the indices in ``text`` of those kept, and they: no bidi
    controls), their bidi levels and the font of each."""
    register_fonts()
    levels_all = _bidi_levels(text, rtl)
    kept = [i for i, c in enumerate(text) if c not in _CONTROLS]
    drawn = "".join(text[i] for i in kept)
    levels = [levels_all[i] for i in kept]
    paragraph = 1 if rtl else 0
    end = len(drawn)  # rule L1: spaces at the end of the line take the paragraph's level
    while end and drawn[end - 1].isspace():
        end -= 1
        levels[end] = paragraph
    return kept, drawn, levels, _fonts_of(drawn, levels, bold)


def optical_spans(text: str, bold: bool = False, rtl: bool = False
                  ) -> list[tuple[int, int, float]]:
    """(start, end, scale): the stretches of ``text`` drawn larger than the line's size (an
    Arabic run, ``OPTICAL_SIZE``), for a renderer that shapes and orders the text itself (the
    desktop client's preview and printer) and should size it as the PDF does."""
    if not is_complex(text, rtl):
        return []
    kept, _, _, fonts = _resolved(text, bold, rtl)
    spans: list[tuple[int, int, float]] = []
    for index, font in zip(kept, fonts, strict=True):
        scale = OPTICAL_SIZE.get(font, 1.0)
        if scale == 1.0:
            continue
        if spans and spans[-1][2] == scale and all(
                text[i] in _CONTROLS for i in range(spans[-1][1], index)):
            spans[-1] = (spans[-1][0], index + 1, scale)
        else:
            spans.append((index, index + 1, scale))
    return spans


@functools.lru_cache(maxsize=16384)
def shaped_line(text: str, bold: bool = False, rtl: bool = False) -> ShapedLine:
    """A line of text as glyphs: bidi, fonts and shaping (see above). Sizes are in 1/1000
    of the font size, so one shaping serves every size."""
    _, drawn, levels, fonts = _resolved(text, bold, rtl)
    runs: list[_Run] = []
    for index, (level, font) in enumerate(zip(levels, fonts, strict=True)):
        if runs and runs[-1].level == level and runs[-1].font == font:
            runs[-1].end = index + 1
        else:
            runs.append(_Run(index, index + 1, level, font, []))
    for run in runs:
        _shape_run(run, drawn)
    x = 0.0
    placed: dict[int, float] = {}
    for index in _visual_order([run.level for run in runs]):
        placed[index] = x
        x += runs[index].width
    width = x
    pieces: list[Piece] = []
    carried: str | None = None  # the direction the extractor is in
    for index, run in enumerate(runs):
        shift = placed[index]
        glyphs = [Glyph(g.code, g.x + shift, g.y, g.cluster) for g in run.glyphs]
        carried = _pieces(run, glyphs, drawn, carried, pieces)
    return ShapedLine(width, tuple(pieces), drawn)


def _pieces(run: _Run, glyphs: list[Glyph], text: str, carried: str | None,
            out: list[Piece]) -> str | None:
    """Split one run into pieces an extractor reads in logical order; returns the direction
    the extractor is in after them."""
    rtl = run.level % 2 == 1
    clusters = sorted({g.cluster for g in glyphs})  # logical order
    bounds = clusters[1:] + [run.end]
    of_cluster: dict[int, list[Glyph]] = {c: [] for c in clusters}
    for glyph in glyphs:  # visual order
        of_cluster[glyph.cluster].append(glyph)
    classes = [_extraction_class(text[c:b]) if len(of_cluster[c]) == 1 else "N"
               for c, b in zip(clusters, bounds, strict=True)]

    def emit(first: int, last: int) -> None:  # clusters[first:last] as one piece
        chosen = [g for c in clusters[first:last] for g in of_cluster[c]]
        chosen.sort(key=lambda g: g.x)
        out.append(Piece(run.font, tuple(chosen)))

    def one_by_one(first: int, last: int) -> None:
        for index in range(first, last):
            emit(index, index + 1)

    against = "L" if rtl else "R"  # a strong character against the run's direction
    own = "R" if rtl else "L"
    index, count = 0, len(clusters)
    while index < count:
        if classes[index] == against:
            emit(index, index + 1)
            carried = against
            index += 1
            continue
        stop = index
        while stop < count and classes[stop] != against:
            stop += 1
        strong = [i for i in range(index, stop) if classes[i] == own]
        if rtl:
            # written right to left: the piece's first glyph is its logical last character
            if strong:
                emit(index, strong[-1] + 1)
                carried = "R"
                if strong[-1] + 1 < stop:
                    emit(strong[-1] + 1, stop)  # neutrals after it: the extractor is in R
            elif carried == "R":
                emit(index, stop)
            else:
                one_by_one(index, stop)
        else:
            if carried == "L" or classes[index] == "L":
                emit(index, stop)
            elif strong:
                one_by_one(index, strong[0])
                emit(strong[0], stop)
            else:
                one_by_one(index, stop)
            if strong:
                carried = "L"
        index = stop
    return carried


def width_of(text: str, size: float, bold: bool = False, rtl: bool = False) -> float:
    if is_complex(text, rtl):
        return shaped_line(text, bold, rtl).width * size / 1000
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)


def wrap(text: str, size: float, width: float, bold: bool = False, rtl: bool = False
         ) -> list[str]:
    """Greedy line breaking on spaces; a word longer than a line is broken by characters.
    Shaped text (Arabic, Ethiopic, a right-to-left paragraph) is measured as the whole line
    it would be: the joining forms and the fonts of spaces change widths."""
    complex_text = is_complex(text, rtl)
    if complex_text:
        def measure(part: str, size: float) -> float:
            return width_of(part, size, bold, rtl)
    else:
        measure = pdfmetrics.getFont(BOLD if bold else REGULAR).stringWidth
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
        if current:
            if complex_text:
                too_wide = measure(" ".join([*current, word]), size) > width
            else:
                too_wide = used + space + word_width > width
            if too_wide:
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
        self.texts: Texts = settings.texts_for(data.language)
        self.rtl = self.texts.rtl  # right to left: lines right-aligned, the table mirrored
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
             right: bool = False, y: float | None = None, rtl: bool = False) -> None:
        self.page.append(Text(x, self.y if y is None else y, _directed(text, rtl),
                              size or self.size, bold, right, rtl))

    def line(self, left: float, right: float, text: str, *, size: float | None = None,
             bold: bool = False, y: float | None = None) -> None:
        """A line of the letter's language between ``left`` and ``right``: from the left
        edge, or from the right edge in a right-to-left letter."""
        if self.rtl:
            self.text(right, text, size=size, bold=bold, right=True, y=y, rtl=True)
        else:
            self.text(left, text, size=size, bold=bold, y=y)

    def fill(self, template: str, **values: str) -> str:
        """A template with its values; in a right-to-left letter each value in a first-strong
        isolate (FSI … PDI), so an amount, date, phone number or Latin name keeps its own
        order in the Arabic sentence (and an Arabic month its own)."""
        if self.rtl:
            values = {key: f"\u2068{value}\u2069" for key, value in values.items()}
        return template.format(**values)

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
            for line in wrap(label, self.size, width, bold=True, rtl=self.rtl):
                self.line(x, x + width, line, bold=True, y=y)
                y -= self.leading
            for line in wrap(value, self.size, width, rtl=self.rtl):
                self.line(x, x + width, line, y=y)
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
        title = self.fill(self.texts.continued, month=self.texts.month(self.data.month))
        lines = wrap(title, self.size, CONTENT_WIDTH, rtl=self.rtl)
        y = top - self.size * 1.4
        for line in lines:
            self.line(LEFT, PAGE_WIDTH - RIGHT, line, y=y)
            y -= self.size * 1.3
        self.page.append(Rule(LEFT, y + 4, PAGE_WIDTH - RIGHT, y + 4))
        return y - 8 * mm

    # blocks
    def paragraph(self, text: str, *, size: float | None = None, bold: bool = False,
                  space_after: float | None = None) -> None:
        size = size or self.size
        leading = size * 1.3
        for line in wrap(text, size, CONTENT_WIDTH, bold, self.rtl):
            self.ensure(leading)
            self.y -= size
            self.line(LEFT, PAGE_WIDTH - RIGHT, line, size=size, bold=bold)
            self.y -= leading - size
        self.y -= self.leading * 0.5 if space_after is None else space_after

    def heading(self, text: str, keep: float) -> None:
        """A heading kept on one page with the first ``keep`` points of what follows."""
        lines = wrap(text, self.heading_size, CONTENT_WIDTH, True, self.rtl)
        self.y -= self.leading * 0.5
        self.ensure(len(lines) * self.heading_size * 1.3 + keep)
        self.paragraph(text, size=self.heading_size, bold=True, space_after=self.leading * 0.3)

    def saldo(self) -> None:
        d, t = self.data, self.texts
        line = self.fill(t.saldo_line, day=t.day(d.as_of), amount=t.money(d.saldo_cents))
        self.paragraph(line, size=self.saldo_size, bold=True, space_after=self.leading * 0.6)
        if d.saldo_cents < 0:
            who = d.contact.name or t.municipality_word
            phone = _unbroken(d.contact.phone or self.settings.phone)
            self.paragraph(self.fill(t.below_zero, buffer=t.money(d.buffer_cents), who=who,
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
        # The months left to right; mirrored in a right-to-left letter (the names on the
        # right, the first month next to them). Amounts stay right-aligned in their column.
        if self.rtl:
            right_edges = [LEFT + (3 - i) * column for i in range(3)]
        else:
            right_edges = [PAGE_WIDTH - RIGHT - (2 - i) * column for i in range(3)]

        def header() -> None:
            height = self.leading + 4
            self.page.append(Box(LEFT, self.y - height, CONTENT_WIDTH, height, fill=GREY))
            self.y -= self.size + 2
            for edge, name in zip(right_edges, headers, strict=True):
                self.text(edge - pad / 2, name, bold=True, right=True, rtl=self.rtl)
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
                self.line(LEFT + 2, PAGE_WIDTH - RIGHT - 2, text, bold=bold, y=y)
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
            name = t.capital(t.category(group))
            if group != previous_group:
                lines += [(line, True)
                          for line in wrap(name, self.size, label_width - 4, True, self.rtl)]
            shown = t.capital(t.category(label))
            if shown != name:
                lines += [(line, False)
                          for line in wrap(shown, self.size, label_width - 4, rtl=self.rtl)]
            separate = previous_group is not None and group != previous_group
            row(lines, [[t.amount(c) for c in cell] for cell in cells],
                (0.4, LINE_GREY) if separate else None)
            previous_group = group
        footer_rows = [([(line, bold)
                         for line in wrap(name, self.size, label_width - 4, bold, self.rtl)],
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
        self.heading(self.fill(t.heading_list, month=t.month(d.month)), keep=2 * self.leading)
        bookings = d.this_month
        if not bookings:
            self.paragraph(t.list_empty)
        else:
            day_width = max(width_of(t.short_day(b.booking_date), self.size) for b in bookings)
            amount_width = max(width_of(t.amount(b.amount_cents), self.size) for b in bookings)
            text_width = CONTENT_WIDTH - day_width - amount_width - 2 * self.size
            # day | what | amount; mirrored in a right-to-left letter (amount on the left)
            if self.rtl:
                day_x, amount_x = PAGE_WIDTH - RIGHT, LEFT + amount_width
                text_x = PAGE_WIDTH - RIGHT - day_width - self.size
            else:
                day_x, amount_x = LEFT, PAGE_WIDTH - RIGHT
                text_x = LEFT + day_width + self.size
            for booking in bookings:
                lines = wrap(self.describe(booking), self.size, text_width, rtl=self.rtl)
                self.ensure(len(lines) * self.leading)
                self.y -= self.size
                self.text(day_x, t.short_day(booking.booking_date), right=self.rtl)
                top = self.y  # in reading order: day, what, amount
                for index, line in enumerate(lines):
                    if index:
                        self.y -= self.leading
                    self.text(text_x, line, right=self.rtl, rtl=self.rtl)
                self.text(amount_x, t.amount(booking.amount_cents), right=True, y=top)
                self.y -= self.leading - self.size
            self.y -= self.leading * 0.5
        if d.allowance_paid_cents:
            self.paragraph(self.fill(t.allowance_paid, month=t.month_name(d.month),
                                     amount=t.money(d.allowance_paid_cents)))
        if d.withheld_cents:
            self.paragraph(self.fill(t.withheld, month=t.month_name(d.month),
                                     amount=t.money(d.withheld_cents)))

    def describe(self, booking: BookedAmount) -> str:
        group = self.texts.capital(self.texts.category(booking.group))
        label = self.texts.capital(self.texts.category(booking.label))
        return group if label == group else f"{group}: {label}"

    def what_next(self) -> None:
        d, t = self.data, self.texts
        self.heading(t.heading_next, keep=self.leading)
        if d.settlement is not None:
            self.final_settlement(d.settlement)
            return
        if d.next_allowances:
            for allowance in d.next_allowances:
                self.paragraph(self.fill(t.next_allowance, day=t.weekday(allowance.day),
                                         amount=t.money(allowance.amount_cents)),
                               space_after=self.leading * 0.2)
            self.y -= self.leading * 0.3
        else:
            self.paragraph(t.no_allowance_known)
        if d.instalment_cents and d.saldo_cents < 0:
            self.paragraph(self.fill(t.instalment_running, amount=t.money(d.instalment_cents)))
        for notice in d.notices:
            template = t.notices.get(notice.kind)
            if template:
                organisation = notice.organisation or t.somebody
                self.paragraph(t.capital(self.fill(template, organisation=organisation)))

    def final_settlement(self, settlement: Settlement) -> None:
        t = self.texts
        day = t.day(settlement.end_date)
        if settlement.final_cents > 0:
            self.paragraph(self.fill(t.settlement_paid, day=day,
                                     amount=t.money(settlement.final_cents)))
        elif settlement.final_cents == 0:
            self.paragraph(self.fill(t.settlement_zero, day=day))
        else:
            self.paragraph(self.fill(t.settlement_owed, day=day,
                                     amount=t.money(-settlement.final_cents)))
            if settlement.instalment_cents and settlement.first_instalment:
                self.paragraph(self.fill(
                    t.settlement_instalment, amount=t.money(settlement.instalment_cents),
                    day=t.day(settlement.first_instalment)))

    def contact(self) -> None:
        d, t, s = self.data, self.texts, self.settings
        self.heading(t.heading_contact, keep=self.leading)
        phone = _unbroken(d.contact.phone or s.phone)
        if d.contact.name:
            self.paragraph(self.fill(t.contact, name=d.contact.name, phone=phone))
        else:
            self.paragraph(self.fill(t.contact_without_name, phone=phone))
        self.ensure(4 * self.leading)
        self.paragraph(t.closing, space_after=self.leading * 0.2)
        self.paragraph(s.municipality, space_after=0)
        if s.department:
            self.paragraph(s.department, space_after=0)

    def page_numbers(self) -> None:
        total = len(self.pages)
        for number, page in enumerate(self.pages, start=1):
            label = _directed(self.fill(self.texts.page, page=str(number), pages=str(total)),
                              self.rtl)
            width = width_of(label, self.size, rtl=self.rtl)
            page.append(Text(PAGE_WIDTH / 2 - width / 2, 12 * mm, label, self.size,
                             rtl=self.rtl))
            page.append(Text(PAGE_WIDTH - RIGHT, 12 * mm, self.data.number, self.size,
                             right=True))

    def build(self) -> list[Page]:
        d, t = self.data, self.texts
        self.new_page()
        if d.settlement is not None:  # the last letter says what it is first
            self.heading(self.fill(t.settlement_title, day=t.day(d.settlement.end_date)),
                         keep=self.leading)
        self.saldo()  # the first thing in the body: what participants asked for
        self.paragraph(self.fill(t.greeting, name=d.address.name),
                       space_after=self.leading * 0.3)
        self.paragraph(self.fill(t.intro, month=t.month(d.month)))
        self.three_months()
        self.month_list()
        self.what_next()
        self.contact()
        self.page_numbers()
        return self.pages


def _unbroken(text: str) -> str:
    """A phone number or amount is never broken over two lines."""
    return text.replace(" ", "\xa0")


def _directed(text: str, rtl: bool) -> str:
    """A line of a right-to-left paragraph that begins with a left-to-right word (a name, an
    amount) gets a right-to-left mark in front: a renderer that guesses the direction from
    the text (Qt's print preview) then lays it out right to left too. The PDF has the
    direction from ``Text.rtl`` and draws no mark."""
    if rtl and text and not _starts_right_to_left(text):
        return "\u200f" + text
    return text


def _starts_right_to_left(text: str) -> bool:
    """Is the first strong character outside isolates right to left (rules P2, P3)?"""
    depth = 0
    for character in text:
        if character in "\u2066\u2067\u2068":
            depth += 1
        elif character == "\u2069":
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = unicodedata.bidirectional(character)
            if kind in ("R", "AL"):
                return True
            if kind == "L":
                return False
    return False


def layout_letter(data: OverviewData, settings: LetterSettings, today: date
                  ) -> LaidOutLetter:
    texts = settings.texts_for(data.language)
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
            if is_complex(op.text, op.rtl):
                draw_shaped(canvas, op)
            elif op.right:
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


def draw_shaped(canvas: Canvas, op: Text) -> None:
    """A line through ``shaped_line``: each piece in its own text object, its glyphs placed
    where HarfBuzz and the bidi order put them (TJ offsets, a rise for raised marks); after
    the last one the text position moves down a line, as after reportlab's drawString, so
    extractors end the line there."""
    line = shaped_line(op.text, op.bold, op.rtl)
    scale = op.size / 1000
    left = op.x - line.width * scale if op.right else op.x
    doc = canvas._doc
    objects: list[tuple[LetterFont, list]] = []
    for piece in line.pieces:
        font = pdfmetrics.getFont(piece.font)
        codes: list[tuple[int, int]] = [
            (subset, byte) for subset, chunk in font.splitString(
                "".join(g.code for g in piece.glyphs), doc) for byte in chunk]
        if len({subset for subset, _ in codes}) == 1:
            objects.append((font, list(zip(piece.glyphs, codes, strict=True))))
            continue
        # Codes of two font subsets: the font change between them would make an extractor
        # flush the piece half way, so one text object per character, in logical order.
        by_cluster: dict[int, list] = {}
        for glyph, code in zip(piece.glyphs, codes, strict=True):
            by_cluster.setdefault(glyph.cluster, []).append((glyph, code))
        objects += [(font, by_cluster[cluster]) for cluster in sorted(by_cluster)]
    for index, (font, glyphs) in enumerate(objects):
        _text_object(canvas, font, glyphs, left, op.y, op.size,
                     end_line=index == len(objects) - 1)


def _text_object(canvas: Canvas, font: LetterFont, glyphs: list, left: float, y: float,
                 size: float, end_line: bool) -> None:
    """One text object; positions are in 1/1000 of ``size``, the font's own units in 1/1000
    of the size it is drawn at (``size`` times its optical size)."""
    scale = size / 1000
    optical = font.optical
    widths, default = font.face.charWidths, font.face.defaultWidth
    pen = glyphs[0][0].x
    out = [f"BT 1 0 0 1 {_number(left + pen * scale)} {_number(y)} Tm"]
    shown: list[str] = []
    subset_now, rise = None, 0.0

    def show() -> None:
        if shown:
            out.append(f"[{' '.join(shown)}] TJ")
            shown.clear()

    for glyph, (subset, byte) in glyphs:
        if subset != subset_now:
            show()
            out.append(f"{font.getSubsetInternalName(subset, canvas._doc)} "
                       f"{_number(size * optical)} Tf")
            subset_now = subset
        if glyph.y != rise:
            show()
            out.append(f"{_number(glyph.y * scale)} Ts")
            rise = glyph.y
        if abs(glyph.x - pen) > 0.01:
            shown.append(_number((pen - glyph.x) / optical))
        shown.append(f"<{byte:02X}>")
        pen = glyph.x + widths.get(ord(glyph.code), default) * optical
    show()
    if rise:
        out.append("0 Ts")
    if end_line:
        # As reportlab's drawString ends with T*: a line down, so extractors end the line
        # here; and off to the right, so that the next line, wherever it starts, does not
        # look indented to them (pypdf would start it with a space).
        out.append(f"{_number(PAGE_WIDTH)} {_number(-1.2 * size)} Td")
    out.append("ET")
    canvas.addLiteral(" ".join(out))


def _number(value: float) -> str:
    """A number for the content stream (reportlab's fp_str is pure Python and slow)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


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
    # Every page of the file: the letters', the blank backs added for duplex printing and the
    # cover sheet (with its blank back): what the printer prints. The cover is not a letter.
    pages: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # letters per printed language


def printed_language(data: OverviewData, settings: LetterSettings) -> str:
    """The language a participant's letter is printed in ('nl', 'ar' …)."""
    return settings.texts_for(data.language).language


def write_letters(letters: Iterable[OverviewData], out: str | Path | BinaryIO,
                  settings: LetterSettings, today: date, *, title: str,
                  language: str = DUTCH.code, duplex: bool = True,
                  progress: Callable[[int], None] | None = None,
                  cover: Callable[[WriteResult], RunCover] | None = None) -> WriteResult:
    """Write the letters into one PDF. With ``duplex`` every letter starts on a new sheet: a
    letter with an odd number of pages is followed by a blank page (not after the last).

    ``cover``: a cover sheet for the mail room in front of the letters (``cover_sheet``), made
    from the result once every letter is written, so its counts are those of the letters in
    the file (each read in the same snapshot as its letter). It is drawn last and then moved
    to the front of the page tree: reportlab keeps every page in memory until ``save``."""
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
        code = printed_language(data, settings)
        result.languages[code] = result.languages.get(code, 0) + 1
        pending_blank = duplex and len(laid_out.pages) % 2 == 1
        if progress is not None:
            progress(result.letters)
    if cover is not None and result.letters:
        front = cover_sheet(cover(result), settings, duplex=duplex)
        for page in front:
            draw_page(canvas, page)
        pages = canvas._doc.Pages.pages  # reportlab's page tree, in the order of the file
        if len(pages) != result.pages + len(front):
            raise RuntimeError("reportlab's page tree is not what was drawn")
        pages[:] = pages[-len(front):] + pages[:-len(front)]
        result.pages += len(front)
    canvas.save()
    return result


def letter_pdf(data: OverviewData, settings: LetterSettings, today: date) -> bytes:
    """One participant's letter as PDF bytes, titled and in the participant's language."""
    import io

    texts = settings.texts_for(data.language)
    buffer = io.BytesIO()
    write_letters([data], buffer, settings, today,
                  title=letter_title(data, texts), language=texts.code)
    return buffer.getvalue()


# --- the cover sheet of a print run --------------------------------------------------------

@dataclass(frozen=True)
class RunCover:
    """What the cover sheet of a print run says: who made it when, and counts. Nothing about
    a participant (no name, no address, no dossier number): it is for the mail room."""

    month: date
    made_on: date
    made_by: str | None  # the run's actor (a login), if known
    languages: Mapping[str, int]  # letters per printed language ('nl', 'ar' …)
    by_postcode: bool  # the letters' order: by postcode, else by dossier number
    skipped: int  # participants left out (no complete address)

    @property
    def letters(self) -> int:
        return sum(self.languages.values())


def cover_page(cover: RunCover, settings: LetterSettings, *, blank_back: bool = False
               ) -> Page:
    """The cover sheet in Dutch (staff only): the run's month, date, actor, the number of
    letters, letters per language (in the order of ``LANGUAGES``, only those printed), the
    order and the number skipped."""
    register_fonts()
    size = 13.0
    leading = size * 1.5
    page: Page = []
    y = PAGE_HEIGHT - 25 * mm
    page.append(Text(LEFT, y, settings.municipality, 16, True))
    if settings.department:
        y -= 18
        page.append(Text(LEFT, y, settings.department, NORMAL_SIZE))
    y -= 22 * mm
    page.append(Text(LEFT, y, words.COVER_NOTE, size, True))
    y -= 14 * mm
    title = words.COVER_TITLE.format(month=DUTCH.month(cover.month))
    for line in wrap(title, 24, CONTENT_WIDTH, bold=True):
        page.append(Text(LEFT, y, line, 24, True))
        y -= 30
    y -= 6 * mm
    page.append(Rule(LEFT, y + 12, PAGE_WIDTH - RIGHT, y + 12))
    value_x = LEFT + 90 * mm
    facts = [(words.COVER_MADE, DUTCH.day(cover.made_on))]
    if cover.made_by:
        facts.append((words.COVER_BY, cover.made_by))
    facts += [(words.COVER_LETTERS, _count(cover.letters)),
              (words.COVER_ORDER, words.COVER_BY_POSTCODE if cover.by_postcode
               else words.COVER_BY_NUMBER),
              (words.COVER_SKIPPED, _count(cover.skipped))]
    for label, value in facts:
        y -= leading
        page.append(Text(LEFT, y, label, size, True))
        page.append(Text(value_x, y, value, size))
    y -= 2 * leading
    page.append(Text(LEFT, y, words.COVER_LANGUAGES, size + 2, True))
    count_x = value_x + 30 * mm
    page.append(Rule(LEFT, y - 6, count_x, y - 6, 0.4))
    known = [code for code in LANGUAGES if cover.languages.get(code)]
    others = sorted(code for code in cover.languages if code not in LANGUAGES)
    for code in known + others:
        y -= leading
        page.append(Rule(LEFT, y - 6, count_x, y - 6, 0.4))
        page.append(Text(LEFT, y, LANGUAGE_NAMES.get(code, code), size))
        page.append(Text(count_x, y, _count(cover.languages[code]), size, right=True))
    y -= 2 * leading
    notes = [words.COVER_SHEETS] + ([words.COVER_BLANK_BACK] if blank_back else [])
    for note in notes:
        for line in wrap(note, NORMAL_SIZE, CONTENT_WIDTH):
            page.append(Text(LEFT, y, line, NORMAL_SIZE))
            y -= NORMAL_SIZE * 1.3
        y -= NORMAL_SIZE * 0.5
    return page


def _count(number: int) -> str:
    """A count the Dutch way: 10.000."""
    return f"{number:,}".replace(",", ".")


def cover_sheet(cover: RunCover, settings: LetterSettings, *, duplex: bool = True
                ) -> list[Page]:
    """The pages the cover takes in front of the letters: the cover, and with ``duplex`` its
    blank back, so that the first letter still begins on a sheet of its own."""
    page = cover_page(cover, settings, blank_back=duplex)
    return [page, []] if duplex else [page]


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

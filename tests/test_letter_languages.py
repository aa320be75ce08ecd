"""The letter in every language: Dutch, English, Arabic, Turkish, Polish, Tigrinya, Ukrainian.

Golden texts: the text pypdf extracts from a fixed print run (a letter in the red with every
kind of notice, and a final settlement) in reading order, per language, against
``tests/data/letters/<code>.txt`` (read by a person when made; ``HHB_UPDATE_GOLDEN=1`` writes
them anew). Arabic: logical order in the extracted text, right to left on the page, glyphs
shaped by HarfBuzz (joining forms and the lam-alef ligature from the font's GSUB, not the
isolated forms of the cmap). Tigrinya: no character without a glyph. Large print in Arabic
and Tigrinya without overflow. Page 1 of every language (and both large-print letters) as PNG
in tests/artifacts, to look at.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pypdfium2
import pytest
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.lib.units import mm

from app.assets import resource_root
from app.reports import letter
from app.reports.letter import (
    BOTTOM,
    FONT_FILES,
    LEFT,
    PAGE_WIDTH,
    RIGHT,
    LetterSettings,
    Text,
    is_complex,
    layout_letter,
    letter_pdf,
    shaped_line,
    width_of,
    write_letters,
)
from app.reports.letter_texts import LANGUAGES, Texts, texts_for
from app.reports.overview_data import Notice, Settlement
from app.services.participants import LANGUAGES as DOSSIER_LANGUAGES
from tests import overview_scenario as golden
from tests.conftest import ARTIFACTS

TODAY = golden.TODAY
GOLDEN = Path(__file__).parent / "data" / "letters"
CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
                                  "\u2066\u2067\u2068\u2069"))


def in_the_red(language: str, **overrides):
    """The golden participant below zero (€ -326,28, within the buffer), with every kind of
    notice (one without a payer's name), buffer instalments and the next leefgeld."""
    data = golden.shifted(golden.sample_overview(language=language), 60_000)
    notices = (Notice("betaling ontbreekt", "Vitens"), Notice("afwijkend bedrag", "UWV"),
               Notice("dubbele betaling", None), Notice("voortgangsgesprek"))
    return replace(data, notices=notices, withheld_cents=2500, instalment_cents=2500,
                   **overrides)


def final_letter(language: str):
    """The last letter of a participant who left owing money, paid back in instalments."""
    return replace(golden.sample_overview(language=language, number="HHB-00043"),
                   settlement=Settlement(date(2026, 10, 31), -34000, 5000, date(2026, 12, 1)))


def print_run(language: str) -> bytes:
    out = io.BytesIO()
    write_letters([in_the_red(language), final_letter(language)], out, LetterSettings(), TODAY,
                  title="Papieren overzichten oktober 2026", duplex=False)
    return out.getvalue()


def extracted(pdf: bytes) -> str:
    """The text of every page as pypdf reads it, pages marked (no-break spaces as spaces)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "".join(f"=== pagina {number} ===\n{page.extract_text().replace(chr(0xA0), ' ')}\n"
                   for number, page in enumerate(pages, start=1))


def plain(text: str) -> str:
    return text.translate(CONTROLS).replace("\xa0", " ")


# --- the languages --------------------------------------------------------------------------

def test_every_language_can_be_chosen_in_the_dossier():
    assert tuple(LANGUAGES) == ("nl", "en", "ar", "tr", "pl", "ti", "uk")
    assert set(DOSSIER_LANGUAGES) == set(LANGUAGES)
    assert {texts_for(code).code for code in LANGUAGES} == {
        "nl-NL", "en-GB", "ar", "tr-TR", "pl-PL", "ti-ER", "uk-UA"}
    assert texts_for("fr") is texts_for(None) is LANGUAGES["nl"]


def test_every_language_has_every_sentence_with_the_same_placeholders():
    dutch = LANGUAGES["nl"]

    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    for code, texts in LANGUAGES.items():
        for name in (f.name for f in fields(Texts)):
            value, other = getattr(dutch, name), getattr(texts, name)
            if isinstance(value, str) and name not in ("code", "locale"):
                assert other and placeholders(other) == placeholders(value), (code, name)
            elif isinstance(value, dict) and name != "category_names":
                assert other.keys() == value.keys(), (code, name)
                for key in value:
                    assert placeholders(other[key]) == placeholders(value[key]), (code, key)
        if code != "nl":
            assert texts.category_names.keys() == LANGUAGES["en"].category_names.keys(), code


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_numbers_amounts_and_dates_are_written_the_dutch_way(code):
    texts = LANGUAGES[code]
    assert texts.money(123456) == "€\xa01.234,56"
    assert texts.money(-32628) == "€\xa0-326,28"
    assert texts.money(0) == "€\xa00,00"
    assert texts.amount(-117100) == "-1.171,00" and texts.amount(45734) == "+457,34"
    day = date(2026, 10, 31)
    if code == "nl":  # the month as a word, as the Dutch letter always wrote it
        assert texts.day(day) == "31 oktober 2026"
    else:
        assert texts.day(day) == "31-10-2026"
        assert texts.weekday(date(2026, 12, 2)).endswith(" 02-12-2026")
    assert re.fullmatch(r"\D+ 2026", texts.month(day))  # the month a word, the year 0-9
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", texts.weekday(day))  # no ٣١


def test_month_names_in_the_letters_language():
    october = date(2026, 10, 1)
    assert [LANGUAGES[c].month_name(october) for c in LANGUAGES] == [
        "oktober", "October", "أكتوبر", "Ekim", "październik", "ጥቅምቲ", "жовтень"]
    assert LANGUAGES["pl"].month(october) == "październik 2026"  # nominative, not "października"
    assert LANGUAGES["tr"].capital("internet") == "İnternet"  # Turkish dotted capital I


# --- golden texts ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", list(LANGUAGES))
def test_golden_text_of_the_letter(code):
    text = extracted(print_run(code))
    path = GOLDEN / f"{code}.txt"
    if os.environ.get("HHB_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "nl"])
def test_the_saldo_comes_first_in_every_language(code):
    """The saldo sentence is the body's first line, with the amount in the Dutch form."""
    texts = LANGUAGES[code]
    pdf = letter_pdf(in_the_red(code), LetterSettings(), TODAY)
    first = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\xa0", " ")
    saldo = texts.saldo_line.format(day="31-10-2026", amount="€ -326,28")
    assert saldo in first.splitlines()
    body = first[first.index(saldo):]
    buffer_sentence = texts.below_zero.split("{")[0].strip()
    assert body.index(saldo) < body.index(buffer_sentence[:20])


# --- Arabic: right to left, logical order, shaped -------------------------------------------

def arabic_lines(data) -> list[Text]:
    laid_out = layout_letter(data, LetterSettings(), TODAY)
    return [op for page in laid_out.pages for op in page
            if isinstance(op, Text) and re.search("[\u0600-\u06ff]", op.text)]


def test_arabic_text_is_extracted_in_logical_order():
    data = in_the_red("ar")
    pdf = letter_pdf(data, LetterSettings(), TODAY)
    lines = {line.strip() for line in extracted(pdf).splitlines()}
    drawn = arabic_lines(data)
    assert len(drawn) > 30
    for op in drawn:  # every Arabic line of the layout, character for character
        assert plain(op.text) in lines, plain(op.text)
    assert "رصيدك في 31-10-2026: € -326,28" in lines  # the saldo first, amount Dutch
    assert ("إذا كانت لديك أسئلة، تواصل مع Joke de Vries على الرقم 030 286 0000."
            in " ".join(lines))


def test_arabic_is_right_aligned_and_runs_right_to_left_on_the_page():
    data = in_the_red("ar")
    pdf = letter_pdf(data, LetterSettings(), TODAY)
    page = pypdfium2.PdfDocument(pdf)[0]
    text_page = page.get_textpage()
    boxes = {}
    for index in range(text_page.count_chars()):
        boxes.setdefault(text_page.get_text_range(index, 1), []).append(
            text_page.get_charbox(index))
    # The saldo line: رصيدك at the right margin, its first letter right of its last; the
    # date and the amount each left to right, the amount at the far left.
    saldo = [op for op in arabic_lines(data) if op.text.startswith("رصيدك")][0]
    assert saldo.right and saldo.rtl and saldo.x == PAGE_WIDTH - RIGHT
    on_line = [(char, box) for char, found in boxes.items() for box in found
               if abs(box[1] - saldo.y) < saldo.size]
    xs = {char: sorted(box[0] for c, box in on_line if c == char) for char in "رك€"}
    assert xs["ر"][-1] > xs["ك"][0] > xs["€"][0]
    assert max(box[2] for _, box in on_line) == pytest.approx(PAGE_WIDTH - RIGHT, abs=2)
    digits = [(box[0], char) for char, box in on_line if char.isdigit()]
    assert "".join(char for _, char in sorted(digits)) == "3262831102026"  # 326,28 … 31-10-2026


def arabic_fonts(pdf: bytes) -> list[tuple[TTFont, dict[int, str]]]:
    """(embedded subset, ToUnicode code → text) of each Arabic font subset in the PDF."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "NotoSansArabic" not in str(font["/BaseFont"]):
                continue
            subset = TTFont(io.BytesIO(font["/FontDescriptor"]["/FontFile2"].get_data()))
            found.append((subset, to_unicode(font)))
        break  # the fonts are the document's, the same on every page
    return found


def to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    body = cmap[cmap.index("beginbfchar"):cmap.index("endbfchar")]
    return {int(code, 16): bytes.fromhex(text).decode("utf-16-be")
            for code, text in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]*)>", body)}


def outline(font: TTFont, glyph: str) -> list:
    pen = DecomposingRecordingPen(font.getGlyphSet())
    font.getGlyphSet()[glyph].draw(pen)
    return pen.value


def test_arabic_glyphs_are_shaped_not_isolated_forms():
    pdf = letter_pdf(in_the_red("ar"), LetterSettings(), TODAY)
    original = TTFont(resource_root() / "fonts" / FONT_FILES[letter.ARABIC])
    nominal = original.getBestCmap()
    forms: dict[str, list] = {}  # letter → the outlines it is drawn with
    ligatures = []
    for subset, codes in arabic_fonts(pdf):
        cmap = subset["cmap"].getcmap(1, 0).cmap  # reportlab's subset: code → glyph
        for code, text in codes.items():
            if len(text) == 2 and re.fullmatch("[\u0600-\u06ff]+", text):
                ligatures.append(text)
            if len(text) == 1 and "\u0621" <= text <= "\u064a" and code in cmap:
                drawn = outline(subset, cmap[code])
                if drawn not in forms.setdefault(text, []):
                    forms[text].append(drawn)
    assert "لا" in ligatures  # lam-alef: one glyph for two letters (GSUB)
    for letter_ in "بتسصلمنهي":  # joining letters: their initial/medial/final forms
        isolated = outline(original, nominal[ord(letter_)])
        assert len(forms[letter_]) >= 2, letter_
        assert any(form != isolated for form in forms[letter_]), letter_


def test_shaping_is_harfbuzz_and_bidi_is_uax9():
    """The word رصيدك: five letters, five glyphs in visual order (the last letter leftmost),
    none of them the cmap's isolated form except ك after the non-joining د."""
    line = shaped_line("رصيدك", bold=False, rtl=True)
    (piece,) = line.pieces
    assert [glyph.cluster for glyph in piece.glyphs] == [4, 3, 2, 1, 0]
    font = letter.pdfmetrics.getFont(piece.font)
    isolated = [g.code == c for g, c in zip(piece.glyphs, "كديصر", strict=True)]
    assert isolated == [True, False, False, False, True]  # ر and ك stand alone
    assert letter._bidi_levels("ab \u05d0\u05d1 \u2066€ 1\u2069", rtl=True) == [
        2, 2, 1, 1, 1, 1, 1, 2, 2, 2, 1]  # the isolate's content at 2, its marks at 1
    assert font.stands_for  # the shaped forms have private codes that stand for letters


# --- Tigrinya: every character has a glyph --------------------------------------------------

def shown_codes(pdf: bytes) -> dict[str, set[int]]:
    """Font resource name → the codes the page content shows with it."""
    reader = PdfReader(io.BytesIO(pdf))
    used: dict[str, set[int]] = {}
    for page in reader.pages:
        font = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                font = str(operands[0])
            elif operator in (b"Tj", b"TJ"):
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for item in strings:
                    if isinstance(item, (bytes, str)):
                        data = item if isinstance(item, bytes) else item.get_original_bytes()
                        used.setdefault(font, set()).update(data)
    return used


def test_tigrinya_letter_has_no_missing_glyphs():
    data = in_the_red("ti", large_print=True)
    pdf = letter_pdf(data, LetterSettings(), TODAY)
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    represented = set()
    for name, codes in shown_codes(pdf).items():
        font = fonts[name].get_object()
        subset = TTFont(io.BytesIO(font["/FontDescriptor"]["/FontFile2"].get_data()))
        cmap = subset["cmap"].getcmap(1, 0).cmap
        unicode = to_unicode(font)
        for code in codes:
            assert code != 0 and cmap.get(code, ".notdef") != ".notdef", (name, code)
            text = unicode[code]
            represented.update(text)
            if not text.isspace():  # a visible character is drawn with a visible glyph
                assert outline(subset, cmap[code]), (name, code, text)
    ethiopic = {c for c in extracted(pdf) if "\u1200" <= c <= "\u139f"}
    assert len(ethiopic) > 60 and ethiopic <= represented
    # every character of every line of the letter is in the cmap of the font it is drawn in
    for op in (op for page in layout_letter(data, LetterSettings(), TODAY).pages
               for op in page if isinstance(op, Text)):
        fonts_of = letter._fonts_of(plain(op.text), [0] * len(plain(op.text)), op.bold)
        for character, name in zip(plain(op.text), fonts_of, strict=True):
            assert ord(character) in letter.pdfmetrics.getFont(name).covers, (op.text, name)


# --- large print ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["ar", "ti"])
def test_large_print_lays_out_without_overflow(code):
    data = in_the_red(code, large_print=True)
    laid_out = layout_letter(data, LetterSettings(), TODAY)
    normal = layout_letter(in_the_red(code), LetterSettings(), TODAY)
    assert len(laid_out.pages) > len(normal.pages)  # re-flowed, not scaled
    for page in laid_out.pages:
        boxes = []
        for op in page:
            if not isinstance(op, Text) or not plain(op.text).strip():
                continue
            assert op.size >= 16, op
            width = width_of(op.text, op.size, op.bold, op.rtl)
            left = op.x - width if op.right else op.x
            assert left >= LEFT - 0.5 and left + width <= PAGE_WIDTH - RIGHT + 0.5, op
            assert op.y >= 12 * mm - 0.1
            boxes.append((left, left + width, op.y - 0.25 * op.size, op.y + 0.8 * op.size, op))
        for index, (x1, x2, y1, y2, op) in enumerate(boxes):  # no line on another
            for u1, u2, v1, v2, other in boxes[index + 1:]:
                assert not (x1 < u2 - 0.5 and u1 < x2 - 0.5 and y1 < v2 - 0.5 and v1 < y2 - 0.5), (
                    op.text, other.text)
    # on paper too: every glyph pdfium finds lies within the margins
    pdf = letter_pdf(data, LetterSettings(), TODAY)
    for page in pypdfium2.PdfDocument(pdf):
        text_page = page.get_textpage()
        for index in range(text_page.count_chars()):
            left, bottom, right, top = text_page.get_charbox(index)
            if right > left:
                assert left >= LEFT - 1.5 and right <= PAGE_WIDTH - RIGHT + 1.5
                assert bottom >= 12 * mm - 6
    body = [op for page in laid_out.pages for op in page
            if isinstance(op, Text) and op.y > BOTTOM and op.text.startswith("\u200f")]
    assert all(op.rtl for op in body)


# --- speed: Dutch letters do not pay for the other scripts ----------------------------------

def test_a_dutch_letter_is_drawn_without_shaping():
    laid_out = layout_letter(in_the_red("nl"), LetterSettings(), TODAY)
    texts = [op for page in laid_out.pages for op in page if isinstance(op, Text)]
    assert texts and not any(is_complex(op.text, op.rtl) for op in texts)
    arabic = layout_letter(in_the_red("ar"), LetterSettings(), TODAY)
    assert any(op.rtl for page in arabic.pages for op in page if isinstance(op, Text))


# --- screenshots ----------------------------------------------------------------------------

def test_screenshots_of_every_language():
    """Page 1 of each language (a letter in the red), and the large-print Arabic and Tigrinya
    letters, as a participant sees them; reviewed by eye (tests/artifacts)."""
    cases = [(code, in_the_red(code)) for code in LANGUAGES]
    cases += [(f"{code}_large_print", in_the_red(code, large_print=True)) for code in ("ar", "ti")]
    for name, data in cases:
        document = pypdfium2.PdfDocument(letter_pdf(data, LetterSettings(), TODAY))
        pages = range(len(document)) if name.endswith("large_print") else [0]
        for index in pages:
            image = document[index].render(scale=1.5).to_pil()
            path = ARTIFACTS / f"overview_letter_language_{name}_p{index + 1}.png"
            image.save(path)
            assert image.size == (893, 1263) and path.stat().st_size > 20_000

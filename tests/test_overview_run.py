"""The print run for the mail room (issue 17): the letters sorted by postcode when asked
(dossier number stays the default), a cover sheet in front of the one PDF with the run's counts
per language and the number skipped, and nothing about a participant on it; duplex sheets
behind it. The database tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.reports.letter import LetterSettings, RunCover, WriteResult, write_letters
from app.reports.overview_data import mail_order_key
from app.services import overview
from app.services.overview import in_postcode_order, print_overviews, select_participants
from tests import overview_scenario as golden
from tests.helpers import audit_json, audit_rows
from tests.overview_scenario import (  # noqa: F401 - fixture 'mail_room'
    MAIL_ROOM,
    MAIL_ROOM_BY_NUMBER,
    MAIL_ROOM_BY_POSTCODE,
    mail_room_participants,
)

NUMBER = re.compile(r"HHB-\d{5}")


def page_texts(pdf: Path | bytes) -> list[str]:
    """Each page's text on one line (no-break spaces as spaces)."""
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    return [" ".join(page.extract_text().replace("\xa0", " ").split())
            for page in PdfReader(source).pages]


def letter_order(texts: list[str]) -> list[str]:
    """The dossier numbers of the letters in the order of the pages: each page of a letter
    carries its own number (and no other); the cover and the blank backs none."""
    order: list[str] = []
    for text in texts:
        numbers = set(NUMBER.findall(text))
        assert len(numbers) <= 1, text
        if numbers and (not order or order[-1] not in numbers):
            order.append(numbers.pop())
    return order


# --- the order ------------------------------------------------------------------------------

def test_the_mail_rooms_order_of_addresses():
    rows = [  # (postcode as typed, house number, addition, dossier number)
        ("9711 AA", 1, None, "HHB-00001"),
        (None, None, None, "HHB-00002"),  # no postcode: last of all
        ("1234", 5, None, "HHB-00003"),  # malformed: after every good postcode
        ("3512ab", 10, None, "HHB-00004"),  # 10 after 2: by value, not as text
        ("3512 AB", 2, "b", "HHB-00005"),
        (" 3512 ab", 2, "A", "HHB-00006"),  # spaces and case ignored, in the addition too
        ("3512AB", 2, None, "HHB-00007"),
        ("3512 AB", 2, "-10", "HHB-00008"),
        ("3512 AB", 2, "2", "HHB-00009"),
        ("1011 AA", 300, None, "HHB-00010"),
        ("3512 AB", 2, None, "HHB-00011"),  # the same address as HHB-00007: by dossier number
        ("3512 AB", None, None, "HHB-00012"),  # no house number: last in its postcode
    ]
    ordered = [row[3] for row in sorted(reversed(rows), key=lambda r: mail_order_key(*r))]
    assert ordered == ["HHB-00010", "HHB-00007", "HHB-00011", "HHB-00009", "HHB-00008",
                       "HHB-00006", "HHB-00005", "HHB-00004", "HHB-00012", "HHB-00001",
                       "HHB-00003", "HHB-00002"]


def test_letters_come_in_postcode_order_when_asked(db, mail_room, tmp_path, monkeypatch):
    uow = db.unit_of_work
    by_postcode = tmp_path / "postcode.pdf"
    run = print_overviews(uow("front"), golden.MONTH, by_postcode, today=golden.TODAY,
                          by_postcode=True)
    assert letter_order(page_texts(by_postcode)) == MAIL_ROOM_BY_POSTCODE == run.numbers
    default = tmp_path / "default.pdf"
    run = print_overviews(uow("front"), golden.MONTH, default, today=golden.TODAY)
    assert letter_order(page_texts(default)) == MAIL_ROOM_BY_NUMBER == run.numbers
    # The clerk's own selection (the Overzichten screen): sorted too, or kept as given.
    picked = [mail_room[n] for n in reversed(MAIL_ROOM_BY_NUMBER)]
    run = print_overviews(uow("front"), golden.MONTH, tmp_path / "picked.pdf",
                          participant_ids=picked, today=golden.TODAY, by_postcode=True)
    assert run.numbers == MAIL_ROOM_BY_POSTCODE
    run = print_overviews(uow("front"), golden.MONTH, tmp_path / "as-given.pdf",
                          participant_ids=picked, today=golden.TODAY)
    assert run.numbers == MAIL_ROOM_BY_NUMBER[::-1]
    number_of = {pid: number for number, pid in mail_room.items()}
    with db.read() as session:
        chosen = select_participants(session, by_postcode=True)
        assert [number_of[i] for i in chosen] == [*MAIL_ROOM_BY_POSTCODE, "HHB-00106"]
        # An id twice or of nobody is left out; a selection too big for one IN list reads
        # the whole table in one query and keeps the chosen.
        sorted_ids = in_postcode_order(session, [*picked, picked[0], 999_999])
        monkeypatch.setattr(overview, "MAX_BOUND_IDS", 2)
        assert in_postcode_order(session, picked) == sorted_ids
    assert [number_of[i] for i in sorted_ids] == MAIL_ROOM_BY_POSTCODE


# --- the cover sheet ------------------------------------------------------------------------

def test_the_cover_sheet_counts_the_run_and_names_nobody(db, mail_room, tmp_path):
    out = tmp_path / "oktober.pdf"
    run = print_overviews(db.unit_of_work("front"), golden.MONTH, out, today=golden.TODAY,
                          by_postcode=True)
    texts = page_texts(out)
    cover = texts[0]
    assert "Voorblad voor de postkamer" in cover
    assert "Papieren overzichten oktober 2026" in cover
    assert "Gemaakt op 3 november 2026" in cover and "Gemaakt door front" in cover
    assert "Aantal brieven 6" in cover
    assert "Volgorde op postcode, dan huisnummer" in cover
    assert "Overgeslagen (adres onvolledig) 1" in cover
    per_language = re.search(r"Brieven per taal (.*?) Elke brief", cover)
    assert per_language and per_language.group(1) == (
        "Nederlands 3 Engels 1 Arabisch 1 Tigrinya 1")
    assert texts[1] == ""  # its blank back: the first letter begins on a sheet of its own
    assert letter_order(texts[2:]) == MAIL_ROOM_BY_POSTCODE
    for number, first, last, _, street, _, _, postcode, city in MAIL_ROOM:
        for value in (number, first, last, street, postcode, city):
            assert not value or value not in cover, value
    # The run and its audit row: six letters, one skipped; the pages are those of the file
    # (the cover sheet and its blank back included), the cover is no letter.
    assert (run.letters, [s.number for s in run.skipped]) == (6, ["HHB-00106"])
    after = audit_json(audit_rows(db, "papieren overzichten gemaakt")[-1], "after")
    assert (after["brieven"], after["pagina's"], after["dossiers"], after["overgeslagen"]) == (
        6, len(texts), MAIL_ROOM_BY_POSTCODE, ["HHB-00106"])
    assert run.pages == len(texts)
    assert run.summary().startswith(f"6 overzicht(en) van 2026-10 gemaakt, {len(texts)} "
                                    "pagina's")

    default = tmp_path / "nummer.pdf"
    print_overviews(db.unit_of_work("front"), golden.MONTH, default, today=golden.TODAY)
    assert "Volgorde op dossiernummer" in page_texts(default)[0]


def test_no_cover_sheet_in_a_folder_of_letters(db, mail_room, tmp_path):
    folder = tmp_path / "map"
    run = print_overviews(db.unit_of_work("front"), golden.MONTH, folder, today=golden.TODAY,
                          by_postcode=True)
    assert run.letters == 6 and len(run.files) == 6
    for path in run.files:
        texts = page_texts(path)
        assert "Voorblad" not in texts[0] and NUMBER.search(texts[0])
    assert run.pages == sum(len(page_texts(path)) for path in run.files)


# --- duplex ---------------------------------------------------------------------------------

def test_the_cover_takes_a_whole_sheet_and_every_letter_starts_on_an_odd_page():
    three_pages = golden.sample_overview(large_print=True)
    two_pages = golden.sample_overview(number="HHB-00043", language="en")
    seen: list[WriteResult] = []

    def cover(result: WriteResult) -> RunCover:
        seen.append(result)
        return RunCover(golden.MONTH, golden.TODAY, "front", result.languages, False, 2)

    out = io.BytesIO()
    result = write_letters([three_pages, two_pages], out, LetterSettings(), golden.TODAY,
                           title="Papieren overzichten oktober 2026", cover=cover)
    texts = page_texts(out.getvalue())
    # Cover, its blank back, 3 pages, a blank back, 2 pages; drawn last, put first.
    assert (result.letters, result.pages, len(texts)) == (2, 8, 8)
    assert seen[0].languages == {"nl": 1, "en": 1} and seen[0].letters == 2
    assert "Voorblad voor de postkamer" in texts[0] and "Aantal brieven 2" in texts[0]
    assert "Nederlands 1 Engels 1" in texts[0] and "Overgeslagen (adres onvolledig) 2" in texts[0]
    assert texts[1] == "" and texts[5] == ""
    starts = [number for number, text in enumerate(texts, start=1) if "pagina 1 van" in text
              or "page 1 of" in text]
    assert starts == [3, 7]  # odd pages: the front of a sheet
    assert letter_order(texts) == ["HHB-00042", "HHB-00043"]

    single = io.BytesIO()  # printed on one side: no blank back behind the cover
    result = write_letters([three_pages, two_pages], single, LetterSettings(), golden.TODAY,
                           title="x", duplex=False, cover=cover)
    texts = page_texts(single.getvalue())
    assert (result.pages, len(texts)) == (6, 6)
    assert "Voorblad" in texts[0] and "pagina 1 van 3" in texts[1]
    assert "achterkant" not in texts[0]


@pytest.mark.parametrize("duplex", [True, False])
def test_no_cover_sheet_without_letters(duplex):
    out = io.BytesIO()
    result = write_letters([], out, LetterSettings(), golden.TODAY, title="x", duplex=duplex,
                           cover=lambda r: RunCover(golden.MONTH, golden.TODAY, None,
                                                    r.languages, False, 3))
    assert (result.letters, result.pages) == (0, 0)

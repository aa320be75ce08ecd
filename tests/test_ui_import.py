"""Importing bank statements in the desktop client: real sample files dropped on the main window
(a QDropEvent with file URLs), one result card per file, a friendly reason for what is not a
statement, cancelling stores nothing of that file, and the history of imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import func, select

from app.importers.statements import StatementFileError
from app.models import BankTransaction, ImportedFile, Statement
from app.services.accounts import add_municipal_account
from app.services.queries import current_user, import_history
from app.services.statement_import import StatementRefused, import_statement_file
from app.ui.import_screen import ImportScreen, import_files_work
from app.ui.main_window import MainWindow
from app.ui.operations import OperationCancelled
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.helpers import audit_rows
from tests.ui_support import settle

# Demo databases shared by the desktop-client tests (tests/ui_support.py).
demo_db, demo_url = ui_support.demo_db, ui_support.demo_url

SAMPLES = Path(__file__).parent / "data" / "statements"
ING_CAMT = SAMPLES / "camt053" / "ing_nl_camt053_001_02_sample.xml"
ING_ACCOUNT = "NL08INGB0000001234"
RABO_MT940 = SAMPLES / "mt940" / "rabobank_nl_mt940_structured.swi"  # 4 statements
RABO_ACCOUNT = "NL34RABO0142623393"
NOT_A_STATEMENT = Path(__file__).parent / "data" / "wachtwoord-geheim.xlsx"


def counts(db) -> tuple[int, int, int]:
    with db.read() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Statement, BankTransaction, ImportedFile))


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    return mime


@pytest.fixture
def window(qtbot, demo_db):
    for iban, name in ((ING_ACCOUNT, "Gemeente (ING)"), (RABO_ACCOUNT, "Gemeente (Rabo)")):
        add_municipal_account(demo_db.unit_of_work("beheer"), iban, name)
    with demo_db.read() as session:
        user = current_user(session, "swoldu")  # a backoffice clerk of the demo
    main = MainWindow(demo_db, user)
    qtbot.addWidget(main)
    main.resize(1280, 820)
    main.show()
    settle()
    return main


def drop_on(qtbot, target, *paths: Path):
    """Drag files over a widget and drop them, as a file manager does; wait for the import."""
    mime = file_mime(*paths)
    existing = target.window().pages.get("import")
    before = len(existing.result_cards()) if existing is not None else 0
    enter = QDragEnterEvent(target.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(target.rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    screen = target.window().page("import")
    qtbot.waitUntil(lambda: not screen.running and len(screen.result_cards()) > before,
                    timeout=30_000)
    settle()
    return screen


def test_a_real_statement_dropped_on_the_window_gives_a_result_card(qtbot, window, demo_db,
                                                                    backend):
    open_before = window.queue_count
    assert window.current_key() == "participants"
    screen = drop_on(qtbot, window, ING_CAMT)
    assert window.current_key() == "import"
    [card] = screen.result_cards()
    text = card.text()
    assert card.title.text() == "ing_nl_camt053_001_02_sample.xml: ingelezen"
    assert "Bank: ING (INGBNL2A) · formaat camt.053.001.02" in text
    assert card.findChild(type(card.title), "account").text() == "NL08 INGB 0000 0012 34"
    assert card.findChild(type(card.title), "period").text() == "03-01-2014"
    assert card.findChild(type(card.title), "new").text() == "9"
    assert card.findChild(type(card.title), "duplicates").text() == "0"
    assert card.findChild(type(card.title), "balance").text() == "saldo klopt"
    linked = int(card.findChild(type(card.title), "linked").text())
    queued = int(card.findChild(type(card.title), "queued").text())
    assert linked + queued == 9
    assert counts(demo_db)[1] >= 9
    assert window.queue_count == open_before + queued
    assert window.items["queue"].text() == f"Wachtrij ({open_before + queued})"
    window.grab().save(str(ARTIFACTS / f"import_result_card_{backend}.png"))
    button = card.findChild(QPushButton, "to_queue")
    assert button.text() == f"Naar de wachtrij ({open_before + queued} open)"
    button.click()
    assert window.current_key() == "queue"


def test_several_files_one_card_each_and_a_friendly_reason_for_the_wrong_one(qtbot, window,
                                                                             demo_db, tmp_path):
    folder = tmp_path / "afschriften"
    folder.mkdir()
    for path in (RABO_MT940, NOT_A_STATEMENT):
        shutil.copy(path, folder / path.name)
    stranger = SAMPLES / "camt053" / "abnamro_nl_camt053_001_02_sample.xml"
    screen = drop_on(qtbot, window, folder / RABO_MT940.name, folder / NOT_A_STATEMENT.name,
                     stranger)
    cards = screen.result_cards()
    assert [c.title.text() for c in cards] == [
        f"{RABO_MT940.name}: ingelezen",
        "wachtwoord-geheim.xlsx: niet ingelezen",
        "abnamro_nl_camt053_001_02_sample.xml: niet ingelezen",
    ]
    assert "is geen bankafschrift dat dit programma kent" in cards[1].text()
    assert "Er is niets van dit bestand opgeslagen." in cards[1].text()
    assert "geen geregistreerde gemeentelijke rekening" in cards[2].text()
    assert "Traceback" not in "".join(c.text() for c in cards)
    assert cards[0].tone == "good" and cards[1].tone == "bad"
    window.grab().save(str(ARTIFACTS / "import_three_files.png"))


def test_the_same_file_again_adds_nothing(qtbot, window, demo_db):
    drop_on(qtbot, window, ING_CAMT)
    before = counts(demo_db)
    screen = drop_on(qtbot, window, ING_CAMT)
    card = screen.result_cards()[0]
    assert card.title.text().endswith("al eerder ingelezen, niets nieuws")
    assert card.findChild(type(card.title), "duplicates").text() == "9"
    assert counts(demo_db)[:2] == before[:2]


def test_a_file_dropped_on_a_text_field_is_imported_too(qtbot, window):
    search = window.page("participants").list.search
    screen = drop_on(qtbot, search, ING_CAMT)
    assert screen.result_cards()[0].title.text().endswith(": ingelezen")
    assert search.text() == ""


def test_the_history_lists_earlier_imports_with_who_and_what(qtbot, window, demo_db):
    screen = drop_on(qtbot, window, ING_CAMT)
    settle()
    history = screen.history
    assert history.rowCount() == 4  # the demo's three months and this file
    assert history.item(0, 2).text() == ING_CAMT.name
    assert history.item(0, 1).text() == demo_db.default_actor()  # the database login
    assert history.item(0, 3).text() == "camt.053.001.02"
    assert history.item(0, 4).text().startswith("9 nieuw, 0 al bekend")
    assert "saldo klopt" in history.item(0, 4).text()


class CancelAt:
    """A Progress that is cancelled by the clerk at a given step of the n-th file."""

    def __init__(self, calls_before_cancel: int):
        self.left = calls_before_cancel
        self.cancelled = False

    def __call__(self, done: int, total: int) -> None:
        if self.left == 0:
            self.cancelled = True
        self.left -= 1
        if self.cancelled:
            raise OperationCancelled()


def test_cancelling_stores_nothing_of_that_file_and_skips_the_rest(qtbot, demo_db):
    add_municipal_account(demo_db.unit_of_work("beheer"), ING_ACCOUNT, "Gemeente (ING)")
    add_municipal_account(demo_db.unit_of_work("beheer"), RABO_ACCOUNT, "Gemeente (Rabo)")
    before = counts(demo_db)
    # The ING file passes all its steps; the Rabo file is cancelled at its very last moment,
    # after everything was checked and written but before the commit.
    ing_steps = 2 + 1 + 1  # lezen, controleren en opslaan; one statement; vastleggen
    rabo_steps = 2 + 4 + 1  # the same with four statements
    run = import_files_work(demo_db, [ING_CAMT, RABO_MT940, ING_CAMT],
                            CancelAt(ing_steps + rabo_steps - 1))
    ing, rabo, skipped = run.results
    assert ing.stored and ing.outcome.new_entries == 9
    assert rabo.cancelled and not rabo.stored
    assert skipped.skipped
    after = counts(demo_db)
    assert after == (before[0] + 1, before[1] + 9, before[2] + 1)  # only the ING file

    screen = ImportScreen(demo_db)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    screen._show_run(run)
    titles = [card.title.text() for card in screen.result_cards()]
    assert titles[1:] == [f"{RABO_MT940.name}: geannuleerd", f"{ING_CAMT.name}: niet ingelezen"]
    assert "er is niets van dit bestand opgeslagen" in screen.result_cards()[1].text()
    screen.grab().save(str(ARTIFACTS / "import_cancelled.png"))


def test_a_cancel_at_the_last_moment_rolls_the_whole_file_back(demo_db):
    add_municipal_account(demo_db.unit_of_work("beheer"), ING_ACCOUNT, "Gemeente (ING)")
    before = counts(demo_db)
    seen = []

    def progress(message: str) -> None:
        seen.append(message)
        if message.endswith("vastleggen"):
            raise OperationCancelled()

    with pytest.raises(OperationCancelled):
        import_statement_file(demo_db.unit_of_work("t"), ING_CAMT, progress=progress)
    assert seen[-1] == f"{ING_CAMT.name}: vastleggen"
    assert counts(demo_db) == before


def test_a_backoffice_window_takes_drops_a_frontoffice_window_does_not(qtbot, demo_db):
    with demo_db.read() as session:
        front = current_user(session, "lvink")
    main = MainWindow(demo_db, front)
    qtbot.addWidget(main)
    main.show()
    settle()
    mime = file_mime(ING_CAMT)
    enter = QDragEnterEvent(main.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.setAccepted(False)
    main.dragEnterEvent(enter)
    assert not enter.isAccepted()
    assert main.drop_files(mime) is False
    assert "import" not in main.pages


# -- Refused files in the history -----------------------------------------------------------------


def test_a_refused_file_is_in_the_history_with_its_reason_and_nothing_stored(db, tmp_path):
    add_municipal_account(db.unit_of_work("beheer"), ING_ACCOUNT, "Gemeente (ING)")
    broken = tmp_path / "kapot.xml"
    broken.write_bytes(ING_CAMT.read_bytes()[:1500])  # cut off halfway: no valid XML
    stranger = SAMPLES / "camt053" / "abnamro_nl_camt053_001_02_sample.xml"
    with pytest.raises(StatementFileError) as unreadable:
        import_statement_file(db.unit_of_work("jan"), broken)
    with pytest.raises(StatementRefused) as wrong_account:
        import_statement_file(db.unit_of_work("piet"), stranger)
    assert counts(db) == (0, 0, 0)  # nothing of either statement
    import_statement_file(db.unit_of_work("jan"), ING_CAMT)
    with db.read() as session:
        history = import_history(session)
    assert [(h.imported_by, h.file_name, h.refused) for h in history] == [
        ("jan", ING_CAMT.name, None),
        ("piet", stranger.name, str(wrong_account.value)),
        ("jan", "kapot.xml", str(unreadable.value)),
    ]
    assert "geen geregistreerde gemeentelijke rekening" in history[1].refused
    assert history[0].imported_at >= history[1].imported_at >= history[2].imported_at
    # The refusal's audit row holds the file's name, fingerprint and reason, nothing it read.
    [row] = [r for r in audit_rows(db, "bankafschrift geweigerd") if r.actor == "piet"]
    assert set(json.loads(row.after)) == {"bestand", "sha256", "reden"}
    assert "Rekening-houder" not in row.after and "EUR" not in row.after


def test_the_history_on_the_screen_shows_a_refused_file(qtbot, window, demo_db, tmp_path):
    broken = tmp_path / "afschrift-juni.xml"
    broken.write_text("<?xml version='1.0'?><Document><BkToCstmrStmt>", encoding="utf-8")
    screen = drop_on(qtbot, window, broken)
    assert screen.result_cards()[0].title.text() == "afschrift-juni.xml: niet ingelezen"
    history = screen.history
    assert history.item(0, 2).text() == "afschrift-juni.xml"
    assert history.item(0, 1).text() == demo_db.default_actor()
    assert history.item(0, 4).text().startswith("Geweigerd: ")
    assert history.item(0, 4).text() == "Geweigerd: " + screen.result_cards()[0].result.error
    window.grab().save(str(ARTIFACTS / "import_history_refused.png"))

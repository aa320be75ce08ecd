"""The queue screen's "Geleerde zoektermen" (issue 14): beside the remembered search terms it
lists the text patterns learned from the clerks' bookings (kind, the payer's account), and
Delete forgets the one selected; a screenshot goes to tests/artifacts."""

from __future__ import annotations

import uuid
from datetime import date

from PySide6.QtCore import Qt

from app.importers.statements import Entry, ReadResult, StatementData
from app.services.bookings import accept_suggestion, remember_term
from app.services.statement_import import store_statements
from app.services.validation import format_iban
from tests import queue_data, test_ui_queue
from tests.conftest import ARTIFACTS
from tests.queue_data import transaction

# A fresh copy of the queue world per test (tests/queue_data.py).
world_db, db, world = queue_data.world_db, queue_data.db, queue_data.world
screen, settle = test_ui_queue.screen, test_ui_queue.settle  # the queue screen's fixture


def learn_a_pattern(db, world) -> int:
    """UWV names Anna by her surname only: the clerk books it, which teaches the pattern."""
    entry = Entry(date(2026, 3, 25), 1_261_10, counterparty_name="UWV",
                  counterparty_iban=queue_data.UWV, bank_reference="UWV-NAAM",
                  description="WW-uitkering maart 2026 Jansen")
    statement = StatementData(account=queue_data.OURS, period_from=date(2026, 3, 1),
                              period_through=date(2026, 3, 31), opening_balance_cents=None,
                              opening_date=None, closing_balance_cents=None, closing_date=None,
                              entries=[entry])
    store_statements(db.unit_of_work("clerk"), ReadResult("csv-ing", [statement]),
                     file_name="naam.csv", sha256=uuid.uuid4().hex * 2)
    named = queue_data.transaction_ids(db)["UWV-NAAM"]
    assert transaction(db, named).is_open
    accept_suggestion(db.unit_of_work("clerk"), named, world.anna_benefit)
    return named


def test_learned_patterns_are_listed_beside_the_terms_and_forgotten(qtbot, db, world, screen):
    learn_a_pattern(db, world)
    remember_term(db.unit_of_work("clerk"), world.anna_benefit, "2619999999")
    screen.reload()
    settle(qtbot, screen)
    screen.terms_button.click()
    dialog = screen.terms_dialog
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2 and screen.is_idle(), timeout=15_000)
    model = dialog.model
    rows = [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]
    assert [row[3:6] for row in rows] == [
        ["2619999999", "zoekterm", ""],
        ["WW UITKERING JANSEN", "tekstpatroon", format_iban(queue_data.UWV)],
    ]
    assert rows[1][1] == "Anna Jansen" and rows[1][2].startswith("uitkering — UWV")
    assert dialog.status.text() == "Geleerd: 1 zoekterm(en), 1 tekstpatroon/-patronen"
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(rows[0]))]
    assert headers[3:6] == ["Zoekterm of tekstpatroon", "Soort", "Van rekening"]
    dialog.resize(1100, 360)
    qtbot.wait(50)
    dialog.grab().save(str(ARTIFACTS / "queue_learned_patterns.png"))

    dialog.table.selectRow(1)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: model.rowCount() == 1 and screen.is_idle(), timeout=15_000)
    assert model.index(0, 4).data() == "zoekterm"
    assert dialog.status.text().startswith("Tekstpatroon 'WW UITKERING JANSEN' van HHB-")
    assert "vergeten" in dialog.status.text()
    dialog.close()

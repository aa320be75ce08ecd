"""The (for now minimal) main window on a real database, driven offscreen with pytest-qt."""

from __future__ import annotations

from datetime import date

from app.services.participants import create_participant
from app.ui.main_window import MainWindow, ParticipantTableModel
from tests.conftest import ARTIFACTS
from tests.helpers import VALID_BSNS


def test_main_window_lists_participants_and_shows_the_database(qtbot, db, backend):
    names = [("Zoë", None, "Çelik"), ("Jan", "van der", "Berg"), ("Şükrü", None, "Ağaoğlu")]
    for bsn, (first, infix, last) in zip(VALID_BSNS, names, strict=False):
        create_participant(db.unit_of_work("t"), bsn=bsn, first_name=first, infix=infix,
                           last_name=last, city="Utrecht", registered_on=date(2026, 1, 1))
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    model = window.table.model()
    assert model.rowCount() == 3
    names = [model.index(r, 1).data() for r in range(3)]
    assert names == ["Zoë Çelik", "Jan van der Berg", "Şükrü Ağaoğlu"]
    assert window.heading.text() == "Deelnemers: 3"
    assert "Schemaversie: 0002" in window.status_label.text()
    window.grab().save(str(ARTIFACTS / f"main_window_{backend}.png"))


def test_participant_model_passes_qt_model_checks(qtmodeltester):
    from app.services.queries import ParticipantListRow

    rows = [ParticipantListRow(1, "HHB-00001", "Zoë Çelik", "actief", "Utrecht", None, 6)]
    qtmodeltester.check(ParticipantTableModel(rows))

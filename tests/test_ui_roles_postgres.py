"""The program's own screens work for every role on PostgreSQL with the role's own login (the
grants of app/security.py): every page the role sees loads without a refusal, a dossier opens
(without its BSN until asked), and the sidebar follows the role the database gives."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.db import Database
from app.models import AuditEntry, Participant, Role
from app.services import employees
from app.ui import operations
from app.ui.main_window import MainWindow, visible_pages
from app.ui.widgets import PlaceholderPage
from tests import ui_support
from tests.conftest import ARTIFACTS
from tests.ui_support import settle

demo_db, demo_url = ui_support.demo_db, ui_support.demo_url
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def failures(monkeypatch):
    """Every error an operation reported to a screen (a refusal would show up here)."""
    seen: list[BaseException] = []
    original = operations._Task.run

    def run(task) -> None:
        function = task.function

        def recording(progress):
            try:
                return function(progress)
            except Exception as exc:
                seen.append(exc)
                raise

        task.function = recording
        original(task)

    monkeypatch.setattr(operations._Task, "run", run)
    return seen


@pytest.mark.parametrize("role", list(Role))
def test_every_screen_of_the_role_works_with_its_own_login(qtbot, demo_url, role, failures):
    login = f"ui_{role.value[:5]}_{uuid.uuid4().hex[:6]}"
    owner = Database.open(demo_url)
    employees.add_employee(owner.unit_of_work(), login, role, name=f"Ui {role.value}",
                           password="een-lang-wachtwoord-2026")
    owner.dispose()
    db = Database.open(make_url(demo_url).set(username=login).render_as_string(
        hide_password=False))
    try:
        window = MainWindow(db)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        settle()
        assert window.role == role
        assert window.visible == visible_pages(role)
        for key in window.visible:
            page = window.show_page(key)
            settle()
            assert not isinstance(page, PlaceholderPage) or page.objectName() != "broken", key
        with db.read() as session:
            pid = session.scalar(select(Participant.id).order_by(Participant.id))
        window.open_dossier(pid)
        settle()
        window.grab().save(str(ARTIFACTS / f"roles_{role.value}_dossier.png"))
        assert failures == []
        with db.read() as session:
            opened = session.scalars(select(AuditEntry).where(
                AuditEntry.action == "dossier geopend").order_by(AuditEntry.id.desc())).first()
            assert opened.db_user == login and opened.entity_id == str(pid)
        window.close()
        settle()
    finally:
        db.dispose()

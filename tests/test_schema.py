"""The schema comes from the migrations, on both databases, and the program guards it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from app.db import Database, current_revision, ensure_schema, head_revision, make_engine, upgrade
from app.errors import UserError
from app.models import Base, Category

DESIGN_CATEGORIES = {
    "salaris", "uitkering", "bijstand", "zorgtoeslag", "huurtoeslag", "kindgebonden budget",
    "kinderbijslag", "huur", "energie", "water", "zorgverzekering", "inboedelverzekering",
    "aansprakelijkheidsverzekering", "telefoon", "internet", "televisie", "Wmo eigen bijdrage",
    "leefgeld", "overige vaste last", "bankkosten", "onbekend",
    "eindafrekening",  # migration 0008: the payout of a positive saldo when a participant leaves
}


def test_migration_from_empty_database_matches_the_models(empty_db_url):
    engine = make_engine(empty_db_url)
    assert current_revision(engine) is None
    before, after = upgrade(engine)
    assert (before, after) == (None, head_revision())
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()


def test_categories_are_seeded_with_the_design_list(db):
    with db.read() as session:
        categories = {c.name: c for c in session.scalars(select(Category))}
    assert set(categories) == DESIGN_CATEGORIES
    assert {n for n, c in categories.items() if c.mandatory} == {
        "huur", "energie", "water", "zorgverzekering"
    }


def test_upgrade_twice_changes_nothing(db):
    assert upgrade(db.engine) == (head_revision(), head_revision())


def test_embedded_database_is_created_and_upgraded_on_open(tmp_path):
    path = tmp_path / "sub" / "folder" / "hhb.db"
    database = Database.open(f"sqlite:///{path}")
    assert path.exists()
    assert current_revision(database.engine) == head_revision()
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    database.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_shared_database_without_schema_is_refused_not_created(empty_db_url):
    # Only the administrator creates or upgrades the shared schema.
    with pytest.raises(UserError, match=r"nog geen schema.*db upgrade"):
        Database.open(empty_db_url)


def test_database_with_newer_schema_is_refused(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(UserError, match="nieuwer dan dit programma"):
        ensure_schema(engine)
    engine.dispose()


def test_signals_of_an_earlier_version_survive_migration_0005(empty_db_url):
    # Signal rows stored before 0005 become one problem each, keep their status change, and
    # the new kinds are accepted by the kind check afterwards. On SQLite 0005 rebuilds the
    # participants table: the signal (ON DELETE CASCADE) surviving shows the rebuild deleted
    # nothing that refers to a participant.
    from alembic import command

    from app.db import alembic_config

    engine = make_engine(empty_db_url)
    command.upgrade(alembic_config(engine), "0004")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO participants (number, bsn, last_name, status, variant, "
            "buffer_limit_cents, paper_overview, overview_delivery, overview_language, "
            "large_print, search_name, created_at, updated_at, version) VALUES "
            "('HHB-00001', '111222333', 'Jansen', 'actief', 'volledig', 150000, false, 'post', "
            "'nl', false, 'jansen', '2026-01-01', '2026-01-01', 1)"))
        conn.execute(text(
            "INSERT INTO signals (participant_id, kind, status, message, created_at, "
            "resolved_at, resolved_by, resolution) VALUES (1, 'saldo daalt', 'afgehandeld', "
            "'oud', '2026-02-01', '2026-02-03', 'marieke', 'gebeld')"))
    upgrade(engine)
    with engine.begin() as conn:
        row = conn.execute(text(
            "SELECT key, active, status_by, status_note, updated_at FROM signals")).one()
        assert row[0] == "signaal:1" and row[2:4] == ("marieke", "gebeld")
        assert row[4] is not None
        conn.execute(text(
            "INSERT INTO signals (participant_id, kind, key, status, active, message, "
            "created_at, updated_at) VALUES (1, 'werkgever betaalt niet via ons', 'k', 'open', "
            "true, 'nieuw', '2026-03-01', '2026-03-01')"))
    with pytest.raises(Exception, match="(?i)check|constraint"), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO signals (participant_id, kind, key, status, active, message, "
            "created_at, updated_at) VALUES (1, 'verzonnen soort', 'k2', 'open', true, 'x', "
            "'2026-03-01', '2026-03-01')"))
    engine.dispose()

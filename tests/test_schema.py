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

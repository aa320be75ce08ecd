"""Editable categories and a participant search that ignores accents.

- ``categories.active``: a category is made inactive (no longer offered), never deleted.
- ``participants.search_name``: the name parts, lower case and without accents ('Çelik' →
  'celik'), so typing 'celik' finds 'Çelik'. A plain column filled in Python: neither SQLite
  nor PostgreSQL (without an extension) can fold accents in a generated column. The program
  keeps it up to date (app.models.participant.search_name_of); existing rows are filled here.

Revision ID: 0004
Revises: 0003
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen here on purpose (like the categories of 0001): app.models.participant.search_fold.
_OWN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ß": "ss",
                              "æ": "ae", "œ": "oe", "þ": "th"})


def _fold(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.translate(_OWN_LETTERS))
                   if not unicodedata.combining(ch))


def upgrade() -> None:
    op.add_column("categories", sa.Column("active", sa.Boolean(), server_default=sa.true(),
                                          nullable=False))
    op.add_column("participants", sa.Column("search_name", sa.String(500), server_default="",
                                            nullable=False))
    participants = sa.table("participants", sa.column("id"), sa.column("first_name"),
                            sa.column("initials"), sa.column("infix"), sa.column("last_name"),
                            sa.column("search_name"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(participants.c.id, participants.c.first_name,
                                  participants.c.initials, participants.c.infix,
                                  participants.c.last_name)).all()
    updates = [{"pid": pid, "folded": _fold(" ".join(p for p in parts if p))}
               for pid, *parts in rows]
    if updates:
        bind.execute(participants.update().where(participants.c.id == sa.bindparam("pid"))
                     .values(search_name=sa.bindparam("folded")), updates)


def downgrade() -> None:
    op.execute("ALTER TABLE participants DROP COLUMN search_name")
    op.execute("ALTER TABLE categories DROP COLUMN active")

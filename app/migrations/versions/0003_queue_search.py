"""The manual matching queue: a lower-cased search text on transactions, the best
suggestion's index, and ``manual_only`` (a clerk undid an automatic link: never again).

``bank_transactions.search_text`` is a generated column: STORED on PostgreSQL (which has no
other kind before version 18), VIRTUAL on SQLite, where only a virtual column can be added
without rebuilding the table (a rebuild with foreign keys on would cascade into bookings).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here on purpose, like the categories of 0001.
SEARCH_TEXT_SQL = ("lower(coalesce(description, '') || ' ' || coalesce(structured_reference, '')"
                   " || ' ' || coalesce(end_to_end_id, ''))")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # plain ALTERs: no table rebuild
        op.execute("ALTER TABLE bank_transactions ADD COLUMN search_text TEXT "
                   f"GENERATED ALWAYS AS ({SEARCH_TEXT_SQL}) VIRTUAL")
        op.execute("ALTER TABLE bank_transactions ADD COLUMN manual_only BOOLEAN "
                   "DEFAULT 0 NOT NULL")
    else:
        op.add_column("bank_transactions", sa.Column(
            "search_text", sa.Text(), sa.Computed(SEARCH_TEXT_SQL, persisted=True),
            nullable=True))
        op.add_column("bank_transactions", sa.Column(
            "manual_only", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_match_suggestions_best", "match_suggestions",
                    ["transaction_id", "rank", "score"])


def downgrade() -> None:
    op.drop_index("ix_match_suggestions_best", table_name="match_suggestions")
    op.execute("ALTER TABLE bank_transactions DROP COLUMN search_text")
    op.execute("ALTER TABLE bank_transactions DROP COLUMN manual_only")

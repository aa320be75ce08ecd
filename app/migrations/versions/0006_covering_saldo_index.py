"""The saldo index covers the amount: bookings by participant and date, with the amount.

The saldo of everyone on a date (the caseload, the participant list) is one grouped sum over
every booking up to that date; with the amount in the index PostgreSQL answers it from the
index alone (an index-only scan reads about a third of what the table scan read: 10 million
bookings, benchmarks/caseload.py), and SQLite's range sums read no table rows either.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bookings_saldo", "bookings",
                    ["participant_id", "booking_date", "amount_cents"])
    op.drop_index("ix_bookings_participant_date", table_name="bookings")


def downgrade() -> None:
    op.create_index("ix_bookings_participant_date", "bookings",
                    ["participant_id", "booking_date"])
    op.drop_index("ix_bookings_saldo", table_name="bookings")

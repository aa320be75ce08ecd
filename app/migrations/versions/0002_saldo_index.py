"""Index for the saldo: bookings by participant and date.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bookings_participant_date", "bookings", ["participant_id", "booking_date"])


def downgrade() -> None:
    op.drop_index("ix_bookings_participant_date", table_name="bookings")

"""The letter's texts the municipality owns (issue 17).

- ``letter_texts``: per language and field of the letter's texts (``app.reports.letter_texts``)
  the text the beheerder put in place of the shipped one, with who changed it and when. No row:
  the shipped text. Written by the beheerder only (app.security.WRITES).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letter_texts',
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=63), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('language', 'key', name=op.f('pk_letter_texts'))
    )


def downgrade() -> None:
    op.drop_table('letter_texts')

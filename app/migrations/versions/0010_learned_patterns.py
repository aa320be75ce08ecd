"""Learned text patterns (issue 14): what a clerk's manual booking teaches the matcher.

- ``agreement_learned_patterns``: per agreement, a payer IBAN and a text pattern (the words of
  the payment text without numbers, dates and month names: 'SALARIS J DE VRIES') that a clerk
  booked to it, with the text it was learned from, the transaction, who and when. Forgotten by
  a clerk (or by undoing the booking); removed with its agreement.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agreement_learned_patterns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('payer_iban', sa.String(length=34), nullable=False),
    sa.Column('pattern', sa.String(length=140), nullable=False),
    sa.Column('example', sa.Text(), nullable=True),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=63), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                            name=op.f('fk_agreement_learned_patterns_agreement_id_agreements'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(
        ['transaction_id'], ['bank_transactions.id'],
        name=op.f('fk_agreement_learned_patterns_transaction_id_bank_transactions'),
        ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_learned_patterns')),
    sa.UniqueConstraint('agreement_id', 'payer_iban', 'pattern',
                        name=op.f('uq_agreement_learned_patterns_agreement_id'))
    )
    op.create_index(op.f('ix_agreement_learned_patterns_transaction_id'),
                    'agreement_learned_patterns', ['transaction_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_agreement_learned_patterns_transaction_id'),
                  table_name='agreement_learned_patterns')
    op.drop_table('agreement_learned_patterns')

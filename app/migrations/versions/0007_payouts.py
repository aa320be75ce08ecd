"""Payouts: planned per agreement and period, held or approved, written into batches.

- ``agreements.payment_method``: overschrijving (we pay it) | incasso (the creditor collects
  it) | NULL (unknown: never paid by us, the review says so).
- signals: a new kind, *betaling teruggekomen* (the bank returned one of our payments).
- ``payouts`` and ``payout_batches`` are made again: no version of the program wrote them
  (they were the schema's placeholder), so nothing is lost. A payout now exists before its
  batch (``batch_id`` NULL while planned), has a kind, a status, the period it pays
  (``period_key``, unique: never planned twice), the warnings of the review, a hold and an
  approval, and its end-to-end id once it is in a file. A batch keeps the file it wrote and its
  sha256.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

KINDS = ('betaling ontbreekt', 'afwijkend bedrag', 'dubbele betaling', 'saldo negatief',
         'tekort', 'buffer overschreden', 'saldo-verwachting', 'voortgangsgesprek',
         'werkgever betaalt niet via ons', 'betaling teruggekomen', 'saldo daalt', 'overig')

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values) + 8)


def _create_batches() -> None:
    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('debtor_account_id', sa.Integer(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_through', sa.Date(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('status', _enum('payout_batch_status', 'aangemaakt', 'verwerkt', 'geannuleerd'),
              nullable=False),
    sa.Column('file_name', sa.String(length=260), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=63), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_by', sa.String(length=63), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['debtor_account_id'], ['bank_accounts.id'], name=op.f('fk_payout_batches_debtor_account_id_bank_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('message_id', name=op.f('uq_payout_batches_message_id'))
    )


def _create_payouts() -> None:
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('payout_kind', 'leefgeld', 'vaste last', 'eenmalig', 'eindafrekening'),
              nullable=False),
    sa.Column('status', _enum('payout_status', 'gepland', 'aangehouden', 'in bestand',
                              'uitgevoerd', 'teruggekomen', 'geschrapt'), nullable=False),
    sa.Column('period_key', sa.String(length=60), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('execution_date', sa.Date(), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('creditor_iban', sa.String(length=34), nullable=True),
    sa.Column('creditor_name', sa.String(length=140), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('remittance', sa.Text(), nullable=True),
    sa.Column('warnings', sa.Text(), nullable=True),
    sa.Column('hold_reason', sa.Text(), nullable=True),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('approved_by', sa.String(length=63), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=63), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_payouts_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payouts_batch_id_payout_batches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_payouts_category_id_categories')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_payouts_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('end_to_end_id', name=op.f('uq_payouts_end_to_end_id')),
    sa.UniqueConstraint('period_key', name=op.f('uq_payouts_period_key'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_status'), ['status'], unique=False)


def upgrade() -> None:
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_signals_signal_kind'), type_='check')
        batch_op.create_check_constraint(
            'signal_kind', "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")")
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_method', _enum('payment_method', 'overschrijving', 'incasso'), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # SQLite keeps the reference by name and finds the new table
        op.drop_constraint('fk_bookings_payout_id_payouts', 'bookings', type_='foreignkey')
    op.drop_table('payouts')
    op.drop_table('payout_batches')
    _create_batches()
    _create_payouts()
    if postgres:
        op.create_foreign_key('fk_bookings_payout_id_payouts', 'bookings', 'payouts',
                              ['payout_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    raise NotImplementedError("0007 cannot be undone: restore the backup made before upgrading")

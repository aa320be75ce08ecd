"""Repayment plans: buffer use withheld from the leefgeld (variant alleen inkomsten), and what a
participant who leaves with a negative saldo owes (eindafrekening).

- ``repayment_plans``: one row per agreed plan (kind, instalment, what was owed at the end, the
  day of the month, start and end, who made it).
- ``payouts.withheld_cents`` / ``payouts.repayment_plan_id``: the instalment kept back from a
  leefgeld payment, and under which plan.
- ``payout_batches.seen_at``: when a payment of the file was first seen executed (the batch can
  no longer be cancelled, even once that payment moved on to a later batch after a return).
- the category *eindafrekening* (the payout of a positive saldo to a participant who leaves),
  inactive: only the settlement uses it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('repayment_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('buffer', 'eindafrekening', name='repayment_kind',
                              native_enum=False, create_constraint=True, length=22),
              nullable=False),
    sa.Column('instalment_cents', sa.BigInteger(), nullable=False),
    sa.Column('owed_cents', sa.BigInteger(), nullable=True),
    sa.Column('day', sa.SmallInteger(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=63), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_by', sa.String(length=63), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('instalment_cents > 0',
                       name=op.f('ck_repayment_plans_instalment_positive')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                            name=op.f('fk_repayment_plans_participant_id_participants'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repayment_plans'))
    )
    with op.batch_alter_table('repayment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repayment_plans_participant_id'),
                              ['participant_id'], unique=False)
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withheld_cents', sa.BigInteger(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('repayment_plan_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payouts_repayment_plan_id'),
                              ['repayment_plan_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payouts_repayment_plan_id_repayment_plans'),
                                    'repayment_plans', ['repayment_plan_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))
    # The category of the last payout to a participant who leaves with a positive saldo.
    categories = sa.table('categories', sa.column('name', sa.String), sa.column('kind', sa.String),
                          sa.column('mandatory', sa.Boolean), sa.column('active', sa.Boolean))
    # Inactive: only the settlement service uses it; it is never offered for a booking by hand
    # or an agreement (nor as a rubriek for money of non-participants).
    op.bulk_insert(categories, [{"name": "eindafrekening", "kind": "overig", "mandatory": False,
                                 "active": False}])
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.alter_column('withheld_cents', existing_type=sa.BigInteger(),
                              server_default=None, existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_column('seen_at')
    op.execute("DELETE FROM categories WHERE name = 'eindafrekening'")
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payouts_repayment_plan_id_repayment_plans'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payouts_repayment_plan_id'))
        batch_op.drop_column('repayment_plan_id')
        batch_op.drop_column('withheld_cents')
    with op.batch_alter_table('repayment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repayment_plans_participant_id'))
    op.drop_table('repayment_plans')

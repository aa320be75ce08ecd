"""Signals that update themselves, per-agreement signal thresholds, and Voortgang.

- ``signals``: ``key`` names the problem (one row per problem per participant, unique),
  ``active`` says whether it is still there, ``found_cents`` what was found, ``updated_at``;
  the status change by a person or the program is ``status_at/by/note`` (was resolved_*).
  New kinds: saldo negatief, tekort, saldo-verwachting, werkgever betaalt niet via ons.
- ``agreements.signal_margin_days`` / ``signal_tolerance_percent``: None = the default.
- ``participants.intake_self_reliance`` / ``intake_debt_situation``: the nulmeting.
- ``referrals``: warme overdracht to other help, with date and outcome.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KINDS = ('betaling ontbreekt', 'afwijkend bedrag', 'dubbele betaling', 'saldo negatief',
         'tekort', 'buffer overschreden', 'saldo-verwachting', 'voortgangsgesprek',
         'werkgever betaalt niet via ons', 'saldo daalt', 'overig')
OLD_KINDS = ('betaling ontbreekt', 'afwijkend bedrag', 'dubbele betaling', 'saldo daalt',
             'buffer overschreden', 'voortgangsgesprek', 'overig')


def _kind_check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('schuldhulp', 'wijkteam', 'bewindvoering', 'kredietbank', 'overig', name='referral_kind', native_enum=False, create_constraint=True, length=21), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.Enum('loopt', 'hulp gestart', 'afgerond', 'afgewezen', 'niet gekomen', name='referral_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('outcome_date', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=63), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_referrals_participant_id_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_participant_id'), ['participant_id'], unique=False)

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signal_margin_days', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('signal_tolerance_percent', sa.Numeric(precision=5, scale=2), nullable=True))

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_self_reliance', sa.Enum('zelfredzaam', 'matig zelfredzaam', 'niet zelfredzaam', name='intake_self_reliance', native_enum=False, create_constraint=True, length=25), nullable=True))
        batch_op.add_column(sa.Column('intake_debt_situation', sa.Enum('geen', 'achterstanden', 'kleine schulden', 'problematische schulden', name='intake_debt_situation', native_enum=False, create_constraint=True, length=31), nullable=True))

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('found_cents', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_by', sa.String(length=63), nullable=True))
        batch_op.add_column(sa.Column('status_note', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_signals_signal_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.VARCHAR(length=27),
                              type_=sa.String(length=38), existing_nullable=False)
        batch_op.create_check_constraint('signal_kind', _kind_check(KINDS))
    # Rows of earlier versions: each its own problem, as they were.
    op.execute("UPDATE signals SET key = 'signaal:' || CAST(id AS VARCHAR(20)), "
               "updated_at = created_at, status_at = resolved_at, status_by = resolved_by, "
               "status_note = resolution")
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=120), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)
        batch_op.alter_column('active', existing_type=sa.Boolean(), server_default=None,
                              existing_nullable=False)
        batch_op.create_index('ix_signals_status_kind', ['status', 'kind'], unique=False)
        batch_op.create_unique_constraint('uq_signals_participant_problem',
                                          ['participant_id', 'key'])
        batch_op.drop_column('resolution')
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('resolved_at')



def downgrade() -> None:
    op.execute("DELETE FROM signals WHERE kind NOT IN ("
               + ", ".join(f"'{k}'" for k in OLD_KINDS) + ")")
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=63), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_signals_participant_problem', type_='unique')
        batch_op.drop_index('ix_signals_status_kind')
        batch_op.drop_constraint(op.f('ck_signals_signal_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=38),
                              type_=sa.VARCHAR(length=27), existing_nullable=False)
        batch_op.create_check_constraint('signal_kind', _kind_check(OLD_KINDS))
        for column in ('status_note', 'status_by', 'status_at', 'updated_at', 'found_cents',
                       'active', 'key'):
            batch_op.drop_column(column)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('intake_debt_situation')
        batch_op.drop_column('intake_self_reliance')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('signal_tolerance_percent')
        batch_op.drop_column('signal_margin_days')
    op.drop_table('referrals')

"""Roles that PostgreSQL enforces and an audit trail nobody rewrites quietly (issue 15).

- ``audit_log``: the database login (``db_user``), the role, the workstation (``host``) and the
  result (gedaan/geweigerd) of every row. Rows written before this version keep NULL there and
  hash as before.
- ``participants.bsn_tail``: the last three digits of the BSN, computed by the database. The
  masked BSN on screens and the search by "the last digits" read it; the BSN itself is readable
  only through the logged functions below (PostgreSQL).

The PostgreSQL objects that are not tables (group roles, GRANTs, the audit triggers, the
SECURITY DEFINER functions of the BSN and of the logins) are created and kept by
``app.security.apply`` after every ``db upgrade``, so a later table gets its GRANTs too.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('db_user', sa.String(length=63), nullable=True))
        batch.add_column(sa.Column('role', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('result', sa.String(length=10), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # A virtual generated column can be added without rebuilding the table.
        op.execute("ALTER TABLE participants ADD COLUMN bsn_tail VARCHAR(3) "
                   "GENERATED ALWAYS AS (substr(bsn, 7, 3)) VIRTUAL")
    else:
        op.execute("ALTER TABLE participants ADD COLUMN bsn_tail VARCHAR(3) "
                   "GENERATED ALWAYS AS (substr(bsn, 7, 3)) STORED")
    op.create_index('ix_participants_bsn_tail', 'participants', ['bsn_tail'])


def downgrade() -> None:
    raise NotImplementedError("the audit trail is not rolled back")

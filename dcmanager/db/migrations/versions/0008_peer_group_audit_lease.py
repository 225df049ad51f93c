"""The lease of a peer group's audit: one audit of a group at a time, whichever manager of the
site runs it (the periodic audit, a peer that answers again, the leader's PATCH .../audit).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 20:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subcloud_peer_group') as batch:
        batch.add_column(sa.Column('audit_owner', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('audit_lease_until', sa.DateTime, nullable=True))

"""The manager that runs a peer group's migration (``migration_owner``): its recovery when that
manager stops while the group is ``migrating``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subcloud_peer_group') as batch:
        batch.add_column(sa.Column('migration_owner', sa.String(length=255), nullable=True))

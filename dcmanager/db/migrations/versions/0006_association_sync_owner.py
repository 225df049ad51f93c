"""The owner of a peer group association's sync: the manager that runs it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('peer_group_association') as batch:
        batch.add_column(sa.Column('sync_owner', sa.String(length=255), nullable=True))
        batch.create_index('ix_peer_group_association_sync_owner', ['sync_owner'])

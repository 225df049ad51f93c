"""Copies left on a peer site by a forced delete of a primary association, to clean up there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'peer_cleanup',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('system_peer_id', sa.Integer,
                  sa.ForeignKey('system_peer.id', ondelete='CASCADE'), nullable=False),
        sa.Column('peer_group_uuid', sa.String(36), nullable=False),
        sa.Column('peer_group_name', sa.String(255), nullable=False),
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.UniqueConstraint('system_peer_id', 'peer_group_uuid',
                            name='uq_peer_cleanup_peer_group'),
        mysql_charset='utf8mb4',
        mysql_engine='InnoDB',
    )

"""Watching the peer sites: each system peer's heartbeat state and its watcher's lease, the
site's own alarms, and the copies a forced delete left on a peer site.

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
    with op.batch_alter_table('system_peer') as batch:
        batch.add_column(sa.Column('heartbeat_failures', sa.Integer, nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('next_heartbeat_at', sa.DateTime, nullable=True))
        batch.add_column(sa.Column('monitor_owner', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('monitor_lease_until', sa.DateTime, nullable=True))
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
    op.create_table(
        'site_alarms',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('alarm_id', sa.String(16), nullable=False),
        sa.Column('entity', sa.String(255), nullable=False),
        sa.Column('severity', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text, nullable=False),
        sa.Column('repair', sa.Text, nullable=False),
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.UniqueConstraint('alarm_id', 'entity', name='uq_site_alarms_alarm_entity'),
        mysql_charset='utf8mb4',
        mysql_engine='InnoDB',
    )

"""Initial schema: the v1.0 tables and the Default subcloud group.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 07:43:33.154911
"""

import datetime

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subcloud_group',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('update_apply_type', sa.String(length=255), nullable=False),
    sa.Column('max_parallel_subclouds', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('max_parallel_subclouds >= 1 AND max_parallel_subclouds <= 5000', name='ck_subcloud_group_max_parallel'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    op.create_table('subcloud_peer_group',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('peer_group_uuid', sa.String(length=36), nullable=False),
    sa.Column('peer_group_name', sa.String(length=255), nullable=False),
    sa.Column('group_priority', sa.Integer(), nullable=False),
    sa.Column('group_state', sa.String(length=255), nullable=False),
    sa.Column('max_subcloud_rehoming', sa.Integer(), nullable=False),
    sa.Column('system_leader_id', sa.String(length=255), nullable=True),
    sa.Column('system_leader_name', sa.String(length=255), nullable=True),
    sa.Column('leader_term', sa.Integer(), nullable=False),
    sa.Column('migration_status', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('peer_group_name'),
    sa.UniqueConstraint('peer_group_uuid'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    op.create_table('system_peer',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('peer_uuid', sa.String(length=36), nullable=False),
    sa.Column('peer_name', sa.String(length=255), nullable=False),
    sa.Column('manager_endpoint', sa.String(length=255), nullable=False),
    sa.Column('manager_username', sa.String(length=255), nullable=False),
    sa.Column('manager_password', sa.Text(), nullable=True),
    sa.Column('peer_controller_gateway_ip', sa.String(length=255), nullable=True),
    sa.Column('administrative_state', sa.String(length=255), nullable=False),
    sa.Column('heartbeat_interval', sa.Integer(), nullable=False),
    sa.Column('heartbeat_failure_threshold', sa.Integer(), nullable=False),
    sa.Column('heartbeat_failure_policy', sa.String(length=255), nullable=False),
    sa.Column('heartbeat_maintenance_timeout', sa.Integer(), nullable=False),
    sa.Column('availability_state', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('peer_name'),
    sa.UniqueConstraint('peer_uuid'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    op.create_table('peer_group_association',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('peer_group_id', sa.Integer(), nullable=False),
    sa.Column('system_peer_id', sa.Integer(), nullable=False),
    sa.Column('peer_group_priority', sa.Integer(), nullable=False),
    sa.Column('association_type', sa.String(length=255), nullable=False),
    sa.Column('sync_status', sa.String(length=255), nullable=False),
    sa.Column('sync_message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['peer_group_id'], ['subcloud_peer_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_peer_id'], ['system_peer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('peer_group_id', 'system_peer_id', name='uq_peer_group_association_pair'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    op.create_table('subclouds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('software_version', sa.String(length=255), nullable=True),
    sa.Column('management_state', sa.String(length=255), nullable=False),
    sa.Column('availability_status', sa.String(length=255), nullable=False),
    sa.Column('deploy_status', sa.String(length=255), nullable=False),
    sa.Column('backup_status', sa.String(length=255), nullable=True),
    sa.Column('backup_datetime', sa.DateTime(), nullable=True),
    sa.Column('error_description', sa.String(length=2048), nullable=False),
    sa.Column('region_name', sa.String(length=255), nullable=True),
    sa.Column('data_install', sa.Text(), nullable=True),
    sa.Column('data_upgrade', sa.Text(), nullable=True),
    sa.Column('management_subnet', sa.String(length=255), nullable=True),
    sa.Column('management_gateway_ip', sa.String(length=255), nullable=True),
    sa.Column('management_start_ip', sa.String(length=255), nullable=True),
    sa.Column('management_end_ip', sa.String(length=255), nullable=True),
    sa.Column('systemcontroller_gateway_ip', sa.String(length=255), nullable=True),
    sa.Column('external_oam_subnet_ip_family', sa.String(length=255), nullable=True),
    sa.Column('openstack_installed', sa.Boolean(), nullable=False),
    sa.Column('audit_fail_count', sa.Integer(), nullable=False),
    sa.Column('first_identity_sync_complete', sa.Boolean(), nullable=False),
    sa.Column('group_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('peer_group_id', sa.Integer(), nullable=True),
    sa.Column('rehome_data', sa.Text(), nullable=True),
    sa.Column('prestage_status', sa.String(length=255), nullable=True),
    sa.Column('prestage_versions', sa.String(length=255), nullable=True),
    sa.Column('rehomed', sa.Boolean(), nullable=False),
    sa.Column('enrolled_with_vcsr', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['subcloud_group.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['peer_group_id'], ['subcloud_peer_group.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('management_end_ip'),
    sa.UniqueConstraint('management_start_ip'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('region_name'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('subclouds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subclouds_availability_status'), ['availability_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_subclouds_deploy_status'), ['deploy_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_subclouds_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subclouds_peer_group_id'), ['peer_group_id'], unique=False)

    op.create_table('subcloud_alarms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('subcloud_id', sa.Integer(), nullable=False),
    sa.Column('critical_alarms', sa.Integer(), nullable=False),
    sa.Column('major_alarms', sa.Integer(), nullable=False),
    sa.Column('minor_alarms', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('cloud_status', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subcloud_id'], ['subclouds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subcloud_id'),
    sa.UniqueConstraint('uuid'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    op.create_table('subcloud_status',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subcloud_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_type', sa.String(length=255), nullable=False),
    sa.Column('sync_status', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subcloud_id'], ['subclouds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subcloud_id', 'endpoint_type', name='uq_subcloud_status_subcloud_endpoint'),
    mysql_charset='utf8mb4',
    mysql_engine='InnoDB'
    )
    # The Default subcloud group always exists with id 1 (subclouds.group_id defaults to it).
    group = sa.table('subcloud_group', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('description', sa.String), sa.column('update_apply_type', sa.String),
                     sa.column('max_parallel_subclouds', sa.Integer),
                     sa.column('created_at', sa.DateTime))
    op.bulk_insert(group, [{'id': 1, 'name': 'Default', 'description': 'Default Subcloud Group',
                            'update_apply_type': 'parallel', 'max_parallel_subclouds': 2,
                            'created_at': datetime.datetime.utcnow()}])
    if op.get_bind().dialect.name == 'postgresql':
        # An explicit id does not advance PostgreSQL's sequence: move it past the seeded row.
        op.execute("SELECT setval(pg_get_serial_sequence('subcloud_group', 'id'), 1)")

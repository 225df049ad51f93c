"""The services table (manager heartbeats) and the owner of a subcloud's transitory deploy status.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'services',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('binary', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('host', 'binary', name='uq_services_host_binary'),
        mysql_charset='utf8mb4',
        mysql_engine='InnoDB',
    )
    # Subclouds already in a transitory status keep a NULL owner: "unknown", recovered by the
    # next manager that starts (what every manager start did before this revision).
    with op.batch_alter_table('subclouds') as batch:
        batch.add_column(sa.Column('deploy_owner', sa.String(length=255), nullable=True))
        batch.create_index('ix_subclouds_deploy_owner', ['deploy_owner'])

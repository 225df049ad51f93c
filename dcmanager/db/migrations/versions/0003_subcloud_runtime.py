"""Subcloud columns for enrollment, secrets at rest, the aggregate sync status and the audit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 08:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subclouds') as batch:
        batch.add_column(sa.Column('bootstrap_address', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('secrets', sa.Text(), nullable=True))
        batch.add_column(sa.Column('sync_status', sa.String(length=255), nullable=False,
                                   server_default='unknown'))
        batch.add_column(sa.Column('last_audit_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('audit_owner', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('audit_lease_until', sa.DateTime(), nullable=True))
        batch.create_index('ix_subclouds_last_audit_at', ['last_audit_at'])

"""The local system: this site's own UUID and name (one row).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'local_system',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('system_uuid', sa.String(length=36), nullable=False),
        sa.Column('system_name', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.CheckConstraint('id = 1', name='ck_local_system_one_row'),
        mysql_charset='utf8mb4',
        mysql_engine='InnoDB',
    )

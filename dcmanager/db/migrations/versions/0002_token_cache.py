"""The token_cache table (shared, encrypted token cache of the identity layer).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'token_cache',
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('token_ciphertext', sa.Text(), nullable=True),
        sa.Column('token_digest', sa.String(length=64), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key_hash'),
        mysql_charset='utf8mb4',
        mysql_engine='InnoDB',
    )
    op.create_index('ix_token_cache_expires_at', 'token_cache', ['expires_at'])

"""stored responses know their token, repository and owner; quiet sync runs fold into one row; run notes

Revision ID: 0005_http_cache_tags
Revises: 0004_content
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_http_cache_tags'
down_revision = '0004_content'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('http_cache', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('repository_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('owner_login', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_http_cache_repository_id', ['repository_id'], unique=False)
        batch_op.create_index('ix_http_cache_fingerprint', ['fingerprint'], unique=False)
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runs', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('notes')
        batch_op.drop_column('runs')
    with op.batch_alter_table('http_cache', schema=None) as batch_op:
        batch_op.drop_index('ix_http_cache_fingerprint')
        batch_op.drop_index('ix_http_cache_repository_id')
        batch_op.drop_column('owner_login')
        batch_op.drop_column('repository_id')
        batch_op.drop_column('fingerprint')

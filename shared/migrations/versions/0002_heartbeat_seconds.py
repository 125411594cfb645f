"""worker heartbeats record their interval

Revision ID: 0002_heartbeat_seconds
Revises: 0001_initial
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_heartbeat_seconds'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_seconds', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('worker_heartbeats', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_seconds')

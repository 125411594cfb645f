"""webhook deliveries and the refresh requests they record

Revision ID: 0003_webhooks
Revises: 0002_heartbeat_seconds
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0003_webhooks'
down_revision = '0002_heartbeat_seconds'
# Timestamps keep microseconds on MariaDB too: a burst of deliveries is told apart within a second.
PRECISE = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('refresh_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_login', sa.String(length=100), nullable=False),
    sa.Column('repository_name', sa.String(length=100), nullable=True),
    sa.Column('full_name', sa.String(length=201), nullable=True),
    sa.Column('repository_id', sa.BigInteger(), nullable=True),
    sa.Column('event', sa.String(length=50), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=True),
    sa.Column('delivery_id', sa.String(length=100), nullable=False),
    sa.Column('received_at', PRECISE, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', PRECISE, nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('finished_at', PRECISE, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_requests')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('refresh_requests', schema=None) as batch_op:
        batch_op.create_index('ix_refresh_requests_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_refresh_requests_finished_at', ['finished_at'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=50), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=True),
    sa.Column('received_at', PRECISE, nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_webhook_deliveries_delivery_id')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_bin',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_received_at', ['received_at'], unique=False)


def downgrade() -> None:

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_received_at')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('refresh_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_refresh_requests_finished_at')
        batch_op.drop_index('ix_refresh_requests_status_next_attempt_at')

    op.drop_table('refresh_requests')

"""portfolio content: owners, pins, READMEs, releases, social images, language colours

Revision ID: 0004_content
Revises: 0003_webhooks
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0004_content'
down_revision = '0003_webhooks'
branch_labels = None
depends_on = None

MYSQL = dict(mysql_charset='utf8mb4', mysql_collate='utf8mb4_bin', mysql_engine='InnoDB')


def upgrade() -> None:
    op.create_table('owners',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('avatar_url', sa.String(length=500), nullable=False),
    sa.Column('html_url', sa.String(length=500), nullable=False),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('blog', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('company', sa.String(length=255), nullable=True),
    sa.Column('twitter_username', sa.String(length=100), nullable=True),
    sa.Column('public_repos', sa.Integer(), nullable=False),
    sa.Column('followers', sa.Integer(), nullable=False),
    sa.Column('following', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pins_known', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners')),
    sa.UniqueConstraint('login', name=op.f('uq_owners_login')),
    **MYSQL
    )
    op.create_table('pins',
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('repository_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_pins_owner_id_owners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_id', 'position', name=op.f('pk_pins')),
    sa.UniqueConstraint('owner_id', 'repository_id', name=op.f('uq_pins_owner_id')),
    **MYSQL
    )
    op.create_index('ix_pins_repository_id', 'pins', ['repository_id'], unique=False)
    op.create_table('readmes',
    sa.Column('repository_id', sa.BigInteger(), nullable=False),
    sa.Column('html', sa.Text().with_variant(mysql.LONGTEXT(), 'mariadb').with_variant(mysql.LONGTEXT(), 'mysql'), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('etag', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['repository_id'], ['repositories.id'], name=op.f('fk_readmes_repository_id_repositories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('repository_id', name=op.f('pk_readmes')),
    **MYSQL
    )
    op.create_table('releases',
    sa.Column('repository_id', sa.BigInteger(), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['repository_id'], ['repositories.id'], name=op.f('fk_releases_repository_id_repositories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('repository_id', name=op.f('pk_releases')),
    **MYSQL
    )
    with op.batch_alter_table('languages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('color', sa.String(length=7), nullable=True))
    with op.batch_alter_table('repositories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('social_image_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('social_image_custom', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('repositories', schema=None) as batch_op:
        batch_op.drop_column('social_image_custom')
        batch_op.drop_column('social_image_url')
    with op.batch_alter_table('languages', schema=None) as batch_op:
        batch_op.drop_column('color')
    op.drop_table('releases')
    op.drop_table('readmes')
    op.drop_index('ix_pins_repository_id', table_name='pins')
    op.drop_table('pins')
    op.drop_table('owners')

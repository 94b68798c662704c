"""scribe devices and invited users

A device may belong to an official (scribe mode: pinning for a resident without a
smartphone); a user invited by an administrator has no password until they choose one.

Revision ID: 3f6009999946
Revises: d499ee70a3ad
Create Date: 2026-11-26 00:04:47.026208

"""
from alembic import op
import sqlalchemy as sa
import walkapp.models.base


# revision identifiers, used by Alembic.
revision = '3f6009999946'
down_revision = 'd499ee70a3ad'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_device_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_device_user_id_user'), 'user', ['user_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_set_at', walkapp.models.base.UTCDateTime(timezone=True), nullable=True))
    # Everyone who exists already chose a password when their account was made.
    user = sa.table('user', sa.column('created_at', sa.DateTime), sa.column('password_set_at', sa.DateTime))
    op.execute(user.update().values(password_set_at=user.c.created_at))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('password_set_at')

    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_device_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_device_user_id'))
        batch_op.drop_column('user_id')


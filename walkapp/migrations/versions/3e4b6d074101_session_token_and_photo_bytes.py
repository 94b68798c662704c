"""session token and photo bytes

Issue 7: `user.session_token` is what session and remember cookies carry (rotated on sign-out,
password change and deactivation); `photo_data` holds photo bytes when PHOTO_STORAGE is
`database` (bytea on PostgreSQL).

Revision ID: 3e4b6d074101
Revises: b7c1e2a9f4d0
Create Date: 2026-11-25 23:54:05.835472

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e4b6d074101'
down_revision = 'b7c1e2a9f4d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('photo_data',
    sa.Column('photo_id', sa.Uuid(), nullable=False),
    sa.Column('full', sa.LargeBinary(), nullable=False),
    sa.Column('thumb', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_photo_data_photo_id_photo'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id', name=op.f('pk_photo_data'))
    )
    # Existing accounts get a token of their own before the column becomes NOT NULL (this
    # signs everyone out once, which is what a security fix should do).
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(user.c.id)).all():
        conn.execute(user.update().where(user.c.id == user_id)
                     .values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_user_session_token'), ['session_token'])


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_session_token'), type_='unique')
        batch_op.drop_column('session_token')

    op.drop_table('photo_data')

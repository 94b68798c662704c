"""open311: api keys, what a posted request carried, an index for its date queries

Departments' systems get keys (stored hashed, revocable); a request posted through Open311
keeps its address, address id and media URL beside its comment; GET requests reads inputs
by municipality and requested time, newest first.

Revision ID: e3f449975dad
Revises: 3f6009999946
Create Date: 2026-11-26 00:12:03.086189

"""
from alembic import op
import sqlalchemy as sa
import walkapp.models.base


# revision identifiers, used by Alembic.
revision = 'e3f449975dad'
down_revision = '3f6009999946'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', walkapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', walkapp.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', walkapp.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_key_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_api_key_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_api_key_revoked_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_department_id'), ['department_id'], unique=False)

    op.create_table('open311_request',
    sa.Column('comment_id', sa.Uuid(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('address_string', sa.Text(), nullable=True),
    sa.Column('address_id', sa.String(length=200), nullable=True),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_open311_request_api_key_id_api_key'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_open311_request_comment_id_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_open311_request'))
    )
    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_request_api_key_id'), ['api_key_id'], unique=False)

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_municipality_created', ['municipality_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_municipality_created')

    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_request_api_key_id'))

    op.drop_table('open311_request')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_department_id'))

    op.drop_table('api_key')

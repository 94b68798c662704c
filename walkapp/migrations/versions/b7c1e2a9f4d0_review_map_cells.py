"""review map: every comment's Web Mercator cell, indexed for server-side clustering

Comments get cell_x/cell_y (the tile at walkapp.geo.CELL_ZOOM); existing rows are filled
from lon/lat here, in batches, before the columns become required. One index covers what the
map groups by (cells, kind, status, category, department); another lists newest first.

Revision ID: b7c1e2a9f4d0
Revises: 61d5c8a28635
Create Date: 2026-11-26 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

from walkapp.geo import lonlat_to_cell


# revision identifiers, used by Alembic.
revision = 'b7c1e2a9f4d0'
down_revision = '61d5c8a28635'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cell_x', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cell_y', sa.Integer(), nullable=True))

    conn = op.get_bind()
    comment = sa.table('comment', sa.column('id', sa.Uuid()), sa.column('lon', sa.Float()),
                       sa.column('lat', sa.Float()), sa.column('cell_x', sa.Integer()),
                       sa.column('cell_y', sa.Integer()))
    while True:
        rows = conn.execute(sa.select(comment.c.id, comment.c.lon, comment.c.lat)
                            .where(comment.c.cell_x.is_(None)).limit(BATCH)).all()
        if not rows:
            break
        params = [{"b_id": r.id, "b_x": x, "b_y": y}
                  for r in rows for x, y in [lonlat_to_cell(r.lon, r.lat)]]
        conn.execute(comment.update().where(comment.c.id == sa.bindparam("b_id"))
                     .values(cell_x=sa.bindparam("b_x"), cell_y=sa.bindparam("b_y")), params)

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.alter_column('cell_x', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('cell_y', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_comment_cells',
                              ['municipality_id', 'cell_x', 'cell_y', 'kind', 'status',
                               'category_id', 'department_id'], unique=False)
        # Open311's (municipality_id, created_at) index, widened with the cells so the
        # review map's list reads no row outside the view; Open311 still uses its prefix.
        batch_op.drop_index('ix_comment_municipality_created')
        batch_op.create_index('ix_comment_municipality_created',
                              ['municipality_id', 'created_at', 'cell_x', 'cell_y'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_municipality_created')
        batch_op.create_index('ix_comment_municipality_created',
                              ['municipality_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_comment_cells')
        batch_op.drop_column('cell_y')
        batch_op.drop_column('cell_x')

"""municipality history: numbers with their periods, changes, current flag

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, never a rebuild of the table: on SQLite (foreign keys on) rounds,
    # users, answers and peer groups point at the register, so dropping the old table of a
    # rebuild fails. Alembic rebuilds for a default given as an expression (sa.true()); the
    # literal '1' is true on SQLite and PostgreSQL alike.
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('current', sa.Boolean(), server_default='1', nullable=False)
        )

    op.create_table('municipality_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint('valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from', name=op.f('ck_municipality_period_ends_after_start')),
    sa.ForeignKeyConstraint(['code'], ['municipality.code'], name=op.f('fk_municipality_period_code_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_period')),
    sa.UniqueConstraint('code', 'valid_from', name=op.f('uq_municipality_period_code_valid_from'))
    )
    with op.batch_alter_table('municipality_period', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_period_code'), ['code'], unique=False)

    op.create_table('municipality_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_code', sa.String(length=4), nullable=False),
    sa.Column('from_name', sa.String(length=120), nullable=False),
    sa.Column('to_code', sa.String(length=4), nullable=False),
    sa.Column('to_name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.CheckConstraint("kind IN ('renumbered', 'name', 'merged', 'split', 'border')", name=op.f('ck_municipality_change_kind_known')),
    sa.ForeignKeyConstraint(['from_code'], ['municipality.code'], name=op.f('fk_municipality_change_from_code_municipality')),
    sa.ForeignKeyConstraint(['to_code'], ['municipality.code'], name=op.f('fk_municipality_change_to_code_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality_change')),
    sa.UniqueConstraint('from_code', 'to_code', 'valid_from', name=op.f('uq_municipality_change_from_code_to_code_valid_from'))
    )
    with op.batch_alter_table('municipality_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_municipality_change_from_code'), ['from_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_municipality_change_to_code'), ['to_code'], unique=False)


def downgrade():
    with op.batch_alter_table('municipality_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_change_to_code'))
        batch_op.drop_index(batch_op.f('ix_municipality_change_from_code'))
    op.drop_table('municipality_change')
    with op.batch_alter_table('municipality_period', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_municipality_period_code'))
    op.drop_table('municipality_period')
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), for the same reason: no rebuild.
    op.drop_column('municipality', 'current')

"""service-test units below a municipality (Oslo's city districts) and their contacts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_UNIQUE = 'uq_test_assignment_test_round_id_municipality_code_scenario_code_channel_tester_slot'
OLD_COLUMNS = ['test_round_id', 'municipality_code', 'scenario_code', 'channel', 'tester_slot']


def upgrade():
    op.create_table('test_unit',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_test_unit_municipality_code_municipality')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_test_unit'))
    )
    with op.batch_alter_table('test_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_test_unit_municipality_code'), ['municipality_code'], unique=False)

    with op.batch_alter_table('test_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_code', sa.String(length=20), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f(OLD_UNIQUE), type_='unique')
        batch_op.create_unique_constraint('uq_test_assignment_contact', ['test_round_id', 'municipality_code', 'unit_code', 'scenario_code', 'channel', 'tester_slot'])


def downgrade():
    with op.batch_alter_table('test_assignment', schema=None) as batch_op:
        batch_op.drop_constraint('uq_test_assignment_contact', type_='unique')
        batch_op.create_unique_constraint(batch_op.f(OLD_UNIQUE), OLD_COLUMNS)
        batch_op.drop_column('unit_code')

    with op.batch_alter_table('test_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_test_unit_municipality_code'))

    op.drop_table('test_unit')

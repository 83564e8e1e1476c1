"""survey draft version (compare-and-set writes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.drop_column('version')

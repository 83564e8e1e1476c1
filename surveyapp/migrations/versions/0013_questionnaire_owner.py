"""questionnaire owner, uploader and the version its file named

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_code', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_version', sa.String(length=100), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_questionnaire_owner_code'), ['owner_code'], unique=False
        )
        batch_op.create_foreign_key(
            'fk_questionnaire_owner_code_municipality', 'municipality', ['owner_code'], ['code']
        )
        batch_op.create_foreign_key(
            'fk_questionnaire_uploaded_by_id_user_account',
            'user_account',
            ['uploaded_by_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('questionnaire', schema=None) as batch_op:
        batch_op.drop_constraint(
            'fk_questionnaire_uploaded_by_id_user_account', type_='foreignkey'
        )
        batch_op.drop_constraint('fk_questionnaire_owner_code_municipality', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questionnaire_owner_code'))
        batch_op.drop_column('source_version')
        batch_op.drop_column('uploaded_by_id')
        batch_op.drop_column('owner_code')

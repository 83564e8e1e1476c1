"""whose survey it is: public titles per language, contact and privacy link per round;
coats of arms of municipalities

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_title_nb', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('public_title_nn', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('public_title_en', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('privacy_url', sa.String(length=500), nullable=True))

    op.create_table(
        'coat_of_arms',
        sa.Column('municipality_code', sa.String(length=4), nullable=False),
        sa.Column('file_key', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/svg+xml')", name='arms_content_type_known'
        ),
        sa.CheckConstraint('byte_size > 0', name='arms_not_empty'),
        sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('municipality_code'),
        sa.UniqueConstraint('file_key'),
    )


def downgrade():
    op.drop_table('coat_of_arms')
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.drop_column('privacy_url')
        batch_op.drop_column('contact')
        batch_op.drop_column('public_title_en')
        batch_op.drop_column('public_title_nn')
        batch_op.drop_column('public_title_nb')

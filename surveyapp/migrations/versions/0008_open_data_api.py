"""open-data API: publications of rounds, their frozen counts, API tokens and their use

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_round_id', sa.Integer(), nullable=True),
    sa.Column('test_round_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('(survey_round_id IS NULL) <> (test_round_id IS NULL)', name=op.f('ck_publication_one_round')),
    sa.ForeignKeyConstraint(['published_by'], ['user_account.id'], name=op.f('fk_publication_published_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survey_round_id'], ['survey_round.id'], name=op.f('fk_publication_survey_round_id_survey_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['test_round_id'], ['test_round.id'], name=op.f('fk_publication_test_round_id_test_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('survey_round_id', name=op.f('uq_publication_survey_round_id')),
    sa.UniqueConstraint('test_round_id', name=op.f('uq_publication_test_round_id'))
    )
    op.create_table('published_count',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('k', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_published_count_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'municipality_code', 'fingerprint', name=op.f('pk_published_count'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_api_token_owner_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_owner_id'), ['owner_id'], unique=False)

    op.create_table('api_token_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_api_token_use_token_id_api_token'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token_use'))
    )
    with op.batch_alter_table('api_token_use', schema=None) as batch_op:
        batch_op.create_index('ix_api_token_use_token_at', ['token_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('api_token_use', schema=None) as batch_op:
        batch_op.drop_index('ix_api_token_use_token_at')
    op.drop_table('api_token_use')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_owner_id'))
    op.drop_table('api_token')
    op.drop_table('published_count')
    op.drop_table('publication')

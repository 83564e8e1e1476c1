"""anonymous submission: no drafts on the server, invitations flagged used, random ids

Answers in progress move out of the database (they travel signed in the citizen's
form), so ``survey_draft`` goes. ``invitation_use`` (a row per use, in submission order,
with a date) becomes a flag on the invitation row without a time. Response and answer
ids become random 63-bit numbers (BIGINT on PostgreSQL), so that neither ids nor row
order reveal the order of submission.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('used', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('claim_hash', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE invitation SET used = "
        "(EXISTS (SELECT 1 FROM invitation_use u WHERE u.invitation_id = invitation.id))"
    )
    op.drop_table('invitation_use')
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_draft_updated_at'))
        batch_op.drop_index(batch_op.f('ix_survey_draft_round_id'))
    op.drop_table('survey_draft')
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('answer', 'response_id', type_=sa.BigInteger())
        op.alter_column('response', 'id', type_=sa.BigInteger(), server_default=None)
        op.execute("DROP SEQUENCE IF EXISTS response_id_seq CASCADE")
        op.alter_column('answer', 'id', server_default=None)
        op.execute("DROP SEQUENCE IF EXISTS answer_id_seq CASCADE")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # Random ids above 2**31 cannot go back to INTEGER: new rows only get sequences.
        for table in ('answer', 'response'):
            op.execute(f"CREATE SEQUENCE IF NOT EXISTS {table}_id_seq OWNED BY {table}.id")
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{table}_id_seq')"
            )
    op.create_table('survey_draft',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('municipality_code', sa.String(length=4), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_survey_draft_invitation_id_invitation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_survey_draft_municipality_code_municipality')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_survey_draft_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_draft'))
    )
    with op.batch_alter_table('survey_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_draft_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_draft_updated_at'), ['updated_at'], unique=False)
    op.create_table('invitation_use',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('used_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_invitation_use_invitation_id_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_invitation_use'))
    )
    op.execute(
        "INSERT INTO invitation_use (invitation_id, used_on) "
        "SELECT id, created_on FROM invitation WHERE used"
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('claim_hash')
        batch_op.drop_column('used')

"""service-test field work: contact details, call-backs and awaited replies, evidence, lock time and retention

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('municipality_contact',
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('is_fictitious', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_municipality_contact_municipality_code_municipality'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_code', name=op.f('pk_municipality_contact'))
    )
    op.create_table('contact_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'application/pdf')", name=op.f('ck_contact_attachment_content_type_known')),
    sa.CheckConstraint('size > 0', name=op.f('ck_contact_attachment_size_positive')),
    sa.ForeignKeyConstraint(['assignment_id'], ['test_assignment.id'], name=op.f('fk_contact_attachment_assignment_id_test_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_contact_attachment_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attachment')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_contact_attachment_storage_key'))
    )
    with op.batch_alter_table('contact_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attachment_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('contact_evidence',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('email_sent', sa.Text(), nullable=False),
    sa.Column('email_reply', sa.Text(), nullable=False),
    sa.Column('urls', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['test_assignment.id'], name=op.f('fk_contact_evidence_assignment_id_test_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_contact_evidence_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_contact_evidence'))
    )
    with op.batch_alter_table('test_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('follow_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_test_assignment_follow_up_known'), "follow_up IS NULL OR follow_up IN ('callback', 'reply')")

    with op.batch_alter_table('test_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('evidence_retention_days', sa.Integer(), server_default='365', nullable=False))
        batch_op.create_check_constraint(op.f('ck_test_round_retention_positive'), 'evidence_retention_days >= 1')
    # Rounds locked before this revision: their evidence retention counts from now.
    op.execute("UPDATE test_round SET locked_at = CURRENT_TIMESTAMP WHERE status = 'locked'")



def downgrade():
    with op.batch_alter_table('test_round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_test_round_retention_positive'), type_='check')
        batch_op.drop_column('evidence_retention_days')
        batch_op.drop_column('locked_at')

    with op.batch_alter_table('test_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_test_assignment_follow_up_known'), type_='check')
        batch_op.drop_column('follow_up_at')
        batch_op.drop_column('follow_up')

    op.drop_table('contact_evidence')
    with op.batch_alter_table('contact_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_attachment_assignment_id'))

    op.drop_table('contact_attachment')
    op.drop_table('municipality_contact')

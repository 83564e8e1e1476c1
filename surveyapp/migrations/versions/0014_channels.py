"""channels: e-mail invitations, kiosk devices, paper keying, response channel

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-20 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kiosk_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_kiosk_device_municipality_code_municipality')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_kiosk_device_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_device')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_kiosk_device_secret_hash'))
    )
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_device_round_id'), ['round_id'], unique=False)

    op.create_table('paper_keying',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('form_number', sa.String(length=20), nullable=False),
    sa.Column('keying', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('received', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('keyed_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('keying IN (1, 2)', name=op.f('ck_paper_keying_keying_known')),
    sa.ForeignKeyConstraint(['keyed_by'], ['user_account.id'], name=op.f('fk_paper_keying_keyed_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_paper_keying_municipality_code_municipality')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_paper_keying_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_keying')),
    sa.UniqueConstraint('round_id', 'form_number', 'keying', name=op.f('uq_paper_keying_round_id_form_number_keying'))
    )
    with op.batch_alter_table('paper_keying', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_keying_round_id'), ['round_id'], unique=False)

    op.create_table('email_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('link_nonce', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('reminders', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_email_recipient_status_known')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name=op.f('fk_email_recipient_invitation_id_invitation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_email_recipient_municipality_code_municipality')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], name=op.f('fk_email_recipient_round_id_survey_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_recipient')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_email_recipient_invitation_id')),
    sa.UniqueConstraint('round_id', 'address', name=op.f('uq_email_recipient_round_id_address'))
    )
    with op.batch_alter_table('email_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_recipient_round_id'), ['round_id'], unique=False)

    op.create_table('email_send_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=6), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind IN ('invitation', 'reminder')", name=op.f('ck_email_send_log_kind_known')),
    sa.CheckConstraint("outcome IN ('sent', 'failed')", name=op.f('ck_email_send_log_outcome_known')),
    sa.ForeignKeyConstraint(['recipient_id'], ['email_recipient.id'], name=op.f('fk_email_send_log_recipient_id_email_recipient'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_send_log'))
    )
    with op.batch_alter_table('email_send_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_send_log_recipient_id'), ['recipient_id'], unique=False)

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='invitation', nullable=False))
        batch_op.create_check_constraint('channel_known', "channel IN ('invitation', 'e-mail')")

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='web', nullable=False))
        batch_op.add_column(sa.Column('place', sa.String(length=80), nullable=True))
        batch_op.create_check_constraint(
            'channel_known', "channel IN ('web', 'invitation', 'e-mail', 'kiosk', 'paper')"
        )

    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('kiosk_records_place', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('paper_double_keying', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('survey_round', schema=None) as batch_op:
        batch_op.drop_column('paper_double_keying')
        batch_op.drop_column('kiosk_records_place')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_response_channel_known'), type_='check')
        batch_op.drop_column('place')
        batch_op.drop_column('channel')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_invitation_channel_known'), type_='check')
        batch_op.drop_column('channel')

    with op.batch_alter_table('email_send_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_send_log_recipient_id'))

    op.drop_table('email_send_log')
    with op.batch_alter_table('email_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_recipient_round_id'))

    op.drop_table('email_recipient')
    with op.batch_alter_table('paper_keying', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_keying_round_id'))

    op.drop_table('paper_keying')
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_device_round_id'))

    op.drop_table('kiosk_device')

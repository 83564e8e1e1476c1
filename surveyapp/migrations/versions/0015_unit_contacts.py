"""contact details of test units (Oslo's districts): municipality_contact keyed by
municipality and unit ("" for the municipality itself)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("municipality_contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_code", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.drop_constraint("pk_municipality_contact", type_="primary")
        batch_op.create_primary_key("pk_municipality_contact", ["municipality_code", "unit_code"])


def downgrade():
    op.execute("DELETE FROM municipality_contact WHERE unit_code <> ''")
    with op.batch_alter_table("municipality_contact", schema=None) as batch_op:
        batch_op.drop_constraint("pk_municipality_contact", type_="primary")
        batch_op.create_primary_key("pk_municipality_contact", ["municipality_code"])
        batch_op.drop_column("unit_code")

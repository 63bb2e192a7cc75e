"""A Word report's text as a page (issue 24): the HTML made from a .docx at upload, which the
ballot page shows to raters instead of a download that phones' in-app browsers often cannot
open. Reports uploaded before keep NULL and are converted when shown.

Revision ID: e5f4c6d7a821
Revises: d9b2e3f40509
Create Date: 2026-12-06 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f4c6d7a821'
down_revision = 'd9b2e3f40509'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('report_files', schema=None) as batch_op:
        batch_op.drop_column('html')

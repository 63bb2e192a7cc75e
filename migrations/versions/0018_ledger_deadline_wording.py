"""Deadlines as offices write them in the rectification ledger (issue 24): a month, a quarter,
the year's end (kept as written, due on the period's last day) or none at all for a measure kept
up without an end (长期坚持), so the deadline may be NULL when its wording says why.

Revision ID: c3d2a4b5e619
Revises: e5f4c6d7a821
Create Date: 2026-12-06 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d2a4b5e619'
down_revision = 'e5f4c6d7a821'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rectification_measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_wording', sa.String(length=40),
                                      server_default='', nullable=False))
        batch_op.alter_column('deadline', existing_type=sa.Date(), nullable=True)
        batch_op.create_check_constraint(
            'open_deadline_worded', 'deadline IS NOT NULL OR length(deadline_wording) > 0')


def downgrade():
    # An open-ended measure has no day to go back to: such rows make the downgrade fail (the
    # column is NOT NULL again) rather than have a day invented for them.
    with op.batch_alter_table('rectification_measures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_rectification_measures_open_deadline_worded'),
                                 type_='check')
        batch_op.alter_column('deadline', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('deadline_wording')

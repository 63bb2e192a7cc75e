"""Rater groups are the campaign's own (issue 25, part 1): 1 to 12 groups named by the
organiser. The database holds what the pages check: a group's position runs from 1 to 12 (with
the unique position per campaign, at most twelve groups), its Chinese name is never empty, and
office and membership are set together (the default preset's groups) or not at all (a group
the organiser named).

rater_groups has no trigger, so SQLite's batch rebuild loses none; the tables that refer to it
keep their foreign keys (env.py switches their enforcement off during the rebuild and checks
them after).

Revision ID: d0e1f2a3b453
Revises: c9d0e1f2a342
Create Date: 2026-12-09 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd0e1f2a3b453'
down_revision = 'c9d0e1f2a342'
branch_labels = None
depends_on = None

CHECKS = (
    ('position_range', 'position BETWEEN 1 AND 12'),
    ('name_zh_not_empty', 'length(name_zh) > 0'),
    ('preset_whole', '(office IS NULL) = (membership IS NULL)'),
)


def upgrade():
    with op.batch_alter_table('rater_groups', schema=None) as batch_op:
        for name, condition in CHECKS:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    with op.batch_alter_table('rater_groups', schema=None) as batch_op:
        for name, _condition in CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_rater_groups_{name}'), type_='check')

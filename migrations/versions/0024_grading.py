"""干部考核 (issue 25, part 3): the grades scale (优秀/称职/基本称职/不称职) for items, each
campaign's rule for it (the 优秀 quota in percent with its rounding, 四舍五入 or 进一法, and
the share of 优秀 votes a person needs), and whether a campaign's ballot asks the overall
satisfaction with the report (a round of grades asks none), and the organisers' decisions on
persons tied at the quota's edge.

Revision ID: f2a3b4c5d675
Revises: e1f2a3b4c564
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a3b4c5d675'
down_revision = 'e1f2a3b4c564'
branch_labels = None
depends_on = None

ITEM_TABLES = ('common_items', 'individual_items')


def _scales(table, values):
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'ck_{table}_scale'), type_='check')
        batch_op.create_check_constraint('scale', f"scale IN ({listed})")


def upgrade():
    op.create_table(
        'grading_settings',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('quota_percent', sa.Integer(), nullable=False),
        sa.Column('rounding', sa.Enum('half_up', 'up', name='rounding', native_enum=False,
                                      create_constraint=True, length=7), nullable=False),
        sa.Column('excellent_min_percent', sa.Integer(), nullable=False),
        sa.CheckConstraint('quota_percent BETWEEN 0 AND 100',
                           name=op.f('ck_grading_settings_quota_percent_range')),
        sa.CheckConstraint('excellent_min_percent BETWEEN 1 AND 100',
                           name=op.f('ck_grading_settings_excellent_min_percent_range')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_grading_settings_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_grading_settings')),
    )
    op.create_table(
        'grade_decisions',
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('chosen', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'],
                                name=op.f('fk_grade_decisions_subject_id_subjects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('subject_id', name=op.f('pk_grade_decisions')),
    )
    for table in ITEM_TABLES:
        _scales(table, ('levels', 'satisfaction', 'grades'))
    # a plain ADD COLUMN: no batch, so the campaigns' triggers stay as they are
    op.add_column('campaigns', sa.Column('asks_satisfaction', sa.Boolean(),
                                         server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column('campaigns', 'asks_satisfaction')
    # An item on the grades scale makes the downgrade fail (the old CHECK refuses it) rather
    # than lose what its ballots mean.
    for table in ITEM_TABLES:
        _scales(table, ('levels', 'satisfaction'))
    op.drop_table('grade_decisions')
    op.drop_table('grading_settings')

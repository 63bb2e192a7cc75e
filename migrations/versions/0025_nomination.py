"""民主推荐 (issue 25, part 4): the nomination scale (推荐 / 未推荐) for common items, each
campaign's rule for it (at most k candidates marked, the threshold of 得票率), and the
ballots voided at the opening because their ticket marked more than k.

Revision ID: a3b4c5d6e786
Revises: f2a3b4c5d675
Create Date: 2026-12-07 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3b4c5d6e786'
down_revision = 'f2a3b4c5d675'
branch_labels = None
depends_on = None

ITEM_TABLES = ('common_items', 'individual_items')
SCALES = ('levels', 'satisfaction', 'grades')


def _scales(table, values):
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f'ck_{table}_scale'), type_='check')
        batch_op.create_check_constraint('scale', f"scale IN ({listed})")


def upgrade():
    op.create_table(
        'nomination_settings',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('max_marks', sa.Integer(), nullable=False),
        sa.Column('threshold_percent', sa.Integer(), nullable=False),
        sa.Column('threshold_rule', sa.Enum('above', 'at_least', name='threshold_rule',
                                            native_enum=False, create_constraint=True,
                                            length=8), nullable=False),
        sa.CheckConstraint('max_marks BETWEEN 1 AND 200',
                           name=op.f('ck_nomination_settings_max_marks_range')),
        sa.CheckConstraint('threshold_percent BETWEEN 0 AND 100',
                           name=op.f('ck_nomination_settings_threshold_percent_range')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_nomination_settings_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_nomination_settings')),
    )
    for table in ITEM_TABLES:
        _scales(table, (*SCALES, 'nomination'))
    # Not through a batch: on SQLite that would copy the table, whose update trigger and
    # storage without rowid the plain ADD COLUMN keeps.
    op.add_column('ballots', sa.Column('overvoted', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade():
    # An item of nomination makes the downgrade fail (the old CHECK refuses it) rather than
    # lose what its ballots mean; likewise a ballot voided for too many marks.
    if op.get_bind().scalar(sa.text("SELECT count(*) FROM ballots WHERE overvoted")):
        raise RuntimeError("ballots voided for too many marks: downgrading would count them")
    op.execute("ALTER TABLE ballots DROP COLUMN overvoted")  # SQLite 3.35+, no table copy
    for table in ITEM_TABLES:
        _scales(table, SCALES)
    op.drop_table('nomination_settings')

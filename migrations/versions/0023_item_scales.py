"""Items of the campaign's own (issue 25): each common and individual item has its answer scale
(好/较好/一般/差, or 满意/基本满意/不满意) and may offer 不了解, stored on a ballot as "x";
a subject has up to 40 individual items instead of exactly four.

SQLite's batch mode rebuilds the ballots table and loses its trigger, which is made again
(as 0015 does).

Revision ID: e1f2a3b4c564
Revises: d0e1f2a3b453
Create Date: 2026-12-07 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c564'
down_revision = 'd0e1f2a3b453'
branch_labels = None
depends_on = None

NEW_CODES = ("length(levels) BETWEEN 1 AND 200 AND replace(replace(replace(replace(replace("
             "replace(levels, '0', ''), '1', ''), '2', ''), '3', ''), '-', ''), 'x', '') = ''")
OLD_CODES = ("length(levels) BETWEEN 1 AND 200 AND replace(replace(replace(replace(replace("
             "levels, '0', ''), '1', ''), '2', ''), '3', ''), '-', '') = ''")
BALLOT_GUARD = ("ballots_immutable", "ballots", "TRUE", "a stored ballot is never changed")


def _scale_columns(table):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('scale', sa.Enum('levels', 'satisfaction', name='scale',
                                                       native_enum=False,
                                                       create_constraint=True, length=12),
                                      server_default='levels', nullable=False))
        batch_op.add_column(sa.Column('dont_know', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def _ballot_codes(check):
    with op.batch_alter_table('ballots', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ballots_levels_codes'), type_='check')
        batch_op.create_check_constraint('levels_codes', check)
    if op.get_bind().dialect.name == "sqlite":
        name, table, refused, message = BALLOT_GUARD
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} WHEN ({refused}) "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade():
    _scale_columns('common_items')
    _scale_columns('individual_items')
    with op.batch_alter_table('individual_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_individual_items_four_per_subject'),
                                 type_='check')
        batch_op.create_check_constraint('at_most_40', 'position BETWEEN 1 AND 40')
    _ballot_codes(NEW_CODES)


def downgrade():
    # A ballot that answered 不了解, or a subject with more than four individual items, makes
    # the downgrade fail (the old constraints refuse them) rather than lose answers.
    _ballot_codes(OLD_CODES)
    with op.batch_alter_table('individual_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_individual_items_at_most_40'), type_='check')
        batch_op.create_check_constraint('four_per_subject', 'position BETWEEN 1 AND 4')
    for table in ('individual_items', 'common_items'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_scale'), type_='check')
            batch_op.drop_column('dont_know')
            batch_op.drop_column('scale')

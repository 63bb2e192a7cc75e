"""Committed draws: a draw is prepared (roster fingerprint, parameters and a commitment to a
secret recorded) before it is drawn with a witness's value; the secret is revealed after.

Draws already recorded keep their seed and time and have no commitment: they read as legacy
draws. (On SQLite the table is rebuilt, batch mode; migrations/env.py runs migrations with
foreign keys off, so the rebuild's drop deletes neither the people drawn nor the batches'
link to their draw.)

Revision ID: a5d0c0ffee05
Revises: 9a9e12ba1105
Create Date: 2026-11-29 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5d0c0ffee05'
down_revision = '9a9e12ba1105'
branch_labels = None
depends_on = None

CHECKS = (
    ('legacy_draw_drawn', 'commitment IS NOT NULL OR (seed IS NOT NULL AND drawn_at IS NOT NULL)'),
    ('commitment_complete', 'commitment IS NULL OR (secret IS NOT NULL AND parameters IS NOT NULL)'),
    ('drawn_with_seed', '(seed IS NULL) = (drawn_at IS NULL)'),
    ('drawn_with_witness', 'commitment IS NULL OR (witness IS NULL) = (drawn_at IS NULL)'),
    ('abandoned_with_reason', "abandoned_at IS NULL OR (drawn_at IS NULL AND length(coalesce(abandon_reason, '')) > 0)"),
)
ticket_batches = sa.table('ticket_batches', sa.column('id', sa.Integer),
                          sa.column('draw_id', sa.Integer))


def upgrade():
    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commitment', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('parameters', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('prepared_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('witness_typed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('witness', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('abandoned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('abandon_reason', sa.Text(), nullable=True))
        batch_op.alter_column('seed', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('drawn_at', existing_type=sa.DateTime(), nullable=True)
        for name, condition in CHECKS:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    bind = op.get_bind()
    draws = sa.table('sample_draws', sa.column('id', sa.Integer), sa.column('drawn_at'))
    # Prepared and abandoned draws have no seed: the old schema cannot hold them.
    undrawn = sa.select(draws.c.id).where(draws.c.drawn_at.is_(None))
    bind.execute(ticket_batches.update().where(ticket_batches.c.draw_id.in_(undrawn))
                 .values(draw_id=None))
    bind.execute(sa.delete(draws).where(draws.c.drawn_at.is_(None)))

    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        for name, _condition in reversed(CHECKS):
            batch_op.drop_constraint(batch_op.f(f'ck_sample_draws_{name}'), type_='check')
        batch_op.alter_column('drawn_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('seed', existing_type=sa.String(length=64), nullable=False)
        for column in ('abandon_reason', 'abandoned_at', 'witness', 'witness_typed',
                       'prepared_at', 'parameters', 'secret', 'commitment'):
            batch_op.drop_column(column)

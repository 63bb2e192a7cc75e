"""A draw nobody can steer (issue 23, part 4): the draw's scheme written when it is prepared
(legacy only for the draws recorded before commitments), the commitment's acknowledgement
by a second account, the secret kept out of the database until the draw, and tickets issued
from a campaign's current draw only.

Prepared draws waiting for their witness value held their secret in the database, readable
by its administrator and in every backup: they are set aside here, with that reason (their
secret shown, since it was never secret), and the organiser prepares a new one.

Revision ID: e6c95a6f7016
Revises: f1d4051a2b11
Create Date: 2026-12-06 20:10:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e6c95a6f7016'
down_revision = 'f1d4051a2b11'
branch_labels = None
depends_on = None

LEGACY, COMMITTED = 'legacy', 'commit-v1'
OLD_COMPLETE = 'commitment IS NULL OR (secret IS NOT NULL AND parameters IS NOT NULL)'
CHECKS = (
    ('commitment_complete', 'commitment IS NULL OR (parameters IS NOT NULL '
                            'AND (secret IS NOT NULL OR drawn_at IS NULL))'),
    ('secret_withheld', 'commitment IS NULL OR drawn_at IS NOT NULL OR abandoned_at IS NOT NULL '
                        'OR secret IS NULL'),
    ('scheme_known', f"scheme IN ('{LEGACY}', '{COMMITTED}')"),
    ('scheme_matches_commitment', f"(scheme = '{LEGACY}') = (commitment IS NULL)"),
    ('acknowledged_with_time', 'acknowledged_by_id IS NULL OR acknowledged_at IS NOT NULL'),
)
SET_ASIDE = ('升级时作废：此次准备的秘密值曾以明文存于数据库，抽样前即可被读取；'
             '请重新准备抽样并重新公布承诺值')
TRIGGER = 'ticket_batches_current_draw'
# A batch names a draw only when that draw is drawn and no later draw of its campaign stands
# (drawn or waiting): after a redraw, tickets come from the new draw alone.
REFUSED = ('NEW.draw_id IS NOT NULL AND (NOT EXISTS (SELECT 1 FROM sample_draws d '
           'WHERE d.id = NEW.draw_id AND d.drawn_at IS NOT NULL) '
           'OR EXISTS (SELECT 1 FROM sample_draws d JOIN sample_draws later '
           'ON later.campaign_id = d.campaign_id AND later.sequence > d.sequence '
           'WHERE d.id = NEW.draw_id AND later.abandoned_at IS NULL))')
MESSAGE = 'tickets are issued from the current draw only'

draws = sa.table('sample_draws', sa.column('commitment', sa.String), sa.column('secret'),
                 sa.column('drawn_at', sa.DateTime), sa.column('abandoned_at', sa.DateTime),
                 sa.column('abandon_reason', sa.Text), sa.column('scheme', sa.String))


def upgrade():
    pending = sa.and_(draws.c.commitment.isnot(None), draws.c.drawn_at.is_(None),
                      draws.c.abandoned_at.is_(None))
    op.execute(draws.update().where(pending).values(abandoned_at=_now_utc(),
                                                    abandon_reason=SET_ASIDE))
    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sample_draws_acknowledged_by_id_users'),
                                    'users', ['acknowledged_by_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute(draws.update().values(scheme=sa.case((draws.c.commitment.is_(None), LEGACY),
                                                    else_=COMMITTED)))
    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        batch_op.alter_column('scheme', existing_type=sa.String(length=12), nullable=False)
        batch_op.drop_constraint(batch_op.f('ck_sample_draws_commitment_complete'), type_='check')
        for name, condition in CHECKS:
            batch_op.create_check_constraint(name, condition)
    _create_trigger()


def _now_utc():
    return datetime.now(UTC).replace(tzinfo=None)  # as evalapp.database.UTCDateTime stores it


def _create_trigger():
    if op.get_bind().dialect.name == 'sqlite':
        for event in ('INSERT', 'UPDATE OF draw_id'):
            op.execute(f"CREATE TRIGGER {TRIGGER}_{event.split()[0].lower()} BEFORE {event} "
                       f"ON ticket_batches WHEN ({REFUSED}) "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        return
    op.execute(f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN IF ({REFUSED}) THEN RAISE EXCEPTION '{MESSAGE}' "
               "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$")
    op.execute(f"CREATE TRIGGER {TRIGGER} BEFORE INSERT OR UPDATE OF draw_id "
               f"ON ticket_batches FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_update")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON ticket_batches")
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        for name, _condition in reversed(CHECKS):
            batch_op.drop_constraint(batch_op.f(f'ck_sample_draws_{name}'), type_='check')
    # The old schema holds a secret for every committed draw: one kept in the instance folder
    # (waiting, or lost) reads as empty there.
    op.execute(draws.update().where(draws.c.commitment.isnot(None), draws.c.secret.is_(None))
               .values(secret=''))
    with op.batch_alter_table('sample_draws', schema=None) as batch_op:
        batch_op.create_check_constraint('commitment_complete', OLD_COMPLETE)
        batch_op.drop_constraint(batch_op.f('fk_sample_draws_acknowledged_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('acknowledged_by_id')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('scheme')

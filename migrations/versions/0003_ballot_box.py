"""The ballot box: sealed ballots, the campaign's public key and scrutineer settings, the
tickets' spend mark, and an unguessable address for each campaign's receipt list.

A campaign that is open during this upgrade has ballots stored readable and no box to seal
further ones into; the upgrade refuses to run until such campaigns are closed (upgrade
between rounds, not during one).

Revision ID: 5b1d7a0e3c42
Revises: c26eb9233169
Create Date: 2026-11-29 09:30:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1d7a0e3c42'
down_revision = 'c26eb9233169'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM campaigns WHERE status = 'open'")).scalar():
        raise RuntimeError(
            "有测评活动正在进行，请先结束后再升级。 A campaign is open: close it before this "
            "upgrade (ballots of an open campaign cannot be sealed retroactively)."
        )
    op.create_table('sealed_ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('box', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('length(box) > 48', name=op.f('ck_sealed_ballots_box_not_empty')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sealed_ballots_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_ballots')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_ballots_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('box_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('box_threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('box_shares', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('receipts_key', sa.String(length=32), nullable=True))
    campaigns = sa.table('campaigns', sa.column('id', sa.Integer), sa.column('receipts_key', sa.String))
    for (campaign_id,) in bind.execute(sa.select(campaigns.c.id)).all():
        bind.execute(campaigns.update().where(campaigns.c.id == campaign_id)
                     .values(receipts_key=secrets.token_urlsafe(16)))
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column('receipts_key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_campaigns_receipts_key'), ['receipts_key'])
        batch_op.create_check_constraint('open_with_ballot_box', "status <> 'open' OR box_public_key IS NOT NULL")
        batch_op.create_check_constraint('box_key_length', 'box_public_key IS NULL OR length(box_public_key) = 32')
        batch_op.create_check_constraint('box_shares_range', '(box_threshold IS NULL AND box_shares IS NULL) OR (box_threshold >= 2 AND box_shares >= box_threshold AND box_shares <= 255)')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spend_mark', sa.String(length=32), nullable=True))
        batch_op.create_check_constraint('marked_when_spent', 'spend_mark IS NULL OR spent')
    restore_sqlite_guards()


# SQLite's batch mode rebuilds a table to add a constraint, and the rebuilt table has lost
# the triggers of 0001; these are the same guards, written again.
SQLITE_GUARDS = (
    ("campaigns_status_forward", "campaigns",
     "CASE NEW.status WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END"
     " < CASE OLD.status WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END",
     "campaign status moves only forward: draft, open, closed"),
    ("tickets_one_way", "tickets",
     "(OLD.spent AND NOT NEW.spent) OR (OLD.voided AND NOT NEW.voided)"
     " OR NEW.token_hash <> OLD.token_hash",
     "a spent or voided ticket stays so, and its code never changes"),
)


def restore_sqlite_guards():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table, refused, message in SQLITE_GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} WHEN ({refused}) "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tickets_marked_when_spent'), type_='check')
        batch_op.drop_column('spend_mark')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_campaigns_box_shares_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_campaigns_box_key_length'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_campaigns_open_with_ballot_box'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_campaigns_receipts_key'), type_='unique')
        batch_op.drop_column('receipts_key')
        batch_op.drop_column('box_shares')
        batch_op.drop_column('box_threshold')
        batch_op.drop_column('box_public_key')
    with op.batch_alter_table('sealed_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_ballots_campaign_id'))
    op.drop_table('sealed_ballots')
    restore_sqlite_guards()

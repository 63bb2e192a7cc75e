"""Storage that pairs no ballot with its ticket, and receipts apart from their ballots
(issue 23, parts 2 and 3).

A spend deletes the ticket's row of `unspent_tickets` instead of updating the ticket (whose
new row version and sealed box PostgreSQL appended in the same order, with the same
transaction id); a phone's sealed box carries a `spend_check` in place of the ticket's
`spend_mark`. Receipts move from the ballots to a `receipts` table with whether each ballot
is void, and nothing that names the ballot.

Existing data: the unused tickets get their unspent rows; an open campaign's sealed boxes
stay as they are and open at close; the receipts of closed campaigns move, each marked void
by its campaign's rules (`analysis.void_mask`, written here in SQL). On PostgreSQL the tickets
and ballots are rewritten in the order of their (random) ids, with a fresh transaction id for
every ticket, so that neither the spends made before this migration nor the dropped columns'
bytes are left in place. Downgrading gives the ballots new random receipts: the link that
this migration removes cannot be restored.

Revision ID: d5b8495e6f15
Revises: b3f6273c4d13
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b8495e6f15'
down_revision = 'b3f6273c4d13'
branch_labels = None
depends_on = None

# SQLite's batch mode rebuilds a table and loses its triggers (see 0003's
# restore_sqlite_guards): the guards of the two tables rebuilt here, as they now read.
TICKET_GUARD = (
    "tickets_one_way", "tickets",
    "(OLD.voided AND NOT NEW.voided) OR NEW.token_hash <> OLD.token_hash",
    "a voided ticket stays so, and its code never changes")
OLD_TICKET_GUARD = (
    "tickets_one_way", "tickets",
    "(OLD.spent AND NOT NEW.spent) OR (OLD.voided AND NOT NEW.voided)"
    " OR NEW.token_hash <> OLD.token_hash",
    "a spent or voided ticket stays so, and its code never changes")
BALLOT_GUARD = ("ballots_immutable", "ballots", "TRUE", "a stored ballot is never changed")

# A ballot's blank items and its answered items without blanks, for the void rules.
_BLANKS = "(length(b.levels) - length(replace(b.levels, '-', '')))"
_ANSWERED = "replace(b.levels, '-', '')"
VOID = (
    f"(CAST({_BLANKS} AS FLOAT) / length(b.levels) > c.void_blank_fraction"
    f" OR (c.void_uniform AND length({_ANSWERED}) >= 2"
    f" AND replace({_ANSWERED}, substr({_ANSWERED}, 1, 1), '') = ''))"
)


def _guard(guard):
    name, table, refused, message = guard
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} WHEN ({refused}) "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF ({refused}) THEN RAISE EXCEPTION '{message}' "
        "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$")


def _rewrite(table):
    """PostgreSQL: the table written anew in the order of its primary key (random ids),
    without the bytes of dropped columns (CLUSTER, unlike VACUUM, runs in the migration's
    transaction)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CLUSTER {table} USING pk_{table}")
        op.execute(f"ALTER TABLE {table} SET WITHOUT CLUSTER")


def upgrade():
    op.create_table(
        'unspent_tickets',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('paper', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['token_hash'], ['tickets.token_hash'],
                                name=op.f('fk_unspent_tickets_token_hash_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_unspent_tickets')),
        sqlite_with_rowid=False,
    )
    op.execute("INSERT INTO unspent_tickets (token_hash, paper) SELECT token_hash, paper "
               "FROM tickets WHERE NOT spent AND NOT voided ORDER BY id")
    op.add_column('sealed_ballots', sa.Column('spend_check', sa.String(length=64),
                                              nullable=True))
    op.create_index(op.f('ix_sealed_ballots_spend_check'), 'sealed_ballots', ['spend_check'],
                    unique=True)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tickets_spent_or_voided'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tickets_marked_when_spent'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tickets_paper_void_when_used'), type_='check')
        batch_op.drop_column('spend_mark')
        batch_op.drop_column('spent')
    _guard(TICKET_GUARD)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE tickets SET voided = voided")  # a fresh xmin for every ticket
    _rewrite('tickets')

    op.create_table(
        'receipts',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('void', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_receipts_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'code', name=op.f('pk_receipts')),
    )
    op.execute(
        f"INSERT INTO receipts (campaign_id, code, void) SELECT b.campaign_id, b.receipt_code, "
        f"{VOID} FROM ballots b JOIN campaigns c ON c.id = b.campaign_id "
        "ORDER BY b.campaign_id, b.receipt_code")
    with op.batch_alter_table('ballots', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ballots_campaign_id_receipt_code'),
                                 type_='unique')
        batch_op.drop_column('receipt_code')
    if op.get_bind().dialect.name == "sqlite":
        _guard(BALLOT_GUARD)
    _rewrite('ballots')


def downgrade():
    with op.batch_alter_table('ballots', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.add_column(sa.Column('receipt_code', sa.String(length=16), nullable=True))
    random_code = ("upper(hex(randomblob(5)))" if op.get_bind().dialect.name == "sqlite"
                   else "upper(substr(md5(random()::text || id), 1, 10))")
    op.execute(f"UPDATE ballots SET receipt_code = {random_code}")
    with op.batch_alter_table('ballots', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.alter_column('receipt_code', existing_type=sa.String(length=16),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_ballots_campaign_id_receipt_code'),
                                          ['campaign_id', 'receipt_code'])
    if op.get_bind().dialect.name == "sqlite":
        _guard(BALLOT_GUARD)
    op.drop_table('receipts')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('spend_mark', sa.String(length=32), nullable=True))
    op.execute("UPDATE tickets SET spent = NOT voided AND NOT EXISTS (SELECT 1 FROM "
               "unspent_tickets u WHERE u.token_hash = tickets.token_hash)")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_check_constraint('spent_or_voided', 'NOT (spent AND voided)')
        batch_op.create_check_constraint('marked_when_spent', 'spend_mark IS NULL OR spent')
        batch_op.create_check_constraint('paper_void_when_used',
                                         'NOT paper_void OR spent OR voided')
    _guard(OLD_TICKET_GUARD)
    op.drop_index(op.f('ix_sealed_ballots_spend_check'), table_name='sealed_ballots')
    with op.batch_alter_table('sealed_ballots', schema=None,
                              table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_column('spend_check')
    op.drop_table('unspent_tickets')

"""The audit log made tamper-evident (issue 22, 等保 2.0 GB/T 22239-2019 8.1.4.3; 网络安全法
art. 21): entries numbered without gaps and chained by HMAC (evalapp.audit.chain) under a
chain head; the entries keep user, campaign and unit ids and the username as plain values
(the foreign keys, whose ON DELETE SET NULL rewrote entries, are gone); triggers refuse any
change of an entry, and any deletion except a purge's of entries over 181 days old.

Existing entries are numbered in id order and sealed with the installation's audit key
(EVALAPP_AUDIT_KEY or the instance folder's audit_key: the app running the migration holds
it), so the chain covers the whole log from the start.

Revision ID: b3f6273c4d13
Revises: a2e5162b3c12
Create Date: 2026-12-06 20:10:00

"""
from datetime import UTC
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f6273c4d13'
down_revision = 'a2e5162b3c12'
branch_labels = None
depends_on = None

ENTRIES_REFUSED = "audit entries are never changed, and kept 181 days at least"
CHAIN_REFUSED = "the audit chain head only moves forward"
# (name, table, SQLite's condition to refuse, PostgreSQL's trigger body)
SQLITE_GUARDS = (
    ("audit_entries_unchanged", "UPDATE", "audit_entries", "1", ENTRIES_REFUSED),
    ("audit_entries_kept", "DELETE", "audit_entries",
     "OLD.at >= datetime('now', '-181 days') OR OLD.sequence >= "
     "COALESCE((SELECT first_kept FROM audit_chain WHERE id = 1), 1)", ENTRIES_REFUSED),
    ("audit_chain_forward", "UPDATE", "audit_chain",
     "NEW.id <> OLD.id OR NEW.sequence < OLD.sequence OR NEW.first_kept < OLD.first_kept",
     CHAIN_REFUSED),
    ("audit_chain_kept", "DELETE", "audit_chain", "1", CHAIN_REFUSED),
)
POSTGRES_GUARDS = (
    ("audit_entries_guard", "audit_entries",
     "IF TG_OP = 'DELETE' AND OLD.at < (now() AT TIME ZONE 'UTC') - interval '181 days' "
     "AND OLD.sequence < COALESCE((SELECT first_kept FROM audit_chain WHERE id = 1), 1) "
     f"THEN RETURN OLD; END IF; RAISE EXCEPTION '{ENTRIES_REFUSED}' "
     "USING ERRCODE = 'check_violation';"),
    ("audit_chain_guard", "audit_chain",
     "IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.sequence >= OLD.sequence "
     "AND NEW.first_kept >= OLD.first_kept THEN RETURN NEW; END IF; "
     f"RAISE EXCEPTION '{CHAIN_REFUSED}' USING ERRCODE = 'check_violation';"),
)


def create_guards():
    if op.get_bind().dialect.name == "sqlite":
        for name, event, table, refused, message in SQLITE_GUARDS:
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN ({refused}) "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    for name, table, body in POSTGRES_GUARDS:
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {body} END $$")
        op.execute(f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def drop_guards():
    if op.get_bind().dialect.name == "sqlite":
        for name, *_rest in SQLITE_GUARDS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table, _body in POSTGRES_GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")


ENTRIES = sa.table(
    'audit_entries', sa.column('id', sa.Integer), sa.column('sequence', sa.Integer),
    sa.column('at', sa.DateTime), sa.column('user_id', sa.Integer),
    sa.column('username', sa.String), sa.column('campaign_id', sa.Integer),
    sa.column('unit_id', sa.Integer), sa.column('action', sa.String),
    sa.column('detail', sa.JSON), sa.column('mac', sa.String))


def seal_existing():
    """Number and chain the entries already there, and write the chain head."""
    from flask import current_app

    from evalapp.audit.chain import CHAIN, GENESIS, Head, entry_mac

    bind = op.get_bind()
    rows = bind.execute(sa.select(ENTRIES).order_by(ENTRIES.c.id)).all()
    if not rows:
        return  # the first append writes the head
    key = str(current_app.config["AUDIT_KEY"]).encode()
    previous = GENESIS
    for sequence, row in enumerate(rows, start=1):
        entry = SimpleNamespace(**{**row._mapping, "sequence": sequence,
                                   "at": row.at.replace(tzinfo=UTC)})
        previous = entry_mac(key, previous, entry)
        bind.execute(sa.update(ENTRIES).where(ENTRIES.c.id == row.id)
                     .values(sequence=sequence, mac=previous))
    head = Head(len(rows), previous)
    bind.execute(sa.insert(CHAIN).values(
        id=1, sequence=head.sequence, mac=head.mac, first_kept=1, kept_from_mac=GENESIS,
        head_mac=head.sealed(key)))


def upgrade():
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.Column('first_kept', sa.Integer(), nullable=False),
    sa.Column('kept_from_mac', sa.String(length=64), nullable=False),
    sa.Column('head_mac', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_one_row')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_audit_chain_sequence_not_negative')),
    sa.CheckConstraint('first_kept >= 1 AND first_kept <= sequence + 1',
                       name=op.f('ck_audit_chain_first_kept_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_entries_user_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_audit_entries_campaign_id_campaigns', type_='foreignkey')
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('username', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    op.execute("UPDATE audit_entries SET "
               "username = (SELECT username FROM users WHERE users.id = user_id), "
               "unit_id = COALESCE((SELECT unit_id FROM campaigns "
               "WHERE campaigns.id = campaign_id), "
               "(SELECT unit_id FROM users WHERE users.id = user_id))")
    seal_existing()
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('sequence', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('mac', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entries_sequence'), ['sequence'])
        batch_op.create_check_constraint('sequence_positive', 'sequence >= 1')
        batch_op.create_check_constraint('mac_length', 'length(mac) = 64')
        batch_op.create_index(batch_op.f('ix_audit_entries_unit_id'), ['unit_id'], unique=False)
    create_guards()


def downgrade():
    drop_guards()
    op.execute("UPDATE audit_entries SET user_id = NULL "
               "WHERE user_id NOT IN (SELECT id FROM users)")
    op.execute("UPDATE audit_entries SET campaign_id = NULL "
               "WHERE campaign_id NOT IN (SELECT id FROM campaigns)")
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_unit_id'))
        batch_op.drop_constraint(batch_op.f('ck_audit_entries_mac_length'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_audit_entries_sequence_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_audit_entries_sequence'), type_='unique')
        batch_op.drop_column('mac')
        batch_op.drop_column('unit_id')
        batch_op.drop_column('username')
        batch_op.drop_column('sequence')
        batch_op.create_foreign_key('fk_audit_entries_campaign_id_campaigns', 'campaigns',
                                    ['campaign_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_audit_entries_user_id_users', 'users',
                                    ['user_id'], ['id'], ondelete='SET NULL')
    op.drop_table('audit_chain')

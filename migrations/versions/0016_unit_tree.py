"""The unit tree kept by the system administrator (issue 21): a unit's HR code (单位代码,
unique when given) and the moment it was retired (撤销); and a trigger that refuses a parent
lying below the unit, so that no writer (a page, the import, a hand-typed UPDATE) can make the
tree a cycle.

On PostgreSQL the trigger first takes a transaction-level advisory lock, so that two moves
committed at once (A under B, B under A) are checked one after the other, each seeing the
other's result: under READ COMMITTED each statement of the function reads what is committed
when it runs. SQLite writes one transaction at a time anyway.

Revision ID: d9b2e3f40509
Revises: d5b8495e6f15
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9b2e3f40509'
down_revision = 'd5b8495e6f15'
branch_labels = None
depends_on = None

# The unit's new parent, and each unit above it: the unit among them is a cycle.
ANCESTORS = (
    "WITH RECURSIVE up(id) AS (SELECT NEW.parent_id UNION "
    "SELECT org_units.parent_id FROM org_units JOIN up ON org_units.id = up.id "
    "WHERE org_units.parent_id IS NOT NULL) SELECT id FROM up"
)
REFUSED = f"NEW.parent_id IS NOT NULL AND NEW.id IN ({ANCESTORS})"
MESSAGE = "a unit cannot be placed under itself or a unit below it"
# Any constant key: it only serialises the moves of units.
LOCK_KEY = 21


def create_cycle_guard():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER org_units_acyclic BEFORE UPDATE OF parent_id ON org_units "
            f"WHEN ({REFUSED}) BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION org_units_acyclic() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_advisory_xact_lock({LOCK_KEY}); "
        f"IF ({REFUSED}) THEN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation'; "
        "END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER org_units_acyclic BEFORE UPDATE OF parent_id ON org_units "
        "FOR EACH ROW EXECUTE FUNCTION org_units_acyclic()"
    )


def drop_cycle_guard():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS org_units_acyclic")
        return
    op.execute("DROP TRIGGER IF EXISTS org_units_acyclic ON org_units")
    op.execute("DROP FUNCTION IF EXISTS org_units_acyclic()")


def upgrade():
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint('code_not_empty', 'code IS NULL OR length(code) > 0')
        batch_op.create_unique_constraint(batch_op.f('uq_org_units_code'), ['code'])
    create_cycle_guard()


def downgrade():
    drop_cycle_guard()
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_org_units_code'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_org_units_code_not_empty'), type_='check')
        batch_op.drop_column('retired_at')
        batch_op.drop_column('code')

"""Accounts managed in the app (issue 21): an account holds one administrator role for life
(三员分立, refused by a CHECK constraint and a trigger on both databases).

Revision ID: e0c3f4051a10
Revises: c8a1d2e3f408
Create Date: 2026-12-06 20:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e0c3f4051a10'
down_revision = 'c8a1d2e3f408'
branch_labels = None
depends_on = None

ADMINISTRATORS = "'sysadmin', 'secadmin', 'auditadmin'"
GUARD = "users_administrator_role_fixed"
# Once an account has an administrator role, it keeps that one: the CHECK constraint then
# refuses any other administrator role in `role`.
REFUSED = ("OLD.administrator_role IS NOT NULL AND (NEW.administrator_role IS NULL"
           " OR NEW.administrator_role <> OLD.administrator_role)")
MESSAGE = "an account keeps its one administrator role (三员分立)"


def create_guard():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER {GUARD} BEFORE UPDATE ON users WHEN ({REFUSED}) "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        return
    op.execute(f"CREATE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN IF ({REFUSED}) THEN RAISE EXCEPTION '{MESSAGE}' "
               "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$")
    op.execute(f"CREATE TRIGGER {GUARD} BEFORE UPDATE ON users "
               f"FOR EACH ROW EXECUTE FUNCTION {GUARD}()")


def drop_guard():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {GUARD}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {GUARD} ON users")
    op.execute(f"DROP FUNCTION IF EXISTS {GUARD}()")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('administrator_role', sa.Enum(
            'sysadmin', 'secadmin', 'auditadmin', name='administrator_role',
            native_enum=False, create_constraint=True, length=10), nullable=True))
    op.execute(f"UPDATE users SET administrator_role = role WHERE role IN ({ADMINISTRATORS})")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'one_administrator_role',
            f"role NOT IN ({ADMINISTRATORS}) OR "
            "(administrator_role IS NOT NULL AND role = administrator_role)")
    create_guard()


def downgrade():
    drop_guard()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_one_administrator_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_administrator_role'), type_='check')
        batch_op.drop_column('administrator_role')

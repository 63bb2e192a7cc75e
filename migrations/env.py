"""Alembic environment, run through Flask-Migrate (`evalapp db ...`).

The engine, metadata and options (batch mode for SQLite, type comparison, how UTCDateTime is
written) come from the app's Migrate extension, so migrations run against whatever database the
app is configured for.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
# Keep the app's own loggers (a server's, a test run's) working after Alembic sets up its own.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate = current_app.extensions["migrate"]
engine = migrate.db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=migrate.db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_autogenerate(context, revision, directives):
        """No revision file when autogenerate finds nothing to do."""
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = dict(migrate.configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite's batch mode rebuilds a table by dropping it, and with foreign keys
            # enforced that drop deletes every row that refers to it (a campaign's subjects,
            # tickets, ballots...). Enforcement is off while the schema changes (the pragma
            # works only outside a transaction) and the keys are checked before it is back on.
            # (on the driver's own connection: through SQLAlchemy it would run inside the
            # BEGIN that evalapp.database issues, where SQLite ignores it)
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=migrate.db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            if connection.in_transaction():
                connection.commit()
            driver = connection.connection.driver_connection
            broken = driver.execute("PRAGMA foreign_key_check").fetchall()
            driver.execute("PRAGMA foreign_keys=ON")
            if driver.execute("PRAGMA foreign_keys").fetchone() != (1,):
                connection.invalidate()  # never back to the pool without its keys enforced
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: "
                                   f"{broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

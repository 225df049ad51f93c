"""Schema management: alembic migrations run on ``[database] connection``."""

import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from dcmanager.common import context
from dcmanager.db import api as db_api

_MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(connection):
    cfg = alembic_config.Config(os.path.join(_MIGRATIONS, 'alembic.ini'))
    cfg.set_main_option('script_location', _MIGRATIONS)
    cfg.attributes['connection'] = connection
    return cfg


def upgrade(revision='head'):
    """Create the schema or bring it up to ``revision``; then render the subclouds' list rows
    an upgrade left to render."""
    engine = db_api.get_engine()
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    if revision == 'head':
        db_api.subcloud_list_rows_refresh(context.get_admin_context())


def version():
    """The revision the database is at, or None for an empty database."""
    with db_api.get_engine().connect() as connection:
        return alembic_migration.MigrationContext.configure(connection).get_current_revision()


def head():
    """The newest revision this code knows."""
    return alembic_script.ScriptDirectory(_MIGRATIONS).get_current_head()

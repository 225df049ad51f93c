"""alembic environment: runs on the connection dcmanager.db.migration hands over."""

from alembic import context

from dcmanager.db.sqlalchemy import models

target_metadata = models.Base.metadata


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('dcmanager migrations run through dcmanager.db.migration')
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

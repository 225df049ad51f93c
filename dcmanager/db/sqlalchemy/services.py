"""The services' heartbeats (SQLAlchemy implementation).

Each running service (every manager, by host) writes its row's ``updated_at``: what tells a live
manager from a dead one. Heartbeats are written and compared by the database's clock
(``core.database_now``), never a host's.
"""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import database_now, main_context_manager, writer

_SVC = models.Service.__table__


@writer
def service_heartbeat(context, host, binary, now=None):
    session = context.session
    now = database_now(session) if now is None else now
    where = sa.and_(_SVC.c.host == host, _SVC.c.binary == binary)
    update = sa.update(_SVC).where(where).values(updated_at=now)
    if session.execute(update).rowcount:
        return
    try:
        with session.begin_nested():
            session.execute(sa.insert(_SVC).values(host=host, binary=binary, created_at=now,
                                                   updated_at=now))
    except db_exc.DBDuplicateEntry:
        session.execute(update)  # a concurrent first heartbeat of the same service


@main_context_manager.reader
def service_get_all(context, binary=None):
    stmt = sa.select(_SVC.c.host, _SVC.c.binary, _SVC.c.created_at, _SVC.c.updated_at)
    if binary is not None:
        stmt = stmt.where(_SVC.c.binary == binary)
    return context.session.execute(stmt.order_by(_SVC.c.host, _SVC.c.binary)).all()

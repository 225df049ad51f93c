"""Building blocks of the test site (used by conftest.py and by tests that need their own app)."""

import contextlib
import threading

import webtest

from dcmanager.api import app as api_app
from dcmanager.api import hooks, policy, routing, server
from dcmanager.api.controllers import base as controllers_base
from dcmanager.api.controllers import root
from dcmanager.common import context as dc_context
from dcmanager.common import rpc, states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.db import migration
from dcmanager.db.sqlalchemy import models
from dcmanager.drivers import pools
from dcmanager.manager import service as manager_service


@contextlib.contextmanager
def served_by_waitress(app, threads=2):
    """``app`` served by dcmanager's waitress server (``dcmanager.api.server.make_server``) on a
    free loopback port, its loop driven here so that it stops when the test is done. Yields the
    port."""
    sock = server.bind_socket('127.0.0.1', 0)
    waitress = server.make_server(app, sock, threads)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            waitress.asyncore.loop(timeout=0.05, map=waitress._map, count=1)
        waitress.task_dispatcher.shutdown()
        waitress.asyncore.close_all(waitress._map)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def app_as(*roles, project_name='admin', headers=None):
    """The API as keystonemiddleware leaves a request of a user with ``roles`` in
    ``project_name`` (the stack below auth_token; ``headers``: more request headers)."""
    app = routing.make_app(root.RootController(),
                           hooks=[hooks.ContextHook(noauth=False), hooks.ErrorHook()])
    environ = {'HTTP_X_IDENTITY_STATUS': 'Confirmed', 'HTTP_X_USER_ID': 'u1',
               'HTTP_X_USER_NAME': 'someone', 'HTTP_X_PROJECT_ID': 'p1',
               'HTTP_X_PROJECT_NAME': project_name, 'HTTP_X_ROLES': ','.join(roles)}
    environ.update({'HTTP_' + name.upper().replace('-', '_'): value
                    for name, value in (headers or {}).items()})
    return webtest.TestApp(api_app.NormalizeRequest(app), extra_environ=environ)


_GO_WITH_SUBCLOUDS = ('subcloud_status', 'subcloud_list_rows')


class Site:
    """Configures the global CONF and creates the schema; runs a manager once ``start_manager``
    is called (or when entered with a ``transport_url``) until closed.

    A test that only needs the database never starts a manager, so it never needs RabbitMQ.
    """

    def __init__(self, workdir, db_url, transport_url=None):
        self.workdir = workdir
        self.db_url = db_url
        self.transport_url = transport_url
        self.manager = None

    def __enter__(self):
        CONF([], project='dcmanager', default_config_files=[])
        CONF.set_override('state_path', self.workdir)
        CONF.set_override('connection', self.db_url, group='database')
        CONF.set_override('auth_strategy', 'noauth')
        CONF.set_override('rpc_timeout', 30, group='manager')
        # The tests drive the peer heartbeats and audits themselves (PeerMonitor.beat,
        # PeerAudit.run): the manager's own periodic ones would race them on the same rows.
        CONF.set_override('monitor_tick', 3600, group='peer')
        CONF.set_override('audit_interval', 3600, group='peer')
        migration.upgrade()
        if self.transport_url is not None:
            self.start_manager(self.transport_url)
        return self

    def start_manager(self, transport_url):
        """Point RPC at ``transport_url`` and start the site's manager (once)."""
        if self.manager is not None:
            return
        rpc.cleanup()  # nothing may keep a transport made before the URL was set
        self.transport_url = transport_url
        CONF.set_override('transport_url', transport_url)
        self.manager = manager_service.ManagerService(host='test-manager')
        self.manager.start()

    def stop_manager(self):
        if self.manager is not None:
            self.manager.stop()
            self.manager = None
        rpc.cleanup()

    def __exit__(self, *exc):
        self.stop_manager()
        controllers_base.reset()
        db_api.dispose_engine()
        policy.reset()
        CONF.reset()
        CONF.clear_override('connection', group='database')

    def app(self):
        """A webtest app over the full WSGI stack as configured now."""
        return webtest.TestApp(api_app.setup_app())

    def context(self):
        return dc_context.get_admin_context()

    def reset_database(self):
        """Empty every table but keep (and restore) the Default subcloud group; forget the
        tokens of the process-wide session pools (their database table is emptied too)."""
        pools.forget_tokens()
        engine = db_api.get_engine()
        with engine.begin() as conn:
            for table in reversed(models.Base.metadata.sorted_tables):
                if table.name in _GO_WITH_SUBCLOUDS:
                    # Deleted by the subclouds' cascade, after the subcloud rows are locked: the
                    # order of the product's writers (see db.sqlalchemy.list_rows), so that a
                    # writer still running in the background cannot deadlock with the reset.
                    continue
                if table.name == 'subcloud_group':
                    conn.execute(table.delete().where(table.c.id != states.DEFAULT_GROUP_ID))
                else:
                    conn.execute(table.delete())
            conn.execute(models.SubcloudGroup.__table__.update()
                         .where(models.SubcloudGroup.id == states.DEFAULT_GROUP_ID)
                         .values(name=states.DEFAULT_GROUP_NAME,
                                 description=states.DEFAULT_GROUP_DESCRIPTION,
                                 update_apply_type=states.APPLY_PARALLEL,
                                 max_parallel_subclouds=states.DEFAULT_GROUP_MAX_PARALLEL))

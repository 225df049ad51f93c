"""dcmanager-all: a whole site in one process (API + manager + audit).

The embedded default: SQLite under ``[DEFAULT] state_path``, in-process RPC, the API on
http://127.0.0.1:8119 and, unless the configuration says otherwise, ``auth_strategy = noauth``
(which only ever listens on loopback). The schema is created or upgraded at start.
"""

import sys

from oslo_log import log as logging

from dcmanager.api import app, server
from dcmanager.audit import service as audit_service
from dcmanager.cmd import common
from dcmanager.common import rpc, signals
from dcmanager.conf import CONF
from dcmanager.db import migration
from dcmanager.manager import liveness
from dcmanager.manager import service as manager_service

LOG = logging.getLogger(__name__)


def main():
    stop = signals.install()
    CONF.set_default('auth_strategy', 'noauth')
    common.prepare()
    with common.startup_checks():
        server.check_bind()
        liveness.check_config()
    if CONF.database.auto_upgrade:
        migration.upgrade()
    if stop.requested:  # asked to stop while starting: nothing runs yet
        return 0
    sock = server.bind_socket(CONF.api.bind_host, CONF.api.bind_port)
    manager = manager_service.ManagerService()
    audit = audit_service.AuditService()
    manager.start()
    audit.start()
    try:
        wsgi = server.make_server(app.setup_app(), sock, CONF.api.threads)
        LOG.info('Site running: API on http://%s:%s (auth_strategy=%s, database %s)',
                 CONF.api.bind_host, CONF.api.bind_port, CONF.auth_strategy,
                 CONF.database.connection.split(':', 1)[0])
        server.serve(wsgi, stop)
    finally:
        audit.stop()
        manager.stop()
        rpc.cleanup()
    return 0


if __name__ == '__main__':
    sys.exit(main())

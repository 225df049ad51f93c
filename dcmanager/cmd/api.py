"""dcmanager-api: the REST API (``[api] workers`` processes sharing one socket)."""

import sys

from oslo_log import log as logging

from dcmanager.api import app, server
from dcmanager.cmd import common
from dcmanager.common import signals
from dcmanager.conf import CONF
from dcmanager.db import api as db_api

LOG = logging.getLogger(__name__)


def main():
    stop = signals.install()
    common.prepare()
    with common.startup_checks():
        server.check_bind()
    if stop.requested:  # asked to stop while starting: nothing runs yet
        return 0
    sock = server.bind_socket(CONF.api.bind_host, CONF.api.bind_port)
    if CONF.api.workers > 1:
        # A worker must not use database connections inherited from the parent.
        return server.serve_workers(app.setup_app, sock, CONF.api.workers, CONF.api.threads,
                                    after_fork=db_api.dispose_engine)
    wsgi = server.make_server(app.setup_app(), sock, CONF.api.threads)
    LOG.info('API listening on http://%s:%s', CONF.api.bind_host, CONF.api.bind_port)
    server.serve(wsgi, stop)
    return 0


if __name__ == '__main__':
    sys.exit(main())

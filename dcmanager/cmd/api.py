"""dcmanager-api: the REST API (``[api] workers`` processes sharing one socket)."""

import signal
import sys

from oslo_log import log as logging

from dcmanager.api import app
from dcmanager.api import server
from dcmanager.cmd import common
from dcmanager.conf import CONF

LOG = logging.getLogger(__name__)


def main():
    common.prepare()
    server.check_bind()
    sock = server.bind_socket(CONF.api.bind_host, CONF.api.bind_port)
    if CONF.api.workers > 1:
        server.serve_workers(app.setup_app, sock, CONF.api.workers, CONF.api.threads)
        return 0
    wsgi = server.make_server(app.setup_app(), sock, CONF.api.threads)
    signal.signal(signal.SIGTERM, lambda *_: wsgi.close())
    LOG.info('API listening on http://%s:%s', CONF.api.bind_host, CONF.api.bind_port)
    try:
        wsgi.run()
    except (KeyboardInterrupt, OSError):
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())

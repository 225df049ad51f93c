"""Serving the API: waitress threads in one process, or several pre-forked worker processes."""

import ipaddress
import os
import signal
import socket

from oslo_log import log as logging
import waitress.server

from dcmanager.common import exception
from dcmanager.conf import CONF
from dcmanager.db import api as db_api

LOG = logging.getLogger(__name__)


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(conf=CONF):
    """noauth trusts every caller as the admin: it may only ever listen on loopback."""
    if conf.auth_strategy == 'noauth' and not is_loopback(conf.api.bind_host):
        raise exception.DCManagerException(
            'auth_strategy = noauth refuses to listen on %s: use a loopback address '
            '(127.0.0.0/8, ::1) or auth_strategy = keystone' % conf.api.bind_host)


def bind_socket(host, port):
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def make_server(app, sock, threads):
    return waitress.server.create_server(app, sockets=[sock], threads=threads,
                                         clear_untrusted_proxy_headers=True, ident='dcmanager')


def _run_worker(app_factory, sock, threads):
    db_api.dispose_engine()  # connections must not be shared with the parent
    server = make_server(app_factory(), sock, threads)
    signal.signal(signal.SIGTERM, lambda *_: server.close())
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    os._exit(0)


def serve_workers(app_factory, sock, workers, threads):
    """Fork ``workers`` processes that share ``sock``; stop them all on SIGTERM or SIGINT."""
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            _run_worker(app_factory, sock, threads)
        children.append(pid)
    LOG.info('API workers %s listening on %s:%s', children, *sock.getsockname()[:2])

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue

"""Serving the API: waitress threads in one process, or several pre-forked worker processes."""

import gc
import ipaddress
import os
import signal
import socket

from oslo_log import log as logging
import waitress.server

from dcmanager.common import exception
from dcmanager.conf import CONF

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


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def freeze_heap():
    """Keep what start-up built (modules, configuration, the application) out of the cyclic
    garbage collector's scans from now on.

    A request that allocates many objects, such as the list of thousands of subclouds, triggers
    collections; a full one walks the whole heap, tens of milliseconds in a service process. The
    start-up heap lives as long as the process anyway (CPython's ``gc.freeze``).
    """
    gc.collect()
    gc.freeze()


def serve(server):
    """Run a waitress ``server`` until SIGTERM or SIGINT; then finish the requests in progress.

    Closing the server from the signal handler would pull the sockets from under the request
    threads still answering; waitress's own way out is an interrupt of its loop, after which it
    waits (at most 5 s) for those threads.
    """
    def stop(*_):
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # one stop is enough
        raise KeyboardInterrupt

    for signum in _STOP_SIGNALS:
        signal.signal(signum, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by serve_workers
    freeze_heap()
    try:
        server.run()
    except KeyboardInterrupt:  # the signal came outside waitress's loop
        pass
    finally:
        server.task_dispatcher.shutdown()
        server.close()


def _run_worker(app_factory, sock, threads, after_fork):
    """The life of a forked worker: it never returns into the parent's code."""
    code = 0
    try:
        if after_fork is not None:
            after_fork()
        serve(make_server(app_factory(), sock, threads))
    except Exception:
        LOG.exception('API worker %s failed', os.getpid())
        code = 1
    finally:
        os._exit(code)


def serve_workers(app_factory, sock, workers, threads, after_fork=None):
    """Fork ``workers`` processes that share ``sock``; stop them all on SIGTERM or SIGINT.

    In each worker, ``after_fork()`` runs first (the caller drops what must not be shared with the
    parent, such as pooled database connections), then ``app_factory()`` builds the application.
    Returns 0 once every worker has ended cleanly, 1 if one of them failed.
    """
    children = []

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    # A stop signal that arrives while forking waits until the parent can pass it on and each
    # worker has its own handler.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                _run_worker(app_factory, sock, threads, after_fork)
            children.append(pid)
        for signum in _STOP_SIGNALS:
            signal.signal(signum, stop)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    LOG.info('API workers %s listening on %s:%s', children, *sock.getsockname()[:2])
    failed = False
    for pid in children:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            continue
        if os.waitstatus_to_exitcode(status) != 0:
            LOG.error('API worker %s ended with status %s', pid,
                      os.waitstatus_to_exitcode(status))
            failed = True
    return 1 if failed else 0

"""Serving the API: waitress threads in one process, or several pre-forked worker processes.

Limits against slow or idle clients (``[api] connection_limit``, ``idle_timeout``,
``header_timeout``) apply to every process: waitress closes connections idle for too long, and
``_Server`` closes those that take too long to send a request header, which waitress does not
bound (a client sending a header byte by byte would keep its connection, and a few hundred such
clients every connection, for as long as it likes).
"""

import bisect
import gc
import ipaddress
import itertools
import os
import signal
import socket
import time

from oslo_log import log as logging
from waitress import adjustments, buffers, channel, wasyncore
import waitress.server

from dcmanager.common import exception, signals
from dcmanager.conf import CONF

LOG = logging.getLogger(__name__)

# Entries of a server's socket map that are not client connections: the listening socket,
# waitress's trigger and the stop waker of serve().
_OWN_MAP_ENTRIES = 3
# Seconds between two checks of the connections' deadlines (waitress's loop wakes every second).
_CHECK_INTERVAL = 1
_WATCH_SECONDS = 1.0


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


class _Channel(channel.HTTPChannel):
    """waitress's connection, which also knows since when it waits for a request header."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_wait_since = time.monotonic()  # the first header: from the connection

    def received(self, data):
        if data and self.request is None and self.header_wait_since is None:
            self.header_wait_since = time.monotonic()  # the first byte of a later request
        result = super().received(data)
        if self.request is None or self.request.headers_finished:
            self.header_wait_since = None
        return result


# Worker processes sharing one listening socket: after each accept, a worker pauses this long
# per client connection it holds (at most _ACCEPT_PAUSE_CAP of them), see _Server.
_ACCEPT_PAUSE = 0.00025
_ACCEPT_PAUSE_CAP = 20


class _Server(waitress.server.TcpWSGIServer):
    """waitress's server, closing the connections whose header is late (``header_timeout``).

    With ``accept_pause`` (several workers on one socket), a worker that accepted a connection
    pauses in proportion to the connections it already holds before it looks at the socket
    again. Without it, the worker whose loop happens to be awake accepts a whole burst of new
    connections (16 clients connecting at once all went to one of two workers, which then
    served every request of theirs on its one core while the other worker idled); with it, the
    less busy worker takes the next one. A stopped or hung worker still takes nothing, as
    with any shared socket: the other accepts every connection, a little more slowly.
    """

    channel_class = _Channel
    header_timeout = None
    accept_pause = 0.0

    def handle_accept(self):
        super().handle_accept()
        if self.accept_pause:
            time.sleep(min(len(self.active_channels), _ACCEPT_PAUSE_CAP) * self.accept_pause)

    def maintenance(self, now):
        super().maintenance(now)  # connections idle for longer than idle_timeout
        cutoff = time.monotonic() - self.header_timeout
        for conn in self.active_channels.values():
            since = conn.header_wait_since
            if since is not None and since < cutoff and not conn.requests:
                conn.will_close = True


# A response body of at least this many bytes goes to waitress as one read-only file (see
# _LargeBodies).
_LARGE_BODY = 64 * 1024


class _PiecesFile:
    """A read-only, seekable file over the pieces (bytes) of a response body, never joined:
    each read hands out a view of one piece."""

    def __init__(self, pieces):
        self._pieces = [memoryview(piece) for piece in pieces if piece]
        sizes = [len(piece) for piece in self._pieces]
        self._starts = list(itertools.accumulate(sizes[:-1], initial=0))
        self._size = sum(sizes)
        self._pos = 0

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET):
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = min(max(base + offset, 0), self._size)
        return self._pos

    def read(self, size=-1):
        if self._pos >= self._size:
            return b''
        index = bisect.bisect_right(self._starts, self._pos) - 1
        piece, offset = self._pieces[index], self._pos - self._starts[index]
        end = len(piece) if size is None or size < 0 else min(len(piece), offset + size)
        self._pos += end - offset
        return piece[offset:end]

    def close(self):
        self._pieces = []


class _LargeBodies:
    """Hands waitress a large body (a list of bytes, as the API's lists answer) as one file.

    Given the pieces themselves, waitress copies a body beyond 1 MB into a temporary file before
    it sends it (written and read back in the kernel), and for each piece takes the connection's
    lock and tries a send: for a list of 6 MB that was half of its CPU. A file given as the
    response (waitress's ``wsgi.file_wrapper`` type) is sent from where it is, as the socket
    takes it; here it reads from the pieces, without a copy.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        result = self.app(environ, start_response)
        if (type(result) is list and sum(len(piece) for piece in result) >= _LARGE_BODY
                and all(type(piece) is bytes for piece in result)):
            return buffers.ReadOnlyFileBasedBuffer(_PiecesFile(result))
        return result


def make_server(app, sock, threads, conf=CONF, shared=False):
    """A waitress server of ``app`` on the listening socket ``sock`` with ``threads`` request
    threads and the ``[api]`` limits on client connections; ``shared``: other worker processes
    accept on ``sock`` too (see _Server)."""
    adj = adjustments.Adjustments(
        threads=threads, clear_untrusted_proxy_headers=True, ident='dcmanager',
        connection_limit=conf.api.connection_limit + _OWN_MAP_ENTRIES,
        channel_timeout=conf.api.idle_timeout, cleanup_interval=_CHECK_INTERVAL,
        # poll(), not select(): select() cannot watch a descriptor numbered 1,024 or more, and
        # a site that talks to a thousand subclouds (audit, sync, rehomes) holds that many;
        # waitress's loop then ends with ValueError at its next wake-up.
        asyncore_use_poll=True)
    server = _Server(_LargeBodies(app), _sock=sock, adj=adj, bind_socket=False,
                     sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))
    server.header_timeout = conf.api.header_timeout
    if shared:
        server.accept_pause = _ACCEPT_PAUSE
    return server


def freeze_heap():
    """Keep what start-up built (modules, configuration, the application) out of the cyclic
    garbage collector's scans from now on.

    A request that allocates many objects, such as the list of thousands of subclouds, triggers
    collections; a full one walks the whole heap, tens of milliseconds in a service process. The
    start-up heap lives as long as the process anyway (CPython's ``gc.freeze``).
    """
    gc.collect()
    gc.freeze()


class _StopWaker(wasyncore.file_dispatcher):
    """Wakes waitress's loop when a stop signal comes (its own copy of the stop pipe)."""

    def __init__(self, stop, socket_map):
        super().__init__(os.dup(stop.fileno()), map=socket_map)

    def writable(self):
        return False

    def handle_read(self):
        self.recv(64)


def serve(server, stop=None):
    """Run a waitress ``server`` until SIGTERM or SIGINT; then finish the requests in progress.

    The loop runs until the stop request of ``dcmanager.common.signals`` is set: the handler
    wakes the loop through a pipe, and request threads are never interrupted (waitress then
    waits, at most 5 s, for the requests in progress).
    """
    stop = stop or signals.install()
    waker = _StopWaker(stop, server._map)
    freeze_heap()
    try:
        while not stop.requested:
            wasyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map,
                           use_poll=server.adj.asyncore_use_poll, count=1)
    finally:
        waker.close()
        server.task_dispatcher.shutdown()
        server.close()


def _run_worker(app_factory, sock, threads, after_fork):
    """The life of a forked worker: it never returns into the parent's code."""
    code = 0
    try:
        stop = signals.install_in_child()
        if after_fork is not None:
            after_fork()
        serve(make_server(app_factory(), sock, threads, shared=True), stop)
    except Exception:
        LOG.exception('API worker %s failed', os.getpid())
        code = 1
    finally:
        os._exit(code)


def _reap(children):
    """Remove the workers that have ended from ``children``; True if one of them failed."""
    failed = False
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            children.remove(pid)
            continue
        if done:
            children.remove(pid)
            code = os.waitstatus_to_exitcode(status)
            if code != 0:
                LOG.error('API worker %s ended with status %s', pid, code)
                failed = True
    return failed


def serve_workers(app_factory, sock, workers, threads, after_fork=None):
    """Fork ``workers`` processes that share ``sock``; stop them all on SIGTERM or SIGINT.

    In each worker, ``after_fork()`` runs first (the caller drops what must not be shared with the
    parent, such as pooled database connections), then ``app_factory()`` builds the application.
    Returns 0 once every worker has ended cleanly, 1 if one of them failed.
    """
    stop = signals.install()
    children = []
    with signals.held():  # a stop signal waits until every worker has its own handler
        for _ in range(workers):
            if stop.requested:
                break
            pid = os.fork()
            if pid == 0:
                _run_worker(app_factory, sock, threads, after_fork)
            children.append(pid)
    LOG.info('API workers %s listening on %s:%s', children, *sock.getsockname()[:2])
    failed = False
    while children and not stop.wait(_WATCH_SECONDS):
        failed = _reap(children) or failed
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
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

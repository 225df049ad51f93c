"""dcmanager-audit: the subcloud audit service (scheduler + workers).

With the in-process RPC transport (``kombu+memory``) the scheduler and one worker share this
process. With a transport between processes (RabbitMQ) this process runs the scheduler and forks
``[audit] workers`` worker processes after the configuration is read; each worker has its own RPC
server on ``[audit] worker_topic`` and its own database connections. SIGTERM or SIGINT stops them
all; a worker that dies ends the service with status 1 (its supervisor restarts it).
"""

import os
import signal
import sys
import threading
import time

from oslo_log import log as logging

from dcmanager.audit import service
from dcmanager.cmd import common
from dcmanager.common import rpc
from dcmanager.conf import CONF
from dcmanager.db import api as db_api

LOG = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STOP_TIMEOUT = 10.0
_WATCH_SECONDS = 0.5


def _on_stop_signals(event):
    for signum in _STOP_SIGNALS:
        signal.signal(signum, lambda *_: event.set())


def _run(audit, stopping):
    audit.start()
    try:
        stopping.wait()
    finally:
        audit.stop()
        rpc.cleanup()


def _worker_process():
    """The life of a forked worker: it never returns into the parent's code."""
    code = 0
    try:
        db_api.dispose_engine()  # connections inherited from the parent are not ours
        stopping = threading.Event()
        _on_stop_signals(stopping)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        _run(service.AuditService(scheduler=False, worker=True), stopping)
    except Exception:
        LOG.exception('Audit worker %s failed', os.getpid())
        code = 1
    finally:
        os._exit(code)


def _fork_workers(count):
    # A stop signal that arrives while forking waits until every process has its handler.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            _worker_process()
        children.append(pid)
    return children


def _reap(children):
    """Pids among ``children`` that have ended, with their exit codes (no waiting)."""
    ended = {}
    for pid in children:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            ended[pid] = 0
            continue
        if done:
            ended[pid] = os.waitstatus_to_exitcode(status)
    return ended


def _signal_children(children):
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _wait_children(children):
    deadline = time.monotonic() + STOP_TIMEOUT
    failed = False
    while children and time.monotonic() < deadline:
        for pid, code in _reap(children).items():
            children.remove(pid)
            failed = failed or code != 0
        time.sleep(0.05)
    for pid in children:  # did not stop in time
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        failed = True
    return failed


def _serve_with_workers(count):
    stopping = threading.Event()
    children = _fork_workers(count)
    try:
        _on_stop_signals(stopping)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    LOG.info('Audit workers %s started', children)
    scheduler = service.AuditService(scheduler=True, worker=False)
    scheduler.start()
    failed = False
    try:
        while not stopping.wait(_WATCH_SECONDS):
            ended = _reap(children)
            if ended:
                LOG.error('Audit worker(s) ended unexpectedly: %s; stopping the service',
                          ', '.join('%s (status %s)' % item for item in ended.items()))
                children = [pid for pid in children if pid not in ended]
                failed = True
                break
    finally:
        scheduler.stop()  # first: no batch is sent to workers that are going away
        _signal_children(children)
        rpc.cleanup()  # meanwhile the workers stop
        failed = _wait_children(children) or failed
    return 1 if failed else 0


def main():
    common.prepare()
    if CONF.transport_url.startswith('kombu+memory'):  # in-process: other processes unreachable
        if CONF.audit.workers > 1:
            LOG.info('In-process RPC transport: the audit worker runs in this process '
                     '([audit] workers applies with RabbitMQ)')
        stopping = threading.Event()
        _on_stop_signals(stopping)
        _run(service.AuditService(scheduler=True, worker=True), stopping)
        return 0
    return _serve_with_workers(CONF.audit.workers)


if __name__ == '__main__':
    sys.exit(main())

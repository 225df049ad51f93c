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
import time

from oslo_log import log as logging

from dcmanager.audit import service
from dcmanager.cmd import common
from dcmanager.common import rpc, signals
from dcmanager.conf import CONF
from dcmanager.db import api as db_api

LOG = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
_WATCH_SECONDS = 0.5


def _run(audit, stop):
    audit.start()
    try:
        stop.wait()
    finally:
        audit.stop()
        rpc.cleanup()


def _worker_process():
    """The life of a forked worker: it never returns into the parent's code."""
    code = 0
    try:
        stop = signals.install_in_child()
        db_api.dispose_engine()  # connections inherited from the parent are not ours
        _run(service.AuditService(scheduler=False, worker=True), stop)
    except Exception:
        LOG.exception('Audit worker %s failed', os.getpid())
        code = 1
    finally:
        os._exit(code)


def _fork_workers(count, stop):
    children = []
    with signals.held():  # a stop signal waits until every worker has its own handler
        for _ in range(count):
            if stop.requested:
                break
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


def _serve_with_workers(count, stop):
    children = _fork_workers(count, stop)
    LOG.info('Audit workers %s started', children)
    scheduler = service.AuditService(scheduler=True, worker=False)
    scheduler.start()
    failed = False
    try:
        while not stop.wait(_WATCH_SECONDS):
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
    stop = signals.install()
    common.prepare()
    if CONF.transport_url.startswith('kombu+memory'):  # in-process: other processes unreachable
        if CONF.audit.workers > 1:
            LOG.info('In-process RPC transport: the audit worker runs in this process '
                     '([audit] workers applies with RabbitMQ)')
        _run(service.AuditService(scheduler=True, worker=True), stop)
        return 0
    return _serve_with_workers(CONF.audit.workers, stop)


if __name__ == '__main__':
    sys.exit(main())

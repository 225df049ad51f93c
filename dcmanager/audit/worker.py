"""The audit worker: takes batches of claimed subclouds over RPC and audits each one.

One worker per process: an RPC server on ``[audit] worker_topic``, a bounded ``WorkQueue``
(``[work_queue] workers`` threads, at most ``max_pending`` subclouds accepted) and one identity
``SessionPool`` whose token cache is ``[token_cache] backend``.

The worker writes each result to the database itself, through ``objects.subcloud_audit``, in one
transaction per subcloud that is conditional on the batch's claim. (The reference casts results to
a separate state process; with the claim as the compare-and-set there is nothing a second hop
would add but latency and a window where the result is in flight and unowned.)
"""

import collections
import os
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from dcmanager.audit import availability, connections, rpcapi
from dcmanager.common import context as dc_context
from dcmanager.common import exception, rpc, states
from dcmanager.conf import CONF
from dcmanager.drivers import identity, workqueue
from dcmanager.drivers import subcloud as subcloud_driver
from dcmanager.objects import base as objects_base
from dcmanager.objects import subcloud_audit, token_store

LOG = logging.getLogger(__name__)

# At stop, how long audits already talking to a subcloud get to finish before their claims are
# released (their results are then dropped; the next owner audits again).
STOP_GRACE_SECONDS = 2.0


def audit_subcloud(context, pool, subcloud_id, owner, connections=None):
    """Audit one claimed subcloud and store the result; returns the Decision, or None when the
    claim is no longer ``owner``'s (nothing is done then).

    ``connections`` (a KeptConnections) is told of every session used.
    """
    target = subcloud_audit.start(context, subcloud_id, owner, CONF.audit.lease_seconds)
    if target is None:
        LOG.debug('Subcloud %s: claim %s lapsed or taken over, not audited', subcloud_id, owner)
        return None
    managed = target.management_state == states.MANAGED
    outcome = observe(pool, target, managed, connections)
    decision = availability.decide(target.availability_status, target.audit_fail_count, outcome,
                                   store_alarms=managed)
    written = subcloud_audit.finish(context, target.id, owner, decision.availability,
                                    decision.fail_count, changed=decision.changed,
                                    endpoints_unknown=decision.endpoints_unknown,
                                    alarms=decision.alarms)
    if not written:
        LOG.info('Subcloud %s: audit result dropped, its claim passed to another owner',
                 target.name)
    elif decision.changed and decision.availability == states.OFFLINE:
        LOG.warning('Subcloud %s is offline after %d failed audits: %s', target.name,
                    decision.fail_count, outcome.reason)
    elif decision.changed:
        LOG.info('Subcloud %s is online', target.name)
    elif not outcome.success:
        LOG.info('Subcloud %s: audit failed (%d in a row): %s', target.name,
                 decision.fail_count, outcome.reason)
    return decision


def observe(pool, target, managed, connections=None):
    """Ask the subcloud's audit agent; the Outcome (a failure carries the reason, no secret)."""
    if not target.bootstrap_address:
        return availability.failed('no address to reach it')
    audits = ('base_audit', 'alarm_audit') if managed else ('base_audit',)
    try:
        password = target.admin_password()
        if not password:
            return availability.failed('no admin password stored for it')
        client = subcloud_driver.for_address(pool, target.bootstrap_address, password)
    except exception.DCManagerException as e:  # a secret the site key cannot decrypt
        return availability.failed(str(e))
    try:
        answer = client.audit(audits)
    except exception.DCManagerException as e:  # IdentityError, SubcloudUnreachable
        return availability.failed(str(e))
    except ValueError:
        return availability.failed('the audit agent answered something that is not JSON')
    finally:
        if connections is not None:
            connections.used(client.session)
    return availability.from_answer(answer)


class AuditWorkerEndpoint:
    """RPC endpoints of topic ``[audit] worker_topic``."""

    target = messaging.Target(version=rpcapi.AuditWorkerAPI.RPC_API_VERSION)

    def __init__(self, worker):
        self.worker = worker

    def audit_subclouds(self, context, subcloud_ids, owner):
        self.worker.accept(subcloud_ids, owner)


class AuditWorker:
    """Audits the subclouds cast to it, at most ``[work_queue] max_pending`` accepted at once."""

    def __init__(self, host=None, pool=None):
        self.host = host or '%s:audit-worker:%d' % (CONF.host, os.getpid())
        self.pool = pool
        self.connections = None
        self.queue = None
        self._server = None
        self._stopping = threading.Event()
        self._lock = threading.Condition()
        # owner -> ids accepted and not finished. One claim's batches may be spread over
        # several workers: a worker only ever releases the subclouds it holds itself.
        self._in_flight = collections.defaultdict(set)

    def start(self, listen=True):
        """Start the threads; with ``listen``, take batches from the RPC topic too (without,
        only ``accept`` called in this process feeds it)."""
        if self.pool is None:
            cache = identity.make_token_cache(token_store.DatabaseTokenRecords)
            self.pool = identity.SessionPool(cache, verify=CONF.subcloud.ca_file or True)
        self.queue = workqueue.WorkQueue(name='audit')
        if self.connections is None:
            self.connections = connections.KeptConnections(
                connections.default_limit(self.queue.workers))
        if listen:
            self._server = rpc.get_server(CONF.audit.worker_topic, self.host,
                                          rpcapi.AuditWorkerAPI.RPC_API_VERSION,
                                          [AuditWorkerEndpoint(self)],
                                          objects_base.DCManagerObjectSerializer())
            self._server.start()
        LOG.info('Audit worker %s %s (%d threads, at most %d subclouds accepted, connections '
                 'kept open for %s subclouds)', self.host,
                 'listening on topic %s' % CONF.audit.worker_topic if listen else 'in process',
                 self.queue.workers, self.queue.max_pending,
                 'all' if self.connections.limit is None else self.connections.limit)
        return self

    def accept(self, subcloud_ids, owner):
        """Queue the audit of each subcloud; release the claims the queue has no room for.

        Refused before anything is started, never accepted and dropped: the scheduler claims
        them again at its next scan, and another worker may take them.
        """
        subcloud_ids = list(subcloud_ids)
        for index, subcloud_id in enumerate(subcloud_ids):
            with self._lock:
                self._in_flight[owner].add(subcloud_id)
            try:
                self.queue.submit(self._run, subcloud_id, owner)
            except exception.Overloaded:
                self._done(owner, subcloud_id)
                refused = subcloud_ids[index:]
                subcloud_audit.release(dc_context.get_admin_context(), owner, refused)
                LOG.warning('Audit worker %s is full: %d subclouds handed back for the next '
                            'scan', self.host, len(refused))
                return index
        return len(subcloud_ids)

    def _run(self, subcloud_id, owner):
        context = dc_context.get_admin_context()
        try:
            if not self._stopping.is_set():  # queued when the worker stopped: released in bulk
                audit_subcloud(context, self.pool, subcloud_id, owner, self.connections)
        except Exception:
            # A job boundary: log, and let the next scan claim the subcloud again.
            LOG.exception('Audit of subcloud %s failed', subcloud_id)
            try:
                subcloud_audit.release(context, owner, [subcloud_id])
            except Exception:
                LOG.exception('Could not release the claim on subcloud %s', subcloud_id)
        finally:
            self._done(owner, subcloud_id)

    def _done(self, owner, subcloud_id):
        with self._lock:
            held = self._in_flight[owner]
            held.discard(subcloud_id)
            if not held:
                del self._in_flight[owner]
            self._lock.notify_all()

    def stop(self, grace=STOP_GRACE_SECONDS):
        """Take no more batches, drop the queued audits, give running ones ``grace`` seconds,
        then release every claim still held (so another worker need not wait for the lease)."""
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self.queue is not None:
            self.queue.stop(wait=False)
        deadline = time.monotonic() + grace
        with self._lock:
            while self._in_flight and time.monotonic() < deadline:
                self._lock.wait(max(deadline - time.monotonic(), 0))
            held = {owner: sorted(ids) for owner, ids in self._in_flight.items()}
            running = sum(len(ids) for ids in held.values())
        context = dc_context.get_admin_context()
        try:
            for owner, subcloud_ids in held.items():
                subcloud_audit.release(context, owner, subcloud_ids)
        except Exception:
            # The service boundary: the claims lapse after the lease anyway.
            LOG.exception('Could not release the audit claims of worker %s', self.host)
        if self.pool is not None and not running:
            self.pool.close()  # else audits past the grace still use it; the process ends
        LOG.info('Audit worker %s stopped (%d audits abandoned)', self.host, running)

"""The audit worker: takes batches of claimed subclouds over RPC and audits each one.

One worker per process: an RPC server on ``[audit] worker_topic``, a bounded ``WorkQueue``
(``[work_queue] workers`` threads, at most ``max_pending`` subclouds accepted), a second one for
the subclouds that failed their way offline (``[audit] offline_workers`` threads: a subcloud
that hangs holds a thread for a whole audit's time, and those threads are never the healthy
subclouds'; and before it is offline, an audit that stalls past ``[audit] stall_seconds``
gives its place in the first queue to a new thread) and the process's
pool of calls to subclouds (``drivers.subcloud.acquire_pool``), whose token cache is
``[token_cache] backend``.

The worker reads a batch's subclouds in one query when it takes the batch, and writes the results
to the database itself, through ``objects.subcloud_audit``: the results that finish while a group
is being written go together in the next transaction (``common.groupcommit``), each conditional
on its claim. (The reference casts results to a separate state process; with the claim as the
compare-and-set there is nothing a second hop would add but latency and a window where the result
is in flight and unowned.)
"""

import collections
import os
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from dcmanager.audit import availability, connections, rpcapi
from dcmanager.common import context as dc_context
from dcmanager.common import exception, groupcommit, nofile, rpc, states
from dcmanager.conf import CONF
from dcmanager.drivers import subcloud as subcloud_driver
from dcmanager.drivers import workqueue
from dcmanager.objects import base as objects_base
from dcmanager.objects import subcloud_audit, token_store

LOG = logging.getLogger(__name__)

# At stop, how long audits already talking to a subcloud get to finish before their claims are
# released (their results are then dropped; the next owner audits again).
STOP_GRACE_SECONDS = 2.0


def audit_target(pool, target, owner, connections=None):
    """Audit one claimed subcloud: the Result to store, with the Outcome it comes from.

    ``connections`` (a KeptConnections) is told of every channel used.
    """
    managed = target.management_state == states.MANAGED
    started_at = subcloud_audit.utcnow()
    outcome = observe(pool, target, managed, connections)
    decision = availability.decide(target.availability_status, target.audit_fail_count, outcome,
                                   store_alarms=managed)
    return subcloud_audit.Result(target.id, owner, decision.availability, decision.fail_count,
                                 changed=decision.changed,
                                 endpoints_unknown=decision.endpoints_unknown,
                                 alarms=decision.alarms, started_at=started_at), outcome


def _log_result(target, result, outcome, written):
    if not written:
        LOG.info('Subcloud %s: audit result dropped, its claim passed to another owner or it '
                 'left the audited states', target.name)
    elif result.changed and result.availability == states.OFFLINE:
        LOG.warning('Subcloud %s is offline after %d failed audits: %s', target.name,
                    result.fail_count, outcome.reason)
    elif result.changed:
        LOG.info('Subcloud %s is online', target.name)
    elif not outcome.success:
        LOG.info('Subcloud %s: audit failed (%d in a row): %s', target.name,
                 result.fail_count, outcome.reason)


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
        # Never longer than an interval: a subcloud that does not answer within one is due
        # again by then, and two such audits take it offline within two intervals.
        answer = client.audit(audits, within=CONF.audit.interval)
    except exception.OutboundError as e:  # its message says what failed, for the log
        return availability.failed(str(e))
    finally:
        if connections is not None and client.channel is not None:
            connections.used(client.channel)
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
        self._shared_pool = False
        self.connections = None
        self.queue = None
        self.offline = None  # the WorkQueue of subclouds that failed their way offline
        self._server = None
        self._stopping = threading.Event()
        self._lock = threading.Condition()
        # owner -> ids accepted and not finished. One claim's batches may be spread over
        # several workers: a worker only ever releases the subclouds it holds itself.
        self._in_flight = collections.defaultdict(set)
        self.results = groupcommit.GroupCommit(self._write_results, self._results_written)

    def start(self, listen=True):
        """Start the threads; with ``listen``, take batches from the RPC topic too (without,
        only ``accept`` called in this process feeds it)."""
        if self.pool is None:
            # The process's pool of calls to subclouds: shared with the manager's enrollments
            # in dcmanager-all, so a new subcloud's token serves its first audit.
            self.pool = subcloud_driver.acquire_pool(token_store.DatabaseTokenRecords)
            self._shared_pool = True
        # An audit that stalls (a subcloud starting to hang) hands its place to a new thread.
        self.queue = workqueue.WorkQueue(name='audit', stall_seconds=CONF.audit.stall_seconds,
                                         max_stalled=CONF.audit.offline_workers)
        self.offline = workqueue.WorkQueue(workers=CONF.audit.offline_workers,
                                           name='audit-offline')
        if self.connections is None:
            threads = self.queue.workers + 2 * self.offline.workers
            # Room for a kept connection per subcloud, where the hard limit allows (a 10,000
            # subcloud fleet would otherwise reconnect, a TLS handshake each, at every audit).
            nofile.raise_limit(connections.files_wanted(threads))
            # A subcloud not audited here for three intervals gives its place up.
            self.connections = connections.KeptConnections(
                connections.default_limit(threads), stale_seconds=3 * CONF.audit.interval)
        if listen:
            self._server = rpc.get_server(CONF.audit.worker_topic, self.host,
                                          rpcapi.AuditWorkerAPI.RPC_API_VERSION,
                                          [AuditWorkerEndpoint(self)],
                                          objects_base.DCManagerObjectSerializer())
            self._server.start()
        LOG.info('Audit worker %s %s (%d threads + %d for offline subclouds, at most %d '
                 'subclouds accepted, connections kept open for %s subclouds)', self.host,
                 'listening on topic %s' % CONF.audit.worker_topic if listen else 'in process',
                 self.queue.workers, self.offline.workers, self.queue.max_pending,
                 'all' if self.connections.limit is None else self.connections.limit)
        return self

    def accept(self, subcloud_ids, owner):
        """Read the batch's claims and queue the audit of each subcloud still held; release the
        claims the queue has no room for. Returns how many of ``subcloud_ids`` were dealt with
        (queued, or left out because the claim lapsed or the subcloud is no longer audited).

        Refused before anything is started, never accepted and dropped: the scheduler claims
        them again at its next scan, and another worker may take them.
        """
        subcloud_ids = list(subcloud_ids)
        context = dc_context.get_admin_context()
        targets = subcloud_audit.start_many(context, subcloud_ids, owner,
                                            CONF.audit.lease_seconds)
        skipped = sorted(set(subcloud_ids) - {target.id for target in targets})
        if skipped:
            LOG.debug('Subclouds %s: claim %s lapsed or taken over, or no longer audited',
                      skipped, owner)
            subcloud_audit.release(context, owner, skipped)
        for index, target in enumerate(targets):
            with self._lock:
                self._in_flight[owner].add(target.id)
            try:
                self._queue_for(target).submit(self._run, target, owner)
            except exception.Overloaded:
                self._done(owner, target.id)
                refused = [t.id for t in targets[index:]]
                subcloud_audit.release(context, owner, refused)
                LOG.warning('Audit worker %s is full: %d subclouds handed back for the next '
                            'scan', self.host, len(refused))
                return len(subcloud_ids) - len(refused)
        return len(subcloud_ids)

    def _queue_for(self, target):
        """Where ``target`` is audited: apart once failed audits took it offline (a hung one
        then holds only threads of its kind). An online subcloud that failed stays with the
        healthy ones, so that its next failure, which takes it offline, comes on schedule
        whatever the number of hung subclouds."""
        if target.availability_status == states.OFFLINE and target.audit_fail_count > 0:
            return self.offline
        return self.queue

    def _run(self, target, owner):
        context = dc_context.get_admin_context()
        try:
            if self._stopping.is_set():  # queued when the worker stopped: released in bulk
                self._done(owner, target.id)
                return
            if target.lease_short(CONF.audit.lease_seconds):
                # It waited long in the queue: renew the claim (and read the subcloud again).
                subcloud_id = target.id
                target = subcloud_audit.start(context, subcloud_id, owner,
                                              CONF.audit.lease_seconds)
                if target is None:
                    self._done(owner, subcloud_id)
                    return
            result, outcome = audit_target(self.pool, target, owner, self.connections)
        except Exception:
            # A job boundary: log, and let the next scan claim the subcloud again.
            LOG.exception('Audit of subcloud %s failed', target.id)
            self._give_up(context, owner, [target.id])
            return
        self.results.add((target, result, outcome))

    def _write_results(self, group):
        return subcloud_audit.finish_many(dc_context.get_admin_context(),
                                          [result for _, result, _ in group])

    def _results_written(self, group, written, error):
        if error is not None:
            LOG.error('Could not store %d audit results: %s', len(group), error)
            by_owner = collections.defaultdict(list)
            for _, result, _ in group:
                by_owner[result.owner].append(result.subcloud_id)
            for owner, subcloud_ids in by_owner.items():
                self._give_up(dc_context.get_admin_context(), owner, subcloud_ids)
            return
        for target, result, outcome in group:
            _log_result(target, result, outcome,
                        written=(result.subcloud_id, result.owner) in written)
            self._done(result.owner, result.subcloud_id)

    def _give_up(self, context, owner, subcloud_ids):
        """Release claims without a result (the next scan claims them again)."""
        try:
            subcloud_audit.release(context, owner, subcloud_ids)
        except Exception:
            LOG.exception('Could not release the claims on subclouds %s', subcloud_ids)
        finally:
            for subcloud_id in subcloud_ids:
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
        for queue in (self.queue, self.offline):
            if queue is not None:
                queue.stop(wait=False)
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
        if self.pool is not None and not running:  # else audits past the grace still use it
            if self._shared_pool:
                subcloud_driver.release_pool(self.pool)
            else:
                self.pool.close()
        LOG.info('Audit worker %s stopped (%d audits abandoned)', self.host, running)

"""The audit scheduler: finds the subclouds due for an audit, claims them, sends them to workers.

Every ``[audit] scan_interval`` seconds (at most ``interval``) it claims the subclouds whose last
audit is at least ``[audit] interval`` seconds old (never-audited and oldest first) and casts them,
``batch_size`` at a time, to the worker topic (or hands them to the worker of its own process, when
it has one). All the batches of one claim share its owner token. Who is due is decided by the
database (``objects.subcloud_audit``): an auditable deploy status (secondary, pre-rehome, rehoming
and enrolling subclouds never are; offline ones in an expected outage neither), and no live claim.

The claim is what makes several schedulers safe (e.g. one ``dcmanager-audit`` per controller): a
subcloud is claimed by exactly one of them per audit, and is not sent again before the worker is
done with it or the claim's lease (``[audit] lease_seconds``) has lapsed.
"""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from dcmanager.audit import rpcapi
from dcmanager.common import context as dc_context
from dcmanager.common import periodic
from dcmanager.conf import CONF
from dcmanager.objects import subcloud_audit

LOG = logging.getLogger(__name__)

# Subclouds claimed in one transaction (then sent in batches of [audit] batch_size): few claim
# transactions per scan, so that the scheduler keeps up next to busy worker threads.
CLAIM_SIZE = 500


class Scheduler:
    """Claims due subclouds in batches and casts them to ``[audit] worker_topic``."""

    def __init__(self, local_worker=None):
        # With a worker in this process, batches go straight to it: a cast would only make a
        # round trip through the broker (the in-process one polls in a busy loop).
        self._local_worker = local_worker
        self._worker_api = None
        self._stopping = threading.Event()
        self._task = None

    def start(self):
        period = min(CONF.audit.scan_interval, CONF.audit.interval)
        self._task = periodic.Periodic('audit-scheduler', period, self.run_once).start()
        LOG.info('Audit scheduler started: every subcloud every %s s, looking every %s s, '
                 'batches of %s to %s', CONF.audit.interval, period, CONF.audit.batch_size,
                 'the worker of this process' if self._local_worker is not None
                 else 'topic %s' % CONF.audit.worker_topic)
        return self

    def run_once(self):
        """One scan: claim and send every due subcloud; returns how many were sent."""
        audit = CONF.audit
        context = dc_context.get_admin_context()
        claim_size = max(CLAIM_SIZE, audit.batch_size)
        sent = 0
        while not self._stopping.is_set():
            due = subcloud_audit.due(context, audit.interval, claim_size)
            if not due:
                break
            owner, claimed = subcloud_audit.claim(context, due, audit.interval,
                                                  audit.lease_seconds)
            taken = self._send_batches(context, claimed, owner)
            sent += taken
            if taken < len(claimed) or len(due) < claim_size:
                break  # the workers are full (what they refused is released), or all is sent
        if sent:
            LOG.debug('Audit scan sent %d subclouds', sent)
        return sent

    def _send_batches(self, context, claimed, owner):
        """Send ``claimed`` in batches of ``[audit] batch_size``; how many were taken. Once a
        batch is not taken whole, the rest is released (the workers are full)."""
        size = CONF.audit.batch_size
        for start in range(0, len(claimed), size):
            batch = claimed[start:start + size]
            taken = self._send(context, batch, owner)
            if taken < len(batch) or self._stopping.is_set():
                rest = claimed[start + size:]
                if rest:
                    subcloud_audit.release(context, owner, rest)
                return start + taken
        return len(claimed)

    def _send(self, context, subcloud_ids, owner):
        """Hand a claimed batch to a worker; how many of it were taken (the rest is released)."""
        if self._local_worker is not None:
            return self._local_worker.accept(subcloud_ids, owner)
        if self._worker_api is None:
            self._worker_api = rpcapi.AuditWorkerAPI()
        try:
            self._worker_api.audit_subclouds(context, subcloud_ids, owner)
        except messaging.MessagingException as e:
            subcloud_audit.release(context, owner, subcloud_ids)
            LOG.warning('Cannot send subclouds to the audit workers (%s); next scan in %s s',
                        e.__class__.__name__, CONF.audit.scan_interval)
            return 0
        # A remote worker that is full hands the batch back itself; the scan cannot know.
        return len(subcloud_ids)

    def stop(self):
        self._stopping.set()
        if self._task is not None:
            self._task.stop()
            self._task = None

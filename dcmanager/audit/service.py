"""The audit service: availability and alarm audit of every auditable subcloud.

Two parts, which may run in one process or apart:

* the scheduler (``audit.scheduler``): claims the due subclouds and casts them in batches to
  ``[audit] worker_topic``;
* the worker (``audit.worker``): takes those batches, audits each subcloud through its audit agent
  and stores the result (``audit.availability`` is the online/offline rule).

``dcmanager-all`` (and ``dcmanager-audit`` on the in-process transport) runs both in its one
process, the scheduler handing batches to the worker directly; ``dcmanager-audit`` on RabbitMQ runs
the scheduler and forks ``[audit] workers`` worker processes, which take the batches from the
topic.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.audit import scheduler as scheduler_mod
from dcmanager.audit import worker as worker_mod

LOG = logging.getLogger(__name__)


class AuditService:
    """Runs the scheduler, the worker or both until stopped."""

    def __init__(self, scheduler=True, worker=True, host=None):
        self.run_scheduler = scheduler
        self.run_worker = worker
        self.host = host
        self.scheduler = None
        self.worker = None

    def start(self):
        objects.register_all()
        # The worker first, so that the scheduler's first batches find it ready. Together in
        # one process, the scheduler hands batches to its worker directly (no RPC round trip);
        # apart, the worker listens on [audit] worker_topic.
        together = self.run_worker and self.run_scheduler
        if self.run_worker:
            self.worker = worker_mod.AuditWorker(host=self.host).start(listen=not together)
        if self.run_scheduler:
            self.scheduler = scheduler_mod.Scheduler(
                local_worker=self.worker if together else None).start()
        LOG.info('Audit service started (%s)', ' and '.join(
            part for part, on in (('scheduler', self.run_scheduler),
                                  ('worker', self.run_worker)) if on))

    def stop(self):
        # The scheduler first: nothing new is sent to a worker that is going away.
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        LOG.info('Audit service stopped')

"""A bounded queue of outbound work run by a fixed pool of threads.

Overload is decided *before* a job is taken on: ``submit`` raises ``Overloaded`` when the queue is
full, so the caller knows at once that the work was not accepted (nothing is accepted and then
dropped). A job may be retried, with ``retry_delay`` seconds between tries, without holding a worker
while it waits. Jobs that need a token simply call through the identity layer: while that token is
being renewed they wait on the single renewal in flight.
"""

import concurrent.futures
import heapq
import itertools
import threading
import time

from oslo_log import log as logging

from dcmanager.common import exception
from dcmanager.conf import CONF

LOG = logging.getLogger(__name__)


class _Job:
    __slots__ = ('fn', 'args', 'kwargs', 'future', 'tries_left', 'retry_on')

    def __init__(self, fn, args, kwargs, retries, retry_on):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.future = concurrent.futures.Future()
        self.tries_left = retries + 1
        self.retry_on = retry_on


class WorkQueue:
    """``workers`` threads serve at most ``max_pending`` accepted, unfinished jobs."""

    def __init__(self, workers=None, max_pending=None, retry_delay=None, name='outbound'):
        wq = CONF.work_queue
        self.workers = workers or wq.workers
        self.max_pending = max_pending or wq.max_pending
        self.retry_delay = wq.retry_delay if retry_delay is None else retry_delay
        self.name = name
        self._cond = threading.Condition()
        self._ready = []        # heap of (not_before, seq, job)
        self._seq = itertools.count()
        self._pending = 0       # accepted and not finished (queued, waiting to retry, running)
        self._stopping = False
        self._threads = [threading.Thread(target=self._run, name='%s-%d' % (name, i), daemon=True)
                         for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    @property
    def pending(self):
        with self._cond:
            return self._pending

    def submit(self, fn, *args, retries=0, retry_on=(Exception,), **kwargs):
        """Accept ``fn(*args, **kwargs)`` or raise Overloaded; returns a Future of its result.

        A failure matching ``retry_on`` is tried again up to ``retries`` times, ``retry_delay``
        seconds apart.
        """
        job = _Job(fn, args, kwargs, retries, retry_on)
        with self._cond:
            if self._stopping:
                raise exception.Overloaded(queue=self.name, limit=self.max_pending)
            if self._pending >= self.max_pending:
                raise exception.Overloaded(queue=self.name, limit=self.max_pending)
            self._pending += 1
            heapq.heappush(self._ready, (0.0, next(self._seq), job))
            self._cond.notify()
        return job.future

    def _next_job(self):
        with self._cond:
            while True:
                if self._stopping and not self._ready:
                    return None
                if self._ready:
                    not_before = self._ready[0][0]
                    wait = not_before - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._ready)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self):
        while True:
            job = self._next_job()
            if job is None:
                return
            job.tries_left -= 1
            try:
                result = job.fn(*job.args, **job.kwargs)
            except job.retry_on as e:
                if job.tries_left > 0 and not self._stopping:
                    LOG.debug('%s job failed (%s); retrying in %s s', self.name,
                              e.__class__.__name__, self.retry_delay)
                    with self._cond:
                        heapq.heappush(self._ready, (time.monotonic() + self.retry_delay,
                                                     next(self._seq), job))
                        self._cond.notify()
                    continue
                self._finish(job, error=e)
            except BaseException as e:  # noqa: BLE001 - reported through the future
                self._finish(job, error=e)
            else:
                self._finish(job, result=result)

    def _finish(self, job, result=None, error=None):
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    def stop(self, wait=True):
        """Take no more work; finish what was accepted (retries are not attempted)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()

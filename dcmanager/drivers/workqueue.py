"""A bounded queue of outbound work run by a fixed pool of threads.

Overload is decided *before* a job is taken on: ``submit`` raises ``Overloaded`` when the queue is
full, so the caller knows at once that the work was not accepted (nothing is accepted and then
dropped). A job may be retried, with ``retry_delay`` seconds between tries, without holding a worker
while it waits. Jobs that need a token simply call through the identity layer: while that token is
being renewed they wait on the single renewal in flight.

A job that hangs (a call to a server that never answers) would hold its thread all the while: with
``stall_seconds``, a job still running after that long no longer counts against ``workers``, and a
new thread takes its place, at most ``max_stalled`` of them at a time (the stalled job keeps its
own thread until it ends, then that thread goes). So a few hung calls never hold up the others.
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
    """``workers`` threads serve at most ``max_pending`` accepted, unfinished jobs (plus a thread
    for each job stalled past ``stall_seconds``, at most ``max_stalled``)."""

    def __init__(self, workers=None, max_pending=None, retry_delay=None, name='outbound',
                 stall_seconds=None, max_stalled=0):
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
        self.stall_seconds = stall_seconds
        self.max_stalled = max_stalled if stall_seconds else 0
        self._started = {}      # thread -> when its running job started
        self._names = itertools.count()
        self._threads = []
        with self._cond:
            for _ in range(self.workers):
                self._spawn()
        if self.max_stalled:
            threading.Thread(target=self._watch, name='%s-watch' % name, daemon=True).start()

    def _spawn(self):
        thread = threading.Thread(target=self._run, name='%s-%d' % (self.name, next(self._names)),
                                  daemon=True)
        self._threads.append(thread)
        thread.start()

    def _stalled(self, now):
        return sum(1 for started in self._started.values() if now - started > self.stall_seconds)

    def _watch(self):
        """Give each stalled job's place to a new thread while jobs wait (under the cap)."""
        period = max(self.stall_seconds / 4.0, 0.05)
        with self._cond:
            while not self._stopping:
                if self._ready:
                    wanted = self.workers + min(self._stalled(time.monotonic()),
                                                self.max_stalled)
                    while len(self._threads) < wanted:
                        self._spawn()
                self._cond.wait(period)

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

    def _next_job(self, me):
        with self._cond:
            self._started.pop(me, None)
            while True:
                if self._stopping and not self._ready:
                    return None
                if self.max_stalled and len(self._threads) > self.workers + min(
                        self._stalled(time.monotonic()), self.max_stalled):
                    self._threads.remove(me)  # a stalled job's stand-in, no longer needed
                    return None
                if self._ready:
                    not_before = self._ready[0][0]
                    wait = not_before - time.monotonic()
                    if wait <= 0:
                        self._started[me] = time.monotonic()
                        return heapq.heappop(self._ready)[2]
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self):
        me = threading.current_thread()
        while True:
            job = self._next_job(me)
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
            with self._cond:
                threads = list(self._threads)
            for thread in threads:
                thread.join()

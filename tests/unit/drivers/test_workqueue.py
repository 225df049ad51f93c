"""WorkQueue: bounded before enqueue, spaced retries, results and errors through futures."""

import threading
import time

import pytest

from dcmanager.common import exception
from dcmanager.drivers import workqueue


@pytest.fixture
def queue(site):
    queues = []

    def make(**kw):
        q = workqueue.WorkQueue(**kw)
        queues.append(q)
        return q

    yield make
    for q in queues:
        q.stop()


def test_runs_jobs_and_returns_results(queue):
    q = queue(workers=4, max_pending=100)
    futures = [q.submit(lambda n=n: n * n) for n in range(50)]
    assert [f.result(timeout=5) for f in futures] == [n * n for n in range(50)]
    assert q.pending == 0


def test_full_queue_rejects_before_enqueue(queue):
    q = queue(workers=1, max_pending=3)
    release = threading.Event()
    ran = []

    def job(n):
        release.wait(5)
        ran.append(n)

    futures = [q.submit(job, n) for n in range(3)]
    with pytest.raises(exception.Overloaded) as e:
        q.submit(job, 99)
    assert e.value.code == 503
    assert q.pending == 3
    release.set()
    for f in futures:
        f.result(timeout=5)
    assert sorted(ran) == [0, 1, 2]  # the refused job was never taken on
    q.submit(job, 4).result(timeout=5)
    assert 99 not in ran and 4 in ran


def test_retries_are_spaced_by_the_delay(queue):
    q = queue(workers=2, max_pending=10, retry_delay=0.2)
    tries = []

    def flaky():
        tries.append(time.monotonic())
        if len(tries) < 3:
            raise ConnectionError('not yet')
        return 'ok'

    assert q.submit(flaky, retries=5).result(timeout=5) == 'ok'
    assert len(tries) == 3
    gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
    assert all(gap >= 0.19 for gap in gaps)


def test_a_waiting_retry_does_not_hold_a_worker(queue):
    q = queue(workers=1, max_pending=10, retry_delay=0.5)
    order = []

    def failing():
        order.append('fail')
        raise ConnectionError('down')

    f1 = q.submit(failing, retries=1)
    f2 = q.submit(lambda: order.append('other'))
    f2.result(timeout=5)
    with pytest.raises(ConnectionError):
        f1.result(timeout=5)
    assert order == ['fail', 'other', 'fail']


def test_error_after_last_try_reaches_the_caller(queue):
    q = queue(workers=1, max_pending=10, retry_delay=0)

    def broken():
        raise ValueError('bad')

    with pytest.raises(ValueError):
        q.submit(broken, retries=2, retry_on=(ConnectionError,)).result(timeout=5)


def test_stopped_queue_refuses_work(queue):
    q = queue(workers=1, max_pending=10)
    q.stop()
    with pytest.raises(exception.Overloaded):
        q.submit(lambda: None)


def test_a_stalled_job_gives_its_place_to_a_new_thread(queue):
    q = queue(workers=1, max_pending=20, retry_delay=0, stall_seconds=0.2, max_stalled=2)
    hang = threading.Event()
    try:
        hung = [q.submit(hang.wait, 30) for _ in range(2)]
        time.sleep(0.1)  # the first hangs on the only thread
        # Both hung jobs end up on threads of their own; the quick jobs still get done.
        quick = [q.submit(lambda n=n: n) for n in range(5)]
        assert [f.result(timeout=10) for f in quick] == list(range(5))
        assert not any(f.done() for f in hung)
    finally:
        hang.set()
    assert all(f.result(timeout=10) for f in hung)
    # The stand-ins go once the stalled jobs are over.
    deadline = time.monotonic() + 5
    while len(q._threads) > 1 and time.monotonic() < deadline:
        q.submit(lambda: None).result(timeout=5)
        time.sleep(0.05)
    assert len(q._threads) == 1


def test_stand_ins_are_capped(queue):
    q = queue(workers=1, max_pending=20, retry_delay=0, stall_seconds=0.1, max_stalled=1)
    hang = threading.Event()
    try:
        hung = [q.submit(hang.wait, 30) for _ in range(2)]
        time.sleep(0.5)  # both stalled: one on the thread, one on the only stand-in
        quick = q.submit(lambda: 'done')
        time.sleep(0.5)
        assert not quick.done()  # no third thread
    finally:
        hang.set()
    assert quick.result(timeout=10) == 'done'
    assert all(f.result(timeout=10) for f in hung)

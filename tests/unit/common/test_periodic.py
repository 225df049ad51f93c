"""Periodic: runs on schedule, survives a failing call, stops promptly."""

import threading
import time

from dcmanager.common import periodic


def test_runs_repeatedly_survives_errors_and_stops():
    calls = []
    done = threading.Event()

    def fn():
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError('one bad run')
        if len(calls) >= 4:
            done.set()

    task = periodic.Periodic('t', 0.05, fn).start()
    assert done.wait(5)
    started = time.monotonic()
    task.stop()
    assert time.monotonic() - started < 1
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count

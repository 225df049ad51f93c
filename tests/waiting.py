"""Waiting in tests for something that happens in another thread or process."""

import time

import pytest


def until(what, check, timeout=60.0, interval=0.2, seen=None):
    """Poll ``check()`` every ``interval`` seconds until it returns something true, and return
    that; fail the test if it has not after ``timeout`` seconds, naming ``what`` (and what
    ``seen()`` says there was instead, when given)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail('not %s after %s s%s' % (what, timeout,
                                                 ': %s' % (seen(),) if seen else ''))
        time.sleep(interval)

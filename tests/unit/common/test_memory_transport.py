"""dcmanager.common.memory_transport: the in-process broker delivers at once and sleeps when idle.

Real oslo.messaging servers and clients on the site's transport (``kombu+memory`` in the embedded
tier); the wakeups are read from /proc, as the idle benchmark (bench/idle.py) does.
"""

import os
import threading
import time

import pytest

from dcmanager.common import context, memory_transport, rpc
from dcmanager.objects import base


class _Echo:
    def __init__(self):
        self.calls = 0

    def ping(self, ctxt, value):
        self.calls += 1
        return value


@pytest.fixture
def echo(site):
    """An RPC server on its own topic (stopped after the test) and a client of it."""
    endpoint = _Echo()
    serializer = base.DCManagerObjectSerializer()
    server = rpc.get_server('test-echo', 'test', '1.0', [endpoint], serializer)
    server.start()
    try:
        yield endpoint, rpc.get_client('test-echo', '1.0', serializer, timeout=30).prepare()
    finally:
        server.stop()
        server.wait()


def _context_switches():
    """Voluntary and involuntary context switches of every thread of this process so far."""
    total = 0
    for tid in os.listdir('/proc/self/task'):
        try:
            with open('/proc/self/task/%s/status' % tid) as f:
                total += sum(int(line.split()[1]) for line in f if 'ctxt_switches:' in line)
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def test_calls_are_answered_from_other_threads(echo):
    endpoint, client = echo
    ctxt = context.get_admin_context()
    results = [None] * 8

    def call(i):
        results[i] = client.call(ctxt, 'ping', value=i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == list(range(8))
    assert endpoint.calls == 8


def test_idle_listeners_sleep(echo, backend):
    """Every listener of the process (the site's manager, this server, the client's reply
    queue) waits without polling: kombu's own memory transport, polled by oslo.messaging every
    few milliseconds, woke the process about 450 times a second."""
    if backend != 'embedded':
        pytest.skip('the in-process transport is the embedded tier\'s')
    _, client = echo
    client.call(context.get_admin_context(), 'ping', value=1)  # the reply listener exists
    time.sleep(2)  # past the listeners' short timeouts after a message
    before, started = _context_switches(), time.monotonic()
    time.sleep(3)
    rate = (_context_switches() - before) / (time.monotonic() - started)
    assert rate < 50, '%.0f context switches a second in an idle process' % rate


def test_only_the_in_process_url_is_rewritten():
    assert memory_transport.rpc_url('kombu+memory:////') == 'kombu+%s:////' % (
        memory_transport.NAME)
    rabbit = 'rabbit://dcmanager:secret@127.0.0.1:5672/'
    assert memory_transport.rpc_url(rabbit) == rabbit

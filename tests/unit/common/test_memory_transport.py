"""dcmanager.common.memory_transport: the in-process broker delivers at once and sleeps when idle.

Real oslo.messaging servers and clients on the site's transport (``kombu+memory`` in the embedded
tier); the wakeups are read from /proc, as the idle benchmark (bench/idle.py) does.
"""

import os
import subprocess
import sys
import textwrap
import threading

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


_IDLE_PROCESS = textwrap.dedent('''
    import sys, time
    from dcmanager.conf import CONF
    CONF([], project='dcmanager', default_config_files=[])
    CONF.set_override('state_path', sys.argv[1])
    from dcmanager import objects
    from dcmanager.common import context, rpc
    from dcmanager.objects import base
    from tests.unit.common import test_memory_transport as here

    objects.register_all()
    serializer = base.DCManagerObjectSerializer()
    servers = [rpc.get_server('idle-%d' % i, 'test', '1.0', [here._Echo()], serializer)
               for i in range(2)]
    for server in servers:
        server.start()
    rpc.get_client('idle-0', '1.0', serializer).prepare().call(
        context.get_admin_context(), 'ping', value=1)   # the reply listener exists too
    time.sleep(2)  # past the listeners' short timeouts after a message
    before, started = here._context_switches(), time.monotonic()
    time.sleep(3)
    print((here._context_switches() - before) / (time.monotonic() - started))
    for server in servers:
        server.stop()
        server.wait()
    rpc.cleanup()
''')


def test_idle_listeners_sleep(tmp_path):
    """The listeners of a process on the in-process transport (two servers and a client's
    reply queue) wait without polling: with kombu's own memory transport, polled by
    oslo.messaging every few milliseconds, such a process woke about 1,500 times a second.
    In a process of its own, so that threads left by other tests do not count."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    done = subprocess.run([sys.executable, '-c', _IDLE_PROCESS, str(tmp_path)], cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rate = float(done.stdout.split()[-1])
    assert rate < 20, '%.0f context switches a second in an idle process' % rate


def test_only_the_in_process_url_is_rewritten():
    assert memory_transport.rpc_url('kombu+memory:////') == 'kombu+%s:////' % (
        memory_transport.NAME)
    rabbit = 'rabbit://dcmanager:secret@127.0.0.1:5672/'
    assert memory_transport.rpc_url(rabbit) == rabbit

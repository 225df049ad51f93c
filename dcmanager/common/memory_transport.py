"""The in-process RPC broker (``kombu+memory``), woken by its messages instead of polling them.

kombu's memory transport has no way to wait for a message: its ``drain_events`` tries every queue
and sleeps ``polling_interval`` between two tries, and oslo.messaging sets that interval to 0 and
its consume timeout to 50 ms for a ``memory://`` broker. An idle listener then spins a core or,
with a floor on the interval, still wakes hundreds of times a second.

Here every message put on an in-process queue, and every listener asked to stop, bumps a counter
under one condition variable; a listener with nothing to read sleeps on it until the counter
changes or oslo.messaging's consume timeout (1 s) ends. The transport is registered with kombu
under its own name, so that oslo.messaging treats it as a broker (its 1 s timeout) and not as its
test kludge; ``rpc_url`` turns ``kombu+memory`` into that name.
"""

import queue
import threading

from kombu import transport as kombu_transport
from kombu.transport import memory
from oslo_messaging._drivers import impl_rabbit

NAME = 'dcmemory'

_CHANGED = threading.Condition()
_changes = 0  # messages put and listeners stopped so far, under _CHANGED


def _announce():
    global _changes
    with _CHANGED:
        _changes += 1
        _CHANGED.notify_all()


def _changes_seen():
    with _CHANGED:
        return _changes


def _wait_for_change(seen, timeout):
    with _CHANGED:
        if _changes == seen:
            _CHANGED.wait(timeout)


class Channel(memory.Channel):
    """kombu's in-memory channel; each message put wakes the listeners."""

    def _put(self, queue, message, **kwargs):
        super()._put(queue, message, **kwargs)
        _announce()

    def _put_fanout(self, exchange, message, routing_key=None, **kwargs):
        super()._put_fanout(exchange, message, routing_key=routing_key, **kwargs)
        _announce()


class Transport(memory.Transport):
    """kombu's in-memory transport whose ``drain_events`` sleeps until something changes."""

    Channel = Channel

    def drain_events(self, connection, timeout=None):
        # Read before trying the queues: a message put after the try changes the counter, and
        # the wait then returns at once instead of missing that message.
        seen = _changes_seen()
        try:
            return self.cycle.get(self._deliver, timeout=timeout)
        except queue.Empty:
            pass
        _wait_for_change(seen, timeout)
        try:
            return self.cycle.get(self._deliver, timeout=timeout)
        except queue.Empty:
            # A stop, a message for another listener, or the timeout: back to oslo.messaging's
            # loop, which checks whether it is stopped and calls again.
            raise TimeoutError() from None


_stop_consuming = impl_rabbit.Connection.stop_consuming


def _stop_consuming_and_wake(self):
    _stop_consuming(self)
    _announce()  # the listener sleeping in drain_events sees it is stopped now, not in 1 s


def rpc_url(transport_url):
    """The URL to give oslo.messaging for ``transport_url``: ``kombu+memory`` becomes this
    transport, anything else is left alone."""
    prefix = 'kombu+memory:'
    if transport_url.startswith(prefix):
        return 'kombu+%s:%s' % (NAME, transport_url[len(prefix):])
    return transport_url


def install():
    """Register this transport with kombu (once per process, before any RPC connection)."""
    kombu_transport.TRANSPORT_ALIASES[NAME] = '%s:Transport' % __name__
    impl_rabbit.Connection.stop_consuming = _stop_consuming_and_wake

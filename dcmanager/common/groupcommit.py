"""Group commit: many threads' small writes in one transaction, without a timer or a thread.

The thread that hands over an item while no write is in progress becomes the writer: it writes
every item pending, in groups of at most ``max_group``, until none is left. Items handed over
meanwhile wait for the next group. Under load a group holds everything that arrived during the
previous write, so the transactions per item fall as the load grows; an item alone is written at
once, with no added latency.

Two ways to hand an item over:

* ``add(item)``: returns at once (the item may be written by another thread later); the
  ``finished(items, result, error)`` callback learns of each group written.
* ``call(item)``: returns when the item's group is written, with the item's own result (``write``
  then returns one result per item, in order), or raises the error the group's write raised.
"""

import threading


class _Waiter:
    __slots__ = ('done', 'result', 'error')

    def __init__(self):
        self.done = threading.Event()
        self.result = None
        self.error = None


class GroupCommit:
    """Writes items in groups: ``write(items)`` stores a group (one transaction)."""

    def __init__(self, write, finished=None, max_group=500):
        self._write = write
        self._finished = finished
        self._max_group = max_group
        self._pending = []  # (item, _Waiter or None)
        self._writing = False
        self._lock = threading.Lock()

    def add(self, item):
        """Hand ``item`` over; return at once."""
        self._hand_over(item, None)

    def call(self, item):
        """Hand ``item`` over and wait until it is written: its result, or the group's error."""
        waiter = _Waiter()
        self._hand_over(item, waiter)
        waiter.done.wait()
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _hand_over(self, item, waiter):
        with self._lock:
            self._pending.append((item, waiter))
            if self._writing:
                return
            self._writing = True
        while True:
            with self._lock:
                group = self._pending[:self._max_group]
                del self._pending[:self._max_group]
                if not group:
                    self._writing = False
                    return
            self._commit(group)

    def _commit(self, group):
        items = [item for item, _ in group]
        result = error = None
        try:
            result = self._write(items)
        except Exception as e:  # noqa: BLE001 - handed to finished() and to the waiters
            error = e
        if self._finished is not None:
            self._finished(items, result, error)
        for index, (_, waiter) in enumerate(group):
            if waiter is None:
                continue
            if error is not None:
                waiter.error = error
            else:
                waiter.result = result[index]
            waiter.done.set()

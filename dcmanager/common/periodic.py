"""A task run every N seconds on its own thread, stopped promptly."""

import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Periodic:
    """Calls ``fn()`` every ``interval`` seconds (first call after one interval) until stopped."""

    def __init__(self, name, interval, fn):
        self.name = name
        self.interval = interval
        self.fn = fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.fn()
            except Exception:
                # A thread boundary: log and keep the schedule.
                LOG.exception('Periodic task %s failed', self.name)

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

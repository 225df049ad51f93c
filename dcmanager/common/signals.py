"""Stopping a service on SIGTERM or SIGINT, whatever it is doing when the signal comes.

The console scripts install the handler before they import anything heavy
(``dcmanager.cmd.launch``), so a stop asked during start-up is remembered, and the service stops
cleanly (status 0) as soon as it reaches its main loop. The handler only sets a flag and writes a
byte to a pipe. It takes no lock: it runs in the main thread between two bytecodes, maybe while
that thread holds the very lock (``threading.Event.set`` would deadlock on an ``Event.wait`` in
progress). It raises nothing: a ``KeyboardInterrupt`` raised at an arbitrary point of start-up
ended the process with a traceback.
"""

import contextlib
import os
import select
import signal

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_current = None


class StopRequest:
    """Whether a stop signal came, and a pipe that becomes readable when one does."""

    def __init__(self):
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self.requested = False

    def _handle(self, signum, frame):
        self.requested = True
        with contextlib.suppress(OSError):  # a full pipe already wakes every waiter
            os.write(self._write, b'\0')

    def fileno(self):
        """The pipe's read end: readable once a stop signal came (for a poll loop)."""
        return self._read

    def wait(self, timeout=None):
        """Wait at most ``timeout`` seconds (None: forever) for a stop; True if one came."""
        if not self.requested:
            # poll(), not select(): the pipe may be numbered 1,024 or more in a busy process.
            poller = select.poll()
            poller.register(self._read, select.POLLIN)
            poller.poll(None if timeout is None else max(0, timeout) * 1000)
        return self.requested

    def close(self):
        os.close(self._read)
        os.close(self._write)


def install():
    """Catch the stop signals in this process (once; again after ``install_in_child``) and
    return the process's StopRequest."""
    global _current
    if _current is None:
        _current = StopRequest()
        for signum in STOP_SIGNALS:
            signal.signal(signum, _current._handle)
    return _current


def install_in_child():
    """In a child forked inside ``held()``: a StopRequest of its own, its pipe not shared with
    the parent (a signal to one of them must not wake the other); then the signals it held come
    to the child's own handler."""
    global _current
    if _current is not None:
        _current.close()
        _current = None
    stop = install()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    return stop


def stop_requested():
    """Whether a stop signal came to the handler of ``install()`` (False if none installed)."""
    return _current is not None and _current.requested


@contextlib.contextmanager
def held():
    """Stop signals wait (blocked) inside this block, for example while forking: a child then
    never runs its parent's handler on its parent's pipe."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)

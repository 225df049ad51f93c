"""The simulator's state file: what a restarted simulator must remember about each subcloud.

Settings, signing keys, up/down state and rehome state, keyed by address (counters are not kept).
Writes are atomic (temporary file, fsync, rename) so a crash never leaves half a file, debounced so
a burst of control calls costs one write, and done in a thread so the event loop keeps serving
while thousands of subclouds are encoded. Entries for addresses outside the current fleet are
kept as they were, so running a smaller fleet on the same file loses nothing.
"""

import asyncio
import json
import logging
import os

LOG = logging.getLogger(__name__)
FORMAT = 'dcmanager-subcloud-sim/1'


class StateFileError(Exception):
    """The state file exists but cannot be read or understood."""


class StateFile:
    """``snapshot()`` returns {address: subcloud dict} for the current fleet."""

    def __init__(self, path, snapshot, debounce=0.2):
        self.path = os.path.abspath(path)
        self._snapshot = snapshot
        self._debounce = debounce
        self._others = {}
        self._timer = None
        self._writing = None
        self._dirty = False

    def load(self, addresses):
        """Saved entries for ``addresses`` ({address: dict}); {} when there is no file yet."""
        try:
            with open(self.path, encoding='utf-8') as f:
                data = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise StateFileError('cannot read state file %s: %s' % (self.path, e)) from None
        if not isinstance(data, dict) or data.get('format') != FORMAT:
            raise StateFileError('%s is not a %s state file' % (self.path, FORMAT))
        saved = data.get('subclouds') or {}
        wanted = set(addresses)
        self._others = {a: v for a, v in saved.items() if a not in wanted}
        return {a: v for a, v in saved.items() if a in wanted}

    def mark_dirty(self):
        """Write soon (debounced). The encoding and the I/O run in a thread, one write at a time."""
        self._dirty = True
        if self._timer is None and self._writing is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._debounce, self._start_write)

    async def flush(self):
        """Write now (at stop), after any write in progress."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)
        self.write()

    def write(self):
        self._write_data(self._collect())

    def _collect(self):
        subclouds = dict(self._others)
        subclouds.update(self._snapshot())
        return {'format': FORMAT, 'subclouds': subclouds}

    def _write_data(self, data):
        text = json.dumps(data, separators=(',', ':'), sort_keys=True)
        tmp = '%s.tmp.%d' % (self.path, os.getpid())
        try:
            with open(tmp, 'w', encoding='utf-8') as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def _start_write(self):
        self._timer = None
        self._dirty = False
        loop = asyncio.get_running_loop()
        self._writing = loop.run_in_executor(None, self._write_data, self._collect())
        self._writing.add_done_callback(self._written)

    def _written(self, future):
        self._writing = None
        if not future.cancelled() and future.exception() is not None:
            LOG.error('cannot write state file %s: %s', self.path, future.exception())
        if self._dirty:
            self.mark_dirty()

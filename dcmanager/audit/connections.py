"""How many subclouds keep an idle keep-alive connection between two audits.

Every subcloud has its own channel (``drivers.channel``), which keeps its connection to the audit
agent open after use: one open file per subcloud. Kept for every subcloud, a few thousand
subclouds would exhaust a default open-file limit, and audits would then fail ("too many open
files") and take healthy subclouds offline. So at most as many channels keep their connections
as the process's open-file limit leaves room for; the others reconnect at each audit.

Which ones: those that have it, as long as they are audited. The audit visits every subcloud in
turn, and with more subclouds than room, closing the least recently used (LRU) would close each
connection just before its next use: none would ever be reused. Instead, once full, a newly
audited channel keeps its connection only in place of one not used for ``stale_seconds`` (a
subcloud no longer audited here: deleted, unmanaged, audited by another worker); otherwise its
own connection is closed. Then as many subclouds as there is room for reuse theirs.

The process asks for room for ``WANTED_SUBCLOUDS`` (``files_wanted``): the soft open-file limit
is raised towards it where the hard limit allows (``common.nofile``).
"""

import collections
import resource
import threading
import time

# Open files left for everything else (database, RPC, logs, the connections in use).
RESERVED_FILES = 512
FILES_PER_SUBCLOUD = 1  # the audit agent's connection (the identity API's is not kept)
FILES_PER_AUDIT = 2  # in progress: the identity API (a token request) and the audit agent
# Subclouds a worker asks room for: twice the 10,000 planned per system controller.
WANTED_SUBCLOUDS = 20000


def files_wanted(threads):
    """Open files for ``threads`` audits in progress and ``WANTED_SUBCLOUDS`` kept
    connections."""
    return RESERVED_FILES + FILES_PER_AUDIT * threads + FILES_PER_SUBCLOUD * WANTED_SUBCLOUDS


def default_limit(threads):
    """Subclouds whose connections fit in this process's open-file limit next to ``threads``
    audits in progress."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, (soft - RESERVED_FILES - FILES_PER_AUDIT * threads) // FILES_PER_SUBCLOUD)


class KeptConnections:
    """The channels whose idle connections stay open: at most ``limit`` (None: all)."""

    def __init__(self, limit, stale_seconds=90.0, clock=time.monotonic):
        self.limit = limit
        self.stale_seconds = stale_seconds
        self._clock = clock
        self._channels = collections.OrderedDict()  # channel -> last use, least recent first
        self._lock = threading.Lock()

    def used(self, channel):
        """``channel`` (anything with ``close()``: a ``drivers.channel.Channel``) was just used;
        once full, it keeps its connection only in place of a stale one (closed), else its own
        is closed."""
        if self.limit is None:
            return
        now = self._clock()
        with self._lock:
            if channel in self._channels:
                self._channels[channel] = now
                self._channels.move_to_end(channel)
                return
            closed = None
            if len(self._channels) >= self.limit:
                oldest, last_used = next(iter(self._channels.items()), (None, now))
                if oldest is None or now - last_used <= self.stale_seconds:
                    closed = channel
                else:
                    del self._channels[oldest]
                    closed = oldest
            if closed is not channel:
                self._channels[channel] = now
        if closed is not None:
            # The idle connection closes now; one in use (not possible for a subcloud audited
            # once at a time, but harmless) is kept when given back. The channel stays usable
            # and its token cached.
            closed.close()

    def __len__(self):
        return len(self._channels)

"""How many subclouds keep an idle keep-alive connection between two audits.

Every subcloud has its own channel (``drivers.channel``), which keeps its connection to the audit
agent open after use: one open file per subcloud. Kept for every subcloud, a few thousand
subclouds would exhaust a default open-file limit, and audits would then fail ("too many open
files") and take healthy subclouds offline. So only the channels of the most recently audited
subclouds keep their connections, as many as the process's open-file limit leaves room for; the
others reconnect at their next audit.
"""

import collections
import resource
import threading

# Open files left for everything else (database, RPC, logs, the connections in use).
RESERVED_FILES = 512
FILES_PER_SUBCLOUD = 1  # the audit agent's connection (the identity API's is not kept)
FILES_PER_AUDIT = 2  # in progress: the identity API (a token request) and the audit agent


def default_limit(threads):
    """Subclouds whose connections fit in this process's open-file limit next to ``threads``
    audits in progress."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, (soft - RESERVED_FILES - FILES_PER_AUDIT * threads) // FILES_PER_SUBCLOUD)


class KeptConnections:
    """The channels whose idle connections stay open, least recently used closed first."""

    def __init__(self, limit):
        self.limit = limit  # None: no limit
        self._channels = collections.OrderedDict()
        self._lock = threading.Lock()

    def used(self, channel):
        """``channel`` (anything with ``close()``: a ``drivers.channel.Channel``) was just used;
        close the connections of the least recently used ones beyond the limit."""
        if self.limit is None:
            return
        with self._lock:
            self._channels[channel] = None
            self._channels.move_to_end(channel)
            evicted = []
            while len(self._channels) > self.limit:
                evicted.append(self._channels.popitem(last=False)[0])
        for old in evicted:
            # The idle connection closes now; one in use (not possible for a subcloud audited
            # once at a time, but harmless) is kept when given back. The channel stays usable
            # and its token cached.
            old.close()

    def __len__(self):
        return len(self._channels)

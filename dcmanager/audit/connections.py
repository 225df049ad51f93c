"""How many subclouds keep an idle keep-alive connection between two audits.

Every subcloud has its own session in the identity layer, and a session keeps its connections (to
the identity API and to the audit agent) open after use. Kept for every subcloud, that is two open
files per subcloud: a few hundred subclouds would exhaust a default open-file limit, and audits
would then fail ("too many open files") and take healthy subclouds offline. So only the sessions of
the most recently audited subclouds keep their connections, as many as the process's open-file
limit leaves room for; the others reconnect at their next audit (what they would mostly do anyway:
a server closes idle connections long before the next audit of a 30 s cycle).
"""

import collections
import resource
import threading

# Open files left for everything else (database, RPC, logs, the connections in use).
RESERVED_FILES = 512
FILES_PER_SUBCLOUD = 2  # identity API and audit agent


def default_limit(threads):
    """Subclouds whose connections fit in this process's open-file limit next to ``threads``
    audits in progress (each with its two connections)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, (soft - RESERVED_FILES) // FILES_PER_SUBCLOUD - threads)


class KeptConnections:
    """The sessions whose idle connections stay open, least recently used closed first."""

    def __init__(self, limit):
        self.limit = limit  # None: no limit
        self._sessions = collections.OrderedDict()
        self._lock = threading.Lock()

    def used(self, session):
        """``session`` (a keystoneauth session) was just used; close the connections of the
        least recently used ones beyond the limit."""
        if self.limit is None:
            return
        with self._lock:
            self._sessions[session] = None
            self._sessions.move_to_end(session)
            evicted = []
            while len(self._sessions) > self.limit:
                evicted.append(self._sessions.popitem(last=False)[0])
        for old in evicted:
            # Idle connections close now; one in use (not possible for a subcloud audited
            # once at a time, but harmless) closes when it is given back. The session stays
            # usable and its token cached.
            old.session.close()

    def __len__(self):
        return len(self._sessions)

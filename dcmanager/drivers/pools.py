"""Process-wide session pools: one per kind of outbound client, shared by every service of the
process.

A pool (``identity.SessionPool``) holds the HTTP sessions and the token cache of one kind of
client (subclouds, later peer sites). Every user in a process (the manager's enrollments, the
audit worker, in ``dcmanager-all`` both) takes the same pool with ``acquire``, so a subcloud's
token fetched by its enrollment serves its first audit, and connections are reused across them.
The last user's ``release`` closes the pool's connections and forgets it.

Pools are keyed by their kind and the configuration they are built from, so a process whose
configuration changes (the tests) never gets a pool built for another one.
"""

import threading

_lock = threading.Lock()
_pools = {}  # key -> [pool, users]


def acquire(key, make):
    """The pool of ``key`` (built by ``make()`` for its first user); give it back with
    ``release``."""
    with _lock:
        entry = _pools.get(key)
        if entry is None:
            entry = _pools[key] = [make(), 0]
        entry[1] += 1
        return entry[0]


def release(pool):
    """One user less of ``pool``; the last one closes its connections and forgets it."""
    with _lock:
        for key, entry in list(_pools.items()):
            if entry[0] is pool:
                entry[1] -= 1
                if entry[1] > 0:
                    return
                del _pools[key]
                break
        else:
            return
    pool.close()


def forget_tokens():
    """Drop the tokens every shared pool holds in this process (a test's fresh start)."""
    with _lock:
        pools = [entry[0] for entry in _pools.values()]
    for pool in pools:
        pool.cache.forget()

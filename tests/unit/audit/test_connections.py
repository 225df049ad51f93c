"""KeptConnections: only the most recently used sessions keep their idle connections."""

import resource

from dcmanager.audit import connections


class _Channel:
    """What KeptConnections touches of a channel: its close()."""

    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


def test_least_recently_used_beyond_the_limit_are_closed():
    kept = connections.KeptConnections(limit=2)
    a, b, c = _Channel(), _Channel(), _Channel()
    kept.used(a)
    kept.used(b)
    kept.used(a)  # a is now the most recent
    kept.used(c)
    assert (a.closed, b.closed, c.closed) == (0, 1, 0)
    assert len(kept) == 2
    kept.used(b)  # reused after being closed: kept again, the oldest (a) goes
    assert (a.closed, b.closed, c.closed) == (1, 1, 0)


def test_no_limit_closes_nothing():
    kept = connections.KeptConnections(limit=None)
    channels = [_Channel() for _ in range(50)]
    for channel in channels:
        kept.used(channel)
    assert not any(c.closed for c in channels)


def test_default_limit_leaves_room_for_the_audits_in_progress():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = connections.default_limit(threads=64)
    if soft == resource.RLIM_INFINITY:
        assert limit is None
    else:
        assert limit == max(0, soft - connections.RESERVED_FILES - 2 * 64)
        # one file per subcloud kept, two per audit in progress, and the reserve: within the limit
        assert limit + 2 * 64 + connections.RESERVED_FILES <= max(soft, 2 * 64 + 512)

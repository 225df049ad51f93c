"""KeptConnections: as many channels as there is room for keep their idle connections, and
keep them while they are audited."""

import resource

from dcmanager.audit import connections


class _Channel:
    """What KeptConnections touches of a channel: its close()."""

    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_once_full_a_new_channel_is_closed_and_the_kept_ones_stay():
    kept = connections.KeptConnections(limit=2, stale_seconds=60, clock=_Clock())
    a, b, c = _Channel(), _Channel(), _Channel()
    kept.used(a)
    kept.used(b)
    kept.used(c)  # no room, and a and b are audited: c's own connection closes
    assert (a.closed, b.closed, c.closed) == (0, 0, 1)
    assert len(kept) == 2
    kept.used(a)
    kept.used(b)  # still kept: nothing closed
    assert (a.closed, b.closed, c.closed) == (0, 0, 1)


def test_a_fleet_audited_in_turn_beyond_the_limit_still_reuses_as_many_as_fit():
    # The audit's pattern: every subcloud in turn, cycle after cycle. Least-recently-used
    # eviction would close each one just before its next audit (no reuse at all).
    kept = connections.KeptConnections(limit=30, stale_seconds=60, clock=_Clock())
    fleet = [_Channel() for _ in range(100)]
    for _ in range(3):
        for channel in fleet:
            kept.used(channel)
    assert sum(1 for c in fleet if c.closed == 0) == 30
    assert sum(1 for c in fleet if c.closed == 3) == 70


def test_a_stale_channel_gives_its_place_to_a_new_one():
    clock = _Clock()
    kept = connections.KeptConnections(limit=2, stale_seconds=60, clock=clock)
    a, b, c = _Channel(), _Channel(), _Channel()
    kept.used(a)
    clock.now += 50
    kept.used(b)
    clock.now += 20  # a unused for 70 s: no longer audited here
    kept.used(c)
    assert (a.closed, b.closed, c.closed) == (1, 0, 0)
    kept.used(a)  # back, but b and c are fresh: a's own closes
    assert (a.closed, b.closed, c.closed) == (2, 0, 0)
    assert len(kept) == 2


def test_no_limit_closes_nothing():
    kept = connections.KeptConnections(limit=None)
    channels = [_Channel() for _ in range(50)]
    for channel in channels:
        kept.used(channel)
    assert not any(c.closed for c in channels)


def test_a_limit_of_zero_keeps_nothing():
    kept = connections.KeptConnections(limit=0)
    channel = _Channel()
    kept.used(channel)
    assert channel.closed == 1 and len(kept) == 0


def test_default_limit_leaves_room_for_the_audits_in_progress():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = connections.default_limit(threads=64)
    if soft == resource.RLIM_INFINITY:
        assert limit is None
    else:
        assert limit == max(0, soft - connections.RESERVED_FILES - 2 * 64)
        # one file per subcloud kept, two per audit in progress, and the reserve: within the limit
        assert limit + 2 * 64 + connections.RESERVED_FILES <= max(soft, 2 * 64 + 512)


def test_the_files_wanted_hold_the_planned_fleet():
    wanted = connections.files_wanted(threads=128)
    assert wanted - connections.RESERVED_FILES - 2 * 128 >= 10000

"""Process-wide session pools: one per key, shared by its users, closed by the last one."""

from dcmanager.drivers import pools


class _Pool:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


def test_users_of_one_key_share_a_pool_and_the_last_release_closes_it():
    made = []

    def make():
        made.append(_Pool())
        return made[-1]

    first = pools.acquire(('test', 1), make)
    second = pools.acquire(('test', 1), make)
    other = pools.acquire(('test', 2), make)
    assert first is second and first is not other and len(made) == 2
    pools.release(first)
    assert first.closed == 0  # still used
    pools.release(second)
    assert first.closed == 1
    # Forgotten: the next user gets a new pool.
    assert pools.acquire(('test', 1), make) is not first
    pools.release(made[-1])
    pools.release(other)
    assert other.closed == 1


def test_a_pool_not_from_acquire_is_left_alone():
    pool = _Pool()
    pools.release(pool)
    assert pool.closed == 0

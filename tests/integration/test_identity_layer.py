"""The identity client layer against simulated subclouds over real sockets.

The simulator's counters are the ground truth: how many tokens were requested, how many 401s were
sent, how many audits answered.
"""

import concurrent.futures
import itertools
import os
import subprocess
import sys
import textwrap
import time

import pytest

from dcmanager.common import exception
from dcmanager.conf import CONF
from dcmanager.drivers import identity, workqueue
from dcmanager.drivers import subcloud as subcloud_driver
from tests.integration import sim_fixture

PASSWORD = 'Sim-Identity-1'
COUNT = 16


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'idsim', count=COUNT, admin_password=PASSWORD)


@pytest.fixture(scope='module')
def take(sim):
    unused = itertools.count()
    return lambda: sim.addresses[next(unused)]


def _layer(renewal_timeout=5.0, request_timeout=10.0):
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=1000),
                                early_renewal_seconds=300, jitter_seconds=0,
                                renewal_timeout=renewal_timeout)
    return identity.SessionPool(cache, timeout=request_timeout)


def _client(pool, sim, address, password=PASSWORD):
    return subcloud_driver.SubcloudClient(pool, sim.identity_url(address), sim.agent_url(address),
                                          'admin', password)


def test_cache_hit_after_first_token(site, sim, take):
    address = take()
    pool = _layer()
    client = _client(pool, sim, address)
    for _ in range(10):
        assert client.audit()['base_audit']['availability'] == 'online'
    counters = sim.counters(address)
    assert counters['token_posts'] == 1
    assert counters['audits'] == 10
    # A second client of the same identity shares the session and the token.
    assert _client(pool, sim, address).session is client.session
    _client(pool, sim, address).audit()
    assert sim.counters(address)['token_posts'] == 1


def test_expired_token_is_renewed_early(site, sim, take):
    address = take()
    sim.patch(address, token_lifetime=2)
    client = _client(_layer(), sim, address)
    client.audit()
    client.audit()
    assert sim.counters(address)['token_posts'] == 1
    # The early window is a quarter of a 2 s life: renewal happens before the token expires.
    time.sleep(1.6)
    client.audit()
    counters = sim.counters(address)
    assert counters['token_posts'] == 2
    assert counters['unauthorized'] == 0


def test_rotated_keys_401_then_one_renewal_then_success(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    client.audit()
    sim.action(address, 'rotate-keys')
    started = time.monotonic()
    assert client.audit()['alarm_audit']['cloud_status'] == 'OK'
    renewal = time.monotonic() - started
    counters = sim.counters(address)
    assert counters['token_posts'] == 2
    assert counters['unauthorized'] == 1
    assert renewal < 1.0


def test_100_concurrent_requests_with_invalidated_token_make_one_token_post(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    client.audit()
    sim.action(address, 'rotate-keys')
    sim.action(address, 'reset-counters')
    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        results = list(pool.map(lambda _: client.audit(), range(100)))
    assert all(r['base_audit']['availability'] == 'online' for r in results)
    counters = sim.counters(address)
    assert counters['token_posts'] == 1
    assert counters['audits'] == 100


def test_concurrent_first_requests_make_one_token_post(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        list(pool.map(lambda _: client.audit(), range(50)))
    assert sim.counters(address)['token_posts'] == 1


def test_wrong_password_is_a_clear_error(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address, password='not-it')
    with pytest.raises(exception.AuthenticationRefused) as e:
        client.audit()
    assert 'HTTP 401' in str(e.value)
    assert 'not-it' not in str(e.value)


def test_hung_renewal_is_abandoned_and_nothing_stays_stuck(site, sim, take):
    address = take()
    sim.patch(address, delay=3)
    pool = _layer(renewal_timeout=0.5, request_timeout=1.0)
    client = _client(pool, sim, address)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(5) as executor:
        errors = [f.exception(timeout=10) for f in
                  [executor.submit(client.audit) for _ in range(5)]]
    assert all(isinstance(e, exception.TargetTimedOut) for e in errors)
    assert time.monotonic() - started < 3.0
    assert not pool.cache._flights
    sim.patch(address, delay=0)
    sim.action(address, 'reset-counters')
    assert client.audit()['base_audit']['availability'] == 'online'
    assert sim.counters(address)['token_posts'] == 1


def test_unreachable_subcloud_is_a_clear_error(site, sim, take):
    address = take()
    sim.action(address, 'down')
    try:
        with pytest.raises(exception.TargetUnreachable) as e:
            _client(_layer(), sim, address).audit()
        assert 'unreachable' in str(e.value)
    finally:
        sim.action(address, 'up')


def test_agent_failure_after_auth_is_subcloud_unreachable(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    client.audit()
    sim.patch(address, status=500)
    try:
        with pytest.raises(exception.AnswerRejected) as e:
            client.audit()
        assert 'HTTP 500' in str(e.value)
    finally:
        sim.patch(address, status=None)


def test_overload_rejects_before_enqueue(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    client.audit()
    sim.patch(address, delay=0.5)
    sim.action(address, 'reset-counters')
    queue = workqueue.WorkQueue(workers=2, max_pending=4, retry_delay=0)
    try:
        accepted = [queue.submit(client.audit) for _ in range(4)]
        with pytest.raises(exception.Overloaded):
            queue.submit(client.audit)
        assert all(f.result(timeout=10)['base_audit'] for f in accepted)
    finally:
        queue.stop()
        sim.patch(address, delay=0)
    assert sim.counters(address)['audits'] == 4


def test_queued_requests_wait_for_the_renewal(site, sim, take):
    address = take()
    client = _client(_layer(), sim, address)
    client.audit()
    sim.action(address, 'rotate-keys')
    sim.action(address, 'reset-counters')
    queue = workqueue.WorkQueue(workers=8, max_pending=100, retry_delay=0.1)
    try:
        futures = [queue.submit(client.audit) for _ in range(40)]
        assert all(f.result(timeout=10) for f in futures)
    finally:
        queue.stop()
    counters = sim.counters(address)
    assert counters['token_posts'] == 1 and counters['audits'] == 40


_WORKER = textwrap.dedent('''
    import concurrent.futures, sys
    from dcmanager.conf import CONF
    CONF(['--config-file', sys.argv[1]], project='dcmanager', default_config_files=[])
    from dcmanager.drivers import identity, subcloud
    from dcmanager.objects import token_store
    cache = identity.make_token_cache(token_store.DatabaseTokenRecords)
    pool = identity.SessionPool(cache)
    urls = sys.argv[2:]
    clients = [subcloud.SubcloudClient(pool, urls[i], urls[i + 1], 'admin', %r)
               for i in range(0, len(urls), 2)]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        for _ in range(3):
            list(ex.map(lambda c: c.audit(), clients))
    print('ok')
''') % PASSWORD


def test_two_processes_share_one_token_per_subcloud(site, sim, take, tmp_path):
    addresses = [take() for _ in range(5)]
    conf = tmp_path / 'worker.conf'
    conf.write_text(textwrap.dedent('''
        [DEFAULT]
        state_path = %s
        secret_key_file = %s
        [database]
        connection = %s
        [token_cache]
        backend = database
    ''' % (tmp_path, tmp_path / 'secret.key', CONF.database.connection)))
    script = tmp_path / 'worker.py'
    script.write_text(_WORKER)
    urls = []
    for address in addresses:
        urls += [sim.identity_url(address), sim.agent_url(address)]
    procs = [subprocess.Popen([sys.executable, str(script), str(conf)] + urls,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=dict(os.environ))
             for _ in range(2)]
    try:
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == 'ok'
        assert PASSWORD not in err.decode()
    for address in addresses:
        counters = sim.counters(address)
        assert counters['token_posts'] == 1, (address, counters)
        assert counters['audits'] == 6
    site.reset_database()

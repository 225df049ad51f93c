"""Hung subclouds over real sockets: a simulated subcloud with a ``delay`` fault (it accepts and
answers only after the delay) and a raw listener that accepts and never answers.

An audit is bounded ([subcloud] connect_timeout + read_timeout in all, a timeout never retried),
so a hung subcloud is offline within two intervals plus one audit's time.
"""

import time

import pytest

from dcmanager import objects
from dcmanager.audit import service
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.drivers import identity
from dcmanager.drivers import subcloud as subcloud_driver
from tests import waiting
from tests.integration import sim_fixture

PASSWORD = 'Sim-Hung-1'
COUNT = 20
INTERVAL = 1
SCAN = 0.2
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0
AUDIT_TIMEOUT = CONNECT_TIMEOUT + READ_TIMEOUT
HANG = 60  # seconds of the delay fault: far beyond every timeout here
MARGIN = 4.0  # a slow, shared machine
# Being online first is a test's starting point, not what it measures: a first audit on a busy
# machine may miss its 1 s interval a few times over (the token request and the answer within it).
READY = 30.0


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'hungsim', count=COUNT,
                                   first_address='127.0.8.1', admin_password=PASSWORD)


@pytest.fixture
def configured(site, sim):
    # [identity] request_timeout is what calls to subclouds used before they had their own
    # timeouts: long here, so that a test passes only through the [subcloud] ones.
    overrides = [('scheme', 'http', 'subcloud'), ('identity_port', sim.identity_port, 'subcloud'),
                 ('agent_port', sim.agent_port, 'subcloud'),
                 ('connect_timeout', CONNECT_TIMEOUT, 'subcloud'),
                 ('read_timeout', READ_TIMEOUT, 'subcloud'), ('interval', INTERVAL, 'audit'),
                 ('scan_interval', SCAN, 'audit'), ('lease_seconds', 20, 'audit'),
                 ('request_timeout', 10.0, 'identity')]
    for name, value, group in overrides:
        CONF.set_override(name, value, group=group)
    sim.control('POST', '/v1/reset-counters')
    try:
        yield sim
    finally:
        for address in sim.addresses:
            sim.patch(address, delay=0)
        for name, _, group in overrides:
            CONF.clear_override(name, group=group)
        site.reset_database()


def _pool():
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=100),
                                early_renewal_seconds=300, jitter_seconds=0, renewal_timeout=30)
    return identity.SessionPool(cache, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))


def _client(pool, identity_url, agent_url):
    return subcloud_driver.SubcloudClient(pool, identity_url, agent_url, 'admin', PASSWORD)


def _add(ctx, sim, index):
    return db_api.subcloud_create(ctx, {
        'name': 'subcloud%d' % (index + 1), 'deploy_status': states.DEPLOY_COMPLETE,
        'management_state': states.MANAGED, 'bootstrap_address': sim.addresses[index],
        'secrets': objects.Subcloud.encrypt_secrets({'admin_password': PASSWORD})}).id


def _wait(predicate, timeout, what):
    return waiting.until(what, predicate, timeout, interval=0.05)


@pytest.fixture
def audit(configured):
    started = []

    def start():
        started.append(service.AuditService())
        started[-1].start()
        return started[-1]

    yield start
    for running in started:
        running.stop()


def test_a_hung_agent_is_asked_once_and_fails_within_the_read_timeout(configured):
    sim = configured
    address = sim.addresses[0]
    client = _client(_pool(), sim.identity_url(address), sim.agent_url(address))
    assert client.audit()['base_audit']['availability'] == 'online'  # the token is cached
    sim.patch(address, delay=HANG)
    before = sim.counters(address)['requests']
    started = time.monotonic()
    with pytest.raises(exception.TargetTimedOut) as e:
        client.audit()
    took = time.monotonic() - started
    assert 'no answer within' in str(e.value)
    # One request: a read timeout is not retried (keystoneauth would count it as a connect
    # retry and wait the whole timeout again).
    assert sim.counters(address)['requests'] - before == 1
    assert took < AUDIT_TIMEOUT + MARGIN


@pytest.mark.usefixtures('configured')
def test_a_token_request_that_never_gets_an_answer_is_bounded_too():
    with sim_fixture.HangingListener('127.0.9.77', [0, 0]) as hung:
        identity_port, agent_port = hung.ports
        client = _client(_pool(), 'http://127.0.9.77:%d/v3' % identity_port,
                         'http://127.0.9.77:%d' % agent_port)
        started = time.monotonic()
        with pytest.raises(exception.TargetTimedOut) as e:
            client.audit()
        took = time.monotonic() - started
        assert 'timed out' in str(e.value)
        assert hung.accepted == 1  # the token request, not retried; the agent never asked
    assert took < AUDIT_TIMEOUT + MARGIN


def test_a_hung_subcloud_is_offline_within_two_intervals_plus_one_audit_and_comes_back(
        site, configured, audit):
    sim = configured
    ctx = site.context()
    ids = [_add(ctx, sim, index) for index in range(3)]
    audit()
    for subcloud_id in ids:
        _wait(lambda s=subcloud_id: db_api.subcloud_get(ctx, s).availability_status
              == states.ONLINE, READY, 'online')
    victim = ids[1]
    sim.patch(sim.addresses[1], delay=HANG)
    hung_at = time.monotonic()
    # A scan may find it due up to SCAN late, at each of the two audits.
    bound = 2 * (INTERVAL + SCAN) + AUDIT_TIMEOUT + MARGIN
    _wait(lambda: db_api.subcloud_get(ctx, victim).availability_status == states.OFFLINE,
          bound, 'offline')
    offline_after = time.monotonic() - hung_at
    row = db_api.subcloud_get(ctx, victim)
    assert row.audit_fail_count >= states.AVAIL_FAIL_COUNT_TO_OFFLINE
    assert {db_api.subcloud_get(ctx, s).availability_status for s in (ids[0], ids[2])} \
        == {states.ONLINE}
    sim.patch(sim.addresses[1], delay=0)
    _wait(lambda: db_api.subcloud_get(ctx, victim).availability_status == states.ONLINE,
          2 * (INTERVAL + SCAN) + AUDIT_TIMEOUT + MARGIN, 'back online')
    assert offline_after < bound


def test_an_audit_never_outlasts_the_interval(site, configured, audit):
    """Timeouts longer than the interval (here 20 s of read timeout for a 1 s interval): the
    audit still ends within an interval, so a hung subcloud is offline within two intervals plus
    one interval, not after two read timeouts (40 s)."""
    sim = configured
    ctx = site.context()
    CONF.set_override('read_timeout', 20.0, group='subcloud')
    try:
        victim = _add(ctx, sim, 5)
        audit()
        _wait(lambda: db_api.subcloud_get(ctx, victim).availability_status == states.ONLINE,
              READY, 'online')
        sim.patch(sim.addresses[5], delay=HANG)
        bound = 2 * (INTERVAL + SCAN) + INTERVAL + MARGIN
        _wait(lambda: db_api.subcloud_get(ctx, victim).availability_status == states.OFFLINE,
              bound, 'offline')
    finally:
        CONF.set_override('read_timeout', READ_TIMEOUT, group='subcloud')


HUNG_READ_TIMEOUT = 4.0  # a hung subcloud holds a thread for much longer than an interval
# Until they are offline, failures of the hung ones may wait for each other.
HUNG_BOUND = 4 * (CONNECT_TIMEOUT + HUNG_READ_TIMEOUT) + 2 * (INTERVAL + SCAN) + MARGIN


@pytest.fixture
def hung_fleet(site, configured, audit):
    """COUNT subclouds online on one audit thread, then 2 of them (10 %) hung: yields
    (ctx, hung ids, healthy indexes); ``[audit] offline_workers`` is set by the test first."""
    sim = configured
    CONF.set_override('workers', 1, group='work_queue')
    CONF.set_override('stall_seconds', 0.5, group='audit')
    CONF.set_override('read_timeout', HUNG_READ_TIMEOUT, group='subcloud')

    def start():
        ctx = site.context()
        ids = [_add(ctx, sim, index) for index in range(COUNT)]
        hung = {ids[0]: sim.addresses[0], ids[10]: sim.addresses[10]}
        audit()
        _wait(lambda: all(db_api.subcloud_get(ctx, s).availability_status == states.ONLINE
                          for s in ids), READY, 'all online')
        for address in hung.values():
            sim.patch(address, delay=HANG)
        return ctx, hung, [i for i, s in enumerate(ids) if s not in hung]

    try:
        yield start
    finally:
        for name, group in (('workers', 'work_queue'), ('offline_workers', 'audit'),
                            ('stall_seconds', 'audit')):
            CONF.clear_override(name, group=group)


def _audits(sim, indexes):
    return {i: sim.counters(sim.addresses[i])['audits'] for i in indexes}


def _offline(ctx, ids, availability=states.OFFLINE):
    return all(db_api.subcloud_get(ctx, s).availability_status == availability for s in ids)


def test_subclouds_that_start_to_hang_do_not_hold_up_the_healthy_ones(configured, hung_fleet):
    """The moment 10 % hang, on one audit thread: their stalled audits hand the thread over."""
    sim = configured
    CONF.set_override('offline_workers', 2, group='audit')
    before = _audits(sim, range(COUNT))
    ctx, hung, healthy = hung_fleet()
    window = 8.0
    time.sleep(window)
    done = {i: n - before[i] for i, n in _audits(sim, healthy).items()}
    # About window / (interval + scan) = 6 each; behind the two hung ones' four audits on the
    # one thread (4.5 s each) before they are offline, none.
    assert min(done.values()) >= 3, done
    _wait(lambda: _offline(ctx, hung), HUNG_BOUND, 'hung ones offline')


def test_offline_hung_subclouds_never_hold_up_the_healthy_ones(configured, hung_fleet):
    """10 % hung and offline, more hung subclouds than audit threads: the healthy ones are still
    audited about every interval, and the hung ones come back once they answer."""
    sim = configured
    CONF.set_override('offline_workers', 1, group='audit')
    ctx, hung, healthy = hung_fleet()
    _wait(lambda: _offline(ctx, hung), HUNG_BOUND, 'hung ones offline')
    before = _audits(sim, healthy)
    window = 10.0
    time.sleep(window)
    done = {i: n - before[i] for i, n in _audits(sim, healthy).items()}
    # About window / (interval + scan) = 8 each; held up behind the hung ones (which would
    # hold the one thread, and its one stand-in, all but a moment every 4.5 s), about 2.
    assert min(done.values()) >= 5, done
    for address in hung.values():
        sim.patch(address, delay=0)
    _wait(lambda: _offline(ctx, hung, states.ONLINE), HUNG_BOUND, 'hung ones back online')


def test_https_against_a_plain_http_port_fails_at_the_connect_timeout_and_says_so(configured):
    sim = configured
    address = sim.addresses[5]
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=10))
    # A long read timeout: only the connect timeout may bound the TLS handshake.
    pool = identity.SessionPool(cache, timeout=(1.0, 30.0))
    client = _client(pool, 'https://%s:%d/v3' % (address, sim.identity_port),
                     'https://%s:%d' % (address, sim.agent_port))
    started = time.monotonic()
    with pytest.raises(exception.AnswerRejected) as e:
        client.identity_info()
    took = time.monotonic() - started
    assert subcloud_driver.PLAIN_HTTP in str(e.value)
    assert took < 15  # far below the read timeout


@pytest.mark.usefixtures('configured')
def test_https_against_a_port_that_never_answers_is_not_blamed_on_plain_http():
    with sim_fixture.HangingListener('127.0.9.78', [0, 0]) as hung:
        identity_port, agent_port = hung.ports
        client = _client(_pool(), 'https://127.0.9.78:%d/v3' % identity_port,
                         'https://127.0.9.78:%d' % agent_port)
        with pytest.raises(exception.TargetTimedOut) as e:
            client.identity_info()
        assert 'timed out' in str(e.value)
        assert 'plain HTTP' not in str(e.value)
        assert hung.accepted == 2  # the TLS connection and the probe

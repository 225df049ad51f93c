"""Two ``dcmanager-manager`` processes on one site watch a system peer: one at a time, through
the database lease, and the other takes the watch over when its holder is killed.

The site is real: a database of its own (a database of the session's PostgreSQL with
``--backend=production``, else an SQLite file, shared by the processes as an embedded site's
is), a RabbitMQ broker (the session's, else one started for this module), one ``dcmanager-api``
and two ``dcmanager-manager`` child processes (``host`` manager-a and manager-b), on an RPC
topic of their own: the session's manager sees neither that database nor that topic.

The peer site is a hanging listener: each heartbeat is a connection that is never answered, so
the listener counts the peer's callers from the outside, and each beat holds its worker for a
second. The API refuses a heartbeat interval under 10 s: the test writes 2 s into the row before
the association makes the peer watched, to keep the run short. Every process is stopped by its
pid.
"""

import base64
import datetime
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from dcmanager.db.sqlalchemy import models
from dcmanager.manager import peer_monitor
from tests import services
from tests.integration import sim_fixture

INTERVAL = 2  # s, the peer's heartbeat interval (written into its row)
THRESHOLD = 3
TICK = 0.2  # s, [peer] monitor_tick
LEASE = peer_monitor.LEASE_INTERVALS * INTERVAL
HOSTS = ('manager-a', 'manager-b')
START_WITHIN = 60
WATCH_FOR = 5 * INTERVAL  # s of watching from the first failure (past the threshold) to the kill
PASSWORD = 'Peer-Watch-Secret*9'
# Everything is on loopback: no proxy of the environment may stand in between.
NO_PROXY = {'no_proxy': '127.0.0.1,localhost', 'NO_PROXY': '127.0.0.1,localhost'}
HTTP = requests.Session()
HTTP.trust_env = False


@pytest.fixture(scope='module')
def broker(transport_url, tmp_path_factory):
    """The session's RabbitMQ (production), else one for this module: the API and both
    managers are separate processes, so the in-process transport cannot join them."""
    if transport_url.startswith('rabbit'):
        yield transport_url
        return
    try:
        with services.rabbitmq(tmp_path_factory.mktemp('rabbitmq')) as url:
            yield url
    except services.NotInstalled as e:
        pytest.skip('RabbitMQ unavailable: %s' % e)


@pytest.fixture
def site_db(database_url, tmp_path):
    """The URL of an empty database for this site alone, on the session's database server."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == 'sqlite':
        yield 'sqlite:///%s' % (tmp_path / 'peer-watch.sqlite')
        return
    name = 'peer_watch_%s' % uuid.uuid4().hex[:8]
    admin = sa.create_engine(url, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE %s' % name))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE %s WITH (FORCE)' % name))
    finally:
        admin.dispose()


@pytest.fixture
def peer_site():
    with sim_fixture.HangingListener('127.0.0.1', [0]) as listener:
        yield listener


def _script(name):
    return shutil.which(name) or os.path.join(os.path.dirname(sys.executable), name)


def _write_config(workdir, db_url, transport_url, api_port):
    path = workdir / 'site.conf'
    path.write_text(
        '[DEFAULT]\nstate_path = %s\ntransport_url = %s\nauth_strategy = noauth\n'
        'system_name = site-a\nsystem_uuid = %s\n'
        '[database]\nconnection = %s\nauto_upgrade = false\n'
        '[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
        '[manager]\ntopic = peer-watch-%s\n'
        '[peer]\nmonitor_tick = %s\nconnect_timeout = 1\nread_timeout = 1\n'
        'audit_interval = 600\n'
        % (workdir / 'state', transport_url, uuid.uuid4(), db_url, api_port,
           uuid.uuid4().hex[:8], TICK))
    return path


class Processes:
    """The site's child processes by name: started with their output in ``<name>.log``,
    stopped by their pid."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = {}

    def start(self, name, command, *config_files):
        argv = [_script(command)]
        for path in config_files:
            argv += ['--config-file', str(path)]
        with open(self.log(name), 'ab') as out:
            self.procs[name] = subprocess.Popen(
                argv, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ, **NO_PROXY))

    def log(self, name):
        return self.workdir / ('%s.log' % name)

    def text(self, name):
        return self.log(name).read_text(errors='replace')

    def wait_for(self, name, ready, what, timeout=START_WITHIN):
        deadline = time.monotonic() + timeout
        while not ready():
            proc = self.procs[name]
            assert proc.poll() is None, '%s ended (%s) before %s:\n%s' % (
                name, proc.returncode, what, self.text(name)[-3000:])
            assert time.monotonic() < deadline, '%s: not %s within %s s:\n%s' % (
                name, what, timeout, self.text(name)[-3000:])
            time.sleep(0.1)

    def kill(self, name, sig=signal.SIGKILL):
        """Send ``sig`` to the process by its pid; its exit status once it has ended."""
        proc = self.procs[name]
        os.kill(proc.pid, sig)
        return proc.wait(timeout=30)

    def stop_all(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def _answers(url):
    try:
        HTTP.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


@pytest.fixture
def running_site(tmp_path, site_db, broker):
    """The site's API and its two managers, running; yields (api URL, Processes, engine)."""
    api_port = services.free_port()
    conf = _write_config(tmp_path, site_db, broker, api_port)
    subprocess.run([_script('dcmanager-manage'), '--config-file', str(conf), 'db_sync'],
                   cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, check=True,
                   timeout=120)
    procs = Processes(tmp_path)
    engine = sa.create_engine(site_db)
    url = 'http://127.0.0.1:%d' % api_port
    try:
        procs.start('api', 'dcmanager-api', conf)
        for host in HOSTS:
            own = tmp_path / ('%s.conf' % host)
            own.write_text('[DEFAULT]\nhost = %s\n' % host)
            procs.start(host, 'dcmanager-manager', conf, own)
        procs.wait_for('api', lambda: _answers(url + '/'), 'answering')
        for host in HOSTS:
            procs.wait_for(host, lambda h=host: 'Manager listening on topic' in procs.text(h),
                           'listening')
        yield url, procs, engine
    finally:
        procs.stop_all()
        engine.dispose()


def _post(url, path, body):
    resp = HTTP.post(url + path, json=body, timeout=60)
    assert resp.status_code in (200, 201), '%s: %s %s' % (path, resp.status_code, resp.text)
    return resp.json()


def _create_watched_peer(url, engine, peer_port):
    """site-b at the hanging listener, then a primary association with it (it is watched
    from then on); its id and UUID."""
    peer_uuid = str(uuid.uuid4())
    peer = _post(url, '/v1.0/system-peers', {
        'peer_uuid': peer_uuid, 'peer_name': 'site-b',
        'manager_endpoint': 'http://127.0.0.1:%d/v3' % peer_port,
        'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(PASSWORD.encode()).decode(),
        'peer_controller_gateway_address': '127.0.2.2', 'heartbeat_interval': '10',
        'heartbeat_failure_threshold': str(THRESHOLD)})
    with engine.begin() as conn:
        conn.execute(sa.update(models.SystemPeer).where(models.SystemPeer.id == peer['id'])
                     .values(heartbeat_interval=INTERVAL))
    group = _post(url, '/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'})
    _post(url, '/v1.0/peer-group-associations', {
        'peer_group_id': group['id'], 'system_peer_id': peer['id'], 'peer_group_priority': 2})
    return peer['id'], peer_uuid


class Watch:
    """The peer's heartbeat columns as the test process reads them, sampled over the run."""

    def __init__(self, engine, peer_id, listener):
        self.engine = engine
        self.peer_id = peer_id
        self.listener = listener
        self.samples = []  # (monotonic s, row, connections the peer site accepted so far)

    def sample(self):
        peer = models.SystemPeer
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(
                peer.monitor_owner, peer.monitor_lease_until, peer.next_heartbeat_at,
                peer.heartbeat_failures, peer.availability_state)
                .where(peer.id == self.peer_id)).one()
        self.samples.append((time.monotonic(), row, self.listener.accepted))
        return row

    def until(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate(self.sample()):
            assert time.monotonic() < deadline, '%s: not within %s s (last: %s)' % (
                what, timeout, self.samples[-1][1])
            time.sleep(0.05)
        return self.samples[-1][1]

    def since(self, start):
        return [(t, row) for t, row, _ in self.samples if t >= start]


def _assert_counted_once(samples):
    """The failures never go down and go up one at a time, by at most one per interval (+2
    for where a window cuts and for a beat that took longer): two managers counting the same
    peer would count about twice as fast."""
    counts = [(t, row.heartbeat_failures) for t, row in samples]
    shown = [c for _, c in counts]
    for (t_a, a), (t_b, b) in zip(counts, counts[1:], strict=False):
        # Consecutive samples (unless the test process stalled between them) see at most one
        # more: one watcher's results are at least a second apart.
        assert a <= b and (b - a <= 1 or t_b - t_a > 0.5), 'failures went %s' % shown
    for i, (t_i, f_i) in enumerate(counts):
        for t_j, f_j in counts[i + 1:]:
            assert f_j - f_i <= (t_j - t_i) / INTERVAL + 2, (
                '%d failures counted in %.1f s (interval %d s): %s'
                % (f_j - f_i, t_j - t_i, INTERVAL, shown))


def _site_alarms(url):
    resp = HTTP.get(url + '/v1.0/site-alarms', timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()['site_alarms']


def _unavailable_logged(procs):
    return sum(procs.text(host).count('is unavailable') for host in HOSTS)


def _watched_by_one(url, procs, watch, peer_uuid):
    """Until WATCH_FOR s after the first failure: one manager holds the watch, counts the
    failures once, and the peer goes unavailable once. (holder, other, start, the alarm)."""
    first = watch.until(lambda r: r.heartbeat_failures >= 1, 10, 'a first heartbeat')
    holder = first.monitor_owner
    assert holder in HOSTS, first
    other, = set(HOSTS) - {holder}
    started, _, called_before = watch.samples[-1]
    watch.until(lambda r: r.availability_state == 'unavailable', THRESHOLD * INTERVAL + 5,
                'unavailable')
    watch.until(lambda r: time.monotonic() > started + WATCH_FOR, WATCH_FOR + 1, 'watched')
    run = watch.since(started)
    assert {row.monitor_owner for _, row in run} == {holder}
    _assert_counted_once(run)
    # From the outside: the peer site is called once per heartbeat, by one manager only.
    called = watch.samples[-1][2] - called_before
    assert called <= WATCH_FOR / INTERVAL + 1, '%d calls in %d s' % (called, WATCH_FOR)
    alarm, = _site_alarms(url)
    assert (alarm['alarm_id'], alarm['entity']) == ('280.004', 'peer=%s' % peer_uuid)
    assert 'did not answer %d heartbeats in a row' % THRESHOLD in alarm['reason']
    assert _unavailable_logged(procs) == 1
    return holder, other, started, alarm


def _taken_over(procs, watch, holder, other):
    """Kill -9 the holder: the other takes the watch over once the lease has ended (not
    before: no release from a dead manager), and counts on from the database."""
    procs.kill(holder)
    killed = watch.sample()
    assert killed.monitor_owner == holder
    took = watch.until(lambda r: r.monitor_owner == other, LEASE + INTERVAL + 3, 'taken over')
    # When it claimed, by its own clock (its lease is LEASE s from then): after the dead
    # holder's lease ended, at one of its next ticks (not an interval later).
    claimed_at = took.monitor_lease_until - datetime.timedelta(seconds=LEASE)
    late = (claimed_at - killed.monitor_lease_until).total_seconds()
    assert 0 < late <= INTERVAL, (claimed_at, killed.monitor_lease_until)
    assert took.heartbeat_failures in (killed.heartbeat_failures,
                                       killed.heartbeat_failures + 1), (killed, took)
    watch.until(lambda r: r.heartbeat_failures >= killed.heartbeat_failures + 2,
                2 * INTERVAL + 3, 'counted on')


def test_one_manager_watches_the_peer_and_the_other_takes_over_when_it_dies(
        running_site, peer_site):
    url, procs, engine = running_site
    peer_id, peer_uuid = _create_watched_peer(url, engine, peer_site.ports[0])
    watch = Watch(engine, peer_id, peer_site)
    holder, other, started, alarm = _watched_by_one(url, procs, watch, peer_uuid)
    _taken_over(procs, watch, holder, other)

    run = watch.since(started)
    _assert_counted_once(run)
    owners = [row.monitor_owner for _, row in run]
    handover = owners.index(other)
    assert set(owners[:handover]) == {holder} and set(owners[handover:]) == {other}
    availability = [row.availability_state for _, row in run]
    assert set(availability[availability.index('unavailable'):]) == {'unavailable'}
    assert _site_alarms(url) == [alarm]  # not raised (nor updated) again
    assert _unavailable_logged(procs) == 1
    # The survivor stops: it releases the watch for another manager at once.
    assert procs.kill(other, signal.SIGTERM) == 0
    assert watch.sample().monitor_owner is None
    for name in procs.procs:
        text = procs.text(name)
        assert PASSWORD not in text
        assert 'Traceback' not in text, text[-3000:]

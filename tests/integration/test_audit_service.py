"""dcmanager-audit as real processes against the simulator, on the session's database.

Embedded (in-process RPC): the scheduler and the worker share one process. With RabbitMQ (the
session's broker with ``--backend production``, else one started for this module): the scheduler
forks ``[audit] workers`` worker processes; SIGTERM stops them all, and a worker that dies ends the
service with status 1. Every process is stopped by its pid.
"""

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import pytest

from dcmanager import objects
from dcmanager.audit import connections
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from tests.integration import sim_fixture

PASSWORD = 'Sim-Audit-Service-1'
COUNT = 6
ONLINE_WITHIN = 30  # includes the start of the processes
STOP_WITHIN = 5


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'svcsim', count=COUNT, admin_password=PASSWORD)


@pytest.fixture(scope='module')
def rabbit_url(site, tmp_path_factory):
    if site.transport_url.startswith('rabbit'):
        yield site.transport_url
        return
    from tests import services
    try:
        with services.rabbitmq(tmp_path_factory.mktemp('rabbitmq')) as url:
            yield url
    except services.NotInstalled as e:
        pytest.skip('RabbitMQ unavailable: %s' % e)


@pytest.fixture
def subclouds(site, sim):
    ctx = site.context()
    ids = []
    for index in range(COUNT):
        ids.append(db_api.subcloud_create(ctx, {
            'name': 'subcloud%d' % (index + 1), 'deploy_status': states.DEPLOY_COMPLETE,
            'bootstrap_address': sim.addresses[index],
            'secrets': objects.Subcloud.encrypt_secrets({'admin_password': PASSWORD})}).id)
    try:
        yield ids
    finally:
        site.reset_database()


def _config(tmp_path, sim, transport_url, workers):
    path = tmp_path / 'audit.conf'
    path.write_text(
        '[DEFAULT]\nstate_path = %s\ntransport_url = %s\n'
        '[database]\nconnection = %s\n'
        '[subcloud]\nscheme = http\nidentity_port = %d\nagent_port = %d\n'
        '[audit]\ninterval = 1\nscan_interval = 0.2\nworkers = %d\nlease_seconds = 20\n'
        '[work_queue]\nworkers = 8\n'
        % (CONF.state_path, transport_url, CONF.database.connection, sim.identity_port,
           sim.agent_port, workers))
    return str(path)


def _children(pid):
    kids = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open('/proc/%s/stat' % name) as f:
                    data = f.read()
            except OSError:
                continue
            fields = data[data.rindex(')') + 2:].split()
            if int(fields[1]) == pid and fields[0] != 'Z':
                kids.append(int(name))
    return sorted(kids)


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return False
    return data[data.rindex(')') + 2:].split()[0] != 'Z'


@contextlib.contextmanager
def _audit_process(tmp_path, conf, preexec_fn=None):
    script = shutil.which('dcmanager-audit') or os.path.join(os.path.dirname(sys.executable),
                                                              'dcmanager-audit')
    log = tmp_path / 'dcmanager-audit.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([script, '--config-file', conf], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=preexec_fn)
    seen = set()
    try:
        yield proc, log, seen
    finally:
        seen.update(_children(proc.pid))
        for pid in seen | {proc.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _wait(predicate, timeout, what, proc=None, log=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail('dcmanager-audit ended (%s) before %s:\n%s'
                        % (proc.returncode, what, log.read_text()[-3000:]))
        if time.monotonic() > deadline:
            pytest.fail('%s: not within %s s\n%s' % (what, timeout,
                                                      log.read_text()[-3000:] if log else ''))
        time.sleep(0.1)


def _all_online(ctx, ids):
    return {db_api.subcloud_get(ctx, i).availability_status for i in ids} == {states.ONLINE}


def _stop(proc, log):
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=STOP_WITHIN + 5)
    assert time.monotonic() - started < STOP_WITHIN
    output = log.read_text()
    assert 'Traceback' not in output, output[-3000:]
    assert PASSWORD not in output
    return code


def test_embedded_scheduler_and_worker_in_one_process(site, sim, subclouds, tmp_path):
    conf = _config(tmp_path, sim, 'kombu+memory:////', workers=3)
    ctx = site.context()
    with _audit_process(tmp_path, conf) as (proc, log, _):
        _wait(lambda: _all_online(ctx, subclouds), ONLINE_WITHIN, 'all online', proc, log)
        assert _children(proc.pid) == []  # no worker processes with the in-process transport
        assert _stop(proc, log) == 0


def _soft_nofile(pid):
    with open('/proc/%d/limits' % pid) as f:
        for line in f:
            if line.startswith('Max open files'):
                return int(line.split()[3])
    raise AssertionError('no open-file limit for %d' % pid)


def test_the_worker_makes_room_for_a_kept_connection_per_subcloud(site, sim, subclouds,
                                                                   tmp_path):
    """Started with the usual soft limit of 1,024 open files, the audit raises it (within the
    hard limit) so that a connection per subcloud of a 10,000-subcloud fleet stays open."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    conf = _config(tmp_path, sim, 'kombu+memory:////', workers=1)
    ctx = site.context()
    with _audit_process(tmp_path, conf, preexec_fn=lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (1024, hard))) as (proc, log, _):
        _wait(lambda: _all_online(ctx, subclouds), ONLINE_WITHIN, 'all online', proc, log)
        threads = 8 + 2 * CONF.audit.offline_workers
        wanted = connections.files_wanted(threads)
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        assert _soft_nofile(proc.pid) == soft
        kept = soft - connections.RESERVED_FILES - connections.FILES_PER_AUDIT * threads
        assert 'connections kept open for %d subclouds' % kept in log.read_text()
        if soft == wanted:
            assert kept == connections.WANTED_SUBCLOUDS
        assert _stop(proc, log) == 0


def test_worker_processes_on_rabbitmq(site, sim, subclouds, rabbit_url, tmp_path):
    conf = _config(tmp_path, sim, rabbit_url, workers=2)
    ctx = site.context()
    with _audit_process(tmp_path, conf) as (proc, log, seen):
        _wait(lambda: len(_children(proc.pid)) == 2, ONLINE_WITHIN, 'two workers', proc, log)
        workers = _children(proc.pid)
        seen.update(workers)
        _wait(lambda: _all_online(ctx, subclouds), ONLINE_WITHIN, 'all online', proc, log)
        # Both workers listen on the shared topic, and the subclouds keep being audited.
        _wait(lambda: all('Audit worker %s:audit-worker:%d listening' % (CONF.host, pid)
                          in log.read_text() for pid in workers), 10, 'both listening')
        before = sum(sim.counters(a)['audits'] for a in sim.addresses)
        time.sleep(2)
        assert sum(sim.counters(a)['audits'] for a in sim.addresses) >= before + COUNT
        assert _stop(proc, log) == 0
        assert not any(_alive(pid) for pid in workers)


def test_a_dead_worker_ends_the_service_with_status_1(site, sim, subclouds, rabbit_url,
                                                      tmp_path):
    conf = _config(tmp_path, sim, rabbit_url, workers=2)
    with _audit_process(tmp_path, conf) as (proc, log, seen):
        _wait(lambda: len(_children(proc.pid)) == 2, ONLINE_WITHIN, 'two workers', proc, log)
        victim, survivor = _children(proc.pid)
        seen.update((victim, survivor))
        os.kill(victim, signal.SIGKILL)
        assert proc.wait(timeout=STOP_WITHIN + 5) == 1
        assert 'ended unexpectedly' in log.read_text()
        assert not _alive(survivor)  # stopped by the parent, not left behind

"""Benchmark of one availability/alarm audit cycle over simulated subclouds (prints figures).

N subclouds are served by ``dcmanager-subcloud-sim`` (a child process, real sockets). A cycle =
every subcloud claimed, dispatched, audited through the identity layer and its result written.
The first cycle includes one token request per subcloud; the second shows the steady state
(cached tokens).

Two layouts of the site:

* ``embedded`` (default): the audit service runs in this process on SQLite with the in-process
  RPC transport, as in ``dcmanager-all``; token cache ``memory`` unless ``--token-cache``.
* ``production``: PostgreSQL (durable: fsync and synchronous commits on) and RabbitMQ are
  started here, and ``dcmanager-audit`` runs as a child process with its scheduler and
  ``--workers`` worker processes (RPC fan-out through RabbitMQ); token cache ``database``
  unless ``--token-cache``. Every process started is stopped by its pid.

    python bench/audit.py [--subclouds 5000] [--layout embedded|production] [--workers 2]
                          [--token-cache memory|database] [--cycles 2]
                          [--shared-port auto|on|off]

The last line is one JSON object with the figures of the first cycle (and of the last one, as
``steady_*``). CPU figures are those of the audit process(es) and of the simulator, per subcloud.
"""

import argparse
import contextlib
import datetime
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = 'Bench-Audit-1'

# Above this many subclouds the simulator serves each one's identity API and agent on one
# listener: two listeners per subcloud would not fit a hard open-file limit of 20,000.
SHARED_PORT_ABOVE = 9000


def _insert(addresses, last_audit_at=None):
    """Managed, complete subclouds at ``addresses`` with their endpoint status rows and alarm
    summaries, as the API creates them."""

    from dcmanager import objects
    from dcmanager.common import states
    from dcmanager.db import api as db_api

    secret = objects.Subcloud.encrypt_secrets({'admin_password': PASSWORD})
    rows = [{'name': 'subcloud%d' % (i + 1), 'deploy_status': 'complete',
             'management_state': 'managed', 'availability_status': 'offline',
             'bootstrap_address': address, 'secrets': secret,
             'error_description': states.DEFAULT_ERROR_DESCRIPTION,
             'openstack_installed': False, 'audit_fail_count': 0,
             'first_identity_sync_complete': False, 'rehomed': False,
             'enrolled_with_vcsr': False, 'sync_status': 'unknown',
             'last_audit_at': last_audit_at}
            for i, address in enumerate(addresses)]
    with db_api.get_engine().begin() as conn:
        insert_subclouds(conn, rows)


def insert_subclouds(conn, rows):
    """Insert the subcloud ``rows`` with their endpoint status rows and alarm summaries, as
    the API creates them (on the connection ``conn``)."""
    import sqlalchemy as sa

    from dcmanager.common import states
    from dcmanager.db.sqlalchemy import models
    from dcmanager.objects import alarm_summary

    conn.execute(models.Subcloud.__table__.insert(), rows)
    ids = [r.id for r in conn.execute(sa.select(models.Subcloud.id))]
    conn.execute(models.SubcloudStatus.__table__.insert(),
                 [{'subcloud_id': i, 'endpoint_type': e, 'sync_status': 'unknown'}
                  for i in ids for e in states.ENDPOINT_TYPES])
    conn.execute(models.SubcloudAlarmSummary.__table__.insert(),
                 [dict(alarm_summary.CLEARED, subcloud_id=i, uuid=str(uuid.uuid4()))
                  for i in ids])


def _proc_cpu_seconds(pid):
    """CPU seconds (user + system) process ``pid`` has used so far."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _peak_rss_mb(pid):
    """The peak resident set (VmHWM) of process ``pid``, in MB."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


def _open_files(pid):
    """How many descriptors process ``pid`` holds now."""
    return len(os.listdir('/proc/%d/fd' % pid))


def _children(pid):
    """Pids of the direct children of ``pid``."""
    found = []
    for task in os.listdir('/proc/%d/task' % pid):
        with contextlib.suppress(OSError), open('/proc/%d/task/%s/children' % (pid, task)) as f:
            found += [int(p) for p in f.read().split()]
    return found


class _InProcess:
    """The embedded layout's audit: the service runs in this process."""

    def __init__(self, audit):
        self.audit = audit

    def cpu_seconds(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def trigger(self):
        return self.audit.scheduler.run_once()

    def peak_rss_mb(self):
        return {'audit': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}

    def open_files(self):
        return {'audit': _open_files(os.getpid())}


class _Child:
    """The production layout's audit: ``dcmanager-audit`` and its forked workers."""

    def __init__(self, proc):
        self.proc = proc

    def pids(self):
        return [self.proc.pid] + _children(self.proc.pid)

    def cpu_seconds(self):
        return sum(_proc_cpu_seconds(pid) for pid in self.pids())

    def trigger(self):
        return None  # its scheduler finds the due subclouds at its next scan

    def peak_rss_mb(self):
        return self._each(_peak_rss_mb)

    def open_files(self):
        return self._each(_open_files)

    def _each(self, measure):
        pids = self.pids()
        figures = {'scheduler': measure(pids[0])}
        for n, pid in enumerate(pids[1:], 1):
            figures['worker%d' % n] = measure(pid)
        return figures


def _cycle(audit, sim_pid, count):
    """Seconds for one full cycle, and the CPU seconds the audit and the simulator used."""
    import sqlalchemy as sa

    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    sc = models.Subcloud
    with db_api.get_engine().begin() as conn:
        conn.execute(sc.__table__.update().values(last_audit_at=None))
    started_at = datetime.datetime.utcnow()
    started = time.monotonic()
    cpu, sim_cpu = audit.cpu_seconds(), _proc_cpu_seconds(sim_pid)
    audit.trigger()
    while True:
        with db_api.get_engine().connect() as conn:
            done = conn.execute(sa.select(sa.func.count()).select_from(sc).where(
                sc.last_audit_at >= started_at)).scalar()
        if done >= count:
            return (time.monotonic() - started, audit.cpu_seconds() - cpu,
                    _proc_cpu_seconds(sim_pid) - sim_cpu)
        time.sleep(0.05)


def _overrides(sim, token_cache):
    return (('subcloud', 'scheme', 'http'), ('subcloud', 'identity_port', sim.identity_port),
            ('subcloud', 'agent_port', sim.agent_port), ('audit', 'interval', 3600),
            ('token_cache', 'backend', token_cache))


def _run_embedded(args, workdir, sim):
    from dcmanager.audit import service
    from dcmanager.cmd import common
    from dcmanager.conf import CONF
    from tests import harness

    token_cache = args.token_cache or 'memory'
    with harness.Site(workdir, 'sqlite:///%s/dcmanager.sqlite' % workdir, 'kombu+memory:////'):
        for group, name, value in _overrides(sim, token_cache) + (
                ('audit', 'scan_interval', 3600),):
            CONF.set_override(name, value, group=group)
        common.raise_nofile_limit(common.open_files_needed())
        _insert(sim.addresses)
        sim.control('POST', '/v1/reset-counters')
        audit = service.AuditService()
        audit.start()
        try:
            cycles = [_cycle(_InProcess(audit), sim.proc.pid, args.subclouds)
                      for _ in range(args.cycles)]
            peak = _InProcess(audit).peak_rss_mb()
            files = dict(_InProcess(audit).open_files(), simulator=_open_files(sim.proc.pid))
        finally:
            audit.stop()
        return cycles, peak, files, _online(), token_cache


def _online():
    import sqlalchemy as sa

    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(
            models.Subcloud.availability_status == 'online')).scalar()


def _write_config(path, workdir, db_url, transport_url, sim, token_cache, workers):
    sections = {'DEFAULT': {'state_path': workdir, 'transport_url': transport_url,
                            'host': 'bench-audit', 'log_file': os.path.join(workdir, 'audit.log')},
                'database': {'connection': db_url},
                'audit': {'workers': workers, 'scan_interval': 0.5}}
    for group, name, value in _overrides(sim, token_cache):
        sections.setdefault(group, {})[name] = value
    with open(path, 'w') as f:
        for section, values in sections.items():
            f.write('[%s]\n' % section)
            f.writelines('%s = %s\n' % item for item in values.items())


def _wait_for_workers(log_path, proc, workers, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('dcmanager-audit ended (status %s); see %s'
                               % (proc.returncode, log_path))
        with contextlib.suppress(OSError), open(log_path) as f:
            if f.read().count('listening on topic') >= workers:
                return
        time.sleep(0.2)
    raise RuntimeError('dcmanager-audit workers not ready in %s s; see %s' % (timeout, log_path))


def _stop(proc, timeout=30):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in _children(proc.pid) + [proc.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(timeout)


def _run_production(args, workdir, sim):
    from dcmanager import objects
    from dcmanager.cmd import common
    from dcmanager.conf import CONF
    from dcmanager.db import api as db_api
    from dcmanager.db import migration
    from tests import services

    token_cache = args.token_cache or 'database'
    conf_path = os.path.join(workdir, 'dcmanager.conf')
    with services.postgresql(os.path.join(workdir, 'postgresql'), durable=True) as db_url, \
            services.rabbitmq(os.path.join(workdir, 'rabbitmq')) as transport_url:
        _write_config(conf_path, workdir, db_url, transport_url, sim, token_cache, args.workers)
        CONF(['--config-file', conf_path], project='dcmanager', default_config_files=[])
        common.raise_nofile_limit(common.open_files_needed())
        migration.upgrade()
        objects.register_all()
        # Audited a moment ago: nothing is due until the first cycle resets them.
        _insert(sim.addresses, last_audit_at=datetime.datetime.utcnow())
        sim.control('POST', '/v1/reset-counters')
        with open(os.path.join(workdir, 'audit.out'), 'ab') as out:
            proc = subprocess.Popen([sys.executable, '-m', 'dcmanager.cmd.audit',
                                     '--config-file', conf_path], stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for_workers(os.path.join(workdir, 'audit.log'), proc, args.workers)
            audit = _Child(proc)
            cycles = [_cycle(audit, sim.proc.pid, args.subclouds) for _ in range(args.cycles)]
            peak = audit.peak_rss_mb()
            files = dict(audit.open_files(), simulator=_open_files(sim.proc.pid))
        finally:
            _stop(proc)
        online = _online()
        db_api.dispose_engine()
        return cycles, peak, files, online, token_cache


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=5000)
    parser.add_argument('--layout', choices=('embedded', 'production'), default='embedded')
    parser.add_argument('--workers', type=int, default=2,
                        help='audit worker processes of the production layout')
    parser.add_argument('--token-cache', choices=('memory', 'database'), default=None)
    parser.add_argument('--cycles', type=int, default=2)
    parser.add_argument('--shared-port', choices=('auto', 'on', 'off'), default='auto',
                        help='serve each simulated subcloud\'s identity API and agent on one '
                             'listener (half the simulator\'s open files); auto: above %d '
                             'subclouds' % SHARED_PORT_ABOVE)
    args = parser.parse_args()

    from tests.integration import sim_fixture

    workdir = tempfile.mkdtemp(prefix='bench-audit-')
    n = args.subclouds
    shared = args.shared_port == 'on' or (args.shared_port == 'auto' and n > SHARED_PORT_ABOVE)
    with sim_fixture.Simulator(workdir, count=n, admin_password=PASSWORD,
                               shared_port=shared) as sim:
        run = _run_production if args.layout == 'production' else _run_embedded
        cycles, peak, files, online, token_cache = run(args, workdir, sim)
        totals = sim.control('GET', '/v1/counters')['counters']

    print('layout: %s%s; token cache: %s; %d subclouds%s'
          % (args.layout, ' (%d worker processes)' % args.workers
             if args.layout == 'production' else '', token_cache, n,
             '; identity and agent on one port' if shared else ''))
    print('%-8s %10s %12s %16s %18s' % ('cycle', 'seconds', 'audits/s', 'audit CPU ms/sc',
                                        'simulator CPU ms/sc'))
    for i, (seconds, cpu, sim_cpu) in enumerate(cycles, 1):
        print('%-8d %10.2f %12.1f %16.2f %18.2f' % (i, seconds, n / seconds, 1000 * cpu / n,
                                                    1000 * sim_cpu / n))
    print('online after the cycles: %d of %d; token POSTs: %d (%.2f per subcloud); audits '
          'answered: %d; peak RSS (MB): %s'
          % (online, n, totals['token_posts'], totals['token_posts'] / n, totals['audits'],
             ', '.join('%s %.0f' % item for item in peak.items())))
    print('open files after the cycles (the kept connections): %s'
          % ', '.join('%s %d' % item for item in files.items()))
    figures = {'subclouds': n, 'layout': args.layout, 'token_cache': token_cache,
               'cycle_seconds': round(cycles[0][0], 2),
               'audits_per_second': round(n / cycles[0][0], 1),
               'steady_cycle_seconds': round(cycles[-1][0], 2),
               'steady_audits_per_second': round(n / cycles[-1][0], 1),
               'audit_cpu_ms_per_subcloud': round(1000 * cycles[0][1] / n, 2),
               'steady_audit_cpu_ms_per_subcloud': round(1000 * cycles[-1][1] / n, 2),
               'simulator_cpu_ms_per_subcloud': round(1000 * cycles[-1][2] / n, 2),
               'peak_rss_mb': round(max(peak.values()), 1),
               'token_posts_per_subcloud': round(totals['token_posts'] / n, 3),
               'online': online,
               'audit_open_files': max(v for k, v in files.items() if k != 'simulator'),
               'simulator_open_files': files['simulator']}
    if args.layout == 'production':
        figures['workers'] = args.workers
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

"""Benchmark of one availability/alarm audit cycle over simulated subclouds (prints figures).

N subclouds are served by ``dcmanager-subcloud-sim`` (a child process, real sockets); the site's
audit service runs in this process on its own SQLite database (in-process RPC, as in
``dcmanager-all``). A cycle = every subcloud claimed, dispatched, audited through the identity
layer and its result written. The first cycle includes one token request per subcloud; the
second shows the steady state (cached tokens).

    python bench/audit.py [--subclouds 5000] [--token-cache memory|database] [--cycles 2]

The last line is one JSON object with the figures of the first cycle (and the later ones).
"""

import argparse
import datetime
import json
import os
import resource
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = 'Bench-Audit-1'


def _insert(addresses):
    """Managed, complete subclouds at ``addresses`` with their endpoint status rows."""
    import sqlalchemy as sa

    from dcmanager import objects
    from dcmanager.common import states
    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models
    from dcmanager.objects import alarm_summary

    secret = objects.Subcloud.encrypt_secrets({'admin_password': PASSWORD})
    rows = [{'name': 'subcloud%d' % (i + 1), 'deploy_status': 'complete',
             'management_state': 'managed', 'availability_status': 'offline',
             'bootstrap_address': address, 'secrets': secret,
             'error_description': states.DEFAULT_ERROR_DESCRIPTION,
             'openstack_installed': False, 'audit_fail_count': 0,
             'first_identity_sync_complete': False, 'rehomed': False,
             'enrolled_with_vcsr': False, 'sync_status': 'unknown'}
            for i, address in enumerate(addresses)]
    with db_api.get_engine().begin() as conn:
        conn.execute(models.Subcloud.__table__.insert(), rows)
        ids = [r.id for r in conn.execute(sa.select(models.Subcloud.id))]
        conn.execute(models.SubcloudStatus.__table__.insert(),
                     [{'subcloud_id': i, 'endpoint_type': e, 'sync_status': 'unknown'}
                      for i in ids for e in states.ENDPOINT_TYPES])
        # As the API creates them: every subcloud has its (disabled) alarm summary.
        conn.execute(models.SubcloudAlarmSummary.__table__.insert(),
                     [dict(alarm_summary.CLEARED, subcloud_id=i, uuid=str(uuid.uuid4()))
                      for i in ids])


def _cpu_seconds(pid=None):
    """CPU seconds (user + system) used so far by this process, or by process ``pid``."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _cycle(scheduler, sim_pid):
    """Seconds for one full cycle, how many subclouds were dispatched, and the CPU seconds the
    audit process and the simulator used meanwhile."""
    import sqlalchemy as sa

    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    sc = models.Subcloud
    with db_api.get_engine().begin() as conn:
        conn.execute(sc.__table__.update().values(last_audit_at=None))
    started_at = datetime.datetime.utcnow()
    started = time.monotonic()
    cpu, sim_cpu = _cpu_seconds(), _cpu_seconds(sim_pid)
    sent = scheduler.run_once()
    while True:
        with db_api.get_engine().connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(sc).where(
                sa.or_(sc.last_audit_at.is_(None), sc.last_audit_at < started_at))).scalar()
        if not left:
            return (time.monotonic() - started, sent, _cpu_seconds() - cpu,
                    _cpu_seconds(sim_pid) - sim_cpu)
        time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=5000)
    parser.add_argument('--token-cache', choices=('memory', 'database'), default='database')
    parser.add_argument('--cycles', type=int, default=2)
    args = parser.parse_args()

    import sqlalchemy as sa

    from dcmanager.audit import service
    from dcmanager.cmd import common
    from dcmanager.conf import CONF
    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models
    from tests import harness
    from tests.integration import sim_fixture

    workdir = tempfile.mkdtemp(prefix='bench-audit-')
    n = args.subclouds
    with sim_fixture.Simulator(workdir, count=n, admin_password=PASSWORD) as sim, \
            harness.Site(workdir, 'sqlite:///%s/dcmanager.sqlite' % workdir,
                         'kombu+memory:////'):
        for group, name, value in (('subcloud', 'scheme', 'http'),
                                   ('subcloud', 'identity_port', sim.identity_port),
                                   ('subcloud', 'agent_port', sim.agent_port),
                                   ('audit', 'interval', 3600), ('audit', 'scan_interval', 3600),
                                   ('token_cache', 'backend', args.token_cache)):
            CONF.set_override(name, value, group=group)
        common.raise_nofile_limit(common.open_files_needed())
        _insert(sim.addresses)
        sim.control('POST', '/v1/reset-counters')
        audit = service.AuditService()
        audit.start()
        cycles = []
        try:
            for _ in range(args.cycles):
                cycles.append(_cycle(audit.scheduler, sim.proc.pid))
        finally:
            audit.stop()
        totals = sim.control('GET', '/v1/counters')['counters']
        with db_api.get_engine().connect() as conn:
            online = conn.execute(sa.select(sa.func.count()).where(
                models.Subcloud.availability_status == 'online')).scalar()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    print('%-8s %10s %12s %14s %14s %14s' % ('cycle', 'seconds', 'audits/s', 'dispatched',
                                             'audit CPU s', 'simulator CPU s'))
    for i, (seconds, sent, cpu, sim_cpu) in enumerate(cycles, 1):
        print('%-8d %10.2f %12.1f %14d %14.2f %14.2f' % (i, seconds, n / seconds, sent, cpu,
                                                         sim_cpu))
    print('online after the cycles: %d of %d; token POSTs: %d (%.2f per subcloud); audits '
          'answered: %d; peak RSS of the audit process: %.0f MB (token cache: %s)'
          % (online, n, totals['token_posts'], totals['token_posts'] / n, totals['audits'],
             peak_rss_mb, args.token_cache))
    figures = {'subclouds': n, 'cycle_seconds': round(cycles[0][0], 2),
               'audits_per_second': round(n / cycles[0][0], 1),
               'steady_cycle_seconds': round(cycles[-1][0], 2),
               'steady_audits_per_second': round(n / cycles[-1][0], 1),
               'audit_cpu_ms_per_subcloud': round(1000 * cycles[0][2] / n, 2),
               'steady_audit_cpu_ms_per_subcloud': round(1000 * cycles[-1][2] / n, 2),
               'simulator_cpu_ms_per_subcloud': round(1000 * cycles[-1][3] / n, 2),
               'peak_rss_mb': round(peak_rss_mb, 1),
               'token_posts_per_subcloud': round(totals['token_posts'] / n, 3),
               'online': online, 'token_cache': args.token_cache}
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

"""Benchmark of the audit with part of the fleet hung (prints figures).

N subclouds are served by ``dcmanager-subcloud-sim`` (a child process, real sockets); the audit
service runs in this process on SQLite with the in-process RPC transport, as in
``dcmanager-all``. Once every subcloud is online (tokens cached), ``--hung`` percent of them get
the simulator's ``delay`` fault (they accept connections and never answer in time). For
``--seconds`` the database is sampled: when each hung subcloud went offline, and the time between
two audits of each healthy subcloud (``last_audit_at`` is when an audit began). Then the delay is
cleared and the time until every hung subcloud is online again is measured.

    python bench/audit_hung.py [--subclouds 500] [--hung 10] [--interval 5] [--seconds 60]
                               [--scan-interval 1] [--connect-timeout S] [--read-timeout S]
                               [--workers 64] [--offline-workers N]

CPU per audit: the CPU time (utime + stime) of this process over the hung period, less the
sampler's own thread time, divided by the audits done meanwhile (answered ones and timed-out
ones, counted by the simulator). The last line is one JSON object of the figures.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import audit as bench_audit  # noqa: E402 - after the path is set

PASSWORD = bench_audit.PASSWORD
SAMPLE_SECONDS = 0.25


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sample():
    """{name: (availability, last_audit_at)} of every subcloud."""
    import sqlalchemy as sa

    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    sc = models.Subcloud
    with db_api.get_engine().connect() as conn:
        rows = conn.execute(sa.select(sc.name, sc.availability_status, sc.last_audit_at))
        return {row.name: (row.availability_status, row.last_audit_at) for row in rows}


def _wait_all(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _sample()
        if all(predicate(value) for value in rows.values()):
            return time.monotonic()
        time.sleep(SAMPLE_SECONDS)
    raise RuntimeError('%s: not within %s s' % (what, timeout))


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _observe(names, hung, hung_at, seconds):
    """Sample for ``seconds``: offline times of the hung ones (seconds after ``hung_at``), gaps
    between audits of the healthy ones, and the sampler's own CPU time."""
    offline_after = {}
    last = {}
    gaps = []
    sampler_cpu = 0.0
    end = hung_at + seconds
    while time.monotonic() < end:
        thread_cpu = time.thread_time()
        now = time.monotonic()
        for name, (availability, audited_at) in _sample().items():
            if name in hung:
                if availability == 'offline' and name not in offline_after:
                    offline_after[name] = now - hung_at
            elif audited_at is not None:
                previous = last.get(name)
                if previous is not None and audited_at != previous:
                    gaps.append((audited_at - previous).total_seconds())
                last[name] = audited_at
        sampler_cpu += time.thread_time() - thread_cpu
        time.sleep(SAMPLE_SECONDS)
    return offline_after, gaps, sampler_cpu


def _overrides(args, sim):
    overrides = [('subcloud', 'scheme', 'http'), ('subcloud', 'identity_port', sim.identity_port),
                 ('subcloud', 'agent_port', sim.agent_port), ('audit', 'interval', args.interval),
                 ('audit', 'scan_interval', args.scan_interval),
                 ('work_queue', 'workers', args.workers)]
    for name in ('connect_timeout', 'read_timeout'):
        if getattr(args, name) is not None:
            overrides.append(('subcloud', name, getattr(args, name)))
    if args.offline_workers is not None:
        overrides.append(('audit', 'offline_workers', args.offline_workers))
    return overrides


def _run(args, workdir, sim):
    from dcmanager.audit import service
    from dcmanager.cmd import common
    from dcmanager.conf import CONF
    from tests import harness

    n = args.subclouds
    with harness.Site(workdir, 'sqlite:///%s/dcmanager.sqlite' % workdir, 'kombu+memory:////'):
        for group, name, value in _overrides(args, sim):
            CONF.set_override(name, value, group=group)
        common.raise_nofile_limit(common.open_files_needed())
        bench_audit._insert(sim.addresses)
        audit = service.AuditService()
        audit.start()
        try:
            _wait_all(lambda value: value[0] == 'online', 120 + n / 20, 'all online')
            names = ['subcloud%d' % (i + 1) for i in range(n)]
            step = max(1, round(100 / args.hung)) if args.hung else n + 1
            hung = {names[i]: sim.addresses[i] for i in range(0, n, step)}
            sim.control('POST', '/v1/reset-counters')
            cpu = _cpu_seconds()
            hung_at = time.monotonic()
            for address in hung.values():
                sim.patch(address, delay=3600)
            offline_after, gaps, sampler_cpu = _observe(names, hung, hung_at, args.seconds)
            cpu = _cpu_seconds() - cpu - sampler_cpu
            totals = sim.control('GET', '/v1/counters')['counters']
            # A hung subcloud's every audit is one request (never retried) left unanswered.
            hung_requests = sum(sim.counters(address)['requests'] for address in hung.values())
            audits = totals['audits'] + hung_requests
            cleared_at = time.monotonic()
            for address in hung.values():
                sim.patch(address, delay=0)
            back = _wait_all(lambda value: value[0] == 'online', 600, 'all back online')
        finally:
            audit.stop()
    return {'hung': len(hung), 'offline_after': offline_after, 'gaps': gaps, 'cpu': cpu,
            'audits': audits, 'healthy_audits': totals['audits'],
            'hung_audits': hung_requests, 'back_online_seconds': back - cleared_at}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=500)
    parser.add_argument('--hung', type=float, default=10.0, help='percent of the fleet hung')
    parser.add_argument('--interval', type=int, default=5)
    parser.add_argument('--scan-interval', type=float, default=1.0)
    parser.add_argument('--seconds', type=float, default=60.0)
    parser.add_argument('--connect-timeout', type=float, default=None)
    parser.add_argument('--read-timeout', type=float, default=None)
    parser.add_argument('--workers', type=int, default=64, help='[work_queue] workers')
    parser.add_argument('--offline-workers', type=int, default=None)
    args = parser.parse_args()

    from tests.integration import sim_fixture

    workdir = tempfile.mkdtemp(prefix='bench-audit-hung-')
    with sim_fixture.Simulator(workdir, count=args.subclouds, admin_password=PASSWORD) as sim:
        result = _run(args, workdir, sim)

    from dcmanager.conf import CONF

    offline = sorted(result['offline_after'].values())
    gaps = result['gaps']
    never = result['hung'] - len(offline)
    print('%d subclouds, %d hung (delay fault), interval %d s, scan %s s, timeouts connect %s s '
          'read %s s, %d + %s audit threads, %.0f s observed'
          % (args.subclouds, result['hung'], args.interval, args.scan_interval,
             args.connect_timeout or CONF.subcloud.connect_timeout,
             args.read_timeout or CONF.subcloud.read_timeout, args.workers,
             args.offline_workers or 'default', args.seconds))
    if offline:
        print('hung -> offline: min %.1f s, median %.1f s, max %.1f s (%d never offline)'
              % (offline[0], statistics.median(offline), offline[-1], never))
    if gaps:
        print('healthy subclouds, seconds between two audits: median %.2f, p99 %.2f, max %.2f '
              '(%d gaps)' % (statistics.median(gaps), _percentile(gaps, 0.99), max(gaps),
                             len(gaps)))
    print('audits: %d answered + %d timed out; audit CPU %.2f ms per audit; back online after '
          'the delay was cleared: %.1f s'
          % (result['healthy_audits'], result['hung_audits'],
             1000 * result['cpu'] / max(result['audits'], 1), result['back_online_seconds']))
    print(json.dumps({
        'subclouds': args.subclouds, 'hung': result['hung'], 'interval': args.interval,
        'offline_seconds_max': round(offline[-1], 1) if offline else None,
        'offline_seconds_median': round(statistics.median(offline), 1) if offline else None,
        'never_offline': never,
        'healthy_gap_seconds_max': round(max(gaps), 2) if gaps else None,
        'healthy_gap_seconds_p99': round(_percentile(gaps, 0.99), 2) if gaps else None,
        'healthy_gap_seconds_median': round(statistics.median(gaps), 2) if gaps else None,
        'audit_cpu_ms_per_audit': round(1000 * result['cpu'] / max(result['audits'], 1), 2),
        'back_online_seconds': round(result['back_online_seconds'], 1),
        'at': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}))


if __name__ == '__main__':
    main()

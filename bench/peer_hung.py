"""Benchmark: peer sites that hang cost this site nothing (prints figures).

One ``dcmanager-all`` site (a child process: SQLite, in-process RPC) behind its own real
Keystone (``tests/integration/two_sites.py``), with ``--subclouds`` managed subclouds served by
``dcmanager-subcloud-sim`` (a child process) and audited every ``--audit-interval`` seconds.
Once every subcloud is online, two phases of ``--seconds`` each are measured the same way:

* a client thread sends sequential ``GET /v1.0/subclouds`` (a real token of the site's
  Keystone, keep-alive) and times each answer;
* the site's database is sampled (read-only) for each subcloud's ``last_audit_at`` (when an
  audit began): the time between two audits of a subcloud;
* the CPU time (utime + stime, from /proc) of the site's process and of its children.

Phase 1 is the baseline. Phase 2 starts with ``--peers`` system peers whose Keystone endpoint
is a socket that accepts connections and never answers (``--variant refused``: a port that
refuses them), each with a peer group of ``--members`` subclouds and a primary association, so
that the sync, the heartbeat and the peer audit all call them; it lasts ``--seconds`` and at
least until every peer is ``unavailable``, whose time (from its association) is compared with
``heartbeat-interval x heartbeat-failure-threshold + 2 s``, and its alarm is looked for in
``GET /v1.0/site-alarms``.

    python bench/peer_hung.py [--subclouds 200] [--peers 5] [--seconds 30]
                              [--variant hung|refused] [--members 2]

The CPU per request and per audit are the same process CPU divided by either count (the site
serves both at once). The last line is one JSON object of the figures. Every process started
is stopped by its pid at the end, also on an error or Ctrl-C.
"""

import argparse
import base64
import contextlib
import datetime
import json
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import audit as bench_audit  # noqa: E402 - after the path is set
from bench import peer_sync  # noqa: E402
from tests import subcloud_forms as forms  # noqa: E402
from tests.integration import sim_fixture, two_sites  # noqa: E402

SAMPLE_SECONDS = 0.25
HEARTBEAT_INTERVAL = 10  # the smallest the API takes
HEARTBEAT_THRESHOLD = 3
PEER_ALARM = '280.004'


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _tree_cpu_seconds(pid):
    """utime + stime of ``pid``, of its live descendants and of its waited-for children."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    total = (int(fields[13]) + int(fields[14])) / os.sysconf('SC_CLK_TCK')
    total += bench_audit._proc_cpu_seconds(pid)
    for child in bench_audit._children(pid):
        with contextlib.suppress(OSError):
            total += _tree_cpu_seconds(child)
    return total


class _Database:
    """Read-only looks at the site's SQLite database while the site runs."""

    def __init__(self, site):
        path = os.path.join(site.workdir, 'state', 'dcmanager.sqlite')
        self.conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True, timeout=30,
                                    check_same_thread=False)

    def subclouds(self):
        """{name: (availability, last_audit_at)}."""
        rows = self.conn.execute('SELECT name, availability_status, last_audit_at '
                                 'FROM subclouds').fetchall()
        return {name: (availability, audited) for name, availability, audited in rows}

    def peers(self):
        """{peer name: availability}."""
        return dict(self.conn.execute(
            'SELECT peer_name, availability_state FROM system_peer').fetchall())

    def close(self):
        self.conn.close()


class _Client(threading.Thread):
    """Sequential GET /v1.0/subclouds through the real authentication, each one timed."""

    def __init__(self, site):
        super().__init__(daemon=True)
        self.url = site.url + '/v1.0/subclouds'
        self.http = requests.Session()
        self.http.headers.update({'X-Auth-Token': site.token(),
                                  'Accept': 'application/json'})
        self.latencies = None
        self.failures = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            started = time.perf_counter()
            try:
                ok = self.http.get(self.url, timeout=60).status_code == 200
            except requests.RequestException:
                ok = False
            if self.latencies is not None:
                self.latencies.append(time.perf_counter() - started)
                self.failures += not ok

    def measure(self):
        """Start counting from now on (the client is warm); the list of latencies."""
        self.failures = 0
        self.latencies = []
        return self.latencies


def _observe(site, db, client, until):
    """Sample while ``until(elapsed seconds, unavailable)`` is false: request latencies, the
    time between two audits of each subcloud, the site's CPU, and ``unavailable``: when each
    peer was first seen unavailable (monotonic)."""
    latencies = client.measure()
    cpu = _tree_cpu_seconds(site.proc.pid)
    began = time.monotonic()
    last, gaps, unavailable = {}, [], {}
    while not until(time.monotonic() - began, unavailable):
        for name, (_availability, audited) in db.subclouds().items():
            if audited is not None and last.get(name) not in (None, audited):
                gaps.append((datetime.datetime.fromisoformat(audited)
                             - datetime.datetime.fromisoformat(last[name])).total_seconds())
            last[name] = audited
        for name, availability in db.peers().items():
            if availability == 'unavailable' and name not in unavailable:
                unavailable[name] = time.monotonic()
        time.sleep(SAMPLE_SECONDS)
    seconds = time.monotonic() - began
    cpu = _tree_cpu_seconds(site.proc.pid) - cpu
    latencies = list(latencies)
    return {'seconds': seconds, 'latencies': latencies, 'failures': client.failures,
            'gaps': gaps, 'cpu': cpu, 'unavailable': unavailable}


@contextlib.contextmanager
def _dead_ends(variant, count):
    """``count`` ports on 127.0.0.1 that hang (accept, never answer) or refuse connections."""
    if variant == 'hung':
        with sim_fixture.HangingListener('127.0.0.1', [0] * count) as listener:
            yield listener.ports
        return
    # Bound and not listening: a connection is refused, and no one else takes the port.
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(('127.0.0.1', 0))
        yield [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _add_peers(site, ports, members):
    """A system peer at each of ``ports``, each with a peer group of ``members`` subclouds
    (taken from the end of the fleet) and a primary association; {peer name: when its
    association was made (monotonic)}."""
    made = {}
    fleet = len(site.get('subclouds')['subclouds'])
    for i, port in enumerate(ports):
        name = 'peer-%d' % (i + 1)
        peer = site.call('POST', 'system-peers', json={
            'peer_uuid': str(uuid.uuid4()), 'peer_name': name,
            'manager_endpoint': 'http://127.0.0.1:%d/v3' % port, 'manager_username': 'dc-peer',
            'manager_password': base64.b64encode(b'Hung-Peer-Pass-1').decode(),
            'peer_controller_gateway_address': '127.0.2.%d' % (10 + i),
            'heartbeat_interval': HEARTBEAT_INTERVAL,
            'heartbeat_failure_threshold': HEARTBEAT_THRESHOLD}).json()
        group = site.call('POST', 'subcloud-peer-groups',
                          json={'peer-group-name': 'pg-%s' % name}).json()
        for n in range(members):
            body, content_type = forms.cli_multipart({'peer_group': group['peer_group_name']})
            site.call('PATCH', 'subclouds/subcloud%d' % (fleet - i * members - n), data=body,
                      headers={'Content-Type': content_type})
        site.call('POST', 'peer-group-associations', json={
            'peer_group_id': group['id'], 'system_peer_id': peer['id'],
            'peer_group_priority': 2})
        made[name] = time.monotonic()
    return made


def _summary(phase, audits_done):
    lat = [1000 * x for x in phase['latencies']]
    gaps = phase['gaps']
    requests_done = len(lat)
    return {
        'requests': requests_done, 'failures': phase['failures'],
        'seconds': round(phase['seconds'], 1),
        'p50_ms': round(statistics.median(lat), 2) if lat else None,
        'p99_ms': round(_percentile(lat, 0.99), 2) if lat else None,
        'max_ms': round(max(lat), 2) if lat else None,
        'audits': audits_done,
        'audit_p50_s': round(statistics.median(gaps), 2) if gaps else None,
        'audit_p99_s': round(_percentile(gaps, 0.99), 2) if gaps else None,
        'audit_max_s': round(max(gaps), 2) if gaps else None,
        'cpu_seconds': round(phase['cpu'], 2),
        'cpu_ms_per_request': round(1000 * phase['cpu'] / max(requests_done, 1), 2),
        'cpu_ms_per_audit': round(1000 * phase['cpu'] / max(audits_done, 1), 2),
    }


def _print_phase(label, s):
    print('%-9s %5d requests (%d failed) in %.0f s: p50 %.1f ms, p99 %.1f ms, max %.1f ms; '
          'audit every p50 %.2f s, p99 %.2f s, max %.2f s (%d audits); CPU %.2f s: '
          '%.2f ms per request, %.2f ms per audit'
          % (label, s['requests'], s['failures'], s['seconds'], s['p50_ms'] or 0,
             s['p99_ms'] or 0, s['max_ms'] or 0, s['audit_p50_s'] or 0, s['audit_p99_s'] or 0,
             s['audit_max_s'] or 0, s['audits'], s['cpu_seconds'], s['cpu_ms_per_request'],
             s['cpu_ms_per_audit']))


def _run(args, site, db, client):
    # Every subcloud online and audited at least twice (tokens cached, the pace settled).
    peer_sync._wait('all subclouds online', lambda: all(
        a == 'online' for a, _ in db.subclouds().values()), timeout=120 + args.subclouds / 5)
    time.sleep(2 * args.audit_interval)
    client.start()
    time.sleep(2)
    baseline = _observe(site, db, client, lambda elapsed, _: elapsed >= args.seconds)
    bound = HEARTBEAT_INTERVAL * HEARTBEAT_THRESHOLD
    with _dead_ends(args.variant, args.peers) as ports:
        made = _add_peers(site, ports, args.members)
        hung = _observe(site, db, client, lambda elapsed, down: (
            elapsed >= args.seconds and (len(down) == args.peers or elapsed > bound + 30)))
        alarms = site.get('site-alarms')['site_alarms']
    client.stopped.set()
    client.join(70)
    detect = {name: hung['unavailable'][name] - made[name]
              for name in made if name in hung['unavailable']}
    alarmed = {a['entity'] for a in alarms if a['alarm_id'] == PEER_ALARM}
    return baseline, hung, detect, len(alarmed), bound


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--subclouds', type=int, default=200)
    parser.add_argument('--peers', type=int, default=5)
    parser.add_argument('--seconds', type=float, default=30.0, help='length of each phase')
    parser.add_argument('--variant', choices=('hung', 'refused'), default='hung')
    parser.add_argument('--members', type=int, default=2, help='subclouds per peer group')
    parser.add_argument('--audit-interval', type=int, default=5, help='[audit] interval')
    args = parser.parse_args()
    options = ('[audit]\ninterval = %d\nscan_interval = 1\n[peer]\naudit_interval = 5\n'
               % args.audit_interval)

    def prepare(site):
        with peer_sync.site_database(site):
            bench_audit._insert(sim.addresses)

    with tempfile.TemporaryDirectory(prefix='bench-peer-hung-') as workdir, \
            sim_fixture.Simulator(workdir, count=args.subclouds,
                                  admin_password=bench_audit.PASSWORD) as sim, \
            two_sites.sites(workdir, names=[('site-a', '127.0.2.1')], sim=sim,
                            options=options, prepare=prepare) as (site,):
        db = _Database(site)
        client = _Client(site)
        try:
            baseline, hung, detect, alarmed, bound = _run(args, site, db, client)
        finally:
            client.stopped.set()
            db.close()
    audits = {}
    for label, phase in (('baseline', baseline), ('hung', hung)):
        audits[label] = _summary(phase, len(phase['gaps']))
    print('%d subclouds (audit interval %d s), %d %s peers (%d members each; heartbeat %d s x '
          '%d), shared 2-core machine' % (args.subclouds, args.audit_interval, args.peers,
                                          args.variant, args.members, HEARTBEAT_INTERVAL,
                                          HEARTBEAT_THRESHOLD))
    _print_phase('baseline', audits['baseline'])
    _print_phase(args.variant, audits['hung'])
    worst = max(detect.values()) if detect else None
    print('peers unavailable: %d of %d, the last after %s s (bound %d s + 2 s); %d with alarm '
          '%s' % (len(detect), args.peers, '%.1f' % worst if worst is not None else '-', bound,
                  alarmed, PEER_ALARM))
    print(json.dumps({
        'subclouds': args.subclouds, 'peers': args.peers, 'variant': args.variant,
        'members': args.members, 'audit_interval': args.audit_interval,
        'baseline': audits['baseline'], args.variant: audits['hung'],
        'peers_unavailable': len(detect), 'peers_alarmed': alarmed,
        'detect_seconds': round(worst, 2) if worst is not None else None,
        'detect_bound_seconds': bound + 2}))


if __name__ == '__main__':
    main()

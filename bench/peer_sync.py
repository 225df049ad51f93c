"""Benchmark of geo-redundancy between two real sites (prints figures).

Two ``dcmanager-all`` sites, A and B, each with its own SQLite database and its own real Keystone
(``tests/integration/two_sites.py``). Before A starts, its database is given a peer group of
``--subclouds`` managed, online, complete subclouds (written directly, as the enrollment would
leave them: the benchmark measures the sync, not the enrollment; A's subcloud audit is put off).
Then, through the APIs as an operator would: system peers both ways, the association of the
group on A with B, and the time until it is ``in-sync`` on A (every subcloud pushed to B as a
secondary copy). Then B is stopped, and the time until A marks it ``unavailable`` is measured
against the bound ``heartbeat-interval x heartbeat-failure-threshold`` (+ 2 s allowed).

    python bench/peer_sync.py [--subclouds 1000] [--pool 10] [--interval 10] [--threshold 3]
                              [--growth]

CPU: utime + stime of each site's process (from /proc) over the sync, per subcloud; then the
server CPU per ``GET .../status`` of the group on A (its counters over the N members), and each
site's peak RSS. ``--growth`` repeats the sync (without the heartbeat part) for groups of 1,000,
5,000 and 10,000 members and prints how each figure grows. The last line is one JSON object:
{"subclouds", "sync_seconds", "status_cpu_ms", "heartbeat_detect_seconds",
"heartbeat_bound_seconds", ...} (with ``--growth``, also ``<figure>_at_<N>``).
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import audit as bench_audit  # noqa: E402 - after the path is set
from tests import subcloud_forms as forms  # noqa: E402
from tests.integration import two_sites  # noqa: E402

GROUP_UUID = str(uuid.uuid4())


def _values(i):
    """Bootstrap values of subcloud number ``i`` (0-based): its own /24s on 127.x."""
    hi, lo = 20 + i // 250, i % 250
    return forms.bootstrap_values(
        'sc%d' % (i + 1), 1, description='Subcloud %d' % (i + 1), location='Rack %d' % i,
        systemcontroller_gateway_address='127.19.0.1',
        external_oam_subnet='127.%d.%d.0/24' % (hi + 20, lo),
        external_oam_gateway_address='127.%d.%d.1' % (hi + 20, lo),
        external_oam_floating_address='127.%d.%d.2' % (hi + 20, lo),
        management_subnet='127.%d.%d.0/24' % (hi, lo),
        management_start_address='127.%d.%d.2' % (hi, lo),
        management_end_address='127.%d.%d.50' % (hi, lo),
        management_gateway_address='127.%d.%d.1' % (hi, lo))


@contextlib.contextmanager
def site_database(site):
    """This process configured on ``site``'s state (its SQLite database, migrated, and its
    site key), before the site starts: what a benchmark writes there is what the site reads."""
    from dcmanager import objects
    from dcmanager.conf import CONF
    from dcmanager.db import api as db_api
    from dcmanager.db import migration

    state = os.path.join(site.workdir, 'state')
    os.makedirs(state, exist_ok=True)
    CONF([], project='dcmanager', default_config_files=[])
    CONF.set_override('state_path', state)
    CONF.set_override('connection', 'sqlite:///%s/dcmanager.sqlite' % state, group='database')
    try:
        migration.upgrade()
        objects.register_all()
        yield
    finally:
        db_api.dispose_engine()
        CONF.reset()
        CONF.clear_override('connection', group='database')
        CONF.clear_override('state_path')


def _fill(site, count, max_rehoming=10):
    """A's database, before A starts: the peer group (led by A, ``max_rehoming`` its
    max-subcloud-rehoming) and its ``count`` members, managed, online and complete, each at
    its own address of the simulator's fleet (127.0.1.1 on). Also used by
    ``bench/migration.py``, whose simulator serves those addresses; the group's id."""
    with site_database(site):
        return _fill_members(site, count, max_rehoming)


def _fill_members(site, count, max_rehoming):
    from dcmanager import objects
    from dcmanager.api.schemas import subcloud_values
    from dcmanager.common import states
    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models
    from dcmanager.simulator import addresses

    secret = objects.Subcloud.encrypt_secrets({'admin_password': forms.ADMIN_PASSWORD})
    fleet = addresses.fleet('127.0.1.1', count)
    with db_api.get_engine().begin() as conn:
        group_id = conn.execute(models.SubcloudPeerGroup.__table__.insert().values(
            peer_group_uuid=GROUP_UUID, peer_group_name='pg1', group_priority=0,
            group_state='enabled', max_subcloud_rehoming=max_rehoming,
            system_leader_id=site.system_uuid, system_leader_name=site.name,
            leader_term=1)).inserted_primary_key[0]
        rows = []
        for i, address in enumerate(fleet):
            values = _values(i)
            fields, _password, payload = subcloud_values.bootstrap(values)
            rows.append(dict(
                fields, region_name=uuid.uuid4().hex, deploy_status='complete',
                management_state='managed', availability_status='online',
                bootstrap_address=address, secrets=secret, group_id=1,
                peer_group_id=group_id, description=values['description'],
                location=values['location'],
                rehome_data=objects.Subcloud.make_rehome_data(payload, address),
                error_description=states.DEFAULT_ERROR_DESCRIPTION,
                openstack_installed=False, audit_fail_count=0,
                first_identity_sync_complete=False, rehomed=False, enrolled_with_vcsr=False,
                sync_status='unknown'))
        bench_audit.insert_subclouds(conn, rows)
    return group_id


def _wait(what, check, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit('not %s after %s s' % (what, timeout))
        time.sleep(0.1)


def _status_cpu_ms(site, group_id, seconds=2.0):
    """Server CPU (ms) per ``GET .../status`` of the group on ``site`` (sequential requests
    for ``seconds``), and the counters it answered."""
    path = 'subcloud-peer-groups/%d/status' % group_id
    answer = site.get(path)  # warm-up (the token cached)
    cpu = bench_audit._proc_cpu_seconds(site.proc.pid)
    count, ends = 0, time.monotonic() + seconds
    while time.monotonic() < ends or count < 5:
        answer = site.get(path)
        count += 1
    return 1000 * (bench_audit._proc_cpu_seconds(site.proc.pid) - cpu) / count, answer


def sync_once(count, pool, interval=10, threshold=3, heartbeat=True):
    """Two sites, a group of ``count`` members on A associated with B: the figures of its
    sync (and, with ``heartbeat``, of the detection of B's stop)."""
    options = ('[peer]\nsync_pool_size = %d\n[audit]\ninterval = 86400\n' % pool)
    filled = {}

    def prepare(site):
        if site.name == 'site-a':
            filled['group_id'] = _fill(site, count)

    with tempfile.TemporaryDirectory(prefix='bench-peer-sync-') as workdir, \
            two_sites.two_sites(workdir, options=options, prepare=prepare) as (a, b):
        peer_b = a.call('POST', 'system-peers', json=dict(
            b.peer_credentials(), heartbeat_interval=str(interval),
            heartbeat_failure_threshold=str(threshold))).json()
        b.call('POST', 'system-peers', json=dict(a.peer_credentials()))
        cpu_a, cpu_b = (bench_audit._proc_cpu_seconds(s.proc.pid) for s in (a, b))
        started = time.monotonic()
        assoc = a.call('POST', 'peer-group-associations', json={
            'peer_group_id': filled['group_id'], 'system_peer_id': peer_b['id'],
            'peer_group_priority': 2}).json()
        path = 'peer-group-associations/%d' % assoc['id']
        done = _wait('in-sync', lambda: (lambda x: x if x['sync-status'] != 'syncing' else None)(
            a.get(path)), timeout=max(600, count * 0.2))
        sync_seconds = time.monotonic() - started
        cpu_a = bench_audit._proc_cpu_seconds(a.proc.pid) - cpu_a
        cpu_b = bench_audit._proc_cpu_seconds(b.proc.pid) - cpu_b
        copies = len(b.get('subclouds')['subclouds'])
        print('sync of %d subclouds A -> B: %s in %.1f s (%d copies on B); CPU: A %.2f ms, '
              'B %.2f ms per subcloud' % (count, done['sync-status'], sync_seconds,
                                          copies, 1000 * cpu_a / count, 1000 * cpu_b / count),
              flush=True)
        if done['sync-status'] != 'in-sync':
            print('sync message: %s' % done['sync-message'])
        status_ms, counters = _status_cpu_ms(a, filled['group_id'])
        print('GET .../status of the %d-member group on A: %.2f ms CPU per request (%s)'
              % (count, status_ms, counters.get('total_subclouds', counters)), flush=True)
        figures = {'subclouds': count, 'sync_seconds': round(sync_seconds, 2),
                   'sync_status': done['sync-status'], 'copies_on_b': copies,
                   'cpu_ms_per_subcloud_a': round(1000 * cpu_a / count, 3),
                   'cpu_ms_per_subcloud_b': round(1000 * cpu_b / count, 3),
                   'status_cpu_ms': round(status_ms, 2),
                   'peak_rss_mb_a': round(bench_audit._peak_rss_mb(a.proc.pid), 1),
                   'peak_rss_mb_b': round(bench_audit._peak_rss_mb(b.proc.pid), 1),
                   'pool': pool}
        if heartbeat:
            # B's process stopped (its Keystone still answers).
            _wait('A sees B available', lambda: a.get('system-peers/site-b')[
                'availability-state'] == 'available', timeout=interval * 3)
            b.stop()
            stopped = time.monotonic()
            _wait('A sees B unavailable', lambda: a.get('system-peers/site-b')[
                'availability-state'] == 'unavailable', timeout=interval * threshold * 3)
            detect = time.monotonic() - stopped
            bound = interval * threshold
            print('heartbeat failure detected in %.1f s (bound %d s + 2 s)' % (detect, bound))
            figures.update(heartbeat_detect_seconds=round(detect, 2),
                           heartbeat_bound_seconds=bound)
        return figures


def _sync_in_child(count, pool):
    """sync_once in a process of its own (this one's configuration and engine belong to the
    first run); its figures."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), '--subclouds', str(count),
                          '--pool', str(pool), '--no-heartbeat'], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    print(out, end='', flush=True)
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--subclouds', type=int, default=1000)
    parser.add_argument('--pool', type=int, default=10, help='[peer] sync_pool_size')
    parser.add_argument('--interval', type=int, default=10, help='heartbeat interval (>= 10)')
    parser.add_argument('--threshold', type=int, default=3)
    parser.add_argument('--growth', action='store_true',
                        help='also the sync of groups of 1,000, 5,000 and 10,000 members')
    parser.add_argument('--no-heartbeat', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    figures = sync_once(args.subclouds, args.pool, args.interval, args.threshold,
                        heartbeat=not args.no_heartbeat)
    if args.growth:
        rows = {args.subclouds: figures}
        for count in (1000, 5000, 10000):
            if count not in rows:
                rows[count] = _sync_in_child(count, args.pool)
        print('growth: sync of a group of N members A -> B, and its status counters on A')
        print('%8s %10s %14s %14s %12s %10s %10s' % (
            'members', 'sync s', 'A cpu ms/sc', 'B cpu ms/sc', 'status ms', 'A MB', 'B MB'))
        for count in sorted(rows):
            r = rows[count]
            print('%8d %10.1f %14.3f %14.3f %12.2f %10.1f %10.1f' % (
                count, r['sync_seconds'], r['cpu_ms_per_subcloud_a'],
                r['cpu_ms_per_subcloud_b'], r['status_cpu_ms'], r['peak_rss_mb_a'],
                r['peak_rss_mb_b']))
            for key in ('sync_seconds', 'cpu_ms_per_subcloud_a', 'cpu_ms_per_subcloud_b',
                        'status_cpu_ms'):
                figures['%s_at_%d' % (key, count)] = r[key]
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

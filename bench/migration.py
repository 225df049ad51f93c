"""Benchmark of a peer group migration between two real sites (prints figures).

Two ``dcmanager-all`` sites, A and B, each with its own SQLite database and its own real
Keystone (``tests/integration/two_sites.py``), and one ``dcmanager-subcloud-sim`` serving
``--subclouds`` subclouds (127.0.1.1 on: past 127.0.1.254 comes 127.0.2.1, and so on) whose
rehome entry point takes ``--rehome-seconds``. Before A starts, its database is given a peer
group of those subclouds, managed, online and complete, at the simulator's addresses
(``bench/peer_sync.py``'s ``_fill``; max-subcloud-rehoming ``--max-rehoming``). Then, through
the APIs as an operator would: system peers both ways, the association of the group on A with
B and the wait until it is ``in-sync`` (timed, not the point), and ``PATCH
.../subcloud-peer-groups/<uuid>/migrate`` on B. Measured from that request:

* ``migration_seconds``: until B's group says ``migration_status`` ``complete`` (B polled at
  most 4 times a second), against ``ideal_seconds`` = ceil(subclouds / max-subcloud-rehoming)
  x rehome seconds, and the goal (``--goal``, 1.25 x ideal by default: 25 s for 1,000
  subclouds, 50 at a time, 1 s each);
* ``leader_agreed_seconds``: until A and B both say that B leads, in the new leader term;
* then the members ``complete`` on B and ``secondary`` on A (A steps down at its next peer
  audit, ``--peer-audit-interval``; that wait is bounded and timed too), and those managed on
  B once its audit finds them online;
* CPU (utime + stime from /proc) of B's and A's process and of the simulator over the
  migration, per subcloud, and the peak RSS (VmHWM) of B's process over the migration (its
  peak is reset at the request when the kernel allows it, else it is the process's peak).

    python bench/migration.py [--subclouds 1000] [--max-rehoming 50] [--rehome-seconds 1.0]
                              [--peer-audit-interval 10] [--goal SECONDS]

On the shared 2-core machine, 1,000 subclouds (50 at a time, 1 s each: ideal 20 s) were
complete on B in 23.3 s, within the 25 s goal (README.md's "Benchmarks"). The last line
is one JSON object of the figures. Every process started is stopped by its pid at the end,
also on an error or Ctrl-C.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import audit as bench_audit  # noqa: E402 - after the path is set
from bench import peer_hung, peer_sync  # noqa: E402
from tests import subcloud_forms as forms  # noqa: E402
from tests.integration import sim_fixture, two_sites  # noqa: E402

POLL_SECONDS = 0.25
HEARTBEAT_INTERVAL = 10  # the smallest the API takes
GOAL_FACTOR = 1.25


def ideal_seconds(subclouds, max_rehoming, rehome_seconds):
    """The migration's time if nothing but the rehomes took any: ``max_rehoming`` at a time,
    each ``rehome_seconds`` long."""
    return math.ceil(subclouds / max_rehoming) * rehome_seconds


def _reset_peak_rss(pid):
    """Reset the peak RSS (VmHWM) of ``pid`` (``clear_refs`` 5, Linux >= 4.0); False when
    the kernel does not allow it (the peak is then the process's own)."""
    try:
        with open('/proc/%d/clear_refs' % pid, 'w') as f:
            f.write('5')
    except OSError:
        return False
    return True


def _wait_on(wait, sites):
    try:
        return wait()
    except requests.ConnectionError:
        _died(sites)
        raise


def _sync(a, b, group_id):
    """System peers both ways, the association of the group on A with B, in sync; the
    seconds the sync took and the association."""
    peer_b = a.call('POST', 'system-peers', json=dict(
        b.peer_credentials(), heartbeat_interval=str(HEARTBEAT_INTERVAL))).json()
    b.call('POST', 'system-peers', json=dict(a.peer_credentials(),
                                             heartbeat_interval=str(HEARTBEAT_INTERVAL)))
    started = time.monotonic()
    assoc = a.call('POST', 'peer-group-associations', json={
        'peer_group_id': group_id, 'system_peer_id': peer_b['id'],
        'peer_group_priority': 2}).json()
    # Followed on B: its copy of the association is in-sync once A's sync ends there.
    _wait_on(lambda: peer_sync._wait('in-sync on B', lambda: any(
        x['sync-status'] == 'in-sync' for x in b.get('peer-group-associations')[
            'peer_group_associations']), timeout=900), (a, b))
    seconds = time.monotonic() - started
    done = peer_sync._wait('in-sync', lambda: (
        lambda x: x if x['sync-status'] != 'syncing' else None)(
        a.get('peer-group-associations/%d' % assoc['id'])), timeout=60)
    if done['sync-status'] != 'in-sync':
        raise SystemExit('the sync ended %s: %s' % (done['sync-status'], done['sync-message']))
    return seconds


def _cpu(sites, sim):
    """CPU seconds so far of each site's process (and children) and of the simulator."""
    return [peer_hung._tree_cpu_seconds(s.proc.pid) for s in sites] + \
        [bench_audit._proc_cpu_seconds(sim.proc.pid)]


def _follow(a, b, path, term, timeout):
    """Poll until B's group is ``complete`` (and both sites agree that B leads in ``term``);
    the seconds, from now, of each (None: not seen)."""
    started = time.monotonic()
    complete = agreed = None
    while complete is None or agreed is None:
        now = time.monotonic() - started
        if now > timeout:
            break
        on_b = b.get(path)
        if complete is None and on_b['migration_status'] == 'complete':
            complete = now
        if agreed is None and (on_b['system_leader_id'], on_b['leader_term']) == (
                b.system_uuid, term):
            on_a = a.get(path)
            if (on_a['system_leader_id'], on_a['leader_term']) == (b.system_uuid, term):
                agreed = time.monotonic() - started
        time.sleep(POLL_SECONDS)
    return complete, agreed


def _members(site, path):
    rows = site.get(path + '/subclouds')['subclouds']
    return {'complete': sum(r['deploy-status'] == 'complete' for r in rows),
            'secondary': sum(r['deploy-status'] == 'secondary' for r in rows),
            'managed': sum(r['management-state'] == 'managed' for r in rows)}


def _wait_for(check, timeout):
    """Seconds until ``check()`` is true (polled every second), or None after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            return None
        time.sleep(1.0)
    return time.monotonic() - started


def _died(sites):
    """SystemExit naming a site whose process ended, with its log's last critical line."""
    for site in sites:
        if site.proc.poll() is not None:
            critical = [line for line in site.log_text().splitlines() if ' CRITICAL ' in line]
            raise SystemExit('%s\'s process ended (status %s): %s' % (
                site.name, site.proc.returncode, critical[-1] if critical else 'see its log'))


def _migrate(args, a, b, sim):
    """The migration on B, measured; its figures."""
    path = 'subcloud-peer-groups/%s' % peer_sync.GROUP_UUID
    copy = b.get(path)
    if copy['max_subcloud_rehoming'] != args.max_rehoming:
        raise SystemExit('B\'s copy says max-subcloud-rehoming %s' % copy['max_subcloud_rehoming'])
    ideal = ideal_seconds(args.subclouds, args.max_rehoming, args.rehome_seconds)
    reset = _reset_peak_rss(b.proc.pid)
    cpu = _cpu((a, b), sim)
    started = time.monotonic()
    answer = b.call('PATCH', path + '/migrate', json={
        'sysadmin_password': forms.b64(forms.SYSADMIN_PASSWORD)}).json()
    answered = time.monotonic() - started
    try:
        complete, agreed = _follow(a, b, path, copy['leader_term'] + 1,
                                   timeout=max(600, 10 * ideal))
    except requests.ConnectionError:
        _died((a, b))
        raise
    complete_at = started + complete if complete is not None else None
    cpu = [after - before for after, before in zip(_cpu((a, b), sim), cpu, strict=True)]
    peak = bench_audit._peak_rss_mb(b.proc.pid)
    if complete is None:
        raise SystemExit('the migration was not complete after %.0f s' % (
            time.monotonic() - started))
    bound = 2 * args.peer_audit_interval + 30
    stepped = _wait_for(lambda: _members(a, path)['secondary'] == args.subclouds, bound)
    stepped = time.monotonic() - complete_at if stepped is not None else None
    managed = _wait_for(lambda: _members(b, path)['managed'] == args.subclouds, 120)
    managed = time.monotonic() - complete_at if managed is not None else None
    on_a, on_b = _members(a, path), _members(b, path)
    return {
        'migrating': len(answer['subclouds']), 'answered_seconds': round(answered, 2),
        'migration_seconds': round(complete, 2), 'ideal_seconds': ideal,
        'leader_agreed_seconds': round(agreed, 2) if agreed is not None else None,
        'step_down_seconds': stepped if stepped is None else round(stepped, 2),
        'step_down_bound_seconds': bound,
        'managed_on_b_seconds': round(managed, 2) if managed is not None else None,
        'complete_on_b': on_b['complete'], 'secondary_on_a': on_a['secondary'],
        'managed_on_b': on_b['managed'], 'peak_rss_mb': round(peak, 1),
        'peak_rss_reset': reset, 'cpu_seconds_a': round(cpu[0], 2),
        'cpu_seconds_b': round(cpu[1], 2), 'cpu_seconds_sim': round(cpu[2], 2)}


def _report(args, sync_seconds, figures):
    n = args.subclouds
    goal = args.goal if args.goal is not None else GOAL_FACTOR * figures['ideal_seconds']
    met = figures['migration_seconds'] <= goal
    figures = dict({'subclouds': n, 'max_subcloud_rehoming': args.max_rehoming,
                    'rehome_seconds': args.rehome_seconds,
                    'sync_seconds': round(sync_seconds, 2)}, **figures,
                   goal_seconds=goal, goal_met=met,
                   cpu_ms_per_subcloud_a=round(1000 * figures['cpu_seconds_a'] / n, 2),
                   cpu_ms_per_subcloud_b=round(1000 * figures['cpu_seconds_b'] / n, 2),
                   cpu_ms_per_subcloud_sim=round(1000 * figures['cpu_seconds_sim'] / n, 2))
    f = figures
    print('%d subclouds, %d at a time, rehome %.1f s each (shared 2-core machine)'
          % (n, args.max_rehoming, args.rehome_seconds))
    print('sync A -> B (not measured against anything): %.1f s' % sync_seconds)
    print('migration on B: %d subclouds (answered in %.2f s), complete in %.1f s; ideal %.1f s'
          '; goal %.1f s: %s' % (f['migrating'], f['answered_seconds'], f['migration_seconds'],
                                 f['ideal_seconds'], goal, 'MET' if met else 'NOT MET'))
    print('both sites agree B leads (new term) after %s s'
          % ('%.2f' % f['leader_agreed_seconds'] if f['leader_agreed_seconds'] is not None
             else 'never'))
    print('at the end: %d of %d complete on B (%d managed, all of them %s s after the '
          'migration\'s end), %d secondary on A (A stepped down %s s after it; bound %d s)'
          % (f['complete_on_b'], n, f['managed_on_b'], f['managed_on_b_seconds'],
             f['secondary_on_a'], f['step_down_seconds'], f['step_down_bound_seconds']))
    print('B: peak RSS %.1f MB%s, CPU %.2f s (%.2f ms per subcloud); A: CPU %.2f s (%.2f ms '
          'per subcloud); simulator: CPU %.2f s (%.2f ms per subcloud)'
          % (f['peak_rss_mb'], ' (over the migration)' if f['peak_rss_reset'] else
             ' (of the whole process)', f['cpu_seconds_b'], f['cpu_ms_per_subcloud_b'],
             f['cpu_seconds_a'], f['cpu_ms_per_subcloud_a'], f['cpu_seconds_sim'],
             f['cpu_ms_per_subcloud_sim']))
    print(json.dumps(figures))


@contextlib.contextmanager
def _workdir(keep):
    if keep is None:
        with tempfile.TemporaryDirectory(prefix='bench-migration-') as workdir:
            yield workdir
        return
    os.makedirs(keep, exist_ok=True)
    yield tempfile.mkdtemp(prefix='bench-migration-', dir=keep)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--subclouds', type=int, default=1000)
    parser.add_argument('--max-rehoming', type=int, default=50,
                        help='the group\'s max-subcloud-rehoming (1..250)')
    parser.add_argument('--rehome-seconds', type=float, default=1.0,
                        help='how long each simulated rehome takes')
    parser.add_argument('--peer-audit-interval', type=int, default=10,
                        help='[peer] audit_interval of both sites (>= 5)')
    parser.add_argument('--audit-interval', type=int, default=86400,
                        help='[audit] interval of both sites (put off by default)')
    parser.add_argument('--goal', type=float, default=None,
                        help='seconds the migration should take at most (1.25 x ideal)')
    parser.add_argument('--keep', metavar='DIR', default=None,
                        help='work in DIR and keep it (the sites\' logs and databases)')
    args = parser.parse_args()
    options = '[peer]\naudit_interval = %d\n[audit]\ninterval = %d\n' % (
        args.peer_audit_interval, args.audit_interval)
    filled = {}

    def prepare(site):
        if site.name == 'site-a':
            filled['group_id'] = peer_sync._fill(site, args.subclouds, args.max_rehoming)

    with _workdir(args.keep) as workdir, \
            sim_fixture.Simulator(workdir, count=args.subclouds,
                                  admin_password=forms.ADMIN_PASSWORD,
                                  rehome_seconds=args.rehome_seconds) as sim, \
            two_sites.two_sites(workdir, sim, options=options, prepare=prepare) as (a, b):
        sync_seconds = _sync(a, b, filled['group_id'])
        figures = _migrate(args, a, b, sim)
    _report(args, sync_seconds, figures)


if __name__ == '__main__':
    main()

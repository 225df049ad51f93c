"""Benchmark of the subclouds API over a realistic fleet (prints figures).

The database is filled as a real fleet looks: every subcloud with its 7 endpoint status rows
(``in-sync``; ``firmware`` ``out-of-sync`` on every 10th subcloud; all ``unknown`` when it is
offline), about 600 bytes of install data, 90 % managed and most of them online, subcloud
groups and peer groups in use (with rehome data), an alarm summary per subcloud. Filled in bulk
(one INSERT per table, through the project's engine), then the project's own refresh of what the
list serves (``db.api.subcloud_list_rows_refresh``) where it exists.

The API runs as a real server (``dcmanager-api``, noauth, SQLite, loopback only), stopped by its
pid. The figure of each request is the **server CPU per request**: utime + stime of the server
process and its worker processes from ``/proc/<pid>/stat`` (every thread), over batches of
sequential requests on one kept-alive connection (the clock ticks are 10 ms: a batch lasts about
a second), median of the batches. Also the client's wall p50/p99 and the response bytes. Then the
full list with 16 concurrent connections against 1 and 2 API workers: the throughput ratio
(of the median of ``--pairs`` pairs of runs).

    python bench/api.py [--subclouds 5000] [--seconds 8] [--growth]

``--growth`` also prints the CPU of a full list and of the alarm summary at 1,000, 5,000 and
10,000 subclouds. The last
line is one JSON object with the figures (medians).
"""

import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ENDPOINTS = ('platform', 'identity', 'dc-cert', 'firmware', 'kubernetes', 'kube-rootca',
             'software')
GROUPS = 20          # subcloud groups besides Default (a quarter of the fleet stays in Default)
PEER_GROUPS = 10     # a fifth of the fleet is in a peer group
CLIENTS = 16
_TICK = os.sysconf('SC_CLK_TCK')


# ---------------------------------------------------------------- the fleet

def _install_data(i):
    """About 600 bytes of install values, as a real subcloud's."""
    return json.dumps({
        'bmc_address': '127.%d.%d.%d' % (200 + i // 65000, (i // 250) % 250, 2 + i % 250),
        'bmc_username': 'root', 'bootstrap_interface': 'enp2s1', 'bootstrap_vlan': 100 + i % 50,
        'console_type': 'tty0', 'image': 'https://127.0.0.1:8080/iso/24.09/bootimage.iso',
        'install_type': 3, 'nexthop_gateway': '127.%d.0.1' % (100 + i % 50),
        'network_address': '127.%d.0.0' % (100 + i % 50), 'network_mask': 24,
        'no_check_certificate': True, 'persistent_size': 30000,
        'rootfs_device': '/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0',
        'boot_device': '/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0',
        'rd.net.timeout.ipv6dad': 300, 'software_version': '24.09', 'wipe_osds': False,
        'hw_settle': 0, 'extra_boot_params': 'multi-drivers-switch=cvl-4.0.1',
        'kickstart_override': '/var/miniboot/kickstart-override.cfg',
    }, sort_keys=True)


def _rehome_data(name, address):
    return json.dumps({'saved_payload': {
        'bootstrap-address': address, 'name': name, 'system_mode': 'simplex',
        'sysadmin_password': None, 'admin_password': None,
        'systemcontroller_gateway_address': '127.0.0.1',
        'external_oam_subnet': '127.250.0.0/24', 'external_oam_gateway_address': '127.250.0.1',
        'external_oam_floating_address': address}}, sort_keys=True)


def _subcloud(i, now, peer_group_id):
    sid = i + 1
    a = i  # a /24 of its own: 127.100.0.0/24, 127.100.1.0/24, ...
    managed = i % 10 != 9                       # 90 % managed
    online = managed and i % 50 != 7            # most managed ones online, unmanaged offline
    name = 'subcloud%d' % sid
    address = '127.%d.%d.%d' % (1 + i // 62500, (i // 250) % 250, 2 + i % 250)
    return {
        'id': sid, 'name': name, 'description': 'Edge site %d, row %d' % (sid, i % 40),
        'location': 'Region %d, rack %d' % (i % 12, i % 40), 'software_version': '24.09',
        'management_state': 'managed' if managed else 'unmanaged',
        'availability_status': 'online' if online else 'offline',
        'deploy_status': 'complete', 'error_description': 'No errors present',
        'backup_status': 'complete-central' if i % 4 == 0 else None,
        'backup_datetime': now - datetime.timedelta(days=1) if i % 4 == 0 else None,
        'region_name': uuid.UUID(int=sid).hex,
        'management_subnet': '127.%d.%d.0/24' % (100 + a // 250, a % 250),
        'management_start_ip': '127.%d.%d.%d' % (100 + a // 250, a % 250, 2),
        'management_end_ip': '127.%d.%d.%d' % (100 + a // 250, a % 250, 30),
        'management_gateway_ip': '127.%d.%d.1' % (100 + a // 250, a % 250),
        'systemcontroller_gateway_ip': '127.0.0.1', 'openstack_installed': False,
        'audit_fail_count': 0 if online else 3, 'first_identity_sync_complete': True,
        'group_id': 1 if i % 4 == 0 else 2 + i % GROUPS,
        'peer_group_id': peer_group_id, 'rehomed': False, 'enrolled_with_vcsr': False,
        'sync_status': ('unknown' if not online else
                        'out-of-sync' if i % 10 == 0 else 'in-sync'),
        'bootstrap_address': address, 'data_install': _install_data(i),
        'rehome_data': _rehome_data(name, address) if peer_group_id else None,
        'created_at': now - datetime.timedelta(days=30, seconds=i),
        'updated_at': now - datetime.timedelta(seconds=i % 3600),
        'last_audit_at': now - datetime.timedelta(seconds=i % 60) if online else None,
    }


def populate(count):
    """Insert ``count`` subclouds (statuses, alarm summaries, groups, peer groups) in bulk."""
    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    now = datetime.datetime.utcnow().replace(microsecond=123456)
    groups = [{'id': 2 + g, 'name': 'group-%d' % g, 'description': 'Rollout wave %d' % g,
               'update_apply_type': 'parallel', 'max_parallel_subclouds': 10,
               'created_at': now} for g in range(GROUPS)]
    peer_groups = [{'id': 1 + p, 'peer_group_uuid': str(uuid.UUID(int=1000 + p)),
                    'peer_group_name': 'pg-%d' % p, 'group_priority': 0,
                    'group_state': 'enabled', 'max_subcloud_rehoming': 10,
                    'system_leader_id': str(uuid.UUID(int=7)),
                    'system_leader_name': 'site-a', 'leader_term': 1, 'created_at': now}
                   for p in range(PEER_GROUPS)]
    subclouds, statuses, alarms = [], [], []
    for i in range(count):
        peer_group_id = 1 + i % PEER_GROUPS if i % 5 == 1 else None
        row = _subcloud(i, now, peer_group_id)
        subclouds.append(row)
        online = row['availability_status'] == 'online'
        for endpoint in ENDPOINTS:
            status = ('unknown' if not online else
                      'out-of-sync' if endpoint == 'firmware' and i % 10 == 0 else 'in-sync')
            statuses.append({'subcloud_id': row['id'], 'endpoint_type': endpoint,
                             'sync_status': status, 'created_at': now})
        alarms.append({'uuid': str(uuid.UUID(int=10 ** 6 + i)), 'subcloud_id': row['id'],
                       'critical_alarms': 0 if online else -1,
                       'major_alarms': (i % 3 if online else -1),
                       'minor_alarms': (i % 5 if online else -1),
                       'warnings': (i % 2 if online else -1),
                       'cloud_status': ('disabled' if not online else
                                        'degraded' if i % 3 else 'OK'),
                       'created_at': now})
    with db_api.get_engine().begin() as conn:
        conn.execute(models.SubcloudGroup.__table__.insert(), groups)
        conn.execute(models.SubcloudPeerGroup.__table__.insert(), peer_groups)
        conn.execute(models.Subcloud.__table__.insert(), subclouds)
        conn.execute(models.SubcloudStatus.__table__.insert(), statuses)
        conn.execute(models.SubcloudAlarmSummary.__table__.insert(), alarms)
    refresh = getattr(db_api, 'subcloud_list_rows_refresh', None)
    if refresh is not None:
        from dcmanager.common import context
        refresh(context.get_admin_context())


def make_site(workdir, count):
    """A configuration and a database of ``count`` subclouds in ``workdir``; the config path."""
    conf_path = os.path.join(workdir, 'api.conf')
    with open(conf_path, 'w') as f:
        f.write(textwrap.dedent('''
            [DEFAULT]
            auth_strategy = noauth
            state_path = %s
            [database]
            connection = sqlite:///%s/dcmanager.sqlite
        ''' % (workdir, workdir)))
    # A child process: the configuration and the engine of this one stay unset.
    subprocess.run([sys.executable, os.path.abspath(__file__), '--populate', conf_path,
                    '--subclouds', str(count)], check=True)
    return conf_path


def _populate_main(conf_path, count):
    from dcmanager.conf import CONF
    from dcmanager.db import migration

    CONF(['--config-file', conf_path], project='dcmanager', default_config_files=[])
    migration.upgrade()
    started = time.monotonic()
    populate(count)
    print('filled %d subclouds in %.1f s' % (count, time.monotonic() - started), flush=True)


# ---------------------------------------------------------------- the server

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _children(pid):
    found = []
    try:
        tasks = os.listdir('/proc/%d/task' % pid)
    except FileNotFoundError:
        return found
    for tid in tasks:
        try:
            with open('/proc/%d/task/%s/children' % (pid, tid)) as f:
                found.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    return found


def _process_cpu(pid):
    """utime + stime (ticks) of every thread of ``pid``, and of its ended, waited-for children."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except FileNotFoundError:
        return 0
    return sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime


def server_cpu_ms(pid):
    """CPU time (ms) of the server ``pid`` and of its live descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _process_cpu(p)
        todo.extend(_children(p))
    return total * 1000.0 / _TICK


class Server:
    """``dcmanager-api`` with ``workers`` processes on a free loopback port."""

    def __init__(self, conf_path, workers):
        self.port = _free_port()
        conf = '%s.%d' % (conf_path, workers)
        with open(conf_path) as src, open(conf, 'w') as dst:
            dst.write(src.read() + '\n[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                      'workers = %d\n' % (self.port, workers))
        api = os.path.join(os.path.dirname(sys.executable), 'dcmanager-api')
        if not os.path.exists(api):
            api = shutil.which('dcmanager-api')
        self.log = open(conf + '.log', 'w')
        self.proc = subprocess.Popen([api, '--config-file', conf], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.workers = workers
        self._wait()

    def _wait(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit('dcmanager-api ended (see %s)' % self.log.name)
            try:
                get(self.port, '/v1.0/subclouds/1')
                if self.workers == 1 or len(_children(self.proc.pid)) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit('the API did not come up on port %d' % self.port)

    def cpu_ms(self):
        return server_cpu_ms(self.proc.pid)

    def stop(self):
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- the client

def get(port, path, conn=None):
    """(status, body) of GET ``path``."""
    own = conn is None
    conn = conn or http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    try:
        conn.request('GET', path, headers={'Accept': 'application/json'})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        if own:
            conn.close()


def _percentile(samples, pct):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100.0 * (len(ordered) - 1))))]


def measure(server, paths, batches=5, batch_seconds=1.0):
    """Server CPU per request (median over batches), client wall p50/p99 (ms) and bytes of
    sequential GETs of ``paths`` (cycled) on one kept-alive connection."""
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
    for path in paths[:3]:
        get(server.port, path, conn)  # warm-up
    walls, cpus, sizes, index = [], [], [], 0
    for _ in range(batches):
        count = 0
        started_cpu = server.cpu_ms()
        ends = time.monotonic() + batch_seconds
        while time.monotonic() < ends or count < 3:
            started = time.perf_counter()
            status, body = get(server.port, paths[index % len(paths)], conn)
            walls.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit('GET %s: %s' % (paths[index % len(paths)], status))
            sizes.append(len(body))
            count += 1
            index += 1
        cpus.append((server.cpu_ms() - started_cpu) / count)
    conn.close()
    return {'cpu_ms': statistics.median(cpus), 'p50': statistics.median(walls),
            'p99': _percentile(walls, 99), 'bytes': int(statistics.median(sizes)),
            'requests': len(walls)}


def _python_load(port, path, seconds, clients):
    done = []
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        count = 0
        while time.monotonic() < stop:
            conn.request('GET', path)
            resp = conn.getresponse()
            while resp.read(1 << 20):
                pass
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), time.monotonic() - started


def _curl_load(port, path, seconds, clients, per_second_guess):
    """curl (C, one process, ``clients`` kept-alive parallel transfers): the client takes far
    less CPU than a Python one, which matters with the server on the same two cores."""
    count = max(clients * 2, int(per_second_guess * seconds))
    url = 'http://127.0.0.1:%d%s' % (port, path)
    config = tempfile.NamedTemporaryFile('w', suffix='.curl', delete=False)
    for _ in range(count):
        config.write('url = "%s"\noutput = "/dev/null"\n' % url)
    config.close()
    started = time.monotonic()
    subprocess.run(['curl', '-s', '-f', '--no-progress-meter', '--parallel', '--parallel-max',
                    str(clients), '--parallel-immediate', '-K', config.name], check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    os.unlink(config.name)
    return count, elapsed


def _worker_cpu(server):
    """CPU ms of each worker process (the server itself with one worker)."""
    pids = _children(server.proc.pid) or [server.proc.pid]
    return [server_cpu_ms(pid) for pid in pids]


def throughput(conf_path, workers, path, seconds, guess):
    """(requests per second, server CPU ms per request, each worker's share of the CPU, the
    load tool) of the full list, 16 connections."""
    server = Server(conf_path, workers)
    try:
        use_curl = shutil.which('curl') is not None
        if use_curl:
            _curl_load(server.port, path, 1, CLIENTS, guess)  # warm-up every worker
        started_cpu, started_each = server.cpu_ms(), _worker_cpu(server)
        if use_curl:
            count, elapsed = _curl_load(server.port, path, seconds, CLIENTS, guess)
        else:
            count, elapsed = _python_load(server.port, path, seconds, CLIENTS)
        each = [b - a for a, b in zip(started_each, _worker_cpu(server), strict=True)]
        shares = [round(e / max(sum(each), 1e-9), 2) for e in each]
        return (count / elapsed, (server.cpu_ms() - started_cpu) / count, shares,
                'curl' if use_curl else 'python')
    finally:
        server.stop()


# ---------------------------------------------------------------- the run

def run(count, seconds, pairs_count):
    workdir = tempfile.mkdtemp(prefix='bench-api-')
    try:
        conf_path = make_site(workdir, count)
        server = Server(conf_path, 1)
        try:
            rows = [
                ('full list', ['/v1.0/subclouds']),
                # Full pages only (a marker at least 100 before the last id).
                ('page of 100', ['/v1.0/subclouds?limit=100&marker=%d'
                                 % ((i * 997) % max(count - 100, 1)) for i in range(50)]),
                ('show by id', ['/v1.0/subclouds/%d' % (1 + (i * 37) % count)
                                for i in range(100)]),
                ('show by name', ['/v1.0/subclouds/subcloud%d' % (1 + (i * 53) % count)
                                  for i in range(100)]),
                ('alarms', ['/v1.0/alarms']),
            ]
            results = [(label, measure(server, paths)) for label, paths in rows]
        finally:
            server.stop()
        full = results[0][1]
        guess = 1000.0 / max(full['cpu_ms'], 1.0)
        # Pairs of runs, one worker then two: the machine's other load drifts, the median
        # pair's ratio is the figure.
        pairs = []
        for _ in range(pairs_count):
            one = throughput(conf_path, 1, '/v1.0/subclouds', seconds, guess)
            two = throughput(conf_path, 2, '/v1.0/subclouds', seconds, 2 * guess)
            pairs.append((two[0] / one[0], one, two))
            print('pair: 1 worker %.1f req/s, 2 workers %.1f req/s (CPU shares %s): %.2fx'
                  % (one[0], two[0], '/'.join(map(str, two[2])), two[0] / one[0]), flush=True)
        _ratio, (one, one_cpu, _, tool), (two, two_cpu, shares, _) = sorted(
            pairs, key=lambda pair: pair[0])[len(pairs) // 2]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results, (one, one_cpu, two, two_cpu, shares, tool)


def list_cpu(count):
    """(full list, alarm summary): the measures of each with ``count`` subclouds."""
    workdir = tempfile.mkdtemp(prefix='bench-api-')
    try:
        server = Server(make_site(workdir, count), 1)
        try:
            return measure(server, ['/v1.0/subclouds']), measure(server, ['/v1.0/alarms'])
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=5000)
    parser.add_argument('--seconds', type=int, default=8,
                        help='length of each throughput run')
    parser.add_argument('--pairs', type=int, default=3,
                        help='throughput runs of one and two workers (the median pair counts)')
    parser.add_argument('--growth', action='store_true',
                        help='also the full list and the alarms at 1,000, 5,000, 10,000')
    parser.add_argument('--populate', metavar='CONF', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate:
        return _populate_main(args.populate, args.subclouds)

    n = args.subclouds
    load_before = os.getloadavg()[0]
    results, (one, one_cpu, two, two_cpu, shares, tool) = run(n, args.seconds, args.pairs)
    # The machine's other work competes for the same cores: the figures of a loaded machine
    # are worse (the throughput ratio most of all).
    print('%d subclouds, one API worker, sequential requests on one connection '
          '(%d cores, load average %.1f before, %.1f after)'
          % (n, os.cpu_count(), load_before, os.getloadavg()[0]))
    print('%-14s %12s %10s %10s %12s %9s' % ('request', 'cpu ms/req', 'p50 ms', 'p99 ms',
                                            'bytes', 'requests'))
    for label, r in results:
        print('%-14s %12.3f %10.3f %10.3f %12d %9d' % (label, r['cpu_ms'], r['p50'], r['p99'],
                                                      r['bytes'], r['requests']))
    # Cores the server used (requests per second x CPU per request): on an idle machine about
    # 1 with one worker and 2 with two; less when other work holds the cores.
    print('full list, %d connections (%s): 1 worker %.1f req/s (%.2f cpu ms/req, %.2f cores), '
          '2 workers %.1f req/s (%.2f cpu ms/req, %.2f cores, CPU shares %s): speedup %.2fx'
          % (CLIENTS, tool, one, one_cpu, one * one_cpu / 1000, two, two_cpu,
             two * two_cpu / 1000, '/'.join(map(str, shares)), two / one))
    figures = {}
    if args.growth:
        print('growth: full list and alarm summary, one worker')
        print('%10s %12s %10s %12s %14s %12s' % ('subclouds', 'cpu ms/req', 'p50 ms', 'bytes',
                                                 'alarms cpu ms', 'alarms bytes'))
        for count in (1000, 5000, 10000):
            r, alarms = ((results[0][1], results[-1][1]) if count == n else list_cpu(count))
            print('%10d %12.3f %10.3f %12d %14.3f %12d' % (
                count, r['cpu_ms'], r['p50'], r['bytes'], alarms['cpu_ms'], alarms['bytes']))
            figures['list_full_cpu_ms_at_%d' % count] = round(r['cpu_ms'], 2)
            figures['alarms_cpu_ms_at_%d' % count] = round(alarms['cpu_ms'], 2)
    by = dict(results)
    print(json.dumps(dict({
        'subclouds': n,
        'list_full_cpu_ms': round(by['full list']['cpu_ms'], 2),
        'list_full_bytes': by['full list']['bytes'],
        'page_cpu_ms': round(by['page of 100']['cpu_ms'], 3),
        'show_cpu_ms': round(by['show by id']['cpu_ms'], 3),
        'alarms_cpu_ms': round(by['alarms']['cpu_ms'], 2),
        'two_worker_speedup': round(two / one, 2),
        'list_full_ms_p50': round(by['full list']['p50'], 2),
        'list_full_ms_p99': round(by['full list']['p99'], 2),
        'show_by_name_cpu_ms': round(by['show by name']['cpu_ms'], 3),
        'one_worker_rps': round(one, 1), 'two_worker_rps': round(two, 1),
        'two_worker_cores': round(two * two_cpu / 1000, 2),
    }, **figures)))


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark of the subclouds API with 5,000 subclouds in the database (prints figures).

Server-side times are measured by calling the WSGI application in process (no network, no
client): the full list, a page of 100, a show and the alarm summary list (``/v1.0/alarms``, one
summary per subcloud), each repeated, median and p99. Throughput is measured over real sockets:
``dcmanager-api`` with ``[api] workers = 1`` and then 2, loaded by ``wrk`` when it is installed
(else a small Python client) on a mix of show and page requests; the figure is the ratio of
requests per second.

    python bench/api.py [--subclouds 5000] [--seconds 10]

The last line is one JSON object with the figures.
"""

import argparse
import datetime
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
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ENDPOINTS = ('platform', 'identity', 'dc-cert', 'firmware', 'kubernetes', 'kube-rootca',
             'software')


def populate(count):
    """Insert ``count`` subclouds (with their status and alarm rows) in one transaction."""
    from dcmanager.db import api as db_api
    from dcmanager.db.sqlalchemy import models

    now = datetime.datetime.utcnow()
    subclouds, statuses, alarms = [], [], []
    for i in range(count):
        sid = i + 1
        a, b = divmod(i, 250)
        subclouds.append({
            'id': sid, 'name': 'subcloud%d' % sid, 'description': 'bench subcloud %d' % sid,
            'location': 'rack %d' % (i % 40), 'software_version': '24.09',
            'management_state': 'managed' if i % 3 else 'unmanaged',
            'availability_status': 'online' if i % 7 else 'offline',
            'deploy_status': 'complete', 'error_description': 'No errors present',
            'region_name': uuid.UUID(int=sid).hex,
            'management_subnet': '127.%d.%d.0/24' % (100 + a // 250, a % 250),
            'management_start_ip': '127.%d.%d.%d' % (100 + a // 250, a % 250, b + 2),
            'management_end_ip': '127.%d.%d.%d' % (100 + a // 250, a % 250, b + 3),
            'management_gateway_ip': '127.%d.%d.1' % (100 + a // 250, a % 250),
            'systemcontroller_gateway_ip': '127.0.0.1', 'openstack_installed': False,
            'audit_fail_count': 0, 'first_identity_sync_complete': True, 'group_id': 1,
            'rehomed': False, 'enrolled_with_vcsr': False, 'sync_status': 'in-sync',
            'bootstrap_address': '127.%d.%d.%d' % (1 + i // 254, 0, 1 + i % 254),
            'created_at': now,
        })
        for endpoint in ENDPOINTS:
            statuses.append({'subcloud_id': sid, 'endpoint_type': endpoint,
                             'sync_status': 'in-sync', 'created_at': now})
        alarms.append({'uuid': str(uuid.uuid4()), 'subcloud_id': sid, 'critical_alarms': 0,
                       'major_alarms': i % 2, 'minor_alarms': 3, 'warnings': 1,
                       'cloud_status': 'degraded' if i % 2 else 'OK', 'created_at': now})
    with db_api.get_engine().begin() as conn:
        conn.execute(models.Subcloud.__table__.insert(), subclouds)
        conn.execute(models.SubcloudStatus.__table__.insert(), statuses)
        conn.execute(models.SubcloudAlarmSummary.__table__.insert(), alarms)


def _percentile(samples, pct):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100.0 * (len(ordered) - 1))))]


def _cpu_seconds():
    """utime + stime of this process, from /proc (seconds)."""
    with open('/proc/self/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def server_side(app, path, repeat):
    """Median and p99 (ms) of ``repeat`` in-process calls of GET ``path``, the body size and
    the CPU time per call (ms, utime + stime over all the calls)."""
    import webob

    times = []
    size = 0
    cpu_started = _cpu_seconds()
    for _ in range(repeat):
        req = webob.Request.blank(path, headers={'Accept': 'application/json'})
        started = time.perf_counter()
        resp = req.get_response(app)
        body = resp.body
        times.append((time.perf_counter() - started) * 1000)
        if resp.status_int != 200:
            raise SystemExit('GET %s: %s' % (path, resp.status))
        size = len(body)
    cpu_ms = (_cpu_seconds() - cpu_started) * 1000 / repeat
    return statistics.median(times), _percentile(times, 99), size, cpu_ms


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit('the API did not come up at %s' % url)


def _python_load(base, paths, seconds, clients=16):
    """Requests per second with ``clients`` threads of a plain keep-alive client."""
    import http.client

    host, port = base.split('//')[1].split(':')
    done = []
    stop = time.monotonic() + seconds

    def client(n):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        count = 0
        while time.monotonic() < stop:
            conn.request('GET', paths[(n + count) % len(paths)])
            conn.getresponse().read()
            count += 1
        done.append(count)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


def _wrk_load(base, paths, seconds):
    script = tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False)
    script.write('paths = {%s}\ni = 0\nrequest = function()\n  i = i + 1\n'
                 '  return wrk.format("GET", paths[(i %% #paths) + 1])\nend\n'
                 % ', '.join('"%s"' % p for p in paths))
    script.close()
    out = subprocess.run(['wrk', '-t2', '-c16', '-d%ds' % seconds, '-s', script.name, base],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    for line in out.splitlines():
        if line.startswith('Requests/sec:'):
            return float(line.split()[1])
    raise SystemExit('no figure from wrk:\n' + out)


def throughput(conf_path, workers, seconds, paths):
    """Requests per second of ``dcmanager-api`` with ``workers`` processes."""
    port = _free_port()
    conf = conf_path + '.%d' % workers
    with open(conf_path) as src, open(conf, 'w') as dst:
        dst.write(src.read() + '\n[api]\nbind_port = %d\nworkers = %d\n' % (port, workers))
    api = shutil.which('dcmanager-api') or os.path.join(os.path.dirname(sys.executable),
                                                       'dcmanager-api')
    proc = subprocess.Popen([api, '--config-file', conf], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = 'http://127.0.0.1:%d' % port
    try:
        _wait(base + '/v1.0/subclouds/1')
        if shutil.which('wrk'):
            _wrk_load(base, paths, 2)  # warm-up
            return _wrk_load(base, paths, seconds), 'wrk'
        _python_load(base, paths, 2)
        return _python_load(base, paths, seconds), 'python'
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=5000)
    parser.add_argument('--seconds', type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix='bench-api-')
    conf_path = os.path.join(workdir, 'api.conf')
    with open(conf_path, 'w') as f:
        f.write(textwrap.dedent('''
            [DEFAULT]
            auth_strategy = noauth
            state_path = %s
            [database]
            connection = sqlite:///%s/dcmanager.sqlite
        ''' % (workdir, workdir)))

    from dcmanager.api import app as api_app
    from dcmanager.conf import CONF
    from dcmanager.db import migration

    CONF(['--config-file', conf_path], project='dcmanager', default_config_files=[])
    migration.upgrade()
    started = time.monotonic()
    populate(args.subclouds)
    populate_seconds = time.monotonic() - started
    app = api_app.setup_app()
    # What an API worker does once it is ready to serve (see dcmanager.api.server.serve).
    from dcmanager.api import server
    server.freeze_heap()

    n = args.subclouds
    rows = [
        ('full list', '/v1.0/subclouds', 30),
        ('page of 100', '/v1.0/subclouds?limit=100&marker=%d' % (n // 2), 300),
        ('show', '/v1.0/subclouds/%d' % (n // 2), 500),
        ('show by name', '/v1.0/subclouds/subcloud%d' % (n // 3), 500),
        ('alarms', '/v1.0/alarms', 30),
    ]
    figures = {'subclouds': n}
    results = []
    for label, path, repeat in rows:
        server_side(app, path, 3)  # warm-up
        p50, p99, size, cpu_ms = server_side(app, path, repeat)
        results.append((label, p50, p99, size, cpu_ms))
    figures['list_full_ms_p50'], figures['list_full_ms_p99'] = (round(results[0][1], 2),
                                                                round(results[0][2], 2))
    figures['list_full_cpu_ms'] = round(results[0][4], 2)
    figures['page_cpu_ms'] = round(results[1][4], 3)
    figures['show_cpu_ms'] = round(results[2][4], 3)
    figures['list_full_bytes'] = results[0][3]
    figures['page_ms_p50'], figures['page_ms_p99'] = (round(results[1][1], 3),
                                                      round(results[1][2], 3))
    figures['show_ms_p50'], figures['show_ms_p99'] = (round(results[2][1], 3),
                                                      round(results[2][2], 3))
    figures['alarms_ms_p50'], figures['alarms_ms_p99'] = (round(results[4][1], 2),
                                                          round(results[4][2], 2))

    paths = ['/v1.0/subclouds/%d' % (1 + (i * 37) % n) for i in range(50)]
    paths += ['/v1.0/subclouds?limit=100&marker=%d' % ((i * 97) % n) for i in range(10)]
    one, tool = throughput(conf_path, 1, args.seconds, paths)
    two, _ = throughput(conf_path, 2, args.seconds, paths)
    figures.update({'one_worker_rps': round(one, 1), 'two_worker_rps': round(two, 1),
                    'two_worker_speedup': round(two / one, 2), 'load_tool': tool,
                    'populate_seconds': round(populate_seconds, 1)})

    print('%-14s %10s %10s %12s %12s' % ('request', 'p50 ms', 'p99 ms', 'bytes', 'cpu ms/op'))
    for label, p50, p99, size, cpu_ms in results:
        print('%-14s %10.3f %10.3f %12d %12.3f' % (label, p50, p99, size, cpu_ms))
    print('throughput (%s, show + page mix): 1 worker %.0f req/s, 2 workers %.0f req/s, '
          'speedup %.2fx' % (tool, one, two, two / one))
    print(json.dumps(figures))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()

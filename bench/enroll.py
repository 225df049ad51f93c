"""Benchmark of adding many subclouds at once through the API (prints figures).

One ``dcmanager-all`` (noauth, SQLite, the in-process RPC transport: the embedded default) and
one ``dcmanager-subcloud-sim`` serving ``--subclouds`` subclouds on one shared port each
(127.0.1.1 on), both child processes over real sockets. ``--clients`` threads send the
``dcmanager subcloud add`` requests (multipart, a bootstrap-values YAML file each, as the CLI
sends them) all at once; then the full subcloud list is polled until every subcloud has left
the enrollment (``complete``, or a failure state, which is counted and named). Measured:

* ``accept_seconds``: until the API has answered every add (each answers at once, ``pre-enroll``);
* ``complete_seconds``: from the first add until every subcloud is ``complete``;
* ``site_cpu_ms_per_subcloud``: CPU (utime + stime from /proc) of the site's process and its
  children over the run, per subcloud, and the same for the simulator;
* the site's peak RSS (VmHWM).

Several counts at once (``--subclouds 250,1000``) show how the cost grows: each count is a run
of its own (a new site and simulator). The last line is one JSON object: the figures of the
last count, with every count's under ``growth``.

    python bench/enroll.py [--subclouds 1000] [--clients 32]

On the shared 2-core machine (other work running), 250 subclouds were complete in 11.9 s and
1,000 in 45.4 s (27.4 and 27.2 ms of site CPU per subcloud): linear, the API's accepting of the
adds being most of it (43.6 s for 1,000).

Every process started is stopped by its pid at the end, also on an error or Ctrl-C. Only
loopback addresses are used (subcloud subnets in 127.20.0.0-127.99.255.255).
"""

import argparse
import concurrent.futures
import contextlib
import json
import os
import sys
import tempfile
import threading
import time

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import audit as bench_audit  # noqa: E402 - after the path is set
from tests import subcloud_forms as forms  # noqa: E402
from tests.integration import sim_fixture  # noqa: E402
from tests.integration.test_keystone_hung import start_site_process, stop_site_process  # noqa
from tests.services import free_port  # noqa: E402

PASSWORD = 'Bench-Enroll-1'
POLL_SECONDS = 0.5
PER_BLOCK = 250  # subclouds per /16 of management (and OAM) subnets


def bootstrap(n, name):
    """Subcloud number ``n`` (0-based): its own /24 of management and of OAM addresses."""
    block, index = divmod(n, PER_BLOCK)
    mgmt, oam = '127.%d.%d' % (20 + block, index + 1), '127.%d.%d' % (60 + block, index + 1)
    return forms.bootstrap_values(
        name, 1, admin_password=PASSWORD, location='Rack %d' % (n + 1),
        external_oam_subnet=oam + '.0/24', external_oam_gateway_address=oam + '.1',
        external_oam_floating_address=oam + '.2', management_subnet=mgmt + '.0/24',
        management_start_address=mgmt + '.2', management_end_address=mgmt + '.50',
        management_gateway_address=mgmt + '.1')


def _add(session, url, n, address):
    name = 'subcloud%d' % (n + 1)
    form = {'bootstrap-address': address, 'sysadmin_password': forms.b64('Sysadmin*Bench1')}
    files = {'bootstrap_values': ('bootstrap-%s.yaml' % name,
                                  yaml.safe_dump(bootstrap(n, name)))}
    body, content_type = forms.cli_multipart(form, files)
    resp = session.post(url + '/v1.0/subclouds/', data=body, timeout=120,
                        headers={'Content-Type': content_type, 'Accept': 'application/json'})
    if resp.status_code != 200:
        raise RuntimeError('add %s: %d %s' % (name, resp.status_code, resp.text[:300]))


def _states(url):
    rows = requests.get(url + '/v1.0/subclouds', timeout=120,
                        headers={'Accept': 'application/json'}).json()['subclouds']
    return {row['name']: row['deploy-status'] for row in rows}


def _write_config(workdir, port, sim):
    conf = os.path.join(workdir, 'dcmanager.conf')
    with open(conf, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\n[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                '[subcloud]\nscheme = http\nidentity_port = %d\nagent_port = %d\n'
                % (os.path.join(workdir, 'state'), port, sim.identity_port, sim.agent_port))
    return conf


def run(count, clients, timeout):
    """One run with ``count`` subclouds; its figures."""
    with tempfile.TemporaryDirectory(prefix='bench-enroll-') as workdir, \
            contextlib.ExitStack() as stack:
        sim = sim_fixture.Simulator(workdir, count=count, shared_port=True,
                                    admin_password=PASSWORD, ready_timeout=300).start()
        stack.callback(sim.stop)
        port = free_port()
        url = 'http://127.0.0.1:%d' % port
        proc = start_site_process(workdir, _write_config(workdir, port, sim), url)
        stack.callback(stop_site_process, proc)
        pids = lambda: [proc.pid] + bench_audit._children(proc.pid)  # noqa: E731
        site_cpu = sum(bench_audit._proc_cpu_seconds(p) for p in pids())
        sim_cpu = bench_audit._proc_cpu_seconds(sim.proc.pid)
        started = time.monotonic()
        local = threading.local()  # one keep-alive session per client thread

        def add(item):
            if not hasattr(local, 'session'):
                local.session = requests.Session()
            _add(local.session, url, *item)

        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(add, enumerate(sim.addresses)))
        accepted = time.monotonic() - started
        deadline = started + timeout
        while True:
            states = _states(url)
            busy = [n for n, s in states.items() if s != 'complete' and not s.endswith('failed')]
            if not busy:
                break
            if time.monotonic() > deadline:
                raise RuntimeError('%d subclouds still enrolling after %d s'
                                   % (len(busy), timeout))
            time.sleep(POLL_SECONDS)
        done = time.monotonic() - started
        site_cpu = sum(bench_audit._proc_cpu_seconds(p) for p in pids()) - site_cpu
        sim_cpu = bench_audit._proc_cpu_seconds(sim.proc.pid) - sim_cpu
        failed = sorted(n for n, s in states.items() if s != 'complete')
        return {'subclouds': count, 'clients': clients,
                'accept_seconds': round(accepted, 2), 'complete_seconds': round(done, 2),
                'complete': count - len(failed), 'failed': len(failed),
                'failed_names': failed[:10],
                'site_cpu_ms_per_subcloud': round(1000 * site_cpu / count, 2),
                'sim_cpu_ms_per_subcloud': round(1000 * sim_cpu / count, 2),
                'site_peak_rss_mb': round(bench_audit._peak_rss_mb(proc.pid), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subclouds', default='1000',
                        help='a count, or counts separated by commas (default %(default)s)')
    parser.add_argument('--clients', type=int, default=32,
                        help='concurrent API clients (default %(default)s)')
    parser.add_argument('--timeout', type=float, default=1800.0,
                        help='give up after this many seconds per run (default %(default)s)')
    args = parser.parse_args()
    counts = [int(c) for c in args.subclouds.split(',')]
    results = []
    print('%10s %10s %12s %14s %8s %16s %15s %10s' % (
        'subclouds', 'accept s', 'complete s', 'per 1,000 s', 'failed', 'site CPU ms/sc',
        'sim CPU ms/sc', 'RSS MB'))
    for count in counts:
        figures = run(count, args.clients, args.timeout)
        results.append(figures)
        print('%10d %10.2f %12.2f %14.2f %8d %16.2f %15.2f %10.1f' % (
            count, figures['accept_seconds'], figures['complete_seconds'],
            1000 * figures['complete_seconds'] / count, figures['failed'],
            figures['site_cpu_ms_per_subcloud'], figures['sim_cpu_ms_per_subcloud'],
            figures['site_peak_rss_mb']), flush=True)
        if figures['failed']:
            print('  failed: %s' % ', '.join(figures['failed_names']), flush=True)
    print(json.dumps(dict(results[-1], growth=[
        {k: r[k] for k in ('subclouds', 'complete_seconds', 'site_cpu_ms_per_subcloud')}
        for r in results])))


if __name__ == '__main__':
    main()

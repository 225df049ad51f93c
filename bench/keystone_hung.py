"""Benchmark: the API under requests with made-up tokens while Keystone is hung (prints figures).

``dcmanager-all`` (``auth_strategy = keystone``, ``--threads`` request threads, keystonemiddleware's
timeouts at dcmanager's defaults) validates tokens against a socket that accepts connections and
never answers. For ``--seconds``, ``--clients`` clients send requests with made-up tokens as fast
as they are answered (anyone can), while a prober asks ``GET /`` every 0.2 s (the version
document needs no token). Printed: how each kind of request was answered and how long it took
(p50, p95, max), and the site's CPU time (utime + stime from /proc) per request.

    python bench/keystone_hung.py [--seconds 30] [--clients 32] [--threads 8]

The last line is one JSON object of the figures.
"""

import argparse
import collections
import json
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_HZ = os.sysconf('SC_CLK_TCK')


def _cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _HZ


def _summary(samples):
    if not samples:
        return None
    ordered = sorted(samples)
    return {'count': len(ordered), 'p50_s': round(statistics.median(ordered), 3),
            'p95_s': round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            'max_s': round(ordered[-1], 3)}


def _attacker(url, stop, results, lock, number):
    session = requests.Session()
    session.trust_env = False  # loopback only, never through a proxy
    sent = 0
    while not stop.is_set():
        sent += 1
        started = time.monotonic()
        try:
            resp = session.get(url + '/v1.0/subclouds', timeout=60, headers={
                'X-Auth-Token': 'made-up-%d-%d' % (number, sent), 'Accept': 'application/json'})
            kind = '%d %s' % (resp.status_code, resp.json().get('error'))
        except requests.RequestException as e:
            kind = 'no answer (%s)' % type(e).__name__
        with lock:
            results[kind].append(time.monotonic() - started)


def _prober(url, stop, samples):
    session = requests.Session()
    session.trust_env = False
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok = session.get(url + '/', timeout=30).status_code == 200
        except requests.RequestException:
            ok = False
        samples.append((ok, time.monotonic() - started))
        stop.wait(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=30)
    parser.add_argument('--clients', type=int, default=32)
    parser.add_argument('--threads', type=int, default=8)
    args = parser.parse_args()

    from tests.integration.sim_fixture import HangingListener
    from tests.integration.test_keystone_hung import running_site, site_config
    from tests.services import free_port

    with tempfile.TemporaryDirectory(prefix='dcmanager-bench-ks-') as workdir:
        workdir = pathlib.Path(workdir)
        port = free_port()
        url = 'http://127.0.0.1:%d' % port
        with HangingListener('127.0.0.1', [0]) as hung, \
                running_site(workdir, site_config(workdir, port, hung.ports[0], args.threads),
                             url) as (_, pid):
            results, lock, probes = collections.defaultdict(list), threading.Lock(), []
            stop = threading.Event()
            cpu_before = _cpu_seconds(pid)
            workers = [threading.Thread(target=_attacker, args=(url, stop, results, lock, n))
                       for n in range(args.clients)]
            workers.append(threading.Thread(target=_prober, args=(url, stop, probes)))
            for worker in workers:
                worker.start()
            time.sleep(args.seconds)
            stop.set()
            for worker in workers:
                worker.join(90)
            cpu = _cpu_seconds(pid) - cpu_before
            asked = hung.accepted

    answered = sum(len(v) for v in results.values())
    figures = {
        'seconds': args.seconds, 'clients': args.clients, 'threads': args.threads,
        'requests_with_tokens': {kind: _summary(v) for kind, v in sorted(results.items())},
        'version_document': dict(_summary([s for _, s in probes]) or {},
                                 failed=sum(1 for ok, _ in probes if not ok)),
        'keystone_connections': asked,
        'site_cpu_s': round(cpu, 2),
        'site_cpu_ms_per_request': round(1000 * cpu / max(1, answered + len(probes)), 3),
    }
    for kind, summary in figures['requests_with_tokens'].items():
        print('%-32s %s' % (kind, summary))
    print('GET / while hung:                %s' % figures['version_document'])
    print('Keystone connections: %d; site CPU %.2f s, %.3f ms per request'
          % (asked, cpu, figures['site_cpu_ms_per_request']))
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

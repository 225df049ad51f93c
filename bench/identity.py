"""Benchmark of the identity client layer against dcmanager-subcloud-sim (prints figures).

W audit-like worker processes audit N simulated subclouds for C cycles through the layer, once with
``[token_cache] backend = memory`` and once with ``database``; the simulator's counters say how many
tokens were requested. Then every subcloud's keys are rotated and one more cycle shows the renewals
(one per subcloud) and the time from a 401 to the first success.

    python bench/identity.py [--subclouds 200] [--workers 4] [--cycles 3] [--threads 16]

The last line is one JSON object with the figures.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = 'Bench-Identity-1'


def worker(conf_path, cycles, threads, urls):
    """One worker process: ``cycles`` rounds of audits over the subclouds; prints its figures."""
    from dcmanager.conf import CONF

    CONF(['--config-file', conf_path], project='dcmanager', default_config_files=[])
    from dcmanager.drivers import identity, subcloud
    from dcmanager.objects import token_store

    pool = identity.SessionPool(identity.make_token_cache(token_store.DatabaseTokenRecords))
    clients = [subcloud.SubcloudClient(pool, urls[i], urls[i + 1], 'admin', PASSWORD)
               for i in range(0, len(urls), 2)]
    audits = 0
    slowest_first = 0.0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        for cycle in range(cycles):
            def timed(client):
                t = time.monotonic()
                client.audit()
                return time.monotonic() - t
            durations = list(ex.map(timed, clients))
            audits += len(durations)
            if cycle == 0:
                slowest_first = max(durations)
    elapsed = time.monotonic() - started
    print(json.dumps({'audits': audits, 'seconds': elapsed, 'slowest_first': slowest_first}))


def _conf(workdir, backend, db_path):
    path = os.path.join(workdir, 'bench-%s.conf' % backend)
    with open(path, 'w') as f:
        f.write(textwrap.dedent('''
            [DEFAULT]
            state_path = %s
            [database]
            connection = sqlite:///%s
            [token_cache]
            backend = %s
            renewal_timeout = 30
            [identity]
            request_timeout = 30
        ''' % (workdir, db_path, backend)))
    return path


def _run_workers(conf, workers, cycles, threads, urls):
    procs = [subprocess.Popen([sys.executable, __file__, '--worker', conf, str(cycles),
                               str(threads)] + urls, stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL) for _ in range(workers)]
    results = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=600)
            if p.returncode != 0:
                raise SystemExit('worker failed (exit %s)' % p.returncode)
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--subclouds', type=int, default=200)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--cycles', type=int, default=3)
    parser.add_argument('--threads', type=int, default=16)
    parser.add_argument('--worker', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.worker:
        conf, cycles, threads, *urls = args.worker
        return worker(conf, int(cycles), int(threads), urls)

    from dcmanager.conf import CONF
    from dcmanager.db import migration
    from tests.integration import sim_fixture

    workdir = tempfile.mkdtemp(prefix='bench-identity-')
    db_path = os.path.join(workdir, 'dcmanager.sqlite')
    CONF([], project='dcmanager', default_config_files=[])
    CONF.set_override('connection', 'sqlite:///%s' % db_path, group='database')
    migration.upgrade()

    figures = {'subclouds': args.subclouds, 'workers': args.workers, 'cycles': args.cycles}
    with sim_fixture.Simulator(workdir, count=args.subclouds, admin_password=PASSWORD) as sim:
        urls = []
        for address in sim.addresses:
            urls += [sim.identity_url(address), sim.agent_url(address)]

        def posts():
            return sim.control('GET', '/v1/counters')['counters']['token_posts']

        rows = []
        for backend in ('memory', 'database'):
            sim.control('POST', '/v1/reset-counters')
            conf = _conf(workdir, backend, db_path)
            started = time.monotonic()
            results = _run_workers(conf, args.workers, args.cycles, args.threads, urls)
            wall = time.monotonic() - started
            audits = sum(r['audits'] for r in results)
            # Steady-state rate: audits over the longest worker's audit time (not its start-up).
            busy = max(r['seconds'] for r in results)
            per_subcloud = posts() / args.subclouds
            figures['token_posts_per_subcloud_%s' % backend] = round(per_subcloud, 3)
            figures['requests_per_second_%s' % backend] = round(audits / busy, 1)
            rows.append((backend, per_subcloud, audits, wall, audits / busy))

        # Rotation: every subcloud's keys change; one more database-backed cycle renews each once.
        for address in sim.addresses:
            sim.action(address, 'rotate-keys')
        sim.control('POST', '/v1/reset-counters')
        results = _run_workers(_conf(workdir, 'database', db_path), args.workers, 1,
                               args.threads, urls)
        counters = sim.control('GET', '/v1/counters')['counters']
        figures['renewals_after_rotation_per_subcloud'] = round(
            counters['token_posts'] / args.subclouds, 3)
        figures['unauthorized_after_rotation'] = counters['unauthorized']

        # Time from the first 401 to the first success, in this process (one subcloud).
        from dcmanager.drivers import identity, subcloud
        CONF.set_override('backend', 'memory', group='token_cache')
        pool = identity.SessionPool(identity.make_token_cache())
        address = sim.addresses[0]
        client = subcloud.SubcloudClient(pool, sim.identity_url(address), sim.agent_url(address),
                                         'admin', PASSWORD)
        samples = []
        for _ in range(5):
            client.audit()
            sim.action(address, 'rotate-keys')
            t = time.monotonic()
            client.audit()  # 401, one renewal, retried: the whole recovery
            samples.append(time.monotonic() - t)
        figures['renewal_seconds'] = round(max(samples), 4)
        figures['requests_per_second'] = figures['requests_per_second_database']

    print('%-10s %22s %10s %10s %12s' % ('backend', 'token POSTs/subcloud', 'audits',
                                          'wall s', 'audits/s'))
    for backend, per, audits, wall, rate in rows:
        print('%-10s %22.3f %10d %10.2f %12.1f' % (backend, per, audits, wall, rate))
    print('renewals after rotation per subcloud: %s (401s: %s); 401 -> success: %.1f ms (max of 5)'
          % (figures['renewals_after_rotation_per_subcloud'],
             figures['unauthorized_after_rotation'], figures['renewal_seconds'] * 1000))
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

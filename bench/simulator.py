"""Benchmark of dcmanager-subcloud-sim: start-up time, memory and request rate at fleet scale.

Starts ``--count`` simulated subclouds (5,000 by default) as a child process, reports how long the
READY line took, the simulator's RSS (from /proc), the time of a full fleet listing, then runs a
token + audit loop (POST /v3/auth/tokens, then PATCH /v1/dcaudit with that token) over the first
``--subclouds`` subclouds from ``--concurrency`` keep-alive client connections for ``--seconds``,
checks the simulator's counters agree with what the client sent, and stops it with SIGTERM.
The last line printed is a JSON object of the figures.

    python bench/simulator.py [--count 5000] [--subclouds 200] [--seconds 5] [--concurrency 16]
"""

import argparse
import asyncio
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

PASSWORD = 'bench-password'
TOKEN_BODY = json.dumps({'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'}, 'password': PASSWORD}}},
    'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}).encode()
AUDIT_BODY = b'{"base_audit": "", "alarm_audit": ""}'
CLK_TCK = os.sysconf('SC_CLK_TCK')


def free_port(addresses):
    while True:
        port = random.randint(20000, 32000)
        try:
            for address in addresses:
                with socket.socket() as s:
                    s.bind((address, port))
            return port
        except OSError:
            continue


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return None


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def get_json(url):
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.load(resp)


class Connection:
    """One keep-alive HTTP/1.1 client connection (just enough for this benchmark)."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=b'', headers=()):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = ['%s %s HTTP/1.1' % (method, path), 'Host: %s:%d' % (self.host, self.port),
                'Content-Type: application/json', 'Content-Length: %d' % len(body)]
        head.extend('%s: %s' % h for h in headers)
        self.writer.write(('\r\n'.join(head) + '\r\n\r\n').encode() + body)
        raw = await self.reader.readuntil(b'\r\n\r\n')
        lines = raw.decode('latin-1').split('\r\n')
        status = int(lines[0].split()[1])
        fields = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(':')
                fields[name.lower()] = value.strip()
        data = await self.reader.readexactly(int(fields.get('content-length', 0)))
        return status, fields, data

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def token_audit_loop(targets, identity_port, agent_port, seconds, concurrency):
    stats = {'iterations': 0, 'requests': 0, 'errors': 0, 'latencies': []}
    deadline = time.monotonic() + seconds

    async def worker(offset):
        conns = {}
        i = offset
        while time.monotonic() < deadline:
            address = targets[i % len(targets)]
            i += concurrency
            if address not in conns:
                conns[address] = (Connection(address, identity_port),
                                  Connection(address, agent_port))
            identity, agent = conns[address]
            started = time.monotonic()
            status, fields, _ = await identity.request('POST', '/v3/auth/tokens', TOKEN_BODY)
            stats['requests'] += 1
            if status != 201:
                stats['errors'] += 1
                continue
            status, _, _ = await agent.request('PATCH', '/v1/dcaudit', AUDIT_BODY,
                                               [('X-Auth-Token', fields['x-subject-token'])])
            stats['requests'] += 1
            stats['errors'] += status != 200
            stats['iterations'] += 1
            stats['latencies'].append(time.monotonic() - started)
        for pair in conns.values():
            for conn in pair:
                conn.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    stats['seconds'] = time.monotonic() - started
    return stats


def start(args, identity_port, agent_port):
    argv = [sys.executable, '-m', 'dcmanager.cmd.subcloud_sim', '--count', str(args.count),
            '--control-port', '0', '--identity-port', str(identity_port),
            '--agent-port', str(agent_port), '--admin-password', PASSWORD,
            '--log-level', 'WARNING']
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline().decode()),
                     daemon=True).start()
    try:
        line = lines.get(timeout=120)
    except queue.Empty:
        proc.kill()
        raise SystemExit('the simulator printed no READY line within 120 s') from None
    if not line.startswith('READY'):
        raise SystemExit('the simulator failed to start (exit %s)' % proc.wait())
    return proc, time.monotonic() - started, line.split('control=', 1)[1].strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--count', type=int, default=5000)
    parser.add_argument('--subclouds', type=int, default=200)
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument('--concurrency', type=int, default=16)
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from dcmanager.simulator import addresses
    fleet = addresses.fleet('127.0.1.1', args.count)
    probe = [fleet[0], fleet[-1]]
    identity_port = free_port(probe)
    agent_port = free_port(probe)
    proc, startup, control = start(args, identity_port, agent_port)
    figures = {'count': args.count, 'startup_seconds': round(startup, 2)}
    try:
        figures['rss_mib_idle'] = round(rss_kib(proc.pid) / 1024, 1)
        t = time.monotonic()
        listed = len(get_json(control + '/v1/subclouds')['subclouds'])
        figures['list_seconds'] = round(time.monotonic() - t, 3)
        assert listed == args.count, listed
        targets = fleet[:args.subclouds]
        cpu_before, client_before = cpu_seconds(proc.pid), time.process_time()
        stats = asyncio.run(token_audit_loop(targets, identity_port, agent_port, args.seconds,
                                             args.concurrency))
        cpu = cpu_seconds(proc.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        totals = get_json(control + '/v1/counters')['counters']
        latencies = sorted(stats['latencies'])
        figures.update({
            'loop_subclouds': len(targets), 'loop_concurrency': args.concurrency,
            'loop_seconds': round(stats['seconds'], 2),
            'requests': stats['requests'], 'errors': stats['errors'],
            'requests_per_second': round(stats['requests'] / stats['seconds']),
            'token_audit_pairs_per_second': round(stats['iterations'] / stats['seconds']),
            'pair_latency_ms_p50': round(latencies[len(latencies) // 2] * 1000, 2),
            'pair_latency_ms_p99': round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
            'simulator_cpu_percent': round(100 * cpu / stats['seconds']),
            'client_cpu_percent': round(100 * client_cpu / stats['seconds']),
            # Load-independent figure: simulator CPU per request, and the rate one core would give.
            'simulator_cpu_us_per_request': round(1e6 * cpu / max(stats['requests'], 1)),
            'one_core_requests_per_second': round(stats['requests'] / cpu) if cpu else None,
            'load_average_1min': os.getloadavg()[0],
            'counters_match': (totals['token_posts'] + totals['audits'] == stats['requests']
                               - stats['errors'] and totals['requests'] >= stats['requests']),
            'rss_mib_after_load': round(rss_kib(proc.pid) / 1024, 1),
        })
    finally:
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        figures['exit_status'] = proc.wait(timeout=60)
        figures['stop_seconds'] = round(time.monotonic() - t, 2)
    for name, value in figures.items():
        print('%-30s %s' % (name, value))
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

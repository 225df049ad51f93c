"""Benchmark: what an idle site costs, and the latency of one RPC call (prints figures).

Starts ``dcmanager-all`` (no subcloud) with a temporary state_path on a free loopback port, waits
until it answers ``GET /``, lets it settle, then reads utime + stime and the context switches of
every thread from /proc over ``--seconds``. Context switches are the wakeups: a thread that
sleeps until there is work switches only when work comes. The busiest threads are listed by name.

Then, in this process, the round trip of a trivial RPC call on the in-process transport
(``kombu+memory``) through ``dcmanager.common.rpc`` (``--calls`` calls after a warm-up).

``--layout production`` also measures the production layout's manager: PostgreSQL and RabbitMQ
started on loopback (tests/services.py), ``dcmanager-manager`` and ``dcmanager-audit`` idle on
RabbitMQ, and the RPC round trip over RabbitMQ.

    python bench/idle.py [--seconds 30] [--calls 300] [--layout embedded|production]

The last line is one JSON object with the figures.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_HZ = os.sysconf('SC_CLK_TCK')
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _threads(pid):
    """{tid: (name, cpu seconds, context switches)} of every thread of ``pid``."""
    found = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
                stat = f.read()
            with open('/proc/%d/task/%s/status' % (pid, tid)) as f:
                status = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
        fields = stat[stat.rindex(')') + 2:].split()
        switches = sum(int(line.split()[1]) for line in status.splitlines()
                       if line.endswith('ctxt_switches') or 'ctxt_switches:' in line)
        found[tid] = (stat[stat.index('(') + 1:stat.rindex(')')],
                      (int(fields[11]) + int(fields[12])) / _HZ, switches)
    return found


def measure(pids, seconds):
    """CPU (% of a core) and wakeups per second of ``pids`` over ``seconds``; busiest threads."""
    before = {pid: _threads(pid) for pid in pids}
    started = time.monotonic()
    time.sleep(seconds)
    after = {pid: _threads(pid) for pid in pids}
    elapsed = time.monotonic() - started
    cpu = switches = 0.0
    busiest = []
    for pid in pids:
        for tid, (name, t_cpu, t_switches) in after[pid].items():
            old = before[pid].get(tid, (name, 0.0, 0))
            cpu += t_cpu - old[1]
            switches += t_switches - old[2]
            busiest.append(((t_switches - old[2]) / elapsed, name, tid))
    busiest.sort(reverse=True)
    return {'cpu_percent': round(100 * cpu / elapsed, 2),
            'wakeups_per_second': round(switches / elapsed, 1),
            'threads': sum(len(t) for t in after.values()),
            'busiest': ['%s/%s %.1f/s' % (name, tid, rate) for rate, name, tid in busiest[:3]]}


def _write_conf(workdir, **sections):
    path = os.path.join(workdir, 'dcmanager.conf')
    with open(path, 'w') as f:
        for group, values in sections.items():
            f.write('[%s]\n' % group)
            f.writelines('%s = %s\n' % item for item in values.items())
    return path


def _wait_answering(proc, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('dcmanager-all exited with %s' % proc.returncode)
        with contextlib.suppress(OSError):
            with _HTTP.open('http://127.0.0.1:%d/' % port, timeout=5) as resp:
                if resp.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError('dcmanager-all did not answer on port %d' % port)


@contextlib.contextmanager
def _started(argv, log_path):
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def _script(name):
    return shutil.which(name) or os.path.join(os.path.dirname(sys.executable), name)


def idle_site(workdir, seconds, settle):
    port = _free_port()
    conf = _write_conf(workdir, DEFAULT={'state_path': os.path.join(workdir, 'state')},
                       api={'bind_host': '127.0.0.1', 'bind_port': port})
    with _started([_script('dcmanager-all'), '--config-file', conf],
                  os.path.join(workdir, 'all.log')) as proc:
        _wait_answering(proc, port)
        time.sleep(settle)
        return measure([proc.pid], seconds)


class _Echo:
    """The RPC endpoint of the latency measurement."""

    def ping(self, ctxt, value):
        return value


def rpc_latency(calls, topic='bench-idle'):
    """Median and 90th percentile (ms) of a trivial call through dcmanager.common.rpc."""
    from dcmanager.common import context, rpc
    from dcmanager.objects import base


    serializer = base.DCManagerObjectSerializer()
    server = rpc.get_server(topic, 'bench', '1.0', [_Echo()], serializer)
    server.start()
    try:
        client = rpc.get_client(topic, '1.0', serializer, timeout=30).prepare()
        ctxt = context.get_admin_context()
        for _ in range(20):  # warm-up: the reply queue and its listener
            client.call(ctxt, 'ping', value=1)
        times = []
        for i in range(calls):
            started = time.perf_counter()
            client.call(ctxt, 'ping', value=i)
            times.append(time.perf_counter() - started)
    finally:
        server.stop()
        server.wait()
    times.sort()
    return {'median_ms': round(1000 * times[len(times) // 2], 3),
            'p90_ms': round(1000 * times[int(len(times) * 0.9)], 3)}


def _configure(argv):
    from dcmanager.conf import CONF
    CONF(argv, project='dcmanager', default_config_files=[])
    from dcmanager import objects
    objects.register_all()


def production(workdir, seconds, settle, calls):
    from dcmanager.common import rpc
    from tests import services

    with services.postgresql(os.path.join(workdir, 'postgresql')) as db_url, \
            services.rabbitmq(os.path.join(workdir, 'rabbitmq')) as transport_url:
        conf = _write_conf(workdir, DEFAULT={'state_path': os.path.join(workdir, 'state'),
                                             'transport_url': transport_url},
                           database={'connection': db_url}, audit={'workers': 1})
        with _started([_script('dcmanager-manager'), '--config-file', conf],
                      os.path.join(workdir, 'manager.log')) as manager, \
                _started([_script('dcmanager-audit'), '--config-file', conf],
                         os.path.join(workdir, 'audit.log')) as audit:
            time.sleep(settle + 10)  # no readiness signal: start-up, schema, workers forked
            pids = [manager.pid, audit.pid] + _children(audit.pid)
            figures = measure(pids, seconds)
        rpc.cleanup()
        _configure(['--config-file', conf])
        figures['rpc'] = rpc_latency(calls, topic='bench-idle-rabbit')
        rpc.cleanup()
        return figures


def _children(pid):
    kids = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            with contextlib.suppress(OSError), open('/proc/%s/stat' % name) as f:
                data = f.read()
                if int(data[data.rindex(')') + 2:].split()[1]) == pid:
                    kids.append(int(name))
    return kids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seconds', type=float, default=30.0)
    parser.add_argument('--settle', type=float, default=5.0,
                        help='seconds to wait after start-up before measuring')
    parser.add_argument('--calls', type=int, default=300)
    parser.add_argument('--layout', choices=('embedded', 'production'), default='embedded')
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix='bench-idle-')
    figures = {'seconds': args.seconds}
    site = idle_site(workdir, args.seconds, args.settle)
    print('idle dcmanager-all: %.2f %% of a core, %.1f wakeups/s, %d threads; busiest: %s'
          % (site['cpu_percent'], site['wakeups_per_second'], site['threads'],
             ', '.join(site['busiest'])))
    figures['embedded'] = site

    _configure(['--config-file', _write_conf(workdir, DEFAULT={'state_path': workdir})])
    latency = rpc_latency(args.calls)
    print('RPC call on kombu+memory: median %.3f ms, p90 %.3f ms'
          % (latency['median_ms'], latency['p90_ms']))
    figures['embedded']['rpc'] = latency

    if args.layout == 'production':
        from dcmanager.common import rpc
        rpc.cleanup()
        prod = production(workdir, args.seconds, args.settle, args.calls)
        print('idle dcmanager-manager + dcmanager-audit on RabbitMQ: %.2f %% of a core, '
              '%.1f wakeups/s; RPC call median %.3f ms, p90 %.3f ms'
              % (prod['cpu_percent'], prod['wakeups_per_second'], prod['rpc']['median_ms'],
                 prod['rpc']['p90_ms']))
        figures['production'] = prod
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == '__main__':
    main()

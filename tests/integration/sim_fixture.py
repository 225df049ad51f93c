"""Run ``dcmanager-subcloud-sim`` as a real child process for tests (and benchmarks).

``Simulator`` picks subcloud ports that are free on the fleet's addresses (checked with a bind),
lets the control port be chosen by the kernel, waits for the READY line, and stops the child by its
pid with SIGTERM. ``.control`` is a small client of the control API.
"""

import contextlib
import os
import queue
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

from dcmanager.conf import CONF
from dcmanager.simulator import addresses


def _bindable(address, port):
    with socket.socket() as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def free_ports(fleet_addresses, how_many=2, low=20000, high=32000):
    """``how_many`` distinct ports free on the first and last addresses of the fleet."""
    probe = {fleet_addresses[0], fleet_addresses[-1]}
    ports = []
    while len(ports) < how_many:
        port = random.randint(low, high)
        if port not in ports and all(_bindable(a, port) for a in probe):
            ports.append(port)
    return ports


class StartFailed(Exception):
    pass


class Simulator:
    """A simulator child process; use as a context manager (or start()/stop())."""

    def __init__(self, workdir, count=10, first_address='127.0.1.1', ready_timeout=60.0,
                 shared_port=False, nofile=None, **options):
        self.workdir = str(workdir)
        self.count = count
        self.first_address = first_address
        self.addresses = addresses.fleet(first_address, count)
        self.ready_timeout = ready_timeout
        self.shared_port = shared_port  # one listener per subcloud for identity and agent
        self.nofile = nofile  # the child's open-file limit (soft and hard), or None: inherited
        self.options = options
        self.proc = None
        self.control_url = None
        self.identity_port = self.agent_port = None
        self.start_seconds = None
        self.http = requests.Session()

    # lifecycle

    def start(self, attempts=3):
        for attempt in range(attempts):
            try:
                return self._start_once()
            except StartFailed as e:
                if 'cannot listen' not in str(e) or attempt == attempts - 1:
                    raise

    def _start_once(self):
        if self.shared_port:
            self.identity_port = self.agent_port = free_ports(self.addresses, how_many=1)[0]
        else:
            self.identity_port, self.agent_port = free_ports(self.addresses)
        argv = [sys.executable, '-m', 'dcmanager.cmd.subcloud_sim', '--count', str(self.count),
                '--first-address', self.first_address, '--control-port', '0',
                '--identity-port', str(self.identity_port), '--agent-port', str(self.agent_port)]
        for name, value in self.options.items():
            argv += ['--' + name.replace('_', '-'), str(value)]
        self.log_path = os.path.join(self.workdir, 'simulator-%d.log' % time.monotonic_ns())
        started = time.monotonic()
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log,
                                         stdin=subprocess.DEVNULL,
                                         preexec_fn=self._limit_files if self.nofile else None)
        line = self._read_line(self.ready_timeout)
        if not line.startswith('READY '):
            self.proc.wait(timeout=10)
            raise StartFailed('simulator did not start (exit %s): %s' % (
                self.proc.returncode, self.log_tail()))
        self.start_seconds = time.monotonic() - started
        self.control_url = line.split('control=', 1)[1].strip()
        return self

    def _limit_files(self):
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def _read_line(self, timeout):
        lines = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline().decode()),
                         daemon=True).start()
        try:
            return lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            self.proc.wait()
            raise StartFailed('no READY line within %.0f s: %s'
                              % (timeout, self.log_tail())) from None

    def stop(self, timeout=10.0):
        """SIGTERM by pid; return the exit status (killing it if it does not stop in time)."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self.proc.stdout.close()

    def log_tail(self, size=2000):
        with open(self.log_path, 'rb') as f:
            return f.read()[-size:].decode(errors='replace')

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.http.close()

    # per-subcloud URLs

    def identity_url(self, address):
        return 'http://%s:%d/v3' % (address, self.identity_port)

    def agent_url(self, address):
        return 'http://%s:%d' % (address, self.agent_port)

    # control API

    def control(self, method, path, body=None, expect=200):
        resp = self.http.request(method, self.control_url + path, json=body, timeout=30)
        if expect is not None:
            assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json()

    def subcloud(self, address):
        return self.control('GET', '/v1/subclouds/' + address)

    def patch(self, address, **changes):
        return self.control('PATCH', '/v1/subclouds/' + address, changes)

    def action(self, address, action, body=None):
        return self.control('POST', '/v1/subclouds/%s/%s' % (address, action), body)

    def counters(self, address):
        return self.subcloud(address)['counters']


def running(tmp_path_factory, name, **options):
    """Generator for a module-scoped fixture: a started Simulator, stopped (exit 0 asserted)
    at the end. ``options`` go to Simulator (count, admin_password, first_address, ...)."""
    simulator = Simulator(tmp_path_factory.mktemp(name), **options)
    simulator.start()
    try:
        yield simulator
    finally:
        assert simulator.stop(timeout=10) == 0, simulator.log_tail()


class HangingListener:
    """A real socket on ``address`` for each of ``ports`` that accepts connections and never
    answers (reads nothing, sends nothing) until closed: a hung service, for timeouts.

    ``accepted`` counts the connections taken; use as a context manager.
    """

    def __init__(self, address, ports):
        self.address = address
        self.sockets = []
        for port in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
            s.listen(64)
            self.sockets.append(s)
        self.ports = [s.getsockname()[1] for s in self.sockets]
        self.accepted = 0
        self._held = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, args=(s,), daemon=True)
                         for s in self.sockets]
        for thread in self._threads:
            thread.start()

    def _accept(self, listener):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.accepted += 1
                self._held.append(conn)

    def close(self):
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for thread in self._threads:
            thread.join(5)
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def site_app(site, sim):
    """Generator for a fixture: the in-process site's webtest app, configured to reach ``sim``'s
    subclouds (plain HTTP, its ports); the configuration and the database are reset after."""
    CONF.set_override('scheme', 'http', group='subcloud')
    CONF.set_override('identity_port', sim.identity_port, group='subcloud')
    CONF.set_override('agent_port', sim.agent_port, group='subcloud')
    try:
        yield site.app()
    finally:
        for name in ('scheme', 'identity_port', 'agent_port'):
            CONF.clear_override(name, group='subcloud')
        site.reset_database()

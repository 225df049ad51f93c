"""The console scripts as real processes: started, asked over a loopback socket, stopped by pid.

Every process a test starts is stopped by its pid in a ``finally`` (and its children with it); the
servers only ever listen on 127.0.0.1 (the refused 0.0.0.0 case never gets as far as listening).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from dcmanager.db import migration

START_TIMEOUT = 60
STOP_TIMEOUT = 10

# Never through an HTTP proxy from the environment: these requests are for 127.0.0.1 only.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _script(name):
    return shutil.which(name) or os.path.join(os.path.dirname(sys.executable), name)


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _config(tmp_path, port=None, **options):
    """A configuration file: state and database under tmp_path, the API on 127.0.0.1:port."""
    sections = {'DEFAULT': {'state_path': str(tmp_path / 'state')},
                'api': {'bind_host': '127.0.0.1', 'bind_port': port or _free_port()}}
    for key, value in options.items():
        group, _, name = key.rpartition('__')
        sections.setdefault(group or 'DEFAULT', {})[name] = value
    path = tmp_path / 'dcmanager.conf'
    path.write_text(''.join('[%s]\n%s\n' % (group, ''.join('%s = %s\n' % item
                                                           for item in values.items()))
                            for group, values in sections.items()))
    return str(path), int(sections['api']['bind_port'])


# ------------------------------------------------------------------ processes by pid

def _stat(pid):
    """(state, parent pid) of a process from /proc, or None when there is no such process."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(')') + 2:].split()
    return fields[0], int(fields[1])


def _alive(pid):
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    stat = _stat(pid)
    return stat is not None and stat[0] != 'Z'


def _children(pid):
    kids = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[1] == pid:
                kids.append(int(name))
    return sorted(kids)


def _signal(pid, signum):
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


class Process:
    """A console script started with its output in files; ``stop()`` kills what is left by pid."""

    def __init__(self, tmp_path, name, *args):
        self.name = name
        self.out_path = tmp_path / ('%s.out' % name)
        self.err_path = tmp_path / ('%s.err' % name)
        with open(self.out_path, 'wb') as out, open(self.err_path, 'wb') as err:
            self.popen = subprocess.Popen([_script(name), *args], stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, cwd=tmp_path,
                                          start_new_session=True)
        self.pid = self.popen.pid
        self.known_children = set()

    def children(self):
        kids = _children(self.pid)
        self.known_children.update(kids)
        return kids

    def output(self):
        return 'stdout:\n%s\nstderr:\n%s' % (self.out_path.read_text(), self.err_path.read_text())

    def stop(self):
        """Kill the process and every child seen, by pid (a no-op for those already gone)."""
        pids = set(self.known_children)
        if self.popen.poll() is None:
            pids.update(self.children())
        for pid in pids:
            _signal(pid, signal.SIGCONT)
            _signal(pid, signal.SIGKILL)
        if self.popen.poll() is None:
            _signal(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)
        _wait_gone(pids, STOP_TIMEOUT)


@contextlib.contextmanager
def running(tmp_path, name, *args):
    process = Process(tmp_path, name, *args)
    try:
        yield process
    finally:
        process.stop()


def _run(tmp_path, name, *args):
    """Run a command to its end; returns (exit code, stdout, stderr)."""
    with running(tmp_path, name, *args) as process:
        code = process.popen.wait(timeout=START_TIMEOUT)
        return code, process.out_path.read_text(), process.err_path.read_text()


# ------------------------------------------------------------------ HTTP on loopback

def _request(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        'http://127.0.0.1:%d%s' % (port, path), data=data, method=method,
        headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
    with _HTTP.open(request, timeout=30) as resp:
        return resp.status, json.loads(resp.read() or b'null')


def _wait_serving(process, port):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail('%s exited with %s\n%s' % (process.name, process.popen.returncode,
                                                    process.output()))
        try:
            return _request(port, 'GET', '/')
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail('%s did not answer on port %d\n%s' % (process.name, port, process.output()))


def _refused(port):
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(('127.0.0.1', port)) != 0


# ------------------------------------------------------------------ dcmanager-manage

def test_manage_db_sync_then_db_version(tmp_path):
    conf, _ = _config(tmp_path)
    head = migration.head()

    code, out, err = _run(tmp_path, 'dcmanager-manage', '--config-file', conf, 'db_version')
    assert code == 0, err
    assert out.strip() == 'none'

    code, out, err = _run(tmp_path, 'dcmanager-manage', '--config-file', conf, 'db_sync')
    assert code == 0, err
    assert out.strip() == 'database at revision %s' % head

    code, out, err = _run(tmp_path, 'dcmanager-manage', '--config-file', conf, 'db_version')
    assert code == 0, err
    assert out.strip() == head  # stdout is only the answer: the log goes to stderr
    assert (tmp_path / 'state' / 'dcmanager.sqlite').is_file()


# ------------------------------------------------------------------ dcmanager-all

def test_all_serves_a_site_and_stops_on_sigterm(tmp_path):
    conf, port = _config(tmp_path)
    with running(tmp_path, 'dcmanager-all', '--config-file', conf) as site:
        status, versions = _wait_serving(site, port)
        assert status == 200
        assert versions['versions'][0]['id'] == 'v1.0'

        status, group = _request(port, 'POST', '/v1.0/subcloud-groups', {
            'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': '3'})
        assert status == 200
        assert (group['name'], group['max_parallel_subclouds']) == ('edge', 3)

        status, listing = _request(port, 'GET', '/v1.0/subcloud-groups')
        assert status == 200
        assert [g['name'] for g in listing['subcloud_groups']] == ['Default', 'edge']

        status, body = _request(port, 'DELETE', '/v1.0/subcloud-groups/%d' % group['id'])
        assert (status, body) == (200, None)
        status, listing = _request(port, 'GET', '/v1.0/subcloud-groups')
        assert [g['name'] for g in listing['subcloud_groups']] == ['Default']

        with pytest.raises(urllib.error.HTTPError) as info:
            _request(port, 'GET', '/v1.0/subcloud-groups/edge')
        assert info.value.code == 404

        started = time.monotonic()
        site.popen.send_signal(signal.SIGTERM)
        code = site.popen.wait(timeout=STOP_TIMEOUT)
        assert code == 0, site.output()
        assert time.monotonic() - started < 5
        assert _refused(port)
        assert 'Traceback' not in site.output(), site.output()


@pytest.mark.parametrize('script', ['dcmanager-all', 'dcmanager-api'])
def test_noauth_on_a_public_address_is_refused_before_listening(tmp_path, script):
    port = _free_port()
    conf, _ = _config(tmp_path, port, auth_strategy='noauth', api__bind_host='0.0.0.0')
    with running(tmp_path, script, '--config-file', conf) as process:
        code = process.popen.wait(timeout=START_TIMEOUT)
        assert code != 0
        err = process.err_path.read_text()
        assert 'auth_strategy = noauth refuses to listen on 0.0.0.0' in err, process.output()
        assert 'Traceback' not in err
        assert 'listening' not in process.output().lower()
        assert 'Site running' not in process.output()
    assert _refused(port)


@pytest.mark.parametrize('script', ['dcmanager-all', 'dcmanager-manager'])
def test_a_heartbeat_slower_than_the_down_time_is_refused_in_one_line(tmp_path, script):
    conf, port = _config(tmp_path, auth_strategy='noauth', manager__heartbeat_interval=30,
                         manager__service_down_time=30)
    with running(tmp_path, script, '--config-file', conf) as process:
        code = process.popen.wait(timeout=START_TIMEOUT)
        assert code == 1
        err = process.err_path.read_text()
        assert 'service_down_time (30 s) must be greater than' in err, process.output()
        assert 'Traceback' not in err
    assert _refused(port)


# ------------------------------------------------------------------ dcmanager-api with workers

def _served_by_the_others(port, stopped):
    """Every request is answered while ``stopped`` (a worker pid) can not accept anything."""
    _signal(stopped, signal.SIGSTOP)
    try:
        for _ in range(3):
            status, listing = _request(port, 'GET', '/v1.0/subcloud-groups')
            assert status == 200
            assert [g['name'] for g in listing['subcloud_groups']] == ['Default']
    finally:
        _signal(stopped, signal.SIGCONT)


def test_api_workers_serve_and_stop_with_the_parent(tmp_path):
    conf, port = _config(tmp_path, auth_strategy='noauth', api__workers=2)
    code, _, err = _run(tmp_path, 'dcmanager-manage', '--config-file', conf, 'db_sync')
    assert code == 0, err

    with running(tmp_path, 'dcmanager-api', '--config-file', conf) as api:
        _wait_serving(api, port)
        deadline = time.monotonic() + START_TIMEOUT
        while len(api.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = api.children()
        assert len(workers) == 2, api.output()

        # With one worker stopped, the other one answers, and the other way round: both serve
        # requests, database reads included.
        first, second = workers
        _served_by_the_others(port, first)
        _served_by_the_others(port, second)

        api.popen.send_signal(signal.SIGTERM)
        code = api.popen.wait(timeout=STOP_TIMEOUT)
        assert code == 0, api.output()
        assert _wait_gone(workers, STOP_TIMEOUT) == []
        assert _refused(port)
        assert 'Traceback' not in api.output(), api.output()

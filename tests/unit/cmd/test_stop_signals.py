"""SIGTERM at any moment of a service's life ends it cleanly: status 0, no traceback.

Each service is started as a real process and sent SIGTERM at several moments: as soon as its
handler is in place (read from /proc: the first thing its console script does), at random
moments of its start-up, and once it serves. ``DCMANAGER_TEST_STOP_TRIES`` sets how many random
moments (2 by default). Sent before the interpreter has run any of the project's code, SIGTERM
can only have its default action (the process ends by the signal); that is checked too, with no
traceback either.
"""

import os
import random
import signal
import subprocess
import sys
import time
import urllib.error

import pytest

from tests.unit.cmd import test_processes as procs

STOP_BOUND = 30  # start-up, that a stop waits for, included
TRIES = int(os.environ.get('DCMANAGER_TEST_STOP_TRIES', 2))


def _catches_sigterm(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            caught = next(int(line.split()[1], 16) for line in f if line.startswith('SigCgt:'))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return False
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _wait_for(what, process, timeout=procs.START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not what():
        if process.popen.poll() is not None:
            pytest.fail('%s exited with %s\n%s' % (process.name, process.popen.returncode,
                                                    process.output()))
        if time.monotonic() > deadline:
            pytest.fail('%s: not ready in %s s\n%s' % (process.name, timeout, process.output()))
        time.sleep(0.001)


def _http_ready(port):
    def ready():
        try:
            return procs._request(port, 'GET', '/')[0] == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
    return ready


def _output_ready(process, text):
    return lambda: text in process.output()


class _Service:
    """How to start one service in ``tmp_path`` and tell when it serves."""

    def __init__(self, tmp_path, name):
        self.name = name
        self.conf, self.port = procs._config(tmp_path, auth_strategy='noauth')
        if name == 'dcmanager-audit':  # the only service that does not create the schema
            code, _, err = procs._run(tmp_path, 'dcmanager-manage', '--config-file', self.conf,
                                      'db_sync')
            assert code == 0, err

    def args(self):
        if self.name == 'dcmanager-subcloud-sim':
            return ['--count', '2', '--first-address', '127.0.213.1', '--control-port', '0',
                    '--identity-port', str(procs._free_port()),
                    '--agent-port', str(procs._free_port())]
        return ['--config-file', self.conf]

    def ready(self, process):
        if self.name in ('dcmanager-all', 'dcmanager-api'):
            return _http_ready(self.port)
        text = {'dcmanager-manager': 'Manager listening on topic',
                'dcmanager-audit': 'Audit service started',
                'dcmanager-subcloud-sim': 'READY 2 subclouds'}[self.name]
        return _output_ready(process, text)


def _stop_at(tmp_path, service, moment, delay=0.0):
    """Start ``service``, SIGTERM it at ``moment``; returns (exit code, output)."""
    with procs.running(tmp_path, service.name, *service.args()) as process:
        if moment == 'handler':
            _wait_for(lambda: _catches_sigterm(process.pid), process)
            time.sleep(delay)
        elif moment == 'ready':
            _wait_for(service.ready(process), process)
        process.popen.send_signal(signal.SIGTERM)
        code = process.popen.wait(timeout=STOP_BOUND)
        return code, process.output()


SERVICES = ['dcmanager-all', 'dcmanager-api', 'dcmanager-manager', 'dcmanager-audit',
            'dcmanager-subcloud-sim']


@pytest.mark.parametrize('name', SERVICES)
def test_sigterm_at_any_moment_exits_0_without_a_traceback(tmp_path, name):
    service = _Service(tmp_path, name)
    moments = ([('handler', 0.0)] + [('handler', random.uniform(0, 1.5)) for _ in range(TRIES)]
               + [('ready', 0.0)])
    for moment, delay in moments:
        code, output = _stop_at(tmp_path, service, moment, delay)
        what = '%s stopped at %s + %.3f s' % (name, moment, delay)
        assert code == 0, '%s: status %s\n%s' % (what, code, output)
        assert 'Traceback' not in output, '%s\n%s' % (what, output)


@pytest.mark.parametrize('name', ['dcmanager-all', 'dcmanager-subcloud-sim'])
def test_sigterm_before_the_handler_is_the_signals_default_action(tmp_path, name):
    service = _Service(tmp_path, name)
    code, output = _stop_at(tmp_path, service, 'at once')
    assert code in (0, -signal.SIGTERM), output
    assert 'Traceback' not in output, output


def test_the_console_scripts_catch_signals_before_loading_the_service():
    """What a console script imports before its handler is in place (dcmanager.cmd.launch) is
    light: none of the service's libraries, so the window in which SIGTERM still has its default
    action is the interpreter's own start. Loading oslo.service's backend on ``import dcmanager``
    made it half a second."""
    done = subprocess.run(
        [sys.executable, '-c', 'import sys, dcmanager.cmd.launch; print(" ".join(sys.modules))'],
        capture_output=True, text=True, timeout=60, check=True)
    loaded = set(done.stdout.split())
    heavy = {'oslo_messaging', 'oslo_config', 'sqlalchemy', 'pecan', 'keystonemiddleware',
             'oslo_service.backend._threading', 'futurist', 'eventlet'}
    assert loaded & heavy == set()

"""A password not given on the command line is asked for on a terminal (a pseudo-terminal
here), without echo, and sent in base64; it never shows on the terminal."""

import base64
import json
import os
import pty
import select
import subprocess
import time

from tests.integration.cli import harness
from tests.integration.cli.stub_server import StubServer

PEER_PASSWORD = 'Tty-Pa55-Marmot'
PEER = {'id': 1, 'peer-uuid': 'u-1', 'peer-name': 'site-b',
        'manager-endpoint': 'http://127.0.0.1:5010/v3', 'manager-username': 'admin',
        'peer-controller-gateway-address': '127.19.0.2', 'administrative-state': 'enabled',
        'heartbeat-interval': 60, 'heartbeat-failure-threshold': 3,
        'heartbeat-failure-policy': 'alarm', 'heartbeat-maintenance-timeout': 600,
        'availability-state': 'unknown', 'created-at': '2026-12-03 14:05:02',
        'updated-at': None}


def _on_a_terminal(argv, env, answer, timeout=60):
    """Run ``dcmanager argv`` with a pseudo-terminal as its stdin, stdout and stderr (in a
    session of its own); type ``answer`` at each prompt that ends with ': '. (exit code, what
    the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([harness.SCRIPT, *argv], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    shown, deadline = b'', time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                proc.kill()
                raise AssertionError('no output within %s s: %r' % (timeout, shown))
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if shown.rstrip(b' ').endswith(b':'):
                os.write(master, answer.encode() + b'\n')
                shown += b'\n'  # (not echoed; keeps the next prompt apart)
        return proc.wait(timeout), shown.decode(errors='replace')
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_system_peer_add_asks_for_the_password_on_a_terminal(tmp_path):
    cli = harness.Cli(tmp_path / 'home')
    with StubServer() as stub:
        stub.answer('POST', '/v1.0/system-peers', 200, PEER)
        code, shown = _on_a_terminal(
            ['--dcmanager-url', stub.url, 'system-peer', 'add', '--peer-uuid', 'u-1',
             '--peer-name', 'site-b', '--manager-endpoint', 'http://127.0.0.1:5010/v3',
             '--peer-controller-gateway-address', '127.19.0.2', '-f', 'value', '-c',
             'peer name'], cli.environment(), PEER_PASSWORD)
        sent = [json.loads(r.body) for r in stub.requests]
    assert code == 0, shown
    assert 'password' in shown.lower() and 'site-b' in shown, shown
    assert PEER_PASSWORD not in shown
    assert base64.b64encode(PEER_PASSWORD.encode()).decode() not in shown
    assert [body['manager_password'] for body in sent] == [
        base64.b64encode(PEER_PASSWORD.encode()).decode()]


def test_system_peer_update_with_a_bare_password_option_asks_for_it(tmp_path):
    cli = harness.Cli(tmp_path / 'home', secrets=[PEER_PASSWORD])
    with StubServer() as stub:
        stub.answer('PATCH', '/v1.0/system-peers/site-b', 200, PEER)
        code, shown = _on_a_terminal(
            ['--dcmanager-url', stub.url, 'system-peer', 'update', 'site-b',
             '--manager-password'], cli.environment(), PEER_PASSWORD)
        assert code == 0, shown
        assert PEER_PASSWORD not in shown
        # without a terminal: the option is required, nothing is sent
        refused = cli('--dcmanager-url', stub.url, 'system-peer', 'update', 'site-b',
                      '--manager-password', stdin=PEER_PASSWORD + '\n')
        sent = [json.loads(r.body) for r in stub.requests]
    assert refused.error() == '--manager-password is required'
    assert sent == [{'manager_password': base64.b64encode(PEER_PASSWORD.encode()).decode()}]

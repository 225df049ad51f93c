"""``dcmanager.wsgi.api:application`` served by a real gunicorn, as a deployment would run it.

The configuration comes from the environment only (gunicorn's command line is its own): a file
named by ``DCMANAGER_CONFIG_FILE`` and a directory named by ``DCMANAGER_CONFIG_DIR``, each holding
part of it, so both are read. The schema is made by ``dcmanager-manage db_sync`` beforehand; the
server runs two workers on a free loopback port and is stopped by its pid.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import requests

START_WITHIN = 60


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_config(tmp_path):
    (tmp_path / 'state').mkdir()
    conf = tmp_path / 'dcmanager.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\nauth_strategy = noauth\n' % (tmp_path / 'state'))
    conf_dir = tmp_path / 'dcmanager.conf.d'
    conf_dir.mkdir()
    (conf_dir / 'database.conf').write_text(
        '[database]\nconnection = sqlite:///%s\n' % (tmp_path / 'state' / 'wsgi.sqlite'))
    return conf, conf_dir


def wait_answering(proc, url, log):
    deadline = time.monotonic() + START_WITHIN
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            # gunicorn listens before its workers have imported the app: a first request may
            # wait in the backlog for a while on a busy machine
            return requests.get(url, timeout=(5, 30))
        except (requests.ConnectionError, requests.Timeout):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)



@contextlib.contextmanager
def gunicorn_site(tmp_path, conf, conf_dir, workers):
    """gunicorn serving the WSGI entry point on a free loopback port, its schema made by
    ``dcmanager-manage db_sync`` first; yields the URL once it answers, stops it by its pid and
    checks it exited 0."""
    subprocess.run([sys.executable, '-m', 'dcmanager.cmd.manage', '--config-file', str(conf),
                    '--config-dir', str(conf_dir), 'db_sync'],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    port = free_port()
    env = dict(os.environ, DCMANAGER_CONFIG_FILE=str(conf), DCMANAGER_CONFIG_DIR=str(conf_dir))
    log = tmp_path / 'gunicorn.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', '--bind', '127.0.0.1:%d' % port, '--workers',
             str(workers), '--graceful-timeout', '10', 'dcmanager.wsgi.api:application'],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:%d' % port
    try:
        wait_answering(proc, url + '/', log)
        yield url
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


def test_gunicorn_serves_the_api_from_the_wsgi_entry_point(tmp_path):
    conf, conf_dir = write_config(tmp_path)
    with gunicorn_site(tmp_path, conf, conf_dir, workers=2) as url:
        root = requests.get(url + '/', timeout=10)
        assert root.status_code == 200, root.text
        assert root.json()['versions'][0]['id'] == 'v1.0'
        groups = requests.get(url + '/v1.0/subcloud-groups', timeout=10)
        assert groups.status_code == 200, groups.text
        assert [g['name'] for g in groups.json()['subcloud_groups']] == ['Default']
        assert requests.get(url + '/v1.0/subclouds', timeout=10).json() == {'subclouds': []}
    # the database named only in the config directory was the one served
    assert (tmp_path / 'state' / 'wsgi.sqlite').exists()

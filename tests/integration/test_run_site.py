"""What ``tools/run-site`` runs, for real: the simulator writes the site's configuration
(``--site-config``), ``dcmanager-all`` starts with that file first and the operator's own after it,
and the README's ``curl`` add of a simulated subcloud ends ``complete`` and ``online``.

The add is the README's own JSON body (read from README.md), so the documented command is the
tested one; only the API port differs (a free one, never the README's 8119). The fleet's admin
password is ``tools/run-site``'s default, which the README's bootstrap values must carry.
"""

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import requests

from tests.integration import sim_fixture

ROOT = pathlib.Path(__file__).resolve().parents[2]
README_ADD = re.compile(r"curl [^\n]*http://127\.0\.0\.1:8119/v1\.0/subclouds -d '(\{\n.*?\n\})'",
                        re.DOTALL)
RUN_SITE_PASSWORD = re.compile(r'--admin-password "\$\{SIM_ADMIN_PASSWORD:-([^}]*)\}"')
SETTLED_WITHIN = 60


def readme_add_body():
    """The JSON body of the README's ``curl`` add of a simulated subcloud."""
    match = README_ADD.search((ROOT / 'README.md').read_text())
    assert match, 'README.md has no curl add of a subcloud (POST /v1.0/subclouds -d \'{...}\')'
    return json.loads(match.group(1))


def run_site_admin_password():
    match = RUN_SITE_PASSWORD.search((ROOT / 'tools' / 'run-site').read_text())
    assert match, 'tools/run-site does not pass --admin-password "${SIM_ADMIN_PASSWORD:-...}"'
    return match.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start_site(workdir, config_files):
    """``dcmanager-all --config-file ...`` as a child; (process, API URL) once GET / answers."""
    port = free_port()
    own = workdir / 'operator.conf'
    own.write_text('[DEFAULT]\nstate_path = %s\n[api]\nbind_port = %d\n' % (workdir / 'state',
                                                                            port))
    argv = [sys.executable, '-m', 'dcmanager.cmd.all']
    for path in [*config_files, own]:
        argv += ['--config-file', str(path)]
    log = open(workdir / 'site.log', 'wb')  # noqa: SIM115 - closed by stop_site
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    url = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, (workdir / 'site.log').read_text()[-3000:]
        try:
            # the socket listens before the manager and the audit have started: a first request
            # may wait in the backlog for a while on a busy machine
            if requests.get(url + '/', timeout=(5, 30)).status_code == 200:
                return proc, url
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert time.monotonic() < deadline, 'site not answering after 60 s'
        time.sleep(0.2)


def stop_site(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.log.close()


def settled(url, name):
    deadline = time.monotonic() + SETTLED_WITHIN
    while True:
        body = requests.get('%s/v1.0/subclouds/%s' % (url, name), timeout=10).json()
        if body['deploy-status'] not in ('pre-enroll', 'enrolling'):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def test_readme_add_reaches_complete_and_online_on_the_run_site_configuration(tmp_path):
    body = readme_add_body()
    password = run_site_admin_password()
    assert body['bootstrap_values']['admin_password'] == password
    site_conf = tmp_path / 'run-site.conf'
    with sim_fixture.Simulator(tmp_path, count=2, admin_password=password,
                               site_config=site_conf) as sim:
        assert body['bootstrap-address'] == sim.addresses[0]
        text = site_conf.read_text()
        assert 'scheme = http' in text and 'identity_port = %d' % sim.identity_port in text
        proc, url = start_site(tmp_path, [site_conf])
        try:
            resp = requests.post(url + '/v1.0/subclouds', json=body, timeout=30)
            assert resp.status_code == 200, resp.text
            assert resp.json()['deploy-status'] == 'pre-enroll'
            done = settled(url, body['bootstrap_values']['name'])
            assert (done['deploy-status'], done['availability-status']) == \
                ('complete', 'online'), done
            assert sim.counters(sim.addresses[0])['audits'] >= 1
        finally:
            stop_site(proc)
        assert proc.returncode == 0, (tmp_path / 'site.log').read_text()[-3000:]

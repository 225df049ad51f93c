"""A Keystone that accepts connections and never answers cannot take the API down.

A real ``dcmanager-all`` (``auth_strategy = keystone``, 4 request threads, keystonemiddleware's
timeouts left at dcmanager's defaults) validates tokens against a real socket that accepts
connections and never answers (``HangingListener``). Requests with made-up tokens, which anyone
can send, must not hold every request thread: at most ``threads - 1`` of them wait for Keystone,
each for a bounded time, then 503; the others get their 503 at once, and ``GET /`` is served
the whole time. Once Keystone has failed, it is not asked again for a few seconds (Retry-After):
requests that queued behind the one that failed do not pay the timeout again one after the
other. Every process is stopped by its pid.
"""

import concurrent.futures
import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time

import requests

from dcmanager.api import auth
from dcmanager.conf import authtoken
from tests.integration.sim_fixture import HangingListener
from tests.services import free_port

THREADS = 4
SLOTS = auth.default_slots(THREADS)
START_WITHIN = 60
# A hung Keystone costs a request http_connect_timeout per attempt (1 + retries), and the short
# backoff between them; keystoneauth may try the discovery URL twice. Generous: this bounds a
# wait that was unbounded, it does not time it (bench/keystone_hung.py does).
BOUND = 4 * (1 + authtoken.HTTP_REQUEST_MAX_RETRIES) * authtoken.HTTP_CONNECT_TIMEOUT + 10
SUBCLOUDS = '/v1.0/subclouds'


def site_config(tmp_path, api_port, keystone_port, threads=THREADS):
    """dcmanager-all's configuration: keystone authentication against ``keystone_port``."""
    keystone = 'http://127.0.0.1:%d/v3' % keystone_port
    conf = tmp_path / 'dcmanager.conf'
    conf.write_text(
        '[DEFAULT]\nstate_path = %s\nauth_strategy = keystone\n'
        '[api]\nbind_host = 127.0.0.1\nbind_port = %d\nthreads = %d\n'
        '[keystone_authtoken]\nwww_authenticate_uri = %s\nauth_url = %s\nauth_type = password\n'
        'username = dcmanager\npassword = not-a-secret-test-password\nproject_name = services\n'
        'user_domain_id = default\nproject_domain_id = default\n'
        % (tmp_path / 'state', api_port, threads, keystone, keystone))
    return conf


def start_site_process(workdir, conf, url, env=None, timeout=START_WITHIN):
    """``dcmanager-all`` with ``conf`` (a file, or a list of files: later ones win) as a child
    in ``workdir``, once it answers ``url``; its ``Popen``. Its output is appended to
    ``workdir/site.log`` (a site started again keeps its earlier output). A child that exits or
    does not answer within ``timeout`` s fails the test with the end of that log, and is
    stopped."""
    log = pathlib.Path(workdir) / 'site.log'
    argv = [sys.executable, '-m', 'dcmanager.cmd.all']
    for path in (conf if isinstance(conf, (list, tuple)) else [conf]):
        argv += ['--config-file', str(path)]
    with open(log, 'ab') as out:
        proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, log.read_text(errors='replace')[-3000:]
            try:
                requests.get(url + '/', timeout=5)
                return proc
            except requests.RequestException:
                assert time.monotonic() < deadline, log.read_text(errors='replace')[-3000:]
                time.sleep(0.2)
    except BaseException:
        stop_site_process(proc)
        raise


def stop_site_process(proc, timeout=30):
    """SIGTERM ``proc`` by its pid, SIGKILL if it has not exited after ``timeout`` s."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def running_site(tmp_path, conf, url):
    """dcmanager-all with ``conf``, once it answers ``url``; yields its log's path and its pid,
    and stops it by its pid."""
    proc = start_site_process(tmp_path, conf, url)
    try:
        yield tmp_path / 'site.log', proc.pid
    finally:
        stop_site_process(proc)


def _with_token(url, token, accept='application/json'):
    started = time.monotonic()
    resp = requests.get(url + SUBCLOUDS, headers={'X-Auth-Token': token, 'Accept': accept},
                        timeout=BOUND + 30)
    done = time.monotonic()
    return resp, done - started, done


def _wait_accepted(hung, count, timeout=30):
    deadline = time.monotonic() + timeout
    while hung.accepted < count:
        assert time.monotonic() < deadline, 'Keystone was asked %d times' % hung.accepted
        time.sleep(0.05)


def test_a_hung_keystone_costs_bounded_503s_and_never_the_version_document(tmp_path):
    api_port = free_port()
    url = 'http://127.0.0.1:%d' % api_port
    with HangingListener('127.0.0.1', [0]) as hung, \
            running_site(tmp_path, site_config(tmp_path, api_port, hung.ports[0]),
                         url) as (log, _), \
            concurrent.futures.ThreadPoolExecutor(SLOTS + 8) as pool:
        # Made-up tokens take every slot: they wait for Keystone (the first one asks it; the
        # others wait behind it for keystonemiddleware's service token).
        first = [pool.submit(_with_token, url, 'made-up-token-%d' % i) for i in range(SLOTS)]
        _wait_accepted(hung, 1)
        # More while those wait: each answered 503 at once, the slots being taken.
        more = [pool.submit(_with_token, url, 'another-token-%d' % i) for i in range(8)]
        # The version document needs no token, and a thread is always free for it.
        root_answered = []
        for _ in range(3):
            root = requests.get(url + '/', timeout=5)
            assert root.status_code == 200 and root.json()['versions'][0]['id'] == 'v1.0'
            root_answered.append(time.monotonic())

        answers = [future.result(timeout=BOUND + 30) for future in first + more]
        busy = [a for a in answers if a[0].json()['error'] == 'IdentityBusy']
        waited = [a for a in answers if a[0].json()['error'] != 'IdentityBusy']
        assert len(busy) == 8 and len(waited) == SLOTS, [a[0].text for a in answers]
        for resp, _, _ in busy:
            assert resp.status_code == 503
            assert resp.headers['Retry-After'] == '5'
        # The waits end: 503 in the house shape, within the bound.
        for resp, elapsed, _ in waited:
            assert resp.status_code == 503, resp.text
            assert resp.json() == {
                'code': 503, 'title': 'Service Unavailable', 'error': 'IdentityUnavailable',
                'description': 'Keystone did not answer in time or refused the connection; '
                               'try again later.'}
            assert resp.headers['Retry-After'] == '5'
            assert elapsed < BOUND
        # The refusals and the version document came while the slots were held.
        first_wait_ended = min(done for _, _, done in waited)
        assert max(done for _, _, done in busy) < first_wait_ended
        assert max(root_answered) < first_wait_ended

        # Keystone failed: for Retry-After seconds it is not asked again, the answer is at once;
        # the CLI's Accept gets the HTML page it prints.
        asked = hung.accepted
        resp, _, _ = _with_token(url, 'made-up-token-again', accept='*/*')
        assert resp.status_code == 503
        assert '<title>503 Service Unavailable</title>' in resp.text
        assert 'Keystone did not answer in time' in resp.text
        assert hung.accepted == asked

        # Then it is: the slots are free again, the next request waits for Keystone in its turn.
        time.sleep(auth.RETRY_AFTER)
        resp, elapsed, _ = _with_token(url, 'made-up-token-later')
        assert resp.status_code == 503 and resp.json()['error'] == 'IdentityUnavailable'
        assert hung.accepted > asked
        assert elapsed < BOUND
    text = log.read_text()
    assert 'made-up-token' not in text and 'another-token' not in text
    assert 'not-a-secret-test-password' not in text

"""A real ``dcmanager-all`` restarted with another ``[DEFAULT] system_uuid`` than the one its
database was created with refuses to start (a peer site knows it by the stored one). Stopped by
its pid."""

import os
import signal
import subprocess
import sys
import time
import uuid

import requests

from tests.services import free_port


def _run_site(tmp_path, system_uuid=None):
    port = free_port()
    conf = tmp_path / 'dcmanager.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n%s[api]\nbind_port = %d\n'
                    % (tmp_path / 'state', 'system_uuid = %s\n' % system_uuid
                       if system_uuid else '', port))
    log = tmp_path / 'site.log'
    with open(log, 'ab') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'dcmanager.cmd.all', '--config-file',
                                 str(conf)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, cwd=tmp_path)
    return proc, 'http://127.0.0.1:%d' % port, log


def _stop(proc):
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait()


def test_a_site_does_not_start_with_another_uuid_than_its_own(tmp_path):
    first = str(uuid.uuid4())
    proc, url, log = _run_site(tmp_path, first)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                requests.get(url + '/', timeout=5)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
    finally:
        assert _stop(proc) == 0, log.read_text()[-3000:]
    proc, _, log = _run_site(tmp_path, str(uuid.uuid4()))
    try:
        code = proc.wait(60)
    finally:
        _stop(proc)
    assert code != 0
    assert 'was created as system %s' % first in log.read_text()

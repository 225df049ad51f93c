"""A real ``dcmanager-all`` restarted with another ``[DEFAULT] system_uuid`` than the one its
database was created with refuses to start (a peer site knows it by the stored one). Stopped by
its pid."""

import os
import signal
import subprocess
import sys
import uuid

from tests.integration.test_keystone_hung import running_site
from tests.services import free_port


def _config(tmp_path, port, system_uuid):
    conf = tmp_path / ('dcmanager-%s.conf' % system_uuid)
    conf.write_text('[DEFAULT]\nstate_path = %s\nsystem_uuid = %s\n[api]\nbind_port = %d\n'
                    % (tmp_path / 'state', system_uuid, port))
    return conf


def test_a_site_does_not_start_with_another_uuid_than_its_own(tmp_path):
    first, other = str(uuid.uuid4()), str(uuid.uuid4())
    port = free_port()
    # The first start stores the UUID (running_site waits until the site answers).
    with running_site(tmp_path, _config(tmp_path, port, first), 'http://127.0.0.1:%d' % port):
        pass
    log = tmp_path / 'second.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([sys.executable, '-m', 'dcmanager.cmd.all', '--config-file',
                                 str(_config(tmp_path, port, other))], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code != 0
    assert 'was created as system %s' % first in log.read_text()

"""dcmanager.cmd.common as every service runs it: a real ``dcmanager-all``, asked over loopback,
whose log output is read back. A name holding a newline must never forge a log line."""

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.unit.cmd import test_processes as processes

FORGED = '2026-12-03 08:00:00,000 1 INFO dcmanager forged line'  # no '.': a valid name
_LINE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ ')


def _post(port, path, body):
    request = urllib.request.Request(
        'http://127.0.0.1:%d%s' % (port, path), data=json.dumps(body).encode(), method='POST',
        headers={'Content-Type': 'application/json', 'Accept': 'application/json'})
    try:
        with processes._HTTP.open(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_name_with_a_newline_forges_no_log_line(tmp_path):
    conf, port = processes._config(tmp_path)
    log_file = tmp_path / 'dcmanager.log'
    with processes.running(tmp_path, 'dcmanager-all', '--config-file', conf,
                           '--log-file', str(log_file)) as site:
        processes._wait_serving(site, port)
        group = {'name': 'edge\n' + FORGED, 'description': 'Edge\n' + FORGED,
                 'update_apply_type': 'serial', 'max_parallel_subclouds': 3}
        status, body = _post(port, '/v1.0/subcloud-groups', group)
        assert status == 400, body
        assert body['description'].startswith('Invalid group name: printable characters')
        status, body = _post(port, '/v1.0/subcloud-groups', dict(group, name='edge'))
        assert status == 400, body
        status, listing = processes._request(port, 'GET', '/v1.0/subcloud-groups')
        assert [g['name'] for g in listing['subcloud_groups']] == ['Default']
        # Accepted afterwards: the log holds this group, and nothing forged.
        status, body = _post(port, '/v1.0/subcloud-groups', dict(group, name='edge',
                                                                 description='Edge'))
        assert status == 200, body
    log = log_file.read_text()
    lines = log.splitlines()
    assert any('Created subcloud group' in line and '(edge)' in line for line in lines), log
    assert not any(FORGED in line for line in lines), log
    assert all(_LINE.match(line) for line in lines if line.strip()), log


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(name, raising=False)

"""Whole commands run in-process (``App.run`` with an argv) against a loopback HTTP server that
plays a site's answers in sequence: the requests each command sends, what it prints on stdout
and stderr, and its exit code, --wait included. (The installed script against real sites is
``tests/integration/cli/``.)"""

import http.server
import io
import json
import logging

import pytest

from dcmanager.cli import app
from tests.unit.cli import loopback


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        key = '%s %s' % (self.command, self.path)
        self.server.seen.append((key, dict(self.headers), body))
        answers = self.server.routes.get(key) or [(404, {'description': 'no route %s' % key})]
        status, doc = answers.pop(0) if len(answers) > 1 else answers[0]
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer


@pytest.fixture
def site():
    with loopback.serving(_Handler) as srv:
        yield srv


def run(site, *argv, stdin='', environ=None):
    """(exit code, stdout, stderr) of ``dcmanager --dcmanager-url <site> <argv>``."""
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers = list(root.handlers)
    application = app.DCManagerApp(environ=environ or {}, stdin=io.StringIO(stdin),
                                   stdout=out, stderr=err)
    try:
        code = application.run(['--dcmanager-url', site.url, *argv])
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
    return code, out.getvalue(), err.getvalue()


ASSOCIATION = {'id': 3, 'peer-group-id': 1, 'system-peer-id': 1, 'peer-group-priority': 2,
               'association-type': 'primary', 'sync-status': 'syncing', 'sync-message': None,
               'created-at': '2026-12-03 14:06:40', 'updated-at': None}


def test_sync_wait_polls_until_in_sync(site):
    site.routes['PATCH /v1.0/peer-group-associations/3/sync'] = [(200, ASSOCIATION)]
    site.routes['GET /v1.0/peer-group-associations/3'] = [
        (200, ASSOCIATION), (200, ASSOCIATION),
        (200, dict(ASSOCIATION, **{'sync-status': 'in-sync'}))]
    code, out, err = run(site, 'peer-group-association', 'sync', '3', '--wait',
                         '--poll-interval', '0.01', '-f', 'value', '-c', 'sync_status')
    assert (code, out) == (0, 'syncing\n')
    assert err.splitlines() == ['sync association 3: syncing, 0 s elapsed',
                                'sync association 3: in-sync, 0 s elapsed']
    keys = [key for key, _, _ in site.seen]
    assert keys == ['PATCH /v1.0/peer-group-associations/3/sync'] + [
        'GET /v1.0/peer-group-associations/3'] * 3
    _, headers, body = site.seen[0]
    assert (body, headers['content-type']) == (b'', 'application/json')


def test_sync_wait_failed(site):
    site.routes['PATCH /v1.0/peer-group-associations/3/sync'] = [(200, ASSOCIATION)]
    site.routes['GET /v1.0/peer-group-associations/3'] = [
        (200, dict(ASSOCIATION, **{'sync-status': 'failed', 'sync-message': 'peer down'}))]
    code, out, err = run(site, 'peer-group-association', 'sync', '3', '--wait',
                         '--poll-interval', '0.01', '-f', 'value', '-c', 'id')
    assert code == 1
    assert err.splitlines()[-1] == 'FAILED association 3: failed: peer down'


def test_sync_wait_timeout(site):
    site.routes['PATCH /v1.0/peer-group-associations/3/sync'] = [(200, ASSOCIATION)]
    site.routes['GET /v1.0/peer-group-associations/3'] = [(200, ASSOCIATION)]
    code, out, err = run(site, 'peer-group-association', 'sync', '3', '--wait',
                         '--wait-timeout', '0.05', '--poll-interval', '0.01', '-f', 'value',
                         '-c', 'id')
    assert code == 1
    assert err.splitlines()[-1] == ('ERROR (app) sync association 3 did not finish within '
                                    '0.05 s (syncing)')


def member(name, status, error='No errors present'):
    return {'id': 1, 'name': name, 'deploy-status': status, 'error-description': error,
            'endpoint_sync_status': [{'endpoint_type': 'platform', 'sync_status': 'unknown'}]}


def test_migrate_wait(site):
    group = {'peer_group_name': 'pg1', 'migration_status': 'migrating'}
    site.routes['PATCH /v1.0/subcloud-peer-groups/pg1/migrate'] = [
        (200, {'subclouds': [member('sc1', 'secondary'), member('sc2', 'secondary')]})]
    site.routes['GET /v1.0/subcloud-peer-groups/pg1'] = [
        (200, group), (200, dict(group, migration_status='complete'))]
    site.routes['GET /v1.0/subcloud-peer-groups/pg1/subclouds'] = [
        (200, {'subclouds': [member('sc1', 'rehoming'), member('sc2', 'secondary')]}),
        (200, {'subclouds': [member('sc1', 'complete'),
                             member('sc2', 'rehome-failed', 'connection refused')]})]
    code, out, err = run(site, 'subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password',
                         'Sysadmin*1', '--wait', '--poll-interval', '0.01')
    assert code == 1
    header = out.splitlines()[1]
    assert [c.strip() for c in header.strip('|').split('|')][:3] == ['id', 'name',
                                                                    'description']
    assert len(header.strip('|').split('|')) == 21  # endpoint_sync_status ignored
    assert err.splitlines() == [
        'migrate pg1: 0/2 complete, 0 failed, 2 remaining, 0 s elapsed',
        'migrate pg1: 1/2 complete, 1 failed, 0 remaining, 0 s elapsed',
        'FAILED sc2: rehome-failed: connection refused']
    _, headers, body = site.seen[0]
    assert json.loads(body) == {'sysadmin_password': 'U3lzYWRtaW4qMQ=='}


def test_migrate_cancelled_sends_nothing(site):
    code, out, err = run(site, 'subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password',
                         'x', stdin='n\n', environ={'CLI_CONFIRMATIONS': 'enabled'})
    assert (code, out, site.seen) == (1, '', [])
    assert err.splitlines() == [
        'Migrate subcloud peer group pg1 to this site? Type "yes" to continue: ',
        'ERROR (app) Cancelled: nothing was changed']


def test_subcloud_list_hides_secondaries_unless_all(site):
    docs = [dict(member('sc1', 'complete'), **{'management-state': 'managed'}),
            member('sc2', 'secondary'), member('sc3', 'secondary-failed')]
    site.routes['GET /v1.0/subclouds'] = [(200, {'subclouds': docs})]
    code, out, _ = run(site, 'subcloud', 'list', '-f', 'value', '-c', 'name')
    assert (code, out) == (0, 'sc1\n')
    code, out, _ = run(site, 'subcloud', 'list', '--all', '-f', 'value', '-c', 'name')
    assert out.split() == ['sc1', 'sc2', 'sc3']
    code, out, _ = run(site, 'subcloud', 'list', '-f', 'json')
    assert list(json.loads(out)[0]) == ['id', 'name', 'management', 'availability',
                                        'deploy status', 'sync', 'backup status',
                                        'prestage status']
    code, out, _ = run(site, 'subcloud', 'list', '-d', '-f', 'json')
    assert list(json.loads(out)[0])[7:9] == ['deploy_status', 'sync']


def test_errors_and_api_error(site):
    site.routes['GET /v1.0/subclouds/sc1'] = [(200, {'error-description': 'it broke'})]
    site.routes['GET /v1.0/subclouds/sc2'] = [(200, {'error-description': None})]
    assert run(site, 'subcloud', 'errors', 'sc1')[:2] == (0, 'it broke\n')
    assert run(site, 'subcloud', 'errors', 'sc2')[:2] == (0, 'No errors present\n')
    code, out, err = run(site, 'subcloud', 'errors', 'sc9')
    assert (code, out, err) == (1, '', 'ERROR (app) no route GET /v1.0/subclouds/sc9\n')


def test_delete_prints_nothing(site):
    site.routes['DELETE /v1.0/subcloud-groups/edge'] = [(200, None)]
    assert run(site, 'subcloud-group', 'delete', 'edge') == (0, '', '')
    assert run(site, 'subcloud-group', 'delete', 'edge', '--yes', stdin='no\n',
               environ={'CLI_CONFIRMATIONS': 'enabled'}) == (0, '', '')

"""What the CLI puts on the wire, read by a recording server (``stub_server.py``) that answers
with the api-ref's sample bodies: the request bodies of client-contract.md section 4 (JSON key
spellings, defaults, base64 passwords, the multipart form of subcloud add/update/manage/unmanage
with file parts named by the path as typed, the empty body of an association sync). The real
server accepts more than the reference sends; only here would a CLI that sends something else
be caught."""

import base64
import email.parser
import email.policy
import json
import pathlib

import pytest

from tests import subcloud_forms as forms
from tests.integration.cli import columns, harness
from tests.integration.cli.stub_server import StubServer

SAMPLES = pathlib.Path(__file__).resolve().parents[3] / 'api-ref' / 'source' / 'samples'
PEER_PASSWORD = 'Peer-Pa55-Ibex'


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


@pytest.fixture
def cli(bare_cli, stub):
    return bare_cli.derive(args=['--dcmanager-url', stub.url], secrets=[PEER_PASSWORD])


def _only(stub, method):
    sent = [r for r in stub.requests if r.method == method]
    assert len(sent) == 1, stub.requests
    return sent[0]


def _json(request):
    assert request.headers['content-type'].split(';')[0] == 'application/json', request.headers
    return json.loads(request.body)


def multipart(request):
    """[(name, filename or None, data bytes, part headers)] of a multipart/form-data body."""
    content_type = request.headers['content-type']
    assert content_type.startswith('multipart/form-data; boundary='), content_type
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b'Content-Type: ' + content_type.encode() + b'\r\n\r\n' + request.body)
    parts = []
    for part in message.iter_parts():
        disposition = part['Content-Disposition']
        params = dict(part['Content-Disposition'].params)
        assert disposition.content_disposition == 'form-data', disposition
        parts.append((params['name'], params.get('filename'), part.get_payload(decode=True),
                      dict(part.items())))
    return parts


def _fields(parts):
    return {name: data.decode() for name, filename, data, _ in parts if filename is None}


def test_subcloud_group_add_defaults(cli, stub):
    stub.answer('POST', '/v1.0/subcloud-groups', 200,
                sample('subcloud-groups/subcloud-group-create-resp.json'))
    cli('subcloud-group', 'add', '--name', 'edge').ok()
    body = _json(_only(stub, 'POST'))
    assert {k: str(v) for k, v in body.items()} == {
        'name': 'edge', 'description': 'No description provided',
        'update_apply_type': 'parallel', 'max_parallel_subclouds': '2'}


def test_subcloud_group_update_sends_the_given_keys(cli, stub):
    stub.answer('PATCH', '/v1.0/subcloud-groups/edge', 200,
                sample('subcloud-groups/subcloud-group-update-resp.json'))
    cli('subcloud-group', 'update', 'edge', '--description', 'Edge', '--max_parallel_subclouds',
        '4').ok()
    body = _json(_only(stub, 'PATCH'))
    assert {k: str(v) for k, v in body.items()} == {'description': 'Edge',
                                                    'max_parallel_subclouds': '4'}


def test_peer_group_add_keys_are_hyphenated(cli, stub):
    stub.answer('POST', '/v1.0/subcloud-peer-groups', 200,
                sample('subcloud-peer-groups/subcloud-peer-group-show-resp.json'))
    cli('subcloud-peer-group', 'add', '--peer-group-name', 'pg1', '--max-subcloud-rehoming',
        '5').ok()
    body = _json(_only(stub, 'POST'))
    assert {k: str(v) for k, v in body.items()} == {
        'peer-group-name': 'pg1', 'group-state': 'enabled', 'max-subcloud-rehoming': '5'}


def test_association_add_and_its_empty_sync(cli, stub):
    shown = sample('peer-group-associations/peer-group-association-show-resp.json')
    stub.answer('POST', '/v1.0/peer-group-associations', 200, shown)
    stub.answer('PATCH', '/v1.0/peer-group-associations/7/sync', 200, shown)
    cli('peer-group-association', 'add', '--peer-group-id', '1', '--system-peer-id', '2',
        '--peer-group-priority', '3').ok()
    body = _json(_only(stub, 'POST'))
    assert body == {'peer_group_id': '1', 'system_peer_id': '2', 'peer_group_priority': 3}
    cli('peer-group-association', 'sync', '7').ok()
    sync = _only(stub, 'PATCH')
    assert sync.path == '/v1.0/peer-group-associations/7/sync'
    assert sync.body == b'' and sync.headers.get('content-length', '0') == '0'
    assert sync.headers['content-type'].split(';')[0] == 'application/json'


def test_system_peer_add_sends_the_password_in_base64(cli, stub):
    stub.answer('POST', '/v1.0/system-peers', 200,
                sample('system-peers/system-peer-create-resp.json'))
    got = cli('system-peer', 'add', '--peer-uuid', 'u-1', '--peer-name', 'site-b',
              '--manager-endpoint', 'http://127.0.0.1:5010/v3', '--manager-password',
              PEER_PASSWORD, '--peer-controller-gateway-address', '127.19.0.2').ok()
    assert PEER_PASSWORD not in got.out
    body = _json(_only(stub, 'POST'))
    assert body.pop('manager_password') == b64(PEER_PASSWORD)
    assert {k: str(v) for k, v in body.items()} == {
        'peer_uuid': 'u-1', 'peer_name': 'site-b', 'manager_endpoint': 'http://127.0.0.1:5010/v3',
        'manager_username': 'admin', 'peer_controller_gateway_address': '127.19.0.2',
        'administrative_state': 'enabled', 'heartbeat_interval': '60',
        'heartbeat_failure_threshold': '3', 'heartbeat_failure_policy': 'alarm',
        'heartbeat_maintenance_timeout': '600'}


def test_subcloud_add_is_multipart_with_the_file_named_as_typed(cli, stub):
    stub.answer('POST', '/v1.0/subclouds', 200, sample('subclouds/subcloud-create-resp.json'))
    workdir = pathlib.Path(cli.home) / 'obs'
    workdir.mkdir(parents=True, exist_ok=True)
    values = (SAMPLES / 'subclouds' / 'subcloud-bootstrap-values.yaml').read_bytes()
    (workdir / 'bootstrap-sc1.yaml').write_bytes(values)
    cli('subcloud', 'add', '--bootstrap-address', '127.0.7.1', '--bootstrap-values',
        'obs/bootstrap-sc1.yaml', '--sysadmin-password', forms.SYSADMIN_PASSWORD, '--group',
        'Default').ok()
    parts = multipart(_only(stub, 'POST'))
    files = {name: (filename, data) for name, filename, data, _ in parts if filename}
    assert files == {'bootstrap_values': ('obs/bootstrap-sc1.yaml', values)}
    assert _fields(parts) == {'bootstrap-address': '127.0.7.1',
                              'sysadmin_password': b64(forms.SYSADMIN_PASSWORD),
                              'group_id': 'Default'}
    # plain parts: no per-part Content-Type
    assert all('Content-Type' not in headers for *_, headers in parts), parts


def test_subcloud_update_manage_unmanage_forms(cli, stub):
    answer = sample('subclouds/subcloud-update-resp.json')
    stub.answer('PATCH', '/v1.0/subclouds/sc1', 200, answer)
    cli('subcloud', 'update', 'sc1', '--bootstrap-address', '127.0.7.9', '--peer-group',
        'none', '--description', 'Edge').ok()
    cli('subcloud', 'manage', 'sc1', '--force').ok()
    cli('subcloud', 'unmanage', 'sc1', '--migrate', '--yes').ok()
    update, manage, unmanage = [multipart(r) for r in stub.requests]
    assert _fields(update) == {'bootstrap_address': '127.0.7.9', 'peer_group': 'none',
                               'description': 'Edge'}
    assert _fields(manage) == {'management-state': 'managed', 'force': 'true'}
    assert _fields(unmanage) == {'management-state': 'unmanaged', 'migrate': 'true'}


def test_migrate_sends_the_sysadmin_password_in_base64(cli, stub):
    stub.answer('PATCH', '/v1.0/subcloud-peer-groups/pg1/migrate', 200,
                sample('subcloud-groups/subcloud-group-subclouds-list-resp.json'))
    cli('subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password',
        forms.SYSADMIN_PASSWORD).ok()
    assert _json(_only(stub, 'PATCH')) == {'sysadmin_password': b64(forms.SYSADMIN_PASSWORD)}


def test_a_delete_sends_no_body(cli, stub):
    stub.answer('DELETE', '/v1.0/subclouds/sc1', 200, {})
    got = cli('subcloud', 'delete', 'sc1', '--yes')
    assert (got.code, got.out, got.err) == (0, '', ''), got
    assert _only(stub, 'DELETE').body == b''


def test_rows_with_endpoint_sync_status_do_not_break_the_table(cli, stub):
    """Trap T1: the reference's table crashes on list-subclouds/migrate rows that carry
    endpoint_sync_status; ours shows the 21 columns and ignores the extra keys."""
    listed = sample('subcloud-groups/subcloud-group-subclouds-list-resp.json')
    for row in listed['subclouds']:
        row['endpoint_sync_status'] = [{'endpoint_type': 'platform', 'sync_status': 'in-sync'},
                                       {'endpoint_type': 'identity', 'sync_status': 'in-sync'},
                                       {'endpoint_type': 'dc-cert', 'sync_status': 'unknown'}]
    stub.answer('GET', '/v1.0/subcloud-groups/g1/subclouds', 200, listed)
    stub.answer('PATCH', '/v1.0/subcloud-peer-groups/pg1/migrate', 200, listed)
    for argv in (['subcloud-group', 'list-subclouds', 'g1'],
                 ['subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password', 'x']):
        header, rows = harness.table(cli(*argv).ok().out)
        assert header == list(columns.SUBCLOUD_DETAIL21)
        assert [r[1] for r in rows] == [s['name'] for s in listed['subclouds']]


def test_alarm_summary_shows_unknown_counts_and_names_as_a_dash(cli, stub):
    summary = sample('alarms/alarms-list-resp.json')
    summary['alarm_summary'].append({'region_name': '', 'critical_alarms': 0,
                                     'major_alarms': 0, 'minor_alarms': 0, 'warnings': 0,
                                     'cloud_status': 'OK'})
    stub.answer('GET', '/v1.0/alarms', 200, summary)
    rows = harness.table_dicts(cli('alarm', 'summary').ok().out)

    def shown(value):
        return '-' if isinstance(value, int) and value < 0 else str(value)

    assert rows == [{'NAME': row['region_name'] or '-',
                     **{name: shown(row[key]) for name, key in columns.ALARMS.items()
                        if name != 'NAME'}} for row in summary['alarm_summary']]


def test_errors_of_a_subcloud_without_any(cli, stub):
    body = sample('subclouds/subcloud-show-resp.json')
    body['error-description'] = None
    stub.answer('GET', '/v1.0/subclouds/sc1', 200, body)
    assert cli('subcloud', 'errors', 'sc1').ok().out == 'No errors present\n'


def test_an_html_error_page_is_read_as_the_reference_reads_it(cli, stub):
    page = (SAMPLES / 'subcloud-groups' / 'subcloud-group-error-html-resp.html').read_text()
    stub.answer('POST', '/v1.0/subcloud-groups', 409, page, content_type='text/html')
    got = cli('subcloud-group', 'add', '--name', 'Default')
    assert (got.code, got.out) == (1, ''), got
    assert got.err == ('ERROR (app) There was a conflict when trying to complete your '
                       'request.\nDetails: A subcloud group with this name already exists\n')


def test_list_hides_secondary_and_secondary_failed_unless_all(cli, stub):
    listed = {'subclouds': []}
    for n, state in enumerate(('complete', 'secondary', 'secondary-failed', 'rehome-failed'), 1):
        row = sample('subclouds/subcloud-show-resp.json')
        row.update({'id': n, 'name': 'sc%d' % n, 'deploy-status': state})
        listed['subclouds'].append(row)
    stub.answer('GET', '/v1.0/subclouds', 200, listed)
    shown = [r['name'] for r in harness.table_dicts(cli('subcloud', 'list').ok().out)]
    assert shown == ['sc1', 'sc4']
    every = [r['name'] for r in harness.table_dicts(cli('subcloud', 'list', '--all').ok().out)]
    assert every == ['sc1', 'sc2', 'sc3', 'sc4']


def test_update_prints_the_info_message_above_the_table(cli, stub):
    answer = dict(sample('subclouds/subcloud-update-resp.json'),
                  info_message='The bootstrap values are saved for the next rehome')
    stub.answer('PATCH', '/v1.0/subclouds/sc1', 200, answer)
    got = cli('subcloud', 'update', 'sc1', '--description', 'Edge').ok()
    first, rest = got.out.split('\n', 1)
    assert first == answer['info_message']
    shown = harness.show_table(rest)
    assert 'info_message' not in shown and 'region_name' not in shown
    assert shown['name'] == answer['name']

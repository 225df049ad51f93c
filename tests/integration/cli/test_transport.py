"""How the CLI talks HTTP in token-and-URL mode, and what it says when the server fails it:
a server that never answers (a real listening socket that reads nothing) gives the one-line
timeout error within ``--timeout``, a port where nothing listens gives "Unable to reach", a 500
with an empty body and a plain-text error body are printed as the contract says; the requests
go to ``<root>/v1.0/<path>`` whatever the URL's form, with ``Accept: application/json`` and the
token only when one is given.

The bounded runs have a short run timeout of their own: a CLI that hangs fails the test (and is
killed by its pid) instead of hanging it.
"""

import pytest

from tests.integration import sim_fixture
from tests.integration.cli import harness
from tests.integration.cli.stub_server import StubServer
from tests.services import free_port

BOUND = 30  # the run's own limit: far above --timeout, far below a hang
EMPTY_500 = ('The server has either erred or is incapable of performing the requested '
             'operation.')
NO_GROUPS = {'subcloud_groups': []}


@pytest.fixture
def hanging():
    with sim_fixture.HangingListener('127.0.0.1', [0]) as listener:
        yield listener


@pytest.mark.parametrize('timeout', ['1', '0.5'])
def test_a_server_that_never_answers_times_out_in_one_line(bare_cli, hanging, timeout):
    url = 'http://127.0.0.1:%d' % hanging.ports[0]
    got = bare_cli('--dcmanager-url', url, '--timeout', timeout, 'subcloud', 'list',
                   timeout=BOUND)
    assert got.error() == 'dcmanager at %s did not answer within %s s' % (url, timeout)
    assert hanging.accepted >= 1


def test_the_timeout_comes_from_the_environment_too(bare_cli, hanging):
    url = 'http://127.0.0.1:%d' % hanging.ports[0]
    got = bare_cli('subcloud-group', 'list', env={'DCMANAGER_URL': url,
                                                  'DCMANAGER_TIMEOUT': '1'}, timeout=BOUND)
    assert got.error() == 'dcmanager at %s did not answer within 1 s' % url


def test_a_server_that_is_down_is_unable_to_reach(bare_cli):
    url = 'http://127.0.0.1:%d' % free_port()
    got = bare_cli('--dcmanager-url', url, 'subcloud', 'show', 'subcloud1', timeout=BOUND)
    message = got.error()
    prefix = 'Unable to reach dcmanager at %s: ' % url
    assert message.startswith(prefix), message
    assert 'refused' in message[len(prefix):].lower(), message


def test_a_500_with_an_empty_body(bare_cli):
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups', 500, b'', content_type=None)
        got = bare_cli('--dcmanager-url', stub.url, 'subcloud-group', 'list')
    assert got.error() == EMPTY_500


def test_a_plain_text_error_body_is_printed_as_it_is(bare_cli):
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups/g1', 503, 'Service Unavailable: try later',
                    content_type='text/plain')
        got = bare_cli('--dcmanager-url', stub.url, 'subcloud-group', 'show', 'g1')
    assert got.error() == 'Service Unavailable: try later'


def test_a_json_error_prints_its_description(bare_cli):
    with StubServer() as stub:
        stub.answer('DELETE', '/v1.0/subcloud-groups/g1', 409,
                    {'code': 409, 'title': 'Conflict', 'description': 'Group g1 is in use'})
        got = bare_cli('--dcmanager-url', stub.url, 'subcloud-group', 'delete', 'g1', '--yes')
    assert got.error() == 'Group g1 is in use'


@pytest.mark.parametrize('suffix', ['', '/', '/v1.0', '/v1.0/'])
def test_the_path_is_joined_once_whatever_the_url_form(bare_cli, suffix):
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups', 200, NO_GROUPS)
        got = bare_cli('--dcmanager-url', stub.url + suffix, 'subcloud-group', 'list', '-f',
                       'json')
        paths = [r.path.split('?')[0] for r in stub.requests]
    # an empty list is one row of <none> in every format, as the reference prints it
    assert got.json() == [{'id': '<none>', 'name': '<none>', 'description': '<none>'}], got
    assert paths == ['/v1.0/subcloud-groups'] or paths == ['/v1.0/subcloud-groups/'], paths


def test_headers_without_and_with_a_token(bare_cli):
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups', 200, NO_GROUPS)
        bare_cli('--dcmanager-url', stub.url, 'subcloud-group', 'list').ok()
        token = 'gAAAA-not-a-real-token-42'
        cli = bare_cli.derive(secrets=[token])
        cli('--dcmanager-url', stub.url, '--os-auth-token', token, 'subcloud-group',
            'list').ok()
        first, second = stub.requests
    assert first.headers['accept'] == 'application/json'
    assert 'x-auth-token' not in first.headers
    assert second.headers['x-auth-token'] == token


def test_an_empty_list_prints_one_row_of_none(bare_cli):
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups', 200, NO_GROUPS)
        got = bare_cli('--dcmanager-url', stub.url, 'subcloud-group', 'list').ok()
    header, rows = harness.table(got.out)
    assert header == ['id', 'name', 'description']
    assert rows == [['<none>', '<none>', '<none>']]


def test_in_token_and_url_mode_a_401_is_not_repeated(bare_cli):
    """No Keystone to get another token from: one request, and the server's message."""
    with StubServer() as stub:
        stub.answer('GET', '/v1.0/subcloud-groups', 401,
                    {'code': 401, 'title': 'Unauthorized', 'description': 'Token expired'})
        message = bare_cli('--dcmanager-url', stub.url, '--os-auth-token', 'tok',
                           'subcloud-group', 'list').error()
        assert len(stub.requests) == 1, stub.requests
    assert message == 'Token expired'

"""The CLI's Keystone modes against site A of the two real sites (its own Keystone): password
(environment or options), token, ``OS_CLOUD`` with a clouds.yaml in each place it is looked for
(command-line values override it), token-and-URL on a Keystone site; the catalog's ``public``
endpoint found with ``--os-interface public`` (and its aliases), the default ``internal``
failing clearly; a Keystone that refuses or never answers gives its one-line error. No password
or token is printed, ever (the harness checks every run)."""

import os

import pytest
import requests
import yaml

from tests.integration import sim_fixture, two_sites
from tests.integration.cli import harness
from tests.integration.cli.stub_server import StubServer
from tests.services import free_port

pytestmark = pytest.mark.keystone

BOUND = 30


@pytest.fixture(scope='module')
def site(geo):
    return geo.a


@pytest.fixture
def env(geo, site):
    return geo.keystone_env(site)


@pytest.fixture
def cli(geo, tmp_path):
    """No configuration; a home of the test's own; every password of both sites secret."""
    return harness.Cli(tmp_path / 'home', secrets=geo.secrets())


def _groups(site):
    return [g['name'] for g in site.get('subcloud-groups')['subcloud_groups']]


def _works(got, site):
    assert [g['name'] for g in got.json()] == _groups(site), got


def test_password_from_the_environment(cli, env, site):
    _works(cli('subcloud-group', 'list', '-f', 'json', env=env), site)


def test_password_from_options(cli, env, site):
    _works(cli('--os-auth-url', env['OS_AUTH_URL'], '--os-username', env['OS_USERNAME'],
               '--os-password', env['OS_PASSWORD'], '--os-project-name', 'admin',
               '--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default',
               '--os-region-name', 'SystemController', '--os-interface', 'public',
               'subcloud-group', 'list', '-f', 'json'), site)


def test_password_in_one_argument(cli, env, site):
    """``--os-password=<it>``: how an operator passes a password that begins with ``-``."""
    _works(cli('--os-auth-url', env['OS_AUTH_URL'], '--os-username', env['OS_USERNAME'],
               '--os-password=' + env['OS_PASSWORD'], '--os-project-name', 'admin',
               '--os-region-name', 'SystemController', '--os-interface', 'public',
               'subcloud-group', 'list', '-f', 'json'), site)


def test_domains_default_to_default(cli, env, site):
    env = {k: v for k, v in env.items() if 'DOMAIN' not in k}
    _works(cli('subcloud-group', 'list', '-f', 'json', env=env), site)


@pytest.mark.parametrize('option', [('--os-interface', 'publicURL'),
                                    ('--os-endpoint-type', 'public'),
                                    ('--os-endpoint-type', 'publicURL')])
def test_interface_aliases(cli, env, site, option):
    env = dict(env)
    env.pop('OS_INTERFACE')
    _works(cli(*option, 'subcloud-group', 'list', '-f', 'json', env=env), site)


def test_endpoint_type_from_the_environment(cli, env, site):
    env = dict(env, OS_ENDPOINT_TYPE='publicURL')
    env.pop('OS_INTERFACE')
    _works(cli('subcloud-group', 'list', '-f', 'json', env=env), site)


def test_the_default_internal_interface_fails_clearly(cli, env):
    env = dict(env)
    env.pop('OS_INTERFACE')
    message = cli('subcloud-group', 'list', env=env).error()
    assert 'internal' in message and 'dcmanager' in message, message


def test_a_given_url_needs_no_catalog(cli, env, site):
    env = dict(env)
    env.pop('OS_INTERFACE')
    _works(cli('--dcmanager-url', site.url, 'subcloud-group', 'list', '-f', 'json', env=env),
           site)


def test_token_mode(cli, site):
    token = site.token()
    cli = cli.derive(secrets=[token])
    _works(cli('subcloud-group', 'list', '-f', 'json', env={
        'OS_AUTH_URL': site.keystone.url, 'OS_AUTH_TOKEN': token,
        'OS_INTERFACE': 'public', 'OS_REGION_NAME': 'SystemController'}), site)


def test_token_and_url_without_keystone(cli, site):
    token = site.token()
    cli = cli.derive(secrets=[token])
    _works(cli('--dcmanager-url', site.url, '--os-auth-token', token, 'subcloud-group',
               'list', '-f', 'json'), site)


def test_no_token_on_a_keystone_site_prints_the_servers_refusal(cli, site):
    refused = requests.get(site.url + '/v1.0/subcloud-groups', timeout=30,
                           headers={'Accept': 'application/json'})
    assert refused.status_code == 401
    # The body's description, else (keystonemiddleware's shape)
    # error.message, else the raw body
    body = refused.json()
    expected = body.get('description') or body['error']['message']
    assert cli('--dcmanager-url', site.url, 'subcloud-group', 'list').error() == expected


def test_a_wrong_password_is_one_line(cli, env, site):
    wrong = 'Wr0ng-Pa55-Tapir'
    cli = cli.derive(secrets=[wrong])
    cli('subcloud-group', 'list', env=dict(env, OS_PASSWORD=wrong)).error()


def _clouds(path, site, password, **more):
    account = site.keystone.users[two_sites.ADMIN_USER]
    cloud = {'auth': {'auth_url': site.keystone.url, 'username': account.name,
                      'password': password, 'project_name': account.project,
                      'user_domain_name': 'Default', 'project_domain_name': 'Default'},
             'region_name': 'SystemController', 'interface': 'public'}
    cloud.update(more)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': {'site-a': cloud}}, f)
    return path


def _password(site):
    return site.keystone.users[two_sites.ADMIN_USER].password


def test_os_cloud_from_os_client_config_file(cli, site, tmp_path):
    path = _clouds(str(tmp_path / 'conf' / 'my-clouds.yaml'), site, _password(site))
    _works(cli('subcloud-group', 'list', '-f', 'json', env={
        'OS_CLOUD': 'site-a', 'OS_CLIENT_CONFIG_FILE': path}), site)


def test_os_cloud_from_the_home_directory(cli, site):
    _clouds(os.path.join(cli.home, '.config', 'openstack', 'clouds.yaml'), site,
            _password(site))
    _works(cli('--os-cloud', 'site-a', 'subcloud-group', 'list', '-f', 'json'), site)


def test_os_cloud_from_the_working_directory(cli, site, tmp_path):
    workdir = tmp_path / 'here'
    _clouds(str(workdir / 'clouds.yaml'), site, _password(site))
    _works(cli('subcloud-group', 'list', '-f', 'json', env={'OS_CLOUD': 'site-a'},
               cwd=str(workdir)), site)


def test_command_line_values_override_clouds_yaml(cli, site, tmp_path):
    wrong = 'Wr0ng-Pa55-Gecko'
    cli = cli.derive(secrets=[wrong])
    path = _clouds(str(tmp_path / 'clouds.yaml'), site, wrong, interface='internal')
    env = {'OS_CLOUD': 'site-a', 'OS_CLIENT_CONFIG_FILE': path}
    cli('subcloud-group', 'list', env=env).error()
    _works(cli('--os-password', _password(site), '--os-interface', 'public', 'subcloud-group',
               'list', '-f', 'json', env=env), site)


def test_a_keystone_that_is_down(cli, env):
    url = 'http://127.0.0.1:%d/v3' % free_port()
    message = cli('subcloud-group', 'list', env=dict(env, OS_AUTH_URL=url),
                  timeout=BOUND).error()
    prefix = 'Unable to reach Keystone at %s: ' % url
    assert message.startswith(prefix) and 'refused' in message[len(prefix):].lower(), message


def test_a_keystone_that_never_answers(cli, env):
    with sim_fixture.HangingListener('127.0.0.1', [0]) as hanging:
        url = 'http://127.0.0.1:%d/v3' % hanging.ports[0]
        message = cli('--timeout', '1', 'subcloud-group', 'list',
                      env=dict(env, OS_AUTH_URL=url), timeout=BOUND).error()
    assert message == 'Keystone at %s did not answer within 1 s' % url


REFUSED = {'error': {'code': 401, 'title': 'Unauthorized', 'message': 'Token expired'}}


@pytest.mark.parametrize('status', [401, 403])
def test_a_refusal_is_answered_by_a_new_token_and_one_more_try(cli, env, status):
    """A 401 (and, with Keystone auth, a 403) re-authenticates once and repeats the
    request once (also a write)."""
    with StubServer() as stub:
        stub.answer_in_turn('DELETE', '/v1.0/subcloud-groups/g1', (status, REFUSED), (200, {}))
        got = cli('--dcmanager-url', stub.url, 'subcloud-group', 'delete', 'g1', env=env)
        assert (got.code, got.out, got.err) == (0, '', ''), got
        first, second = stub.requests
    assert (first.method, second.method) == ('DELETE', 'DELETE')
    assert first.headers['x-auth-token'] and second.headers['x-auth-token']


def test_a_second_401_is_the_error(cli, env):
    with StubServer() as stub:
        stub.answer_in_turn('GET', '/v1.0/subcloud-groups', (401, REFUSED))
        message = cli('--dcmanager-url', stub.url, 'subcloud-group', 'list', env=env).error()
        assert len(stub.requests) == 2, stub.requests
    assert message == 'Token expired'


@pytest.mark.parametrize('interface', ['public', 'internal'])
def test_debug_output_holds_no_password_or_token(cli, env, site, interface):
    """--debug logs the HTTP exchanges (and a failure's traceback): still no secret (the
    harness checks every run's output for every password of both sites)."""
    got = cli('--debug', '-v', 'subcloud-group', 'list', env=dict(env, OS_INTERFACE=interface))
    assert got.code == (0 if interface == 'public' else 1), got
    assert got.err, 'nothing logged with --debug'
    # the token this run was issued is not known in advance: Keystone's are Fernet tokens
    assert site.token().startswith('gAAAAA')
    assert 'gAAAAA' not in got.out + got.err, 'a token was printed'

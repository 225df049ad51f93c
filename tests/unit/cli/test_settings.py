"""Global options, their environment variables and clouds.yaml, merged into the settings that
choose the authentication mode (parsed by the app's real option parser)."""

import pytest
import yaml

from dcmanager.cli import app, errors, settings


def resolve(argv, environ=None):
    environ = dict(environ or {})
    application = app.DCManagerApp(environ=environ)
    options, _ = application.parser.parse_known_args(argv)
    return settings.from_options(options, environ)


def test_url_mode_with_and_without_token():
    s = resolve(['--dcmanager-url', 'http://127.0.0.1:8119'])
    assert (s.mode, s.dcmanager_url, s.token) == ('url', 'http://127.0.0.1:8119', None)
    s = resolve([], {'DCMANAGER_URL': 'http://127.0.0.1:8119', 'OS_AUTH_TOKEN': 't'})
    assert (s.mode, s.token) == ('url', 't')


def test_keystone_modes():
    env = {'OS_AUTH_URL': 'http://127.0.0.1:5000/v3', 'OS_USERNAME': 'dc-admin',
           'OS_PASSWORD': 'pw', 'OS_PROJECT_NAME': 'admin'}
    s = resolve([], env)
    assert (s.mode, s.username, s.project_name, s.interface) == (
        'password', 'dc-admin', 'admin', 'internal')
    assert 'pw' not in repr(s)
    s = resolve(['--os-auth-token', 'tok'], {'OS_AUTH_URL': 'http://127.0.0.1:5000/v3'})
    assert s.mode == 'token' and 'tok' not in repr(s)


@pytest.mark.parametrize('argv, environ, expected', [
    ([], {}, 'internal'),
    (['--os-interface', 'publicURL'], {}, 'public'),
    (['--os-endpoint-type', 'admin'], {}, 'admin'),
    ([], {'OS_ENDPOINT_TYPE': 'publicURL'}, 'public'),
    ([], {'OS_INTERFACE': 'public', 'OS_ENDPOINT_TYPE': 'admin'}, 'public'),
])
def test_interface(argv, environ, expected):
    environ = dict(environ, DCMANAGER_URL='http://127.0.0.1:8119')
    assert resolve(argv, environ).interface == expected


def test_bad_interface_from_the_environment():
    with pytest.raises(errors.CommandError, match='--os-interface must be one of'):
        resolve([], {'DCMANAGER_URL': 'http://127.0.0.1:8119', 'OS_INTERFACE': 'private'})


@pytest.mark.parametrize('text, ok', [('2', True), ('0.5', True), ('0', False), ('-1', False),
                                      ('soon', False), ('inf', False)])
def test_timeout(text, ok):
    argv = ['--dcmanager-url', 'http://127.0.0.1:8119', '--timeout', text]
    if ok:
        s = resolve(argv)
        assert (s.timeout, s.timeout_text) == (float(text), text)
    else:
        with pytest.raises(errors.CommandError, match='--timeout must be a positive number'):
            resolve(argv)


def test_default_timeout_and_tls():
    s = resolve(['--dcmanager-url', 'https://127.0.0.1:8119'])
    assert (s.timeout, s.timeout_text, s.verify) == (60.0, '60', True)
    assert resolve(['--dcmanager-url', 'https://127.0.0.1', '--insecure']).verify is False
    assert resolve(['--dcmanager-url', 'https://127.0.0.1', '--os-cacert', '/ca.pem']).verify \
        == '/ca.pem'


def test_nothing_to_connect_to():
    with pytest.raises(errors.CommandError) as info:
        resolve([])
    assert str(info.value) == settings.NO_ENDPOINT


def test_auth_url_without_credentials():
    with pytest.raises(errors.CommandError, match='needs --os-password'):
        resolve(['--os-auth-url', 'http://127.0.0.1:5000/v3'])


def test_clouds_yaml_filled_in_and_overridden(tmp_path):
    path = tmp_path / 'clouds.yaml'
    path.write_text(yaml.safe_dump({'clouds': {'site-a': {
        'auth': {'auth_url': 'http://127.0.0.1:5000/v3', 'username': 'dc-admin',
                 'password': 'from-file', 'project_name': 'admin',
                 'user_domain_name': 'Default', 'project_domain_name': 'Default'},
        'region_name': 'SystemController', 'interface': 'public'}}}))
    env = {'OS_CLIENT_CONFIG_FILE': str(path)}
    s = resolve(['--os-cloud', 'site-a'], env)
    assert (s.mode, s.auth_url, s.username, s.password, s.region_name, s.interface) == (
        'password', 'http://127.0.0.1:5000/v3', 'dc-admin', 'from-file', 'SystemController',
        'public')
    s = resolve(['--os-cloud', 'site-a', '--os-password', 'typed', '--os-interface', 'admin'],
                dict(env, OS_USERNAME='other'))
    assert (s.password, s.interface, s.username) == ('typed', 'admin', 'other')
    s = resolve([], dict(env, OS_CLOUD='site-a'))
    assert s.username == 'dc-admin'


def test_unknown_cloud(tmp_path):
    path = tmp_path / 'clouds.yaml'
    path.write_text('clouds: {}\n')
    with pytest.raises(errors.CommandError, match='Cloud nope was not found'):
        resolve(['--os-cloud', 'nope'], {'OS_CLIENT_CONFIG_FILE': str(path)})

"""The command table, the help of every command, the request bodies of the generic add/update
commands, and the installed ``dcmanager`` script run as a child process for what needs no
server (help, version, the missing-endpoint error, a usage error)."""

import io
import os
import subprocess
import sys

import pytest

from dcmanager.cli import app, commands, errors

SCRIPT = os.path.join(os.path.dirname(sys.executable), 'dcmanager')
CONTRACT = {
    'subcloud': ['list', 'show', 'add', 'update', 'manage', 'unmanage', 'delete', 'errors'],
    'subcloud-group': ['add', 'list', 'show', 'update', 'delete', 'list-subclouds'],
    'system-peer': ['add', 'list', 'show', 'update', 'delete', 'list-subcloud-peer-groups'],
    'subcloud-peer-group': ['add', 'list', 'show', 'update', 'delete', 'list-subclouds',
                            'status', 'migrate'],
    'peer-group-association': ['add', 'list', 'show', 'update', 'delete', 'sync'],
    'alarm': ['summary'],
}


def run(*argv, env=None, stdin=''):
    environ = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'LANG': 'C.UTF-8',
               'HOME': os.environ.get('HOME', '/')}
    environ.update(env or {})
    return subprocess.run([SCRIPT, *argv], input=stdin, capture_output=True, text=True,
                          env=environ, timeout=120)


def test_the_table_is_the_contracts_commands():
    expected = {'%s %s' % (group, verb) for group, verbs in CONTRACT.items() for verb in verbs}
    assert set(app.command_table()) == expected


def test_every_command_has_a_one_line_description():
    application = app.DCManagerApp(environ={})
    for name, cls in app.command_table().items():
        description = cls(application, None).get_description()
        assert description and '\n' not in description and description.endswith('.'), name


def test_help_lists_every_command_with_its_description():
    result = run('--help')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    application = app.DCManagerApp(environ={})
    for name, cls in app.command_table().items():
        one_liner = cls(application, None).get_description().rstrip('.')
        assert any(line.split() == ['%s' % w for w in name.split()] + one_liner.split()
                   for line in lines), name


@pytest.mark.parametrize('argv', [['help', 'subcloud', 'list'], ['subcloud', 'add', '--help'],
                                  ['complete']])
def test_help_of_a_command_and_completion(argv):
    result = run(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout


def test_version_and_module_entry():
    result = subprocess.run([sys.executable, '-m', 'dcmanager.cli', '--version'],
                            capture_output=True, text=True, timeout=120,
                            env={'PATH': os.environ.get('PATH', ''), 'HOME': '/'})
    assert result.returncode == 0, result.stderr
    from dcmanager import version
    assert result.stdout.strip() == 'dcmanager %s' % version.version_string


def test_no_endpoint_is_one_error_line():
    result = run('subcloud-group', 'list')
    assert (result.returncode, result.stdout) == (1, '')
    assert result.stderr == 'ERROR (app) %s\n' % (
        'No dcmanager endpoint: give --dcmanager-url (or DCMANAGER_URL), or Keystone '
        'credentials (--os-auth-url ...) or --os-cloud')


def test_usage_error_exits_2():
    result = run('--dcmanager-url', 'http://127.0.0.1:9', 'subcloud-group', 'add',
                 '--update_apply_type', 'sideways', '--name', 'x')
    assert result.returncode == 2
    assert 'invalid choice' in result.stderr


def test_confirmation_cancelled_before_any_request():
    # Port 9 (discard) on loopback: had a request been sent, the error would be about it.
    result = run('--dcmanager-url', 'http://127.0.0.1:9', 'subcloud-group', 'delete', 'edge',
                 env={'CLI_CONFIRMATIONS': 'enabled'}, stdin='no\n')
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        'Delete subcloud group edge? This cannot be undone. Type "yes" to continue: ',
        'ERROR (app) Cancelled: nothing was changed']


# ------------------------------------------------------------ generic add/update bodies

def parse(name, argv, stdin=''):
    application = app.DCManagerApp(environ={}, stdin=io.StringIO(stdin),
                                   stdout=io.StringIO(), stderr=io.StringIO())
    cls = app.command_table()[name]
    cmd = cls(application, None)
    args = cmd.get_parser('dcmanager ' + name).parse_args(argv)
    options = cls.resource.add_options if name.endswith(' add') else cls.resource.update_options
    return commands.body_from(application, args, options, add=name.endswith(' add'))


def test_subcloud_group_add_defaults_are_numbers_and_typed_values_strings():
    assert parse('subcloud-group add', ['--name', 'edge']) == {
        'name': 'edge', 'description': 'No description provided',
        'update_apply_type': 'parallel', 'max_parallel_subclouds': 2}
    assert parse('subcloud-group add', ['--name', 'e', '--max_parallel_subclouds', '3'])[
        'max_parallel_subclouds'] == '3'
    assert parse('subcloud-group update', ['edge', '--max_parallel_subclouds', '3']) == {
        'max_parallel_subclouds': 3}


def test_system_peer_add_body():
    body = parse('system-peer add', [
        '--peer-uuid', 'u-1', '--peer-name', 'site-b', '--manager-endpoint',
        'http://127.0.0.1:5000/v3', '--peer-controller-gateway-address', '127.19.0.2',
        '--manager-password', 'Peer*1', '--heartbeat-interval', '30'])
    assert body == {
        'peer_uuid': 'u-1', 'peer_name': 'site-b', 'manager_endpoint': 'http://127.0.0.1:5000/v3',
        'manager_username': 'admin', 'manager_password': 'UGVlciox',
        'peer_controller_gateway_address': '127.19.0.2', 'administrative_state': 'enabled',
        'heartbeat_interval': '30', 'heartbeat_failure_threshold': 3,
        'heartbeat_failure_policy': 'alarm', 'heartbeat_maintenance_timeout': 600}


def test_system_peer_password_rule_without_terminal():
    with pytest.raises(errors.CommandError, match='^--manager-password is required$'):
        parse('system-peer add', ['--peer-uuid', 'u', '--peer-name', 'b', '--manager-endpoint',
                                  'e', '--peer-controller-gateway-address', 'g'])
    assert parse('system-peer update', ['site-b', '--peer-name', 'c']) == {'peer_name': 'c'}
    with pytest.raises(errors.CommandError, match='^--manager-password is required$'):
        parse('system-peer update', ['site-b', '--manager-password'])


def test_peer_group_keys_are_hyphenated():
    assert parse('subcloud-peer-group add', ['--peer-group-name', 'pg1']) == {
        'peer-group-name': 'pg1', 'group-state': 'enabled', 'max-subcloud-rehoming': 10}
    assert parse('subcloud-peer-group update', ['pg1', '--max-subcloud-rehoming', '4']) == {
        'max-subcloud-rehoming': 4}


def test_association_ids_are_strings_and_priority_a_number():
    assert parse('peer-group-association add', [
        '--peer-group-id', '1', '--system-peer-id', '2', '--peer-group-priority', '3']) == {
        'peer_group_id': '1', 'system_peer_id': '2', 'peer_group_priority': 3}

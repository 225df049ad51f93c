"""The command itself, with no server: it is installed next to the Python that runs the tests,
prints its version, a one-line help for every command of the contract, a bash completion
script, and refuses bad usage with exit 2 and a missing endpoint with one clear line."""

import os
import subprocess
import sys

import pytest

from dcmanager import version
from tests.integration.cli import harness

# Every command of the contract (client-contract.md section 4, CLI.md).
COMMANDS = [
    'subcloud list', 'subcloud show', 'subcloud add', 'subcloud update', 'subcloud manage',
    'subcloud unmanage', 'subcloud delete', 'subcloud errors',
    'subcloud-group add', 'subcloud-group list', 'subcloud-group show',
    'subcloud-group update', 'subcloud-group delete', 'subcloud-group list-subclouds',
    'system-peer add', 'system-peer list', 'system-peer show', 'system-peer update',
    'system-peer delete', 'system-peer list-subcloud-peer-groups',
    'subcloud-peer-group add', 'subcloud-peer-group list', 'subcloud-peer-group show',
    'subcloud-peer-group update', 'subcloud-peer-group delete',
    'subcloud-peer-group list-subclouds', 'subcloud-peer-group status',
    'subcloud-peer-group migrate',
    'peer-group-association add', 'peer-group-association list',
    'peer-group-association show', 'peer-group-association update',
    'peer-group-association sync', 'peer-group-association delete',
    'alarm summary',
]
NO_ENDPOINT = ('No dcmanager endpoint: give --dcmanager-url (or DCMANAGER_URL), or Keystone '
               'credentials (--os-auth-url ...) or --os-cloud')


def test_the_console_script_is_installed_next_to_python():
    assert os.access(harness.SCRIPT, os.X_OK), harness.SCRIPT


def test_version(bare_cli):
    got = bare_cli('--version')
    assert got.code == 0, got
    # cliff prints "dcmanager <version>" (on stdout in recent versions)
    assert (got.out + got.err).strip() == 'dcmanager %s' % version.version_string, got


def test_help_lists_every_command_with_a_one_line_description(bare_cli):
    got = bare_cli('help')
    assert got.code == 0, got
    listed = {}
    for line in got.out.splitlines():
        for command in COMMANDS:
            if line.strip().startswith(command + ' ') or line.strip() == command:
                rest = line.strip()[len(command):].strip()
                if len(rest) > len(listed.get(command, '')):
                    listed[command] = rest
    missing = [c for c in COMMANDS if not listed.get(c)]
    assert not missing, 'commands without a description in "dcmanager help": %s\n%s' % (
        missing, got.out)


@pytest.mark.parametrize('command', COMMANDS)
def test_help_of_each_command(bare_cli, command):
    got = bare_cli('help', *command.split())
    assert got.code == 0, got
    assert got.out.startswith('usage: dcmanager %s' % command), got
    # the one-line description follows the usage
    description = got.out.split('\n\n')[1].strip()
    assert description and '\n' not in description, got.out


def test_complete_prints_a_bash_completion_script(bare_cli):
    got = bare_cli('complete').ok()
    assert '_dcmanager()' in got.out and 'complete -F _dcmanager dcmanager' in got.out, got
    for word in ('subcloud', 'subcloud-group', 'system-peer', 'subcloud-peer-group',
                 'peer-group-association', 'alarm'):
        assert word in got.out


@pytest.mark.parametrize('argv', [
    ['nosuch-command'],
    ['subcloud', 'list', '--bogus'],
    ['subcloud-group', 'add'],  # --name is required
    ['subcloud-peer-group', 'add', '--peer-group-name', 'x', '--group-state', 'sideways'],
    ['system-peer', 'add', '--peer-uuid', 'u', '--peer-name', 'n', '--manager-endpoint',
     'http://127.0.0.1:1/v3', '--peer-controller-gateway-address', '127.0.2.9',
     '--heartbeat-failure-policy', 'panic'],
    ['peer-group-association', 'add', '--peer-group-id', '1', '--system-peer-id', '1',
     '--peer-group-priority', 'high'],
    ['subcloud', 'list', '-f', 'xml'],
])
def test_usage_errors_exit_2(bare_cli, argv):
    # No endpoint is configured: a usage error is found before any configuration is needed.
    # (cliff writes its "not a dcmanager command" to stdout, as the reference does)
    got = bare_cli(*argv)
    assert got.code == 2, got
    assert 'Traceback' not in got.out + got.err and (got.out + got.err).strip(), got


def test_without_an_endpoint_one_clear_line(bare_cli):
    assert bare_cli('subcloud', 'list').error() == NO_ENDPOINT


def test_the_environment_is_clean(bare_cli, monkeypatch):
    # What the caller's shell holds never reaches the CLI (the tests' own environment may
    # hold OS_* variables).
    monkeypatch.setenv('DCMANAGER_URL', 'http://127.0.0.1:1')
    assert bare_cli('subcloud', 'list').error() == NO_ENDPOINT


def test_python_dash_m_runs_the_same_command(tmp_path):
    proc = subprocess.run([sys.executable, '-m', 'dcmanager.cli', '--version'],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={'PATH': os.environ.get('PATH', ''),
                                             'HOME': str(tmp_path)}, check=False)
    assert proc.returncode == 0, proc
    assert (proc.stdout + proc.stderr).strip() == 'dcmanager %s' % version.version_string

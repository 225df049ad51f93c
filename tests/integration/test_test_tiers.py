"""The production tier needs only the servers each test uses, and ``--no-skip`` fails a skip;
the CLI tests (``tests/integration/cli``, the real ``dcmanager`` command) run in the py3 tier.

Runs pytest itself in a child process with ``--backend=production`` and RabbitMQ made
undetectable (``DCMANAGER_TEST_RABBITMQ_BIN`` pointing at a directory that does not exist): the
database tests of the audit's claims need PostgreSQL alone and must run; a functional test needs
the manager, so RabbitMQ, and skips - or fails under ``--no-skip``, which ``.ci/run`` sets so that
the tier can never report OK having run nothing.
"""

import configparser
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests import services

ROOT = pathlib.Path(__file__).resolve().parents[2]
PG_ONLY = 'tests/unit/audit/test_claims.py::test_auditable_deploy_states_are_due'
NEEDS_MQ = 'tests/functional/test_api_basics.py::test_version_document'


@pytest.fixture
def postgresql_installed():
    try:
        services._pg_bindir()
    except services.NotInstalled as e:
        pytest.skip('PostgreSQL unavailable: %s' % e)


def run_tier(tmp_path, *options):
    env = dict(os.environ, DCMANAGER_TEST_RABBITMQ_BIN=str(tmp_path / 'no-rabbitmq'))
    env.pop('DCMANAGER_TEST_NO_SKIP', None)
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q', '-rs',
         '--backend=production', '--basetemp', str(tmp_path / 'base'), *options,
         PG_ONLY, NEEDS_MQ],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.usefixtures('postgresql_installed')
def test_without_rabbitmq_the_database_tests_run_and_the_others_skip(tmp_path):
    rc, out = run_tier(tmp_path)
    assert rc == 0, out
    assert 'RabbitMQ unavailable' in out, out
    assert re.search(r'\n[1-9][0-9]* passed, 1 skipped in ', out), out


@pytest.mark.usefixtures('postgresql_installed')
def test_no_skip_turns_the_skip_into_a_failure(tmp_path):
    rc, out = run_tier(tmp_path, '--no-skip')
    assert rc == 1, out
    assert 'skipped under --no-skip' in out and 'RabbitMQ unavailable' in out, out
    assert re.search(r'\n[1-9][0-9]* passed, 1 error in ', out), out


CLI_TESTS = 'tests/integration/cli'


def test_the_py3_tier_runs_the_cli_tests():
    """tox's default environment (py3) runs a path that holds the CLI tests, in a venv where
    the project is installed (its console script with it); the production tier, which names
    its paths, does not need them."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / 'tox.ini')
    py3 = tox['testenv']
    assert py3.get('usedevelop', '').strip() == 'true' and 'skip_install' not in py3
    default = re.search(r'pytest \{posargs:([^}]*)\}', py3['commands']).group(1).split()
    assert any(CLI_TESTS == path or CLI_TESTS.startswith(path.rstrip('/') + '/')
               for path in default), default
    assert 'py3' in tox['tox']['envlist']


def test_the_cli_tests_are_collected():
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '--collect-only', '-q',
         CLI_TESTS], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = {line.split('::')[0] for line in proc.stdout.splitlines() if '::' in line}
    expected = {str(p.relative_to(ROOT)) for p in (ROOT / CLI_TESTS).glob('test_*.py')}
    assert expected and modules == expected, (modules, expected)

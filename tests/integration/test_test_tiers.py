"""The production tier needs only the servers each test uses, and ``--no-skip`` fails a skip.

Runs pytest itself in a child process with ``--backend=production`` and RabbitMQ made
undetectable (``DCMANAGER_TEST_RABBITMQ_BIN`` pointing at a directory that does not exist): the
database tests of the audit's claims need PostgreSQL alone and must run; a functional test needs
the manager, so RabbitMQ, and skips - or fails under ``--no-skip``, which ``.ci/run`` sets so that
the tier can never report OK having run nothing.
"""

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


@pytest.fixture(scope='module', autouse=True)
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


def test_without_rabbitmq_the_database_tests_run_and_the_others_skip(tmp_path):
    rc, out = run_tier(tmp_path)
    assert rc == 0, out
    assert 'RabbitMQ unavailable' in out, out
    assert re.search(r'\n[1-9][0-9]* passed, 1 skipped in ', out), out


def test_no_skip_turns_the_skip_into_a_failure(tmp_path):
    rc, out = run_tier(tmp_path, '--no-skip')
    assert rc == 1, out
    assert 'skipped under --no-skip' in out and 'RabbitMQ unavailable' in out, out
    assert re.search(r'\n[1-9][0-9]* passed, 1 error in ', out), out

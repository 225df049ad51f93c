"""``--wait`` where a real site cannot easily be made to fail: a recording server that answers a
migration, an enrollment or a sync that never ends, or a sync that fails, gives the contract's
timeout and FAILED lines (exit 1); on a terminal (stderr a pseudo-terminal) the progress is one
line rewritten with ``\\r``, and plain lines otherwise."""

import copy
import json
import os
import pathlib
import pty
import select
import subprocess

import pytest

from tests.integration.cli import harness
from tests.integration.cli.stub_server import StubServer

SAMPLES = pathlib.Path(__file__).resolve().parents[3] / 'api-ref' / 'source' / 'samples'
FAST = ('--wait', '--poll-interval', '0.2')


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def _group(status):
    return dict(sample('subcloud-peer-groups/subcloud-peer-group-show-resp.json'),
                migration_status=status)


def _members(*states):
    rows = []
    for n, state in enumerate(states, 1):
        row = copy.deepcopy(sample('subclouds/subcloud-show-resp.json'))
        row.update({'id': n, 'name': 'sc%d' % n, 'deploy-status': state,
                    'error-description': 'rehome of sc%d failed: unreachable' % n
                    if state.endswith('-failed') else 'No errors present'})
        rows.append(row)
    return {'subclouds': rows}


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


@pytest.fixture
def cli(bare_cli, stub):
    return bare_cli.derive(args=['--dcmanager-url', stub.url])


def _migrating(stub):
    stub.answer('PATCH', '/v1.0/subcloud-peer-groups/pg1/migrate', 200,
                _members('secondary', 'secondary'))
    stub.answer('GET', '/v1.0/subcloud-peer-groups/pg1', 200, _group('migrating'))
    stub.answer('GET', '/v1.0/subcloud-peer-groups/pg1/subclouds', 200,
                _members('complete', 'rehoming'))


def test_a_migration_that_does_not_end_times_out(cli, stub):
    _migrating(stub)
    got = cli('subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password', 'x', *FAST,
              '--wait-timeout', '1', timeout=30)
    assert got.code == 1, got
    assert harness.table(got.out)[0][:2] == ['id', 'name']
    *progress, last = got.err.splitlines()
    assert progress and all(line.startswith('migrate pg1: 1/2 complete, 0 failed, 1 remaining, ')
                            for line in progress), got.err
    assert last == 'ERROR (app) migrate pg1 did not finish within 1 s (1/2 complete, 0 failed)'


def test_a_migration_that_ends_with_a_failure(cli, stub):
    stub.answer('PATCH', '/v1.0/subcloud-peer-groups/pg1/migrate', 200,
                _members('secondary', 'rehome-failed'))
    stub.answer_in_turn('GET', '/v1.0/subcloud-peer-groups/pg1', (200, _group('migrating')),
                        (200, _group('complete')))
    stub.answer_in_turn('GET', '/v1.0/subcloud-peer-groups/pg1/subclouds',
                        (200, _members('rehoming', 'rehoming')),
                        (200, _members('complete', 'rehome-failed')))
    got = cli('subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password', 'x', *FAST,
              timeout=60)
    assert got.code == 1, got
    lines = got.err.splitlines()
    assert lines[-1] == 'FAILED sc2: rehome-failed: rehome of sc2 failed: unreachable', got.err
    assert lines[-2].startswith('migrate pg1: 1/2 complete, 1 failed, 0 remaining, '), got.err
    assert not harness.CONTROL.search(got.err)


def test_an_add_that_does_not_end_times_out(cli, stub, tmp_path):
    enrolling = dict(sample('subclouds/subcloud-show-resp.json'), **{
        'deploy-status': 'enrolling', 'availability-status': 'offline'})
    stub.answer('POST', '/v1.0/subclouds', 200, enrolling)
    stub.answer('GET', '/v1.0/subclouds/%s' % enrolling['name'], 200, enrolling)
    stub.answer('GET', '/v1.0/subclouds/%s' % enrolling['id'], 200, enrolling)
    values = pathlib.Path(cli.home) / 'values.yaml'
    values.write_text('name: %s\n' % enrolling['name'])
    got = cli('subcloud', 'add', '--bootstrap-address', '127.0.7.1', '--bootstrap-values',
              'values.yaml', '--sysadmin-password', 'x', *FAST, '--wait-timeout', '1',
              timeout=30)
    assert got.code == 1, got
    *progress, last = got.err.splitlines()
    assert progress and all(line.startswith('add %s: enrolling, offline, ' % enrolling['name'])
                            for line in progress), got.err
    assert last == 'ERROR (app) add %s did not finish within 1 s (enrolling)' % enrolling['name']


def test_a_sync_that_fails(cli, stub):
    syncing = sample('peer-group-associations/peer-group-association-show-resp.json')
    failed = dict(syncing, **{'sync-status': 'failed',
                              'sync-message': 'Peer site site-b is unreachable'})
    stub.answer('PATCH', '/v1.0/peer-group-associations/3/sync', 200, syncing)
    stub.answer_in_turn('GET', '/v1.0/peer-group-associations/3', (200, syncing),
                        (200, failed))
    got = cli('peer-group-association', 'sync', '3', *FAST, timeout=60)
    assert got.code == 1, got
    assert harness.show_table(got.out)['sync_status'] == 'syncing'
    lines = got.err.splitlines()
    assert lines[-1] == 'FAILED association 3: failed: Peer site site-b is unreachable'
    assert lines[0].startswith('sync association 3: syncing, ') and all(
        line.startswith('sync association 3: ') for line in lines[:-1]), got.err


def _run_with_a_terminal_for_stderr(cli, *argv, timeout=60):
    """(exit code, stdout, what the pseudo-terminal showed) of ``dcmanager argv``."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([harness.SCRIPT, *cli.args, *argv], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=slave,
                                env=cli.environment(), cwd=cli.home)
        os.close(slave)
        slave = None
        shown = b''
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            assert ready, 'no output within %s s' % timeout
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            shown += chunk
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode(), shown.decode()
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)


def test_on_a_terminal_the_progress_is_one_line_rewritten(cli, stub):
    stub.answer('PATCH', '/v1.0/subcloud-peer-groups/pg1/migrate', 200,
                _members('secondary', 'secondary'))
    stub.answer_in_turn('GET', '/v1.0/subcloud-peer-groups/pg1', (200, _group('migrating')),
                        (200, _group('migrating')), (200, _group('complete')))
    stub.answer_in_turn('GET', '/v1.0/subcloud-peer-groups/pg1/subclouds',
                        (200, _members('rehoming', 'rehoming')),
                        (200, _members('complete', 'rehoming')),
                        (200, _members('complete', 'complete')))
    code, out, shown = _run_with_a_terminal_for_stderr(
        cli, 'subcloud-peer-group', 'migrate', 'pg1', '--sysadmin-password', 'x', *FAST)
    assert code == 0, (out, shown)
    assert '\r' in shown, repr(shown)
    last = shown.replace('\r\n', '\n').split('\r')[-1]
    assert 'migrate pg1: 2/2 complete, 0 failed, 0 remaining' in last, repr(shown)
    # stdout is not the terminal: the table, plain
    assert harness.table(out)[0][:2] == ['id', 'name']

"""``--wait``: the progress lines (plain without a terminal, rewritten in place on one), what ends
a wait and its exit code, the failure lines and the timeout message. The clock is a counter the
test advances, so nothing here depends on how fast the machine is."""

import io
import json
import pathlib

import pytest

from dcmanager.cli import errors, wait

SAMPLES = pathlib.Path(__file__).resolve().parents[3] / 'api-ref' / 'source' / 'samples'
CONTROL = [chr(c) for c in range(32) if chr(c) not in '\n\t'] + ['\x7f']


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def member(name, status, error='No errors present'):
    return {'name': name, 'deploy-status': status, 'error-description': error}


GROUP = {'peer_group_name': 'pg1', 'migration_status': 'migrating'}


def test_migration_line_format():
    members = [member('sc1', 'complete'), member('sc2', 'rehoming'),
               member('sc3', 'rehome-failed', 'identity unreachable'), member('sc4', 'secondary')]
    state = wait.migration_state(GROUP, members, 12)
    assert state.line == 'migrate pg1: 1/4 complete, 1 failed, 2 remaining, 12 s elapsed'
    assert not state.done
    assert state.fraction == 0.5


def test_migration_ends_when_not_migrating_and_nobody_rehoming():
    members = [member('sc1', 'complete'), member('sc2', 'rehoming')]
    assert not wait.migration_state(dict(GROUP, migration_status='complete'), members, 1).done
    members[1] = member('sc2', 'rehome-failed', 'refused')
    state = wait.migration_state(dict(GROUP, migration_status='complete'), members, 1)
    assert state.done and state.code == 1
    assert state.failures == ('FAILED sc2: rehome-failed: refused',)
    ok = wait.migration_state(dict(GROUP, migration_status='complete'),
                              [member('sc1', 'complete')], 1)
    assert ok.done and ok.code == 0 and ok.failures == ()


def test_migration_of_the_sample_members():
    doc = json.loads((SAMPLES / 'subcloud-groups' /
                      'subcloud-group-subclouds-list-resp.json').read_text())
    state = wait.migration_state({'peer_group_name': 'pg1', 'migration_status': 'complete'},
                                 doc['subclouds'], 3)
    assert state.line.startswith('migrate pg1: %d/%d complete' % (
        len(doc['subclouds']), len(doc['subclouds'])))
    assert state.done and state.code == 0


def test_plain_progress_prints_a_line_per_change_and_every_30_s():
    out, clock = io.StringIO(), Clock()
    progress = wait.Progress(out, tty=False, clock=clock)
    progress.show(wait.State('a', 'first'))
    progress.show(wait.State('a', 'same key, 10 s later, not printed'))
    clock.sleep(29)
    progress.show(wait.State('a', 'still the same at 29 s'))
    clock.sleep(1)
    progress.show(wait.State('a', 'at 30 s: printed'))
    progress.show(wait.State('b', 'changed: printed'))
    progress.end()
    assert out.getvalue() == 'first\nat 30 s: printed\nchanged: printed\n'
    assert not any(c in out.getvalue() for c in CONTROL)


def test_terminal_progress_rewrites_one_line():
    out = io.StringIO()
    progress = wait.Progress(out, tty=True, clock=Clock())
    progress.show(wait.State('a', 'half', fraction=0.5))
    progress.show(wait.State('a', 'all', fraction=1.0))
    progress.end()
    text = out.getvalue()
    assert text.count('\r') == 2 and text.endswith('\n') and text.count('\n') == 1
    assert '[##########..........] half' in text
    assert '[' + '#' * 20 + '] all' in text


def _run(states, timeout=3600, interval=5):
    out, clock = io.StringIO(), Clock()
    feed = iter(states)
    seen = []

    def step(elapsed):
        seen.append(elapsed)
        return next(feed)(elapsed)
    progress = wait.Progress(out, tty=False, clock=clock)
    try:
        code = wait.until(step, progress, timeout, interval,
                          lambda s: 'gave up at %s' % s.line, clock=clock, sleep=clock.sleep)
    except errors.CommandError as e:
        code = str(e)
    return code, out.getvalue(), seen


def test_until_polls_at_the_interval_and_prints_failures_after_the_progress():
    members = [member('sc1', 'rehoming')]
    done = [member('sc1', 'rehome-failed', 'no route')]
    code, out, seen = _run([
        lambda e: wait.migration_state(GROUP, members, e),
        lambda e: wait.migration_state(GROUP, members, e),
        lambda e: wait.migration_state(dict(GROUP, migration_status='complete'), done, e)])
    assert code == 1
    assert seen == [0, 5, 10]
    assert out.splitlines() == [
        'migrate pg1: 0/1 complete, 0 failed, 1 remaining, 0 s elapsed',
        'migrate pg1: 0/1 complete, 1 failed, 0 remaining, 10 s elapsed',
        'FAILED sc1: rehome-failed: no route']


def test_until_times_out_with_the_last_state():
    states = [lambda e: wait.State('x', 'waiting %d' % e)] * 10
    code, out, seen = _run(states, timeout=12, interval=5)
    assert code == 'gave up at waiting 12'
    assert seen == [0, 5, 10, 12]


def test_migration_timeout_message():
    state = wait.migration_state(GROUP, [member('sc1', 'complete'), member('sc2', 'rehoming')],
                                 7)
    assert wait.migration_timeout('pg1', '0.5')(state) == (
        'migrate pg1 did not finish within 0.5 s (1/2 complete, 0 failed)')


@pytest.mark.parametrize('deploy, availability, done, code', [
    ('pre-enroll', 'offline', False, 0), ('complete', 'offline', False, 0),
    ('complete', 'online', True, 0), ('enroll-failed', 'offline', True, 1)])
def test_add_state(deploy, availability, done, code):
    state = wait.add_state({'name': 'sc1', 'deploy-status': deploy,
                            'availability-status': availability,
                            'error-description': 'refused (HTTP 401)'}, 4)
    assert state.line == 'add sc1: %s, %s, 4 s elapsed' % (deploy, availability)
    assert (state.done, state.code) == (done, code)
    if code:
        assert state.failures == ('FAILED sc1: enroll-failed: refused (HTTP 401)',)


@pytest.mark.parametrize('status, done, code', [
    ('syncing', False, 0), ('out-of-sync', False, 0), ('in-sync', True, 0), ('failed', True, 1)])
def test_sync_state(status, done, code):
    state = wait.sync_state({'id': 3, 'sync-status': status, 'sync-message': 'peer down'}, 2)
    assert state.line == 'sync association 3: %s, 2 s elapsed' % status
    assert (state.done, state.code) == (done, code)
    if code:
        assert state.failures == ('FAILED association 3: failed: peer down',)


def test_the_end_of_a_migration_with_unchanged_counts_prints_no_second_line():
    members = [member('sc1', 'complete')]
    code, out, _ = _run([
        lambda e: wait.migration_state(GROUP, members, e),
        lambda e: wait.migration_state(dict(GROUP, migration_status='complete'), members, e)])
    assert code == 0
    assert out.splitlines() == ['migrate pg1: 1/1 complete, 0 failed, 0 remaining, 0 s elapsed']

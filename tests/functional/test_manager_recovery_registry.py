"""The recovery registry (dcmanager.manager.recovery): every registered kind of leftover is
recovered when a manager starts and at its heartbeats.

The managers are real ``ManagerService`` instances on the site's database; the site's own
manager is stopped meanwhile (its periodic recovery would race the test's). A test-only kind
(``_Jobs``: a state table of its own and a recovery that records what it was asked) stands for
the peer-group migrations and association syncs of the next releases.
"""

import pytest

from dcmanager.common import states, statetable
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.manager import liveness, recovery
from dcmanager.manager import service as manager_service
from tests.functional import test_manager_recovery as base

A, B = 'mgr-a', 'mgr-b'

JOBS = statetable.StateTable('job status', {
    'queued': ('running',), 'running': ('done',), 'done': (), 'lost': (),
}, recovery={'running': 'lost'}, description='the manager left it %(state)s',
    initial=('queued',))


class _Jobs:
    """A test-only kind: records each call, moves ``leftovers`` rows the first time."""

    def __init__(self, leftovers=1, error=None):
        self.calls = []
        self.leftovers = leftovers
        self.error = error

    def recover(self, context, recoveries, host, binary, down_time, at_start=False):
        self.calls.append({'host': host, 'at_start': at_start, 'binary': binary,
                           'down_time': down_time, 'recoveries': list(recoveries)})
        if self.error is not None:
            raise self.error
        moved, self.leftovers = self.leftovers, 0
        return moved


@pytest.fixture
def jobs():
    """A registered ``_Jobs`` kind, unregistered after the test."""
    kind = _Jobs()
    recovery.register(recovery.Kind('test job(s)', JOBS, kind.recover))
    yield kind
    recovery.REGISTRY.unregister('test job(s)')


quiet_site = base.quiet_site
managers = base.managers


def test_subclouds_are_registered_with_the_deploy_status_table():
    kinds = recovery.REGISTRY.kinds()
    assert kinds[0] is recovery.SUBCLOUDS
    assert recovery.SUBCLOUDS.table is states.DEPLOY
    assert recovery.SUBCLOUDS.name == 'subcloud(s)'


def test_a_kind_is_registered_once():
    registry = recovery.Registry()
    registry.register(recovery.Kind('x', JOBS, _Jobs().recover))
    with pytest.raises(ValueError, match='A recovery of x is already registered'):
        registry.register(recovery.Kind('x', JOBS, _Jobs().recover))
    registry.unregister('x')
    assert registry.kinds() == []


def test_a_registered_recovery_runs_at_start_and_at_each_heartbeat(
        quiet_site, api, ctx, managers, jobs):
    manager = managers(A)
    assert [call['at_start'] for call in jobs.calls] == [True]
    call = jobs.calls[0]
    assert call['host'] == A
    assert call['binary'] == liveness.BINARY
    assert call['down_time'] == CONF.manager.service_down_time
    assert call['recoveries'] == [statetable.Recovery('running', 'lost',
                                                      'the manager left it running')]
    manager.heartbeat()
    assert [call['at_start'] for call in jobs.calls] == [True, False]
    assert jobs.calls[1]['host'] == A


def test_the_subcloud_recovery_moves_each_transitory_deploy_status_to_its_target(
        quiet_site, api, ctx, managers, jobs):
    liveness.beat(ctx, 'mgr-c')
    base._stale(ctx, 'mgr-c')
    left = {status: base._create(ctx, status, 'mgr-c')
            for status in sorted(states.DEPLOY.transitory)}
    ownerless = base._create(ctx, states.DEPLOY_ENROLLING, None)
    stable = {status: base._create(ctx, status, None)
              for status in sorted(states.DEPLOY.stable)[:10]}

    # Both kinds run: the subclouds' and the test-only one.
    assert recovery.recover_at_start(ctx, A) == len(left) + 1 + 1
    assert [call['host'] for call in jobs.calls] == [A]

    for status, subcloud in left.items():
        target = states.DEPLOY.recovery(status)
        assert base._state(ctx, subcloud) == (target.target, None), status
        assert target.target in states.DEPLOY.stable
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == target.description
        assert status in row.error_description
    assert base._state(ctx, ownerless) == (states.DEPLOY_ENROLL_FAILED, None)
    for status, subcloud in stable.items():
        assert base._state(ctx, subcloud) == (status, None)
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == states.DEFAULT_ERROR_DESCRIPTION


def test_a_second_kind_runs_beside_the_subclouds_when_a_manager_starts(
        quiet_site, api, ctx, managers, jobs):
    leftover = base._create(ctx, states.DEPLOY_PRE_ENROLL, A)
    managers(A)
    assert base._state(ctx, leftover) == (states.DEPLOY_PRE_ENROLL_FAILED, None)
    assert [(call['host'], call['at_start']) for call in jobs.calls] == [(A, True)]


def test_a_failing_kind_stops_the_start(quiet_site, api, ctx, jobs):
    jobs.error = RuntimeError('database gone')
    leftover = base._create(ctx, states.DEPLOY_ENROLLING, None)
    manager = manager_service.ManagerService(host=A)
    with pytest.raises(RuntimeError, match='database gone'):
        manager.start()
    manager.stop()
    # The subclouds (registered first) were recovered; nothing was served.
    assert base._state(ctx, leftover) == (states.DEPLOY_ENROLL_FAILED, None)
    assert manager._server is None


def test_a_failing_kind_at_a_heartbeat_leaves_the_others_running(
        quiet_site, api, ctx, caplog):
    failing = _Jobs(error=RuntimeError('table gone'))
    after = _Jobs(leftovers=2)
    recovery.register(recovery.Kind('failing job(s)', JOBS, failing.recover))
    recovery.register(recovery.Kind('later job(s)', JOBS, after.recover))
    try:
        liveness.beat(ctx, A)
        base._stale(ctx, B)
        dead = base._create(ctx, states.DEPLOY_ENROLLING, B)
        assert recovery.recover_dead_owners(ctx, A) == 1 + 2
    finally:
        recovery.REGISTRY.unregister('failing job(s)')
        recovery.REGISTRY.unregister('later job(s)')
    assert base._state(ctx, dead) == (states.DEPLOY_ENROLL_FAILED, None)
    assert len(failing.calls) == len(after.calls) == 1
    assert 'Recovery of failing job(s) left by dead managers failed' in caplog.text

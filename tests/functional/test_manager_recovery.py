"""Several managers on one database: who owns a transitory deploy status, who is alive, and who
recovers what (dcmanager.manager.recovery, dcmanager.manager.liveness).

Managers ``mgr-a`` and ``mgr-b`` are real ``ManagerService`` instances (or the functions their
start and their heartbeat run) beside the site's own manager, on the site's database: SQLite, or
PostgreSQL with ``--backend=production``. Tests whose counts the site manager's own periodic
recovery could disturb stop it for their duration (``quiet_site``).
"""

import datetime
import threading
import time

import pytest

from dcmanager import objects
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.manager import enroll, liveness, recovery, subclouds
from dcmanager.manager import service as manager_service
from dcmanager.objects import service as service_obj
from tests import subcloud_forms as forms
from tests import waiting

A, B = 'mgr-a', 'mgr-b'
BASE = '/v1.0/subclouds'


@pytest.fixture
def quiet_site(site, api):
    """The site's manager stopped during the test (its periodic recovery would race the test's
    managers), started again after it."""
    site.manager.stop()
    yield
    site.manager.start()


@pytest.fixture
def fast_heartbeat(quiet_site):
    """Managers started in the test heartbeat every second and are dead after 4 s of silence."""
    CONF.set_override('heartbeat_interval', 1, group='manager')
    CONF.set_override('service_down_time', 4, group='manager')
    yield
    CONF.clear_override('heartbeat_interval', group='manager')
    CONF.clear_override('service_down_time', group='manager')


@pytest.fixture
def managers():
    """Start ManagerService instances by host; all stopped after the test."""
    started = []

    def start(host):
        manager = manager_service.ManagerService(host=host)
        manager.start()
        started.append(manager)
        return manager

    yield start
    for manager in started:
        manager.stop()


_numbers = iter(range(1, 10 ** 6))


def _create(ctx, status, owner, name=None):
    """A subcloud created in ``status`` by ``owner`` (None: as an older version left it)."""
    n = next(_numbers)
    subcloud = objects.Subcloud(
        name=name or 'sc%d' % n, group_id=states.DEFAULT_GROUP_ID,
        management_state=states.UNMANAGED, availability_status=states.OFFLINE,
        deploy_status=status, error_description=states.DEFAULT_ERROR_DESCRIPTION,
        bootstrap_address='127.0.%d.%d' % (4 + n // 250, 1 + n % 250))
    subcloud.create(ctx, owner=owner)
    return subcloud


def _state(ctx, subcloud):
    row = db_api.subcloud_get(ctx, subcloud.id)
    return row.deploy_status, row.deploy_owner


def _recovered(status):
    return states.DEPLOY.recovery(status).target, None


def _description(status):
    return states.DEPLOY.recovery(status).description


def _stale(ctx, host):
    """Make ``host``'s last heartbeat old enough for it to be dead."""
    long_ago = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
                - datetime.timedelta(seconds=CONF.manager.service_down_time + 60))
    service_obj.heartbeat(ctx, host, liveness.BINARY, now=long_ago)


def _heartbeats(ctx):
    return {row.host: row.updated_at for row in service_obj.list_services(ctx, liveness.BINARY)}


def _wait(condition, timeout=20.0):
    waiting.until('the condition reached', condition, timeout, interval=0.1)


# ------------------------------------------------------------------ heartbeats and options

def test_a_heartbeat_is_one_row_per_host_and_binary(api, ctx):
    liveness.beat(ctx, A)
    first = _heartbeats(ctx)[A]
    time.sleep(0.01)
    liveness.beat(ctx, A)
    service_obj.heartbeat(ctx, A, 'dcmanager-other')
    rows = [row for row in service_obj.list_services(ctx) if row.host == A]
    assert sorted(row.binary for row in rows) == ['dcmanager-manager', 'dcmanager-other']
    assert _heartbeats(ctx)[A] > first


def test_a_manager_refuses_to_start_when_dead_is_not_longer_than_a_heartbeat(api, ctx):
    CONF.set_override('heartbeat_interval', 30, group='manager')
    CONF.set_override('service_down_time', 30, group='manager')
    try:
        with pytest.raises(exception.DCManagerException,
                           match=r'service_down_time \(30 s\) must be greater than '
                                 r'\[manager\] heartbeat_interval \(30 s\)'):
            manager_service.ManagerService(host=A).start()
    finally:
        CONF.clear_override('heartbeat_interval', group='manager')
        CONF.clear_override('service_down_time', group='manager')
    assert A not in _heartbeats(ctx)  # refused before anything was written


def test_a_started_manager_heartbeats(api, ctx, managers):
    managers(A)
    assert A in _heartbeats(ctx)


# ------------------------------------------------------------------ the owner

def test_an_added_subcloud_is_owned_by_its_manager_until_its_enrollment_ends(api, ctx):
    liveness.beat(ctx, A)
    CONF.set_override('enroll_workers', 1, group='subcloud')
    release = threading.Event()
    enroller = enroll.Enroller(A)
    try:
        with forms.unreachable_subclouds():
            blocker = enroller.queue.submit(release.wait, 30)  # holds the one worker
            subcloud = objects.Subcloud(
                name='sc1', group_id=states.DEFAULT_GROUP_ID, bootstrap_address='127.0.3.1')
            secrets = objects.Subcloud.encrypt_secrets({'admin_password': forms.ADMIN_PASSWORD})
            subclouds.add(ctx, subcloud, secrets, enroller)
            assert _state(ctx, subcloud) == (states.DEPLOY_PRE_ENROLL, A)
            release.set()
            blocker.result(timeout=30)
            _wait(lambda: _state(ctx, subcloud)[0] != states.DEPLOY_PRE_ENROLL)
    finally:
        release.set()
        enroller.stop()
        CONF.clear_override('enroll_workers', group='subcloud')
    # The identity API is unreachable: the enrollment failed, and the subcloud has no owner.
    assert _state(ctx, subcloud) == (states.DEPLOY_PRE_ENROLL_FAILED, None)


def test_each_step_keeps_the_owner_and_the_end_clears_it(api, ctx):
    subcloud = _create(ctx, states.DEPLOY_PRE_ENROLL, A)
    # Another manager cannot move A's enrollment on.
    assert not objects.Subcloud.transition(ctx, subcloud.id, states.DEPLOY_PRE_ENROLL,
                                           states.DEPLOY_ENROLLING, owner=B)
    assert _state(ctx, subcloud) == (states.DEPLOY_PRE_ENROLL, A)
    assert objects.Subcloud.transition(ctx, subcloud.id, states.DEPLOY_PRE_ENROLL,
                                       states.DEPLOY_ENROLLING, owner=A)
    assert _state(ctx, subcloud) == (states.DEPLOY_ENROLLING, A)
    assert objects.Subcloud.transition(ctx, subcloud.id, states.DEPLOY_ENROLLING,
                                       states.DEPLOY_COMPLETE, owner=A)
    assert _state(ctx, subcloud) == (states.DEPLOY_COMPLETE, None)
    failed = _create(ctx, states.DEPLOY_ENROLLING, A)
    assert objects.Subcloud.transition(ctx, failed.id, states.DEPLOY_ENROLLING,
                                       states.DEPLOY_ENROLL_FAILED, owner=A)
    assert _state(ctx, failed) == (states.DEPLOY_ENROLL_FAILED, None)


def test_a_move_the_deploy_status_table_refuses_writes_nothing(api, ctx):
    subcloud = _create(ctx, states.DEPLOY_COMPLETE, None)
    enrolling = _create(ctx, states.DEPLOY_ENROLLING, A)
    with pytest.raises(exception.InvalidStateTransition,
                       match='deploy status cannot go from complete to enrolling'):
        objects.Subcloud.transition(ctx, subcloud.id, states.DEPLOY_COMPLETE,
                                    states.DEPLOY_ENROLLING, owner=A)
    with pytest.raises(exception.InvalidStateTransition):
        objects.Subcloud.transition(ctx, enrolling.id, states.DEPLOY_ENROLLING,
                                    states.DEPLOY_PRE_ENROLL, owner=A)
    assert _state(ctx, subcloud) == (states.DEPLOY_COMPLETE, None)
    assert _state(ctx, enrolling) == (states.DEPLOY_ENROLLING, A)


def test_a_status_written_directly_takes_no_stale_owner(api, ctx):
    subcloud = _create(ctx, states.DEPLOY_ENROLLING, A)
    db_api.subcloud_update(ctx, subcloud.id, {'deploy_status': states.DEPLOY_COMPLETE})
    assert _state(ctx, subcloud) == (states.DEPLOY_COMPLETE, None)
    db_api.subcloud_update(ctx, subcloud.id, {'deploy_status': 'rehoming'})
    assert _state(ctx, subcloud) == ('rehoming', None)
    created = _create(ctx, states.DEPLOY_COMPLETE, A)
    assert _state(ctx, created) == (states.DEPLOY_COMPLETE, None)


# ------------------------------------------------------------------ recovery at start

def test_a_restarting_manager_recovers_its_own_ownerless_and_dead_ones_only(api, ctx, managers):
    managers(B)
    liveness.beat(ctx, A)  # A's previous run, crashed a moment ago: its heartbeat is fresh
    liveness.beat(ctx, 'mgr-c')
    _stale(ctx, 'mgr-c')
    mine = [_create(ctx, states.DEPLOY_PRE_ENROLL, A), _create(ctx, states.DEPLOY_ENROLLING, A)]
    theirs = [_create(ctx, states.DEPLOY_PRE_ENROLL, B), _create(ctx, states.DEPLOY_ENROLLING, B)]
    ownerless = _create(ctx, states.DEPLOY_ENROLLING, None)
    dead = _create(ctx, 'rehoming', 'mgr-c')
    unknown = _create(ctx, 'creating', 'mgr-never-seen')
    done = _create(ctx, states.DEPLOY_COMPLETE, A)

    managers(A)

    for subcloud in mine + [ownerless, dead, unknown]:
        status = subcloud.deploy_status
        assert _state(ctx, subcloud) == _recovered(status), subcloud.name
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == _description(status)
    for subcloud in theirs:
        assert _state(ctx, subcloud) == (subcloud.deploy_status, B)
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == states.DEFAULT_ERROR_DESCRIPTION
    assert _state(ctx, done) == (states.DEPLOY_COMPLETE, None)
    body = api.get(BASE + '/%d' % mine[1].id).json
    assert body['deploy-status'] == states.DEPLOY_ENROLL_FAILED
    assert 'stopped (restarted or died) while the subcloud was enrolling' in \
        body['error-description']


def test_recovery_at_start_counts_what_it_moved(quiet_site, api, ctx):
    liveness.beat(ctx, B)
    for status in (states.DEPLOY_PRE_ENROLL, states.DEPLOY_ENROLLING):
        _create(ctx, status, A)
        _create(ctx, status, B)
    _create(ctx, states.DEPLOY_ENROLLING, None)
    assert recovery.recover_at_start(ctx, A) == 3
    assert recovery.recover_at_start(ctx, A) == 0
    assert recovery.recover_dead_owners(ctx, A) == 0


# ------------------------------------------------------------------ recovery while running

def test_a_live_manager_recovers_a_dead_ones_and_never_a_live_ones(
        fast_heartbeat, api, ctx, managers):
    a = managers(A)
    b = managers(B)
    a_own = _create(ctx, states.DEPLOY_ENROLLING, A)
    b_own = [_create(ctx, states.DEPLOY_PRE_ENROLL, B), _create(ctx, states.DEPLOY_ENROLLING, B)]
    # Written after the managers started: only a manager's start recovers an ownerless one.
    ownerless = _create(ctx, states.DEPLOY_ENROLLING, None)

    # Both alive: several of A's heartbeats (each followed by its recovery) leave B's alone.
    beats = set()
    _wait(lambda: beats.add(_heartbeats(ctx)[A]) or len(beats) >= 4)
    a.heartbeat()
    for subcloud in b_own:
        assert _state(ctx, subcloud) == (subcloud.deploy_status, B)
    assert _state(ctx, a_own) == (states.DEPLOY_ENROLLING, A)

    # B stops heartbeating (as if its host died): A's periodic recovery takes B's, and only them,
    # once B has been silent for service_down_time.
    b.stop()
    stopped = time.monotonic()
    _wait(lambda: all(_state(ctx, s)[0] != s.deploy_status for s in b_own))
    assert time.monotonic() - stopped >= (CONF.manager.service_down_time
                                          - CONF.manager.heartbeat_interval - 0.5)
    for subcloud in b_own:
        assert _state(ctx, subcloud) == _recovered(subcloud.deploy_status)
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == \
            _description(subcloud.deploy_status)
    assert _state(ctx, a_own) == (states.DEPLOY_ENROLLING, A)
    assert _state(ctx, ownerless) == (states.DEPLOY_ENROLLING, None)


def test_periodic_recovery_takes_only_dead_owners(quiet_site, api, ctx):
    liveness.beat(ctx, A)
    liveness.beat(ctx, B)
    _stale(ctx, 'mgr-c')
    a_own = _create(ctx, states.DEPLOY_PRE_ENROLL, A)
    b_own = _create(ctx, states.DEPLOY_ENROLLING, B)
    c_own = _create(ctx, 'pre-rehome', 'mgr-c')
    unknown = _create(ctx, 'installing', 'mgr-never-seen')
    ownerless = _create(ctx, states.DEPLOY_ENROLLING, None)
    assert recovery.recover_dead_owners(ctx, A) == 2
    assert _state(ctx, c_own) == ('rehome-prep-failed', None)
    assert _state(ctx, unknown) == ('install-failed', None)
    assert _state(ctx, a_own) == (states.DEPLOY_PRE_ENROLL, A)
    assert _state(ctx, b_own) == (states.DEPLOY_ENROLLING, B)
    assert _state(ctx, ownerless) == (states.DEPLOY_ENROLLING, None)
    # Its own are never "dead" to a running manager, even with a stale heartbeat of its own.
    _stale(ctx, A)
    assert recovery.recover_dead_owners(ctx, A) == 0
    assert _state(ctx, a_own) == (states.DEPLOY_PRE_ENROLL, A)
    # ... but they are to the others.
    assert recovery.recover_dead_owners(ctx, B) == 1
    assert _state(ctx, a_own) == (states.DEPLOY_PRE_ENROLL_FAILED, None)


def _recover_together(site, hosts):
    """The periodic recovery of each of ``hosts``, started at the same instant on its own thread
    (and database connection); {host: how many it moved}."""
    barrier = threading.Barrier(len(hosts))
    counts = {}

    def recover(host):
        context = site.context()
        barrier.wait(timeout=30)
        counts[host] = recovery.recover_dead_owners(context, host)

    threads = [threading.Thread(target=recover, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return counts


def test_two_managers_recovering_at_once_fail_each_subcloud_once(quiet_site, api, site):
    ctx = site.context()
    liveness.beat(ctx, A)
    liveness.beat(ctx, B)
    transitory = sorted(states.DEPLOY.transitory)
    for _round in range(3):
        _stale(ctx, 'mgr-c')
        dead = [_create(ctx, transitory[i % len(transitory)], 'mgr-c') for i in range(40)]
        alive = [_create(ctx, states.DEPLOY_ENROLLING, host) for host in (A, B)]
        counts = _recover_together(site, (A, B))
        assert sorted(counts) == [A, B]
        assert counts[A] + counts[B] == len(dead), counts
        for subcloud in dead:
            assert _state(ctx, subcloud) == _recovered(subcloud.deploy_status)
            row = db_api.subcloud_get(ctx, subcloud.id)
            assert row.error_description == \
                _description(subcloud.deploy_status)
        for subcloud, host in zip(alive, (A, B), strict=True):
            assert _state(ctx, subcloud) == (states.DEPLOY_ENROLLING, host)
        liveness.beat(ctx, 'mgr-c')  # back, for the next round


class _AnsweringAgent:
    """A subcloud's audit agent answering the enrollment step that comes too late."""

    agent_url = 'https://127.0.4.200:8326/v1/dcaudit'

    def audit(self, audits):
        return {'base_audit': {'availability': states.ONLINE}}


def test_a_recovered_enrollment_cannot_finish_afterwards(quiet_site, api, ctx):
    liveness.beat(ctx, A)
    _stale(ctx, B)
    enrolling = _create(ctx, states.DEPLOY_ENROLLING, B)
    pre_enroll = _create(ctx, states.DEPLOY_PRE_ENROLL, B)
    # B's enrollment threads still hold the subclouds as they read them before B was declared
    # dead; A recovers them meanwhile.
    held = objects.Subcloud.get_by_id(ctx, enrolling.id)
    assert recovery.recover_dead_owners(ctx, A) == 2
    late = enroll.Enroller(B)
    try:
        late._enrolling(ctx, held, _AnsweringAgent())  # would move it to complete
    finally:
        late.stop()
    assert not objects.Subcloud.transition(ctx, pre_enroll.id, states.DEPLOY_PRE_ENROLL,
                                           states.DEPLOY_ENROLLING, owner=B,
                                           region_name='late-region')
    for subcloud in (enrolling, pre_enroll):
        assert _state(ctx, subcloud) == _recovered(subcloud.deploy_status)
        row = db_api.subcloud_get(ctx, subcloud.id)
        assert row.error_description == \
            _description(subcloud.deploy_status)
        assert row.availability_status == states.OFFLINE
        assert row.region_name is None

"""The availability and alarm audit against simulated subclouds over real sockets.

The audit service (scheduler + worker) runs in this process on the session's site, with a 1 s
interval; the simulator is a child process whose control API takes subclouds down and up and sets
their alarms, and whose counters tell what the audit really sent.
"""

import time

import pytest

from dcmanager import objects
from dcmanager.audit import service
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import waiting
from tests.integration import sim_fixture

PASSWORD = 'Sim-Audit-1'
INTERVAL = 1
SCAN = 0.2
# A cycle is at most interval + scan + the audit itself; allow for a slow machine.
MARGIN = 4.0
ONLINE_WITHIN = 2 * INTERVAL + MARGIN
# Two failed audits in a row take an online subcloud offline.
OFFLINE_WITHIN = states.AVAIL_FAIL_COUNT_TO_OFFLINE * (INTERVAL + SCAN) + MARGIN


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'auditsim', count=8, admin_password=PASSWORD)


@pytest.fixture
def configured(site, sim):
    overrides = [('scheme', 'http', 'subcloud'), ('identity_port', sim.identity_port, 'subcloud'),
                 ('agent_port', sim.agent_port, 'subcloud'), ('interval', INTERVAL, 'audit'),
                 ('scan_interval', SCAN, 'audit'), ('lease_seconds', 20, 'audit'),
                 ('request_timeout', 5.0, 'identity')]
    for name, value, group in overrides:
        CONF.set_override(name, value, group=group)
    sim.control('POST', '/v1/reset-counters')
    try:
        yield sim
    finally:
        for name, _, group in overrides:
            CONF.clear_override(name, group=group)
        site.reset_database()


def _add(ctx, sim, index, management_state=states.MANAGED, deploy_status='complete',
         password=PASSWORD):
    values = {'name': 'subcloud%d' % (index + 1), 'deploy_status': deploy_status,
              'management_state': management_state,
              'bootstrap_address': sim.addresses[index],
              'secrets': objects.Subcloud.encrypt_secrets({'admin_password': password})}
    return db_api.subcloud_create(ctx, values).id


@pytest.fixture
def running(configured):
    """Starts the audit service once the test has added its subclouds; stops it after."""
    audits = []

    def start(**parts):
        audit = service.AuditService(**parts)
        audit.start()
        audits.append(audit)
        return audit

    yield start
    for audit in audits:
        started = time.monotonic()
        audit.stop()
        assert time.monotonic() - started < 5


def _wait(predicate, timeout, what):
    return waiting.until(what, predicate, timeout, interval=0.05)


def _availability(ctx, subcloud_id):
    return db_api.subcloud_get(ctx, subcloud_id).availability_status


def _endpoints(subcloud_id):
    table = models.SubcloudStatus.__table__
    with db_api.get_engine().connect() as conn:
        rows = conn.execute(table.select().where(table.c.subcloud_id == subcloud_id)).all()
    return {row.endpoint_type: row.sync_status for row in rows}


def _all_in_sync(subcloud_id):
    with db_api.get_engine().begin() as conn:
        conn.execute(models.SubcloudStatus.__table__.update()
                     .where(models.SubcloudStatus.subcloud_id == subcloud_id)
                     .values(sync_status=states.SYNC_IN_SYNC))
        conn.execute(models.Subcloud.__table__.update()
                     .where(models.Subcloud.id == subcloud_id)
                     .values(sync_status=states.SYNC_IN_SYNC))


def _alarms(site):
    rows = site.app().get('/v1.0/alarms').json['alarm_summary']
    return {row['region_name']: row for row in rows}


# ------------------------------------------------------------------ tests

def test_subclouds_come_online_and_excluded_states_are_never_audited(site, sim, running):
    ctx = site.context()
    managed = [_add(ctx, sim, i) for i in range(3)]
    unmanaged = _add(ctx, sim, 3, management_state=states.UNMANAGED)
    _add(ctx, sim, 4, deploy_status='secondary')
    _add(ctx, sim, 5, deploy_status='rehoming')
    _add(ctx, sim, 6, deploy_status='pre-rehome')
    started = time.monotonic()
    running()
    for subcloud_id in managed + [unmanaged]:
        _wait(lambda s=subcloud_id: _availability(ctx, s) == states.ONLINE, ONLINE_WITHIN,
              'subcloud %s online' % subcloud_id)
    elapsed = time.monotonic() - started
    time.sleep(3 * INTERVAL)  # a few more cycles
    for index in (4, 5, 6):
        assert sim.counters(sim.addresses[index])['audits'] == 0
    for index in range(4):
        assert sim.counters(sim.addresses[index])['audits'] >= 3
    rows = {row.name: row for row in db_api.subcloud_get_all(ctx)}
    assert {rows[n].availability_status for n in ('subcloud5', 'subcloud6', 'subcloud7')} \
        == {states.OFFLINE}
    assert all(rows[n].last_audit_at is None for n in ('subcloud5', 'subcloud6', 'subcloud7'))
    # Managed subclouds have their alarm summary; an unmanaged one is not asked for its alarms.
    assert sim.subcloud(sim.addresses[3])['audit_requests'].get('alarm_audit') is None
    assert sim.subcloud(sim.addresses[0])['audit_requests']['alarm_audit'] >= 3
    assert sorted(_alarms(site)) == ['subcloud1', 'subcloud2', 'subcloud3']
    assert elapsed < ONLINE_WITHIN


def test_down_goes_offline_with_endpoints_unknown_then_up_comes_back(site, sim, running):
    ctx = site.context()
    ids = [_add(ctx, sim, i) for i in range(3)]
    running()
    for subcloud_id in ids:
        _wait(lambda s=subcloud_id: _availability(ctx, s) == states.ONLINE, ONLINE_WITHIN,
              'online')
    victim = ids[1]
    _all_in_sync(victim)
    assert _alarms(site)['subcloud2']['cloud_status'] == 'OK'
    sim.action(sim.addresses[1], 'down')
    try:
        started = time.monotonic()
        _wait(lambda: _availability(ctx, victim) == states.OFFLINE, OFFLINE_WITHIN, 'offline')
        went_offline = time.monotonic() - started
        row = db_api.subcloud_get(ctx, victim)
        assert row.audit_fail_count == states.AVAIL_FAIL_COUNT_TO_OFFLINE
        assert row.sync_status == states.SYNC_UNKNOWN
        assert set(_endpoints(victim).values()) == {states.SYNC_UNKNOWN}
        cleared = _alarms(site)['subcloud2']
        assert (cleared['critical_alarms'], cleared['warnings'], cleared['cloud_status']) \
            == (-1, -1, 'disabled')
        # the others did not notice
        assert {_availability(ctx, s) for s in (ids[0], ids[2])} == {states.ONLINE}
    finally:
        sim.action(sim.addresses[1], 'up')
    _wait(lambda: _availability(ctx, victim) == states.ONLINE, ONLINE_WITHIN, 'back online')
    assert db_api.subcloud_get(ctx, victim).audit_fail_count == 0
    _wait(lambda: _alarms(site)['subcloud2']['cloud_status'] == 'OK', ONLINE_WITHIN,
          'alarm summary back')
    assert went_offline < OFFLINE_WITHIN


def test_alarm_counts_reach_the_api(site, sim, running):
    ctx = site.context()
    for index in range(3):
        _add(ctx, sim, index)
    address = sim.addresses[2]
    sim.patch(address, critical_alarms=2, major_alarms=1, minor_alarms=4, warnings=3)
    try:
        running()
        summary = _wait(lambda: _alarms(site).get('subcloud3'), ONLINE_WITHIN, 'summary')
        assert {k: summary[k] for k in ('critical_alarms', 'major_alarms', 'minor_alarms',
                                        'warnings', 'cloud_status')} == {
            'critical_alarms': 2, 'major_alarms': 1, 'minor_alarms': 4, 'warnings': 3,
            'cloud_status': 'critical'}
        uuid = summary['uuid']
        sim.patch(address, critical_alarms=0)
        summary = _wait(lambda: _alarms(site)['subcloud3']['cloud_status'] == 'degraded'
                        and _alarms(site)['subcloud3'], ONLINE_WITHIN, 'degraded')
        assert (summary['critical_alarms'], summary['major_alarms'], summary['uuid']) \
            == (0, 1, uuid)
        assert _alarms(site)['subcloud1']['cloud_status'] == 'OK'
    finally:
        sim.patch(address, critical_alarms=0, major_alarms=0, minor_alarms=0, warnings=0)


@pytest.mark.parametrize('token_backend', ['memory', 'database'])
def test_one_token_per_subcloud_over_many_cycles(site, sim, running, token_backend):
    CONF.set_override('backend', token_backend, group='token_cache')
    try:
        ctx = site.context()
        for index in range(3):
            _add(ctx, sim, index)
        running()
        _wait(lambda: all(sim.counters(sim.addresses[i])['audits'] >= 5 for i in range(3)),
              5 * (INTERVAL + SCAN) + MARGIN, 'five audits each')
    finally:
        CONF.clear_override('backend', group='token_cache')
    for index in range(3):
        counters = sim.counters(sim.addresses[index])
        assert counters['token_posts'] == 1, counters
        assert counters['unauthorized'] == 0, counters


def test_a_wrong_password_keeps_a_subcloud_offline(site, sim, running):
    ctx = site.context()
    good = _add(ctx, sim, 0)
    bad = _add(ctx, sim, 1, password='not-the-password')
    running()
    _wait(lambda: _availability(ctx, good) == states.ONLINE, ONLINE_WITHIN, 'online')
    _wait(lambda: db_api.subcloud_get(ctx, bad).audit_fail_count >= 2, OFFLINE_WITHIN,
          'failures counted')
    assert _availability(ctx, bad) == states.OFFLINE
    assert sim.counters(sim.addresses[1])['audits'] == 0  # never got past the identity service


def test_each_subcloud_is_audited_once_per_interval(site, sim, running):
    ctx = site.context()
    for index in range(3):
        _add(ctx, sim, index)
    running()
    _wait(lambda: all(sim.counters(sim.addresses[i])['audits'] >= 1 for i in range(3)),
          ONLINE_WITHIN, 'first audits')
    sim.control('POST', '/v1/reset-counters')
    window = 4.0
    time.sleep(window)
    for index in range(3):
        audits = sim.counters(sim.addresses[index])['audits']
        # About one per interval + scan (3 here), never more than one per interval.
        assert 2 <= audits <= window / INTERVAL + 1, audits


def test_scheduler_and_worker_apart_talk_over_rpc(site, sim, running):
    ctx = site.context()
    ids = [_add(ctx, sim, i) for i in range(3)]
    worker = running(scheduler=False, worker=True)
    scheduler = running(scheduler=True, worker=False)
    assert worker.worker._server is not None and scheduler.worker is None
    for subcloud_id in ids:
        _wait(lambda s=subcloud_id: _availability(ctx, s) == states.ONLINE, ONLINE_WITHIN,
              'online through the worker topic')
    assert scheduler.scheduler._worker_api is not None  # it did cast

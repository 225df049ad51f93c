"""The audit's claims on the site's real database (objects.subcloud_audit over dcmanager.db).

Two claimers, in threads or in two OS processes, never get the same subcloud; a lapsed lease can be
claimed again; a worker whose claim was taken over cannot overwrite the newer result.
"""

import concurrent.futures
import datetime
import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from dcmanager import objects
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api
from dcmanager.objects import subcloud_audit

INTERVAL = 30
LEASE = 60
T0 = datetime.datetime(2030, 1, 1, 12, 0, 0)


def _at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def ctx(database):
    yield database.context()
    database.reset_database()


def _add(ctx, name, **values):
    row = db_api.subcloud_create(ctx, dict({'name': name,
                                            'deploy_status': states.DEPLOY_COMPLETE}, **values))
    return row.id


def _add_many(ctx, count, prefix='sc'):
    return [_add(ctx, '%s%d' % (prefix, i)) for i in range(count)]


def _row(ctx, subcloud_id):
    return db_api.subcloud_get(ctx, subcloud_id)


def _endpoint_statuses(ctx, subcloud_id):
    from dcmanager.db.sqlalchemy import models  # the tests may look below the interface
    engine = db_api.get_engine()
    with engine.connect() as conn:
        rows = conn.execute(models.SubcloudStatus.__table__.select().where(
            models.SubcloudStatus.subcloud_id == subcloud_id)).all()
    return {row.endpoint_type: row.sync_status for row in rows}


def _set(subcloud_id, **values):
    from dcmanager.db.sqlalchemy import models
    with db_api.get_engine().begin() as conn:
        conn.execute(models.Subcloud.__table__.update()
                     .where(models.Subcloud.id == subcloud_id).values(**values))


# ------------------------------------------------------------------ who is due

@pytest.mark.parametrize('deploy_status', sorted(states.AUDITABLE_DEPLOY_STATES))
def test_auditable_deploy_states_are_due(ctx, deploy_status):
    subcloud_id = _add(ctx, 'sc', deploy_status=deploy_status,
                       availability_status=states.ONLINE)
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=T0) == [subcloud_id]


@pytest.mark.parametrize('deploy_status', ['secondary', 'secondary-failed', 'pre-rehome',
                                           'rehoming', 'pre-enroll', 'enrolling',
                                           'not-deployed', 'create-failed'])
def test_other_deploy_states_are_never_due(ctx, deploy_status):
    _add(ctx, 'sc', deploy_status=deploy_status)
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=T0) == []
    assert subcloud_audit.claim(ctx, [1, 2, 3], INTERVAL, LEASE, now=T0)[1] == []


@pytest.mark.parametrize('deploy_status', sorted(states.NOT_AUDITED_WHEN_OFFLINE))
def test_expected_outage_states_are_due_only_while_online(ctx, deploy_status):
    offline = _add(ctx, 'off', deploy_status=deploy_status, availability_status=states.OFFLINE)
    online = _add(ctx, 'on', deploy_status=deploy_status, availability_status=states.ONLINE)
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=T0) == [online]
    assert offline != online


def test_due_again_once_the_interval_has_passed_never_audited_first(ctx):
    first, second, third = _add_many(ctx, 3)
    for subcloud_id, seconds in ((first, 0), (second, 10)):
        owner, claimed = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(0))
        assert claimed == [subcloud_id]
        assert subcloud_audit.finish(ctx, subcloud_id, owner, states.ONLINE, 0, changed=True,
                                     now=_at(seconds))
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=_at(29)) == [third]
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=_at(30)) == [third, first]
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=_at(40)) == [third, first, second]
    assert subcloud_audit.due(ctx, INTERVAL, 2, now=_at(40)) == [third, first]


# ------------------------------------------------------------------ claims

def test_a_claimed_subcloud_is_not_claimed_again_until_released(ctx):
    ids = _add_many(ctx, 4)
    owner, claimed = subcloud_audit.claim(ctx, ids[:3], INTERVAL, LEASE, now=T0)
    assert claimed == ids[:3]
    assert subcloud_audit.due(ctx, INTERVAL, 100, now=_at(1)) == [ids[3]]
    other, got = subcloud_audit.claim(ctx, ids, INTERVAL, LEASE, now=_at(1))
    assert other != owner
    assert got == [ids[3]]
    assert subcloud_audit.release(ctx, owner, [ids[0]]) == 1
    assert subcloud_audit.claim(ctx, ids, INTERVAL, LEASE, now=_at(2))[1] == [ids[0]]
    assert subcloud_audit.release(ctx, owner) == 2  # the other two


def test_threads_never_claim_the_same_subcloud(ctx):
    ids = _add_many(ctx, 60)
    barrier = threading.Barrier(6)

    def claimer(seed):
        order = list(ids)
        random.Random(seed).shuffle(order)
        barrier.wait()
        mine = []
        for start in range(0, len(order), 4):
            mine += subcloud_audit.claim(ctx, order[start:start + 4], INTERVAL, LEASE)[1]
        return mine

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(claimer, range(6)))
    claimed = [subcloud_id for mine in results for subcloud_id in mine]
    assert sorted(claimed) == sorted(ids)  # each one exactly once
    assert sum(1 for mine in results if mine) > 1  # they did compete


_CLAIMER = textwrap.dedent('''
    import json, os, random, sys, time
    from dcmanager.conf import CONF
    CONF([], project='dcmanager', default_config_files=[])
    CONF.set_override('connection', sys.argv[1], group='database')
    from dcmanager.common import context
    from dcmanager.objects import subcloud_audit
    ctx = context.get_admin_context()
    subcloud_audit.due(ctx, 30, 1)  # connect before the start line
    open(sys.argv[2] + '.%d' % os.getpid(), 'w').close()
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.001)
    # What a scheduler does: read the due list, claim it; the other process reads the same list.
    mine, contested = [], 0
    while True:
        due = subcloud_audit.due(ctx, 30, 4)
        if not due:
            break
        claimed = subcloud_audit.claim(ctx, due, 30, 60)[1]
        contested += len(due) - len(claimed)
        mine += claimed
        time.sleep(random.uniform(0, 0.003))  # let the other one in between our claims
    print(json.dumps({'mine': mine, 'contested': contested}))
''')


def test_two_processes_never_claim_the_same_subcloud(ctx, tmp_path):
    ids = _add_many(ctx, 200)
    script = tmp_path / 'claimer.py'
    script.write_text(_CLAIMER)
    go = tmp_path / 'go'
    procs = [subprocess.Popen([sys.executable, str(script), CONF.database.connection, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=dict(os.environ))
             for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob('go.*'))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # both imported and connected
        go.touch()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    results = []
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out))
    first, second = (r['mine'] for r in results)
    # They did compete: each saw subclouds due that the other claimed first.
    assert first and second and sum(r['contested'] for r in results) > 0
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids)


def test_a_lapsed_lease_can_be_claimed_again(ctx):
    subcloud_id = _add(ctx, 'sc')
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    assert subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(LEASE))[1] == []
    newer, claimed = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE,
                                          now=_at(LEASE + 1))
    assert claimed == [subcloud_id]
    assert _row(ctx, subcloud_id).audit_owner == newer != owner


# ------------------------------------------------------------------ start and finish

def test_start_returns_what_the_worker_needs_and_keeps_the_secret_sealed(ctx):
    subcloud_id = _add(ctx, 'sc', bootstrap_address='127.0.1.1',
                       management_state=states.MANAGED,
                       secrets=objects.Subcloud.encrypt_secrets({'admin_password': 'S3cret!'}))
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    target = subcloud_audit.start(ctx, subcloud_id, owner, LEASE, now=_at(1))
    assert target == subcloud_audit.AuditTarget(
        id=subcloud_id, name='sc', bootstrap_address='127.0.1.1',
        management_state=states.MANAGED, deploy_status=states.DEPLOY_COMPLETE,
        availability_status=states.OFFLINE, audit_fail_count=0)
    assert target.admin_password() == 'S3cret!'
    assert 'S3cret!' not in repr(target) and 'secrets' not in repr(target)
    # early in the lease: a plain read, the lease is as claimed
    assert _row(ctx, subcloud_id).audit_lease_until == _at(LEASE)


def test_start_late_in_the_lease_renews_it(ctx):
    subcloud_id = _add(ctx, 'sc')
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    assert subcloud_audit.start(ctx, subcloud_id, owner, LEASE, now=_at(LEASE / 2 + 1))
    assert _row(ctx, subcloud_id).audit_lease_until == _at(LEASE / 2 + 1 + LEASE)
    # the renewed lease holds past the first one
    assert subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(LEASE + 1))[1] == []


def test_a_secret_the_site_key_cannot_read_is_an_error_of_that_subcloud_only(ctx):
    from dcmanager.common import exception
    subcloud_id = _add(ctx, 'sc', secrets='not-a-fernet-token')
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    target = subcloud_audit.start(ctx, subcloud_id, owner, LEASE, now=_at(1))
    with pytest.raises(exception.DCManagerException):
        target.admin_password()


def test_a_stale_owner_can_neither_start_nor_overwrite(ctx):
    subcloud_id = _add(ctx, 'sc')
    stale, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    assert subcloud_audit.start(ctx, subcloud_id, stale, LEASE, now=_at(LEASE + 1)) is None
    newer, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(LEASE + 1))
    assert subcloud_audit.start(ctx, subcloud_id, stale, LEASE, now=_at(LEASE + 2)) is None
    assert subcloud_audit.start(ctx, subcloud_id, newer, LEASE, now=_at(LEASE + 2)) is not None
    assert subcloud_audit.finish(ctx, subcloud_id, newer, states.ONLINE, 0, changed=True,
                                 alarms={'critical_alarms': 0, 'major_alarms': 0,
                                         'minor_alarms': 0, 'warnings': 0,
                                         'cloud_status': 'OK'},
                                 now=_at(LEASE + 3))
    # The stale worker comes back with an old "offline" result: nothing of it is written.
    assert not subcloud_audit.finish(ctx, subcloud_id, stale, states.OFFLINE, 2, changed=True,
                                     endpoints_unknown=True,
                                     alarms={'critical_alarms': -1, 'major_alarms': -1,
                                             'minor_alarms': -1, 'warnings': -1,
                                             'cloud_status': 'disabled'},
                                     now=_at(LEASE + 4))
    row = _row(ctx, subcloud_id)
    assert (row.availability_status, row.audit_fail_count) == (states.ONLINE, 0)
    assert row.last_audit_at == _at(LEASE + 3)
    assert objects.AlarmSummary.list(ctx)[0].cloud_status == 'OK'


def test_a_stale_owner_does_not_release_the_new_claim(ctx):
    subcloud_id = _add(ctx, 'sc')
    stale, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    newer, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(LEASE + 1))
    assert subcloud_audit.release(ctx, stale) == 0
    assert not subcloud_audit.finish(ctx, subcloud_id, stale, states.ONLINE, 0)
    assert _row(ctx, subcloud_id).audit_owner == newer


def test_finish_releases_the_claim_and_records_the_audit(ctx):
    subcloud_id = _add(ctx, 'sc')
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    assert subcloud_audit.finish(ctx, subcloud_id, owner, states.OFFLINE, 1, now=_at(1))
    row = _row(ctx, subcloud_id)
    assert (row.audit_owner, row.audit_lease_until) == (None, None)
    assert (row.availability_status, row.audit_fail_count) == (states.OFFLINE, 1)
    assert row.last_audit_at == _at(1)
    # finished once: a second finish with the same token writes nothing
    assert not subcloud_audit.finish(ctx, subcloud_id, owner, states.ONLINE, 0, now=_at(2))


def test_going_offline_sets_every_endpoint_and_the_aggregate_unknown(ctx):
    subcloud_id = _add(ctx, 'sc', availability_status=states.ONLINE,
                       sync_status=states.SYNC_IN_SYNC)
    from dcmanager.db.sqlalchemy import models
    with db_api.get_engine().begin() as conn:
        conn.execute(models.SubcloudStatus.__table__.update().values(
            sync_status=states.SYNC_IN_SYNC))
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    assert subcloud_audit.finish(ctx, subcloud_id, owner, states.OFFLINE, 2, changed=True,
                                 endpoints_unknown=True, now=_at(1))
    assert set(_endpoint_statuses(ctx, subcloud_id)) == set(states.ENDPOINT_TYPES)
    assert set(_endpoint_statuses(ctx, subcloud_id).values()) == {states.SYNC_UNKNOWN}
    assert _row(ctx, subcloud_id).sync_status == states.SYNC_UNKNOWN


def test_a_subcloud_that_left_the_auditable_states_keeps_its_new_state(ctx):
    subcloud_id = _add(ctx, 'sc')
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    _set(subcloud_id, deploy_status='rehoming')
    assert subcloud_audit.start(ctx, subcloud_id, owner, LEASE, now=_at(1)) is None
    assert not subcloud_audit.finish(ctx, subcloud_id, owner, states.ONLINE, 0, changed=True,
                                     now=_at(2))
    row = _row(ctx, subcloud_id)
    assert (row.availability_status, row.deploy_status) == (states.OFFLINE, 'rehoming')
    assert row.audit_owner is None  # released all the same


def test_bookkeeping_keeps_updated_at_and_a_change_moves_it(ctx):
    subcloud_id = _add(ctx, 'sc')
    before = _row(ctx, subcloud_id).updated_at
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=T0)
    subcloud_audit.start(ctx, subcloud_id, owner, LEASE, now=_at(1))
    subcloud_audit.finish(ctx, subcloud_id, owner, states.OFFLINE, 1, now=_at(2))
    assert _row(ctx, subcloud_id).updated_at == before
    owner, _ = subcloud_audit.claim(ctx, [subcloud_id], INTERVAL, LEASE, now=_at(40))
    subcloud_audit.finish(ctx, subcloud_id, owner, states.ONLINE, 0, changed=True, now=_at(41))
    assert _row(ctx, subcloud_id).updated_at is not None
    assert _row(ctx, subcloud_id).updated_at != before


# ------------------------------------------------------------------ alarm summary

def test_alarm_summary_is_upserted_with_a_stable_uuid(ctx):
    first, second = _add_many(ctx, 2)
    values = {'critical_alarms': 0, 'major_alarms': 1, 'minor_alarms': 2, 'warnings': 3,
              'cloud_status': 'degraded'}
    objects.AlarmSummary.set_for(ctx, first, values)
    objects.AlarmSummary.set_for(ctx, second, values)
    summaries = objects.AlarmSummary.list(ctx)
    assert [s.subcloud_name for s in summaries] == ['sc1', 'sc0']  # newest row first
    uuid = summaries[1].uuid
    objects.AlarmSummary.set_for(ctx, first, dict(values, critical_alarms=5,
                                                  cloud_status='critical'))
    objects.AlarmSummary.clear(ctx, second)
    summaries = {s.subcloud_name: s for s in objects.AlarmSummary.list(ctx)}
    assert summaries['sc0'].uuid == uuid
    assert (summaries['sc0'].critical_alarms, summaries['sc0'].cloud_status) == (5, 'critical')
    assert (summaries['sc1'].warnings, summaries['sc1'].cloud_status) == (-1, 'disabled')


def test_alarm_summary_of_an_unknown_subcloud_is_not_found(ctx):
    from dcmanager.common import exception
    with pytest.raises(exception.SubcloudNotFound):
        objects.AlarmSummary.clear(ctx, 424242)


def test_alarm_summary_goes_with_its_subcloud(ctx):
    subcloud_id = _add(ctx, 'sc')
    objects.AlarmSummary.clear(ctx, subcloud_id)
    db_api.subcloud_destroy(ctx, subcloud_id)
    assert objects.AlarmSummary.list(ctx) == []


# ------------------------------------------------------------------ batches and groups

_OK = {'critical_alarms': 0, 'major_alarms': 1, 'minor_alarms': 2, 'warnings': 3,
       'cloud_status': 'degraded'}


def test_start_many_reads_the_batch_and_leaves_out_what_is_not_ours(ctx):
    ids = _add_many(ctx, 4)
    owner, _ = subcloud_audit.claim(ctx, ids, INTERVAL, LEASE, now=T0)
    _set(ids[1], deploy_status='rehoming')            # left the audited states
    _set(ids[2], audit_owner='another-owner')          # taken over
    targets = subcloud_audit.start_many(ctx, ids, owner, LEASE, now=_at(1))
    assert [t.id for t in targets] == [ids[0], ids[3]]
    assert all(t.lease_until == _at(LEASE) and not t.lease_short(LEASE, now=_at(1))
               for t in targets)
    assert targets[0].lease_short(LEASE, now=_at(LEASE / 2 + 1))


def test_start_many_renews_the_short_leases_of_a_batch_in_one_go(ctx):
    ids = _add_many(ctx, 3)
    owner, _ = subcloud_audit.claim(ctx, ids, INTERVAL, LEASE, now=T0)
    late = _at(LEASE / 2 + 1)
    targets = subcloud_audit.start_many(ctx, ids, owner, LEASE, now=late)
    renewed = late + datetime.timedelta(seconds=LEASE)
    assert [t.lease_until for t in targets] == [renewed] * 3
    assert {_row(ctx, i).audit_lease_until for i in ids} == {renewed}


def test_finish_many_writes_each_result_only_under_its_own_claim(ctx):
    ids = _add_many(ctx, 4)
    owner, _ = subcloud_audit.claim(ctx, ids[:3], INTERVAL, LEASE, now=T0)
    _set(ids[2], deploy_status='rehoming')
    # ids[3] was claimed by nobody: a result for it is not ours to write.
    results = [
        subcloud_audit.Result(ids[0], owner, states.ONLINE, 0, changed=True, alarms=_OK),
        subcloud_audit.Result(ids[1], 'stale-owner', states.OFFLINE, 2, changed=True,
                              endpoints_unknown=True),
        subcloud_audit.Result(ids[1], owner, states.OFFLINE, 1),
        subcloud_audit.Result(ids[2], owner, states.ONLINE, 0, changed=True),
        subcloud_audit.Result(ids[3], owner, states.ONLINE, 0, changed=True),
    ]
    written = subcloud_audit.finish_many(ctx, results, now=_at(2))
    assert written == {(ids[0], owner), (ids[1], owner)}
    rows = {i: _row(ctx, i) for i in ids}
    assert (rows[ids[0]].availability_status, rows[ids[0]].audit_fail_count) == \
        (states.ONLINE, 0)
    assert (rows[ids[1]].availability_status, rows[ids[1]].audit_fail_count) == \
        (states.OFFLINE, 1)
    assert set(_endpoint_statuses(ctx, ids[1]).values()) == {states.SYNC_UNKNOWN}
    # the rehoming one keeps its state, its claim given up; the unclaimed one is untouched
    assert (rows[ids[2]].availability_status, rows[ids[2]].audit_owner) == \
        (states.OFFLINE, None)
    assert rows[ids[2]].last_audit_at is None
    assert rows[ids[3]].last_audit_at is None
    assert all(rows[i].audit_owner is None for i in ids)
    summaries = {s.subcloud_name: s for s in objects.AlarmSummary.list(ctx)}
    assert summaries['sc0'].cloud_status == 'degraded' and summaries['sc0'].warnings == 3


def test_finish_many_stores_only_the_alarm_summaries_that_changed(ctx):
    ids = _add_many(ctx, 3)
    for i in ids:
        db_api.alarm_summary_set(ctx, i, _OK)
    before = {s.subcloud_name: s.updated_at for s in objects.AlarmSummary.list(ctx)}
    owner, _ = subcloud_audit.claim(ctx, ids, INTERVAL, LEASE, now=T0)
    changed = dict(_OK, critical_alarms=7, cloud_status='critical')
    subcloud_audit.finish_many(ctx, [
        subcloud_audit.Result(ids[0], owner, states.ONLINE, 0, changed=True, alarms=_OK),
        subcloud_audit.Result(ids[1], owner, states.ONLINE, 0, changed=True, alarms=changed),
        subcloud_audit.Result(ids[2], owner, states.ONLINE, 0, changed=True)], now=_at(1))
    after = {s.subcloud_name: s for s in objects.AlarmSummary.list(ctx)}
    assert after['sc0'].updated_at == before['sc0']  # same values: not written
    assert (after['sc1'].critical_alarms, after['sc1'].cloud_status) == (7, 'critical')
    assert after['sc1'].updated_at != before['sc1']  # a write shows in updated_at
    assert after['sc2'].updated_at == before['sc2']

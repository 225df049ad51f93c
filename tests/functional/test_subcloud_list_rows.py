"""The stored list rows (``subcloud_list_rows``, ``subcloud_alarms.body``): the fast list, pages,
shows and alarm summaries are, byte for byte, the straightforward rendering, and no writer ever
leaves a stored row stale.

The straightforward rendering is the one the API made before the rows were stored: every list
column and endpoint status read afresh (``objects.Subcloud.list_rows_with_statuses``) and encoded
(``views.subcloud_rows_json``), the show from the subcloud object (``views.subcloud_show``, as
pecan's JSON renderer writes it). After each family of writers (the API and manager, the
audit, state transitions and recovery, peer groups, endpoint statuses, raw SQL) the test checks
three things: every stored row equals its fresh rendering (never stale), none is left unrendered
(the writer rendered it before its commit) and the answers equal the straightforward ones.
"""

import datetime
import json

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.api import views
from dcmanager.common import states, statetable, subcloud_json
from dcmanager.db import api as db_api
from dcmanager.objects import subcloud_audit
from tests import subcloud_forms as forms

BASE = forms.BASE


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


def _stored(ctx):
    with db_api.get_engine().connect() as conn:
        return dict(conn.execute(sa.text(
            'SELECT subcloud_id, body FROM subcloud_list_rows ORDER BY subcloud_id')).all())


def _stored_alarms(ctx):
    with db_api.get_engine().connect() as conn:
        return dict(conn.execute(sa.text('SELECT id, body FROM subcloud_alarms')).all())


def check_alarms(api, ctx):
    """Stored alarm rows up to date and rendered; the alarm list byte for byte."""
    rows = objects.AlarmSummary.list_rows(ctx)
    stored = _stored_alarms(ctx)
    assert None not in stored.values()
    assert sorted(stored.values()) == sorted(json.dumps(views.alarm_row(row)) for row in rows)
    body = api.get('/v1.0/alarms').body
    assert body == views.alarm_rows_json(rows).encode('ascii')
    return json.loads(body)['alarm_summary']


def _straightforward_list(ctx, filters=None, limit=None, marker=None, extra=None):
    rows, statuses = objects.Subcloud.list_rows_with_statuses(ctx, filters, limit, marker)
    return views.subcloud_rows_json(rows, statuses, **(extra or {})).encode('ascii')


def _straightforward_show(ctx, ref):
    subcloud, statuses = objects.Subcloud.get_with_statuses(ctx, ref)
    return json.dumps(views.subcloud_show(subcloud, statuses)).encode('ascii')


def check(api, ctx):
    """Stored rows up to date and rendered; list, pages, filters and shows byte for byte."""
    stored = _stored(ctx)
    rows, statuses = objects.Subcloud.list_rows_with_statuses(ctx)
    pairs = list(zip(rows, statuses, strict=True))
    fresh = {row.id: subcloud_json.row_text(row._mapping, s) for row, s in pairs}
    assert stored == fresh
    assert None not in stored.values()
    full = api.get(BASE)
    assert full.body == _straightforward_list(ctx)
    assert full.body == json.dumps({'subclouds': [views.subcloud_row(r, s) for r, s
                                                  in pairs]}).encode('ascii')
    ids = [row.id for row in rows]
    if len(ids) > 3:
        page = api.get(BASE + '?limit=2&marker=%d' % ids[0])
        assert page.body == _straightforward_list(ctx, limit=2, marker=ids[0], extra={
            'next': 'http://localhost/v1.0/subclouds?limit=2&marker=%d' % ids[2]})
    if ids:
        last = api.get(BASE + '?limit=2&marker=%d' % ids[-1])
        assert last.body == _straightforward_list(ctx, limit=2, marker=ids[-1])
    for query, filters in (('availability=online', {'availability_status': 'online'}),
                           ('management=managed', {'management_state': 'managed'}),
                           ('group_id=1', {'group_id': 1})):
        assert api.get(BASE + '?' + query).body == _straightforward_list(ctx, filters)
    for row in rows:
        for ref in filter(None, (str(row.id), row.name, row.region_name)):
            assert api.get(BASE + '/' + ref).body == _straightforward_show(ctx, ref), ref
    check_alarms(api, ctx)
    return rows


def _fleet(api, ctx, count=4):
    ids = [forms.add_settled(api, 'sc%d' % n, n, settle=False)['id']
           for n in range(1, count + 1)]
    for sid in ids:
        forms.wait_settled(api, sid)
    return ids


def _complete(ctx, sid, **values):
    db_api.subcloud_update(ctx, sid, dict(values, deploy_status=states.DEPLOY_COMPLETE))


def test_an_empty_site(api, ctx):
    assert api.get(BASE).body == b'{"subclouds": []}' == _straightforward_list(ctx)
    assert api.get('/v1.0/alarms').body == b'{"alarm_summary": []}'
    assert _stored(ctx) == {}


def test_added_subclouds(api, ctx):
    # POST through the manager: create, then the enrollment's transitions (to a failure).
    _fleet(api, ctx)
    rows = check(api, ctx)
    assert {row.deploy_status for row in rows} == {states.DEPLOY_PRE_ENROLL_FAILED}


def test_updates_through_the_api(api, ctx):
    ids = _fleet(api, ctx)
    group = api.post_json('/v1.0/subcloud-groups', {
        'name': 'edge', 'description': 'Edge', 'update_apply_type': 'serial',
        'max_parallel_subclouds': 2}).json
    _complete(ctx, ids[0], availability_status='online', region_name='%032x' % (0xabc00 + 1))
    _complete(ctx, ids[1], availability_status='online', region_name='%032x' % (0xabc00 + 2))
    check(api, ctx)
    forms.patch_form(api, str(ids[0]), {'description': 'caf\u00e9 "quoted" \\ \u2603',
                                   'location': 'rack <7>', 'group_id': str(group['id'])})
    forms.patch_form(api, 'sc2', {'management-state': 'managed'})
    _complete(ctx, ids[2])
    forms.patch_form(api, str(ids[2]), {'name': 'renamed'})
    rows = check(api, ctx)
    assert rows[1].management_state == 'managed' and rows[2].name == 'renamed'
    forms.patch_form(api, 'sc2', {'management-state': 'unmanaged'})
    check(api, ctx)


def test_endpoint_statuses(api, ctx):
    ids = _fleet(api, ctx, 3)
    objects.Subcloud.set_endpoint_statuses(ctx, ids[0], {None: states.SYNC_IN_SYNC})
    objects.Subcloud.set_endpoint_statuses(ctx, ids[1], {None: states.SYNC_IN_SYNC,
                                                         'firmware': states.SYNC_OUT_OF_SYNC})
    rows = check(api, ctx)
    assert [row.sync_status for row in rows] == ['in-sync', 'out-of-sync', 'unknown']
    objects.Subcloud.set_endpoint_statuses(ctx, ids[1], {'firmware': states.SYNC_IN_SYNC})
    assert check(api, ctx)[1].sync_status == 'in-sync'


def test_the_audit(api, ctx):
    # The audit's writes: a claim (no list column: the stored row stays), an availability
    # change, every endpoint unknown when the subcloud goes offline.
    ids = _fleet(api, ctx, 3)
    for sid in ids:
        _complete(ctx, sid, availability_status='online', management_state='managed')
        objects.Subcloud.set_endpoint_statuses(ctx, sid, {None: states.SYNC_IN_SYNC})
    before = _stored(ctx)
    owner, claimed = subcloud_audit.claim(ctx, ids, interval=0, lease_seconds=60)
    assert sorted(claimed) == ids
    assert _stored(ctx) == before
    subcloud_audit.finish_many(ctx, [
        subcloud_audit.Result(ids[0], owner, 'online', 0),
        subcloud_audit.Result(ids[1], owner, 'offline', 3, changed=True,
                              endpoints_unknown=True),
        subcloud_audit.Result(ids[2], owner, 'online', 0, alarms={
            'critical_alarms': 1, 'major_alarms': 0, 'minor_alarms': 0, 'warnings': 0,
            'cloud_status': 'critical'})])
    rows = check(api, ctx)
    assert [(row.availability_status, row.sync_status) for row in rows] == [
        ('online', 'in-sync'), ('offline', 'unknown'), ('online', 'in-sync')]


def test_transitions_and_recovery(api, ctx):
    ids = _fleet(api, ctx, 2)
    assert objects.Subcloud.transition(ctx, ids[0], states.DEPLOY_PRE_ENROLL_FAILED,
                                       states.DEPLOY_PRE_ENROLL, owner='gone-host')
    check(api, ctx)
    recoveries = [statetable.Recovery(states.DEPLOY_PRE_ENROLL,
                                      states.DEPLOY_PRE_ENROLL_FAILED, 'manager gone')]
    assert objects.Subcloud.recover_transitory(ctx, recoveries, 'this-host',
                                               'dcmanager-manager', 60, at_start=True) == 1
    rows = check(api, ctx)
    assert rows[0].error_description == 'manager gone'


def test_peer_groups(api, ctx):
    ids = _fleet(api, ctx, 3)
    group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    for sid in ids[:2]:
        _complete(ctx, sid, availability_status='online', management_state='managed')
        forms.patch_form(api, str(sid), {'peer_group': str(group['id'])})
    rows = check(api, ctx)
    assert [row.peer_group_id for row in rows] == [group['id'], group['id'], None]
    # What a migration to the other site does to the members here: one statement.
    assert objects.Subcloud.transition_members(
        ctx, group['id'], [states.DEPLOY_COMPLETE], states.DEPLOY_REHOME_PENDING,
        management_state=states.UNMANAGED) == 2
    rows = check(api, ctx)
    assert [row.deploy_status for row in rows[:2]] == [states.DEPLOY_REHOME_PENDING] * 2
    api.delete('/v1.0/subcloud-peer-groups/%d' % group['id'])
    rows = check(api, ctx)
    assert [row.peer_group_id for row in rows] == [None, None, None]


def test_deleted_subclouds_leave_no_row(api, ctx):
    ids = _fleet(api, ctx, 3)
    api.delete(BASE + '/%d' % ids[1])
    check(api, ctx)
    assert sorted(_stored(ctx)) == [ids[0], ids[2]]


def test_a_write_outside_the_sessions_is_never_served_stale(api, ctx):
    # Raw SQL (no session, so nobody renders before the commit): the triggers leave the row
    # NULL, the readers render it, the next writer's commit stores it.
    ids = _fleet(api, ctx, 2)
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE subclouds SET description = 'raw', backup_datetime = :at "
                             "WHERE id = :id"), {'at': stamp, 'id': ids[0]})
        conn.execute(sa.text("UPDATE subcloud_status SET sync_status = 'in-sync' "
                             "WHERE subcloud_id = :id AND endpoint_type = 'identity'"),
                     {'id': ids[1]})
    assert _stored(ctx)[ids[0]] is None and _stored(ctx)[ids[1]] is None
    assert api.get(BASE).body == _straightforward_list(ctx)
    for sid in ids:
        assert api.get(BASE + '/%d' % sid).body == _straightforward_show(ctx, str(sid))
    assert b'"raw"' in api.get(BASE + '/%d' % ids[0]).body
    assert db_api.subcloud_list_rows_refresh(ctx) == 2
    check(api, ctx)


def test_a_claim_changes_no_stored_row(api, ctx):
    # The triggers watch the list row's columns only: the audit's bookkeeping (claims, last
    # audit) writes a subcloud at every cycle and leaves its stored row as it is.
    ids = _fleet(api, ctx, 1)
    _complete(ctx, ids[0], availability_status='online', management_state='managed')
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE subcloud_list_rows SET body = 'marker'"))
    owner, _ = subcloud_audit.claim(ctx, ids, interval=0, lease_seconds=60)
    subcloud_audit.finish(ctx, ids[0], owner, 'online', 0)
    assert _stored(ctx) == {ids[0]: 'marker'}
    db_api.subcloud_update(ctx, ids[0], {'location': 'moved'})
    check(api, ctx)


def test_alarm_summaries(api, ctx):
    # Created cleared with the subcloud, written by the audit, cleared when unmanaged, renamed
    # with the subcloud.
    ids = _fleet(api, ctx, 2)
    for sid in ids:
        _complete(ctx, sid, availability_status='online', management_state='managed')
    owner, _ = subcloud_audit.claim(ctx, ids, interval=0, lease_seconds=60)
    subcloud_audit.finish_many(ctx, [subcloud_audit.Result(sid, owner, 'online', 0, alarms={
        'critical_alarms': sid, 'major_alarms': 2, 'minor_alarms': 0, 'warnings': 5,
        'cloud_status': 'critical'}) for sid in ids])
    summaries = check_alarms(api, ctx)
    assert [s['critical_alarms'] for s in summaries] == [ids[1], ids[0]]
    forms.patch_form(api, str(ids[0]), {'management-state': 'unmanaged'})
    forms.patch_form(api, str(ids[0]), {'name': 'renamed'})
    summaries = check_alarms(api, ctx)
    assert summaries[1]['region_name'] == 'renamed' and summaries[1]['critical_alarms'] == -1
    objects.AlarmSummary.set_for(ctx, ids[1], dict(objects.alarm_summary.CLEARED, warnings=9))
    assert check_alarms(api, ctx)[0]['warnings'] == 9
    check(api, ctx)

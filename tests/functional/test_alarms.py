"""GET /v1.0/alarms through the real WSGI stack and database (api-ref/source/alarms.inc)."""

import json

import pytest

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from tests import harness

BASE = '/v1.0/alarms'
KEYS = {'region_name', 'uuid', 'critical_alarms', 'major_alarms', 'minor_alarms', 'warnings',
        'cloud_status'}
COUNTS = ('critical_alarms', 'major_alarms', 'minor_alarms', 'warnings')


def _add(ctx, name):
    return db_api.subcloud_create(ctx, {'name': name,
                                        'deploy_status': states.DEPLOY_COMPLETE}).id


def _summary(critical=0, major=0, minor=0, warnings=0, cloud_status='OK'):
    return {'critical_alarms': critical, 'major_alarms': major, 'minor_alarms': minor,
            'warnings': warnings, 'cloud_status': cloud_status}


def test_empty(api):
    assert api.get(BASE).json == {'alarm_summary': []}


def test_shape_order_and_integers(api, ctx):
    first = _add(ctx, 'subcloud1')
    second = _add(ctx, 'subcloud2')
    third = _add(ctx, 'subcloud3')
    objects.AlarmSummary.set_for(ctx, second, _summary(major=2, minor=1, cloud_status='degraded'))
    objects.AlarmSummary.set_for(ctx, first, _summary(critical=3, warnings=7,
                                                      cloud_status='critical'))
    objects.AlarmSummary.clear(ctx, third)
    objects.AlarmSummary.set_for(ctx, second, _summary(major=4, cloud_status='degraded'))

    resp = api.get(BASE)
    assert resp.content_type == 'application/json'
    rows = resp.json['alarm_summary']
    # id descending: the summary rows were created for subcloud2, subcloud1, subcloud3
    assert [r['region_name'] for r in rows] == ['subcloud3', 'subcloud1', 'subcloud2']
    for row in rows:
        assert set(row) == KEYS
        assert all(type(row[name]) is int for name in COUNTS)  # the CLI calls int() on them
        assert len(row['uuid']) == 36
    assert len({r['uuid'] for r in rows}) == 3
    by_name = {r['region_name']: r for r in rows}
    assert by_name['subcloud1'] == dict(by_name['subcloud1'], **_summary(
        critical=3, warnings=7, cloud_status='critical'))
    assert by_name['subcloud2'] == dict(by_name['subcloud2'], **_summary(
        major=4, cloud_status='degraded'))
    assert by_name['subcloud3'] == dict(by_name['subcloud3'], **_summary(
        critical=-1, major=-1, minor=-1, warnings=-1, cloud_status='disabled'))


def test_body_is_the_reference_keys_in_order_byte_for_byte(api, ctx):
    """The list is written without json.dumps: it must still be exactly what json.dumps writes
    of the rows the objects hold, key order included (names needing escapes too)."""
    names = ['edge-1', 'edge "2"', 'b\u00fcro-3', 'edge-4', 'edge-5']
    ids = {name: _add(ctx, name) for name in names}
    objects.AlarmSummary.set_for(ctx, ids['edge-4'], _summary(critical=2, cloud_status='critical'))
    objects.AlarmSummary.set_for(ctx, ids['edge-1'], _summary(minor=5, warnings=1,
                                                              cloud_status='degraded'))
    objects.AlarmSummary.clear(ctx, ids['b\u00fcro-3'])
    objects.AlarmSummary.set_for(ctx, ids['edge "2"'], _summary())
    # edge-5 has no summary: it is not listed.

    resp = api.get(BASE)
    rows = resp.json['alarm_summary']
    assert [r['region_name'] for r in rows] == ['edge "2"', 'b\u00fcro-3', 'edge-1', 'edge-4']
    for row in rows:
        assert list(row) == ['region_name', 'uuid', 'critical_alarms', 'major_alarms',
                             'minor_alarms', 'warnings', 'cloud_status']
    assert rows[1] == {'region_name': 'b\u00fcro-3', 'uuid': rows[1]['uuid'],
                       'critical_alarms': -1, 'major_alarms': -1, 'minor_alarms': -1,
                       'warnings': -1, 'cloud_status': 'disabled'}
    expected = {'alarm_summary': [
        {'region_name': s.subcloud_name, 'uuid': s.uuid,
         **{name: getattr(s, name) for name in COUNTS}, 'cloud_status': s.cloud_status}
        for s in objects.AlarmSummary.list(ctx)]}
    assert resp.body == json.dumps(expected).encode('ascii')
    assert resp.content_type == 'application/json'


def test_region_name_is_the_subcloud_name_not_its_region(api, ctx):
    subcloud = db_api.subcloud_create(ctx, {'name': 'edge-7', 'region_name': 'f' * 32,
                                            'deploy_status': states.DEPLOY_COMPLETE})
    objects.AlarmSummary.set_for(ctx, subcloud.id, _summary())
    assert api.get(BASE).json['alarm_summary'][0]['region_name'] == 'edge-7'


def test_paths_the_cli_builds(api, ctx):
    objects.AlarmSummary.set_for(ctx, _add(ctx, 'sc'), _summary())
    expected = api.get(BASE).json
    assert api.get(BASE + '/').json == expected
    assert api.get('/v1.0//alarms/').json == expected


def test_unknown_sub_path_is_404_and_other_methods_405(api):
    api.get(BASE + '/whatever', status=404)
    api.post_json(BASE, {}, status=405)
    api.delete(BASE, status=405)


# ------------------------------------------------------------------ policy

def _app_as(roles, project_name='admin'):
    return harness.app_as(*roles, project_name=project_name)


@pytest.mark.parametrize('role', ['reader', 'operator', 'configurator', 'admin'])
def test_every_reading_role_may_list(api, ctx, role):
    objects.AlarmSummary.set_for(ctx, _add(ctx, 'sc'), _summary())
    rows = _app_as([role]).get(BASE).json['alarm_summary']
    assert [r['region_name'] for r in rows] == ['sc']


@pytest.mark.parametrize('roles, project', [((), 'admin'), (('member',), 'admin'),
                                            (('reader',), 'tenant1'), (('admin',), 'demo')])
def test_others_are_refused(api, roles, project):
    resp = _app_as(roles, project).get(BASE, status=403)
    assert 'dc_api:alarm_manager:get' in resp.text



def test_added_subcloud_has_a_disabled_summary_until_audited(api):
    from tests import subcloud_forms

    with subcloud_forms.unreachable_subclouds():
        added = subcloud_forms.add_settled(api, name='alarmed1', n=9)
    rows = {r['region_name']: r for r in api.get('/v1.0/alarms').json['alarm_summary']}
    assert added['name'] == 'alarmed1'
    assert rows['alarmed1']['cloud_status'] == 'disabled'
    assert rows['alarmed1']['critical_alarms'] == -1

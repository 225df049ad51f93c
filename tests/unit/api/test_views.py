"""dcmanager.api.views: the subcloud bodies, and the list encoder that must write exactly what
json.dumps writes for the row dicts, whatever the values and the database driver."""

import datetime
import json

import pytest

from dcmanager.api import views
from dcmanager.objects import subcloud as subcloud_obj

COLUMNS = subcloud_obj.Subcloud.LIST_COLUMNS


def _row(**values):
    base = {'id': 7, 'name': 'sc7', 'description': None, 'location': 'Rack "7" \\ east',
            'software_version': '24.09', 'management_state': 'unmanaged',
            'availability_status': 'offline', 'deploy_status': 'complete',
            'backup_status': None, 'backup_datetime': None, 'error_description': None,
            'region_name': 'ab' * 16, 'management_subnet': '127.20.7.0/24',
            'management_start_ip': '127.20.7.2', 'management_end_ip': '127.20.7.50',
            'management_gateway_ip': '127.20.7.1', 'openstack_installed': 0,
            'prestage_status': None, 'prestage_versions': None,
            'systemcontroller_gateway_ip': '127.19.0.1',
            'created_at': '2024-01-02 03:04:05.123456', 'updated_at': None, 'group_id': 1,
            'peer_group_id': None, 'sync_status': 'unknown'}
    base.update(values)
    return tuple(base[name] for name in COLUMNS)


ALL_IN_SYNC = (('dc-cert', 'firmware', 'identity', 'kube-rootca', 'kubernetes', 'platform',
                'software'), ('in-sync',) * 7)
MIXED = (('dc-cert', 'identity', 'platform'), ('unknown', 'out-of-sync', 'in-sync'))
NONE = ((), ())


def _reference(rows, statuses, **extra):
    """What json.dumps writes for the row dicts: the body the encoder must write exactly."""
    return json.dumps(dict({'subclouds': [views.subcloud_row(row, entry)
                                          for row, entry in zip(rows, statuses, strict=True)]},
                           **extra))


def test_list_keys_are_the_subcloud_keys_the_aggregate_and_the_endpoints():
    body = views.subcloud_row(_row(), MIXED)
    assert list(body) == [key for key, _name in views.SUBCLOUD_KEYS] + [
        'sync_status', 'endpoint_sync_status']
    assert body['openstack-installed'] is False
    assert body['error-description'] == ''
    assert body['created-at'] == '2024-01-02 03:04:05.123456'
    assert body['endpoint_sync_status'] == [
        {'endpoint_type': 'dc-cert', 'sync_status': 'unknown'},
        {'endpoint_type': 'identity', 'sync_status': 'out-of-sync'},
        {'endpoint_type': 'platform', 'sync_status': 'in-sync'}]
    assert views.subcloud_row(_row(), NONE)['endpoint_sync_status'] == []


@pytest.mark.parametrize('values', [
    {},
    {'name': 'édge-ünïcode', 'description': 'line\nbreak\ttab \u2028 \x00 \U0001f600'},
    {'error_description': 'Failed: "quoted" <html> & stuff', 'openstack_installed': 1},
    {'openstack_installed': True, 'peer_group_id': 3, 'backup_status': 'complete-central'},
    # SQLite keeps microseconds even when they are 0; str(datetime) leaves them out
    {'created_at': '2024-01-02 03:04:05.000000', 'updated_at': '2024-01-02 03:04:06.000001'},
    # PostgreSQL and MySQL drivers give datetimes
    {'created_at': datetime.datetime(2024, 1, 2, 3, 4, 5),
     'backup_datetime': datetime.datetime(2024, 1, 2, 3, 4, 5, 6)},
])
def test_list_encoder_writes_what_json_dumps_writes(values):
    rows = [_row(**values), _row(id=8, name='sc8'), _row(**dict(values, id=9)), _row(id=10)]
    statuses = [ALL_IN_SYNC, MIXED, NONE, ALL_IN_SYNC]
    assert views.subcloud_rows_json(rows, statuses) == _reference(rows, statuses)
    assert views.subcloud_rows_json(rows, statuses,
                                    next='http://127.0.0.1/v1.0/subclouds?marker=9') == \
        _reference(rows, statuses, next='http://127.0.0.1/v1.0/subclouds?marker=9')


def test_endpoint_statuses_are_escaped_like_json_dumps_does():
    odd = (('dc-cert', 'ünïcode "quoted"\n'), ('in-sync', '\u2028'))
    rows = [_row(), _row(id=8)]
    assert views.subcloud_rows_json(rows, [odd, MIXED]) == _reference(rows, [odd, MIXED])


def test_timestamps_in_a_list_read_like_str_of_a_datetime():
    body = views.subcloud_row(_row(created_at='2024-01-02 03:04:05.000000'))
    assert body['created-at'] == str(datetime.datetime(2024, 1, 2, 3, 4, 5))


def test_list_encoder_on_no_rows():
    assert views.subcloud_rows_json([], []) == '{"subclouds": []}'
    assert json.loads(views.subcloud_rows_json([], [], next='x')) == {'subclouds': [],
                                                                       'next': 'x'}


def test_list_encoder_falls_back_on_unexpected_values():
    # a driver giving a non-str for a text column: the general encoder handles it
    rows = [_row(software_version=24.09), _row(id=8)]
    statuses = [MIXED, ALL_IN_SYNC]
    assert views.subcloud_rows_json(rows, statuses) == _reference(rows, statuses)


def test_alarm_rows_json_is_what_json_dumps_writes():
    rows = [('sc1', 'u1', 1, 2, 3, 4, 'OK'), ('edge "2" büro', 'u2', -1, -1, -1, -1, 'disabled')]
    expected = {'alarm_summary': [
        {'region_name': 'sc1', 'uuid': 'u1', 'critical_alarms': 1, 'major_alarms': 2,
         'minor_alarms': 3, 'warnings': 4, 'cloud_status': 'OK'},
        {'region_name': 'edge "2" büro', 'uuid': 'u2', 'critical_alarms': -1,
         'major_alarms': -1, 'minor_alarms': -1, 'warnings': -1, 'cloud_status': 'disabled'}]}
    assert views.alarm_rows_json(rows) == json.dumps(expected)
    assert views.alarm_rows_json([]) == json.dumps({'alarm_summary': []})


def test_a_value_of_an_unexpected_type_is_still_valid_json():
    rows = [('sc1', 'u1', 1, None, 3, 4, 'OK'), ('sc2', 'u2', 0, 0, 0, 0, 'OK')]
    assert views.alarm_rows_json(rows) == json.dumps({'alarm_summary': [
        {'region_name': 'sc1', 'uuid': 'u1', 'critical_alarms': 1, 'major_alarms': None,
         'minor_alarms': 3, 'warnings': 4, 'cloud_status': 'OK'},
        {'region_name': 'sc2', 'uuid': 'u2', 'critical_alarms': 0, 'major_alarms': 0,
         'minor_alarms': 0, 'warnings': 0, 'cloud_status': 'OK'}]})

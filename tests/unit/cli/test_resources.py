"""The CLI's columns and key mappings against the api-ref sample bodies.

The column names are the reference client's, listed here as the client contract writes them (a
rename in ``resources.py`` fails here); every response key a column reads is in the api-ref
sample of that answer, and every request key of a sample request is an option's key, so the
CLI, the server and its reference documentation cannot drift apart unnoticed.
"""

import json
import pathlib

import pytest

from dcmanager.cli import commands, resources

SAMPLES = pathlib.Path(__file__).resolve().parents[3] / 'api-ref' / 'source' / 'samples'


def sample(name):
    return json.loads((SAMPLES / name).read_text(encoding='utf-8'))


def names(cols):
    return [c.name for c in cols]


DETAIL21 = ['id', 'name', 'description', 'location', 'software_version', 'management',
            'availability', 'deploy_status', 'management_subnet', 'management_start_ip',
            'management_end_ip', 'management_gateway_ip', 'systemcontroller_gateway_ip',
            'group_id', 'peer_group_id', 'created_at', 'updated_at', 'backup_status',
            'backup_datetime', 'prestage_status', 'prestage_versions']
PEER_GROUP = ['id', 'peer_group_name', 'group_priority', 'group_state', 'system_leader_id',
              'system_leader_name', 'max_subcloud_rehoming', 'created_at', 'updated_at']

# (columns, expected names, sample file, path of the documents in it)
CASES = [
    (resources.SUBCLOUD_BASIC,
     ['id', 'name', 'management', 'availability', 'deploy status', 'sync', 'backup status',
      'prestage status'], 'subclouds/subclouds-list-resp.json', 'subclouds'),
    (resources.SUBCLOUD_DETAIL21, DETAIL21, 'subclouds/subcloud-show-resp.json', None),
    (resources.SUBCLOUD_DETAIL21, DETAIL21,
     'subcloud-groups/subcloud-group-subclouds-list-resp.json', 'subclouds'),
    (resources.SUBCLOUD_DETAIL_LIST, DETAIL21[:8] + ['sync'] + DETAIL21[8:],
     'subclouds/subclouds-list-resp.json', 'subclouds'),
    (resources.SUBCLOUD_GROUP.list_columns, ['id', 'name', 'description'],
     'subcloud-groups/subcloud-groups-list-resp.json', 'subcloud_groups'),
    (resources.SUBCLOUD_GROUP.show_columns,
     ['id', 'name', 'description', 'update apply type', 'max parallel subclouds',
      'created_at', 'updated_at'], 'subcloud-groups/subcloud-group-show-resp.json', None),
    (resources.SYSTEM_PEER.list_columns,
     ['id', 'peer uuid', 'peer name', 'manager endpoint', 'controller gateway address'],
     'system-peers/system-peers-list-resp.json', 'system_peers'),
    (resources.SYSTEM_PEER.show_columns,
     ['id', 'peer uuid', 'peer name', 'manager endpoint', 'manager username',
      'controller gateway address', 'administrative state', 'heartbeat interval',
      'heartbeat failure threshold', 'heartbeat failure policy',
      'heartbeat maintenance timeout', 'availability state', 'created_at', 'updated_at'],
     'system-peers/system-peer-show-resp.json', None),
    (resources.SYSTEM_PEER.sublists[0].columns, PEER_GROUP[:7],
     'system-peers/system-peer-peer-groups-list-resp.json', 'subcloud_peer_groups'),
    (resources.SUBCLOUD_PEER_GROUP.list_columns, PEER_GROUP,
     'subcloud-peer-groups/subcloud-peer-groups-list-resp.json', 'subcloud_peer_groups'),
    (resources.SUBCLOUD_PEER_GROUP.show_columns, PEER_GROUP,
     'subcloud-peer-groups/subcloud-peer-group-show-resp.json', None),
    (resources.PEER_GROUP_STATUS,
     ['peer_group_id', 'peer_group_name', 'total_subclouds', 'complete',
      'waiting_for_migrate', 'rehoming', 'rehome_failed', 'managed', 'unmanaged'],
     'subcloud-peer-groups/subcloud-peer-group-status-resp.json', None),
    (resources.PEER_GROUP_ASSOCIATION.list_columns,
     ['id', 'peer_group_id', 'system_peer_id', 'type', 'sync_status', 'peer_group_priority'],
     'peer-group-associations/peer-group-associations-list-resp.json',
     'peer_group_associations'),
    (resources.PEER_GROUP_ASSOCIATION.show_columns,
     ['id', 'peer_group_id', 'system_peer_id', 'association_type', 'sync_status',
      'peer_group_priority', 'sync_message', 'created_at', 'updated_at'],
     'peer-group-associations/peer-group-association-show-resp.json', None),
]


@pytest.mark.parametrize('cols, expected, sample_file, key', CASES,
                         ids=['%s:%s' % (c[2], c[1][4] if len(c[1]) > 4 else c[1][0])
                              for c in CASES])
def test_columns_and_keys_match_the_samples(cols, expected, sample_file, key):
    assert names(cols) == expected
    doc = sample(sample_file)
    docs = doc[key] if key else [doc]
    assert docs
    for item in docs:
        missing = [c.key for c in cols if c.key not in item]
        assert missing == [], '%s lacks %s' % (sample_file, missing)


def test_resource_paths_and_list_keys_match_the_samples():
    wrapped = {
        resources.SUBCLOUD: 'subclouds/subclouds-list-resp.json',
        resources.SUBCLOUD_GROUP: 'subcloud-groups/subcloud-groups-list-resp.json',
        resources.SYSTEM_PEER: 'system-peers/system-peers-list-resp.json',
        resources.SUBCLOUD_PEER_GROUP: 'subcloud-peer-groups/subcloud-peer-groups-list-resp.json',
        resources.PEER_GROUP_ASSOCIATION:
            'peer-group-associations/peer-group-associations-list-resp.json',
    }
    for resource, sample_file in wrapped.items():
        assert sample_file.startswith(resource.path + '/')
        assert list(sample(sample_file)) == [resource.list_key]


def test_a_list_shows_the_sample_values():
    doc = sample('subcloud-groups/subcloud-groups-list-resp.json')
    header, rows = commands.listing(doc['subcloud_groups'],
                                    resources.SUBCLOUD_GROUP.list_columns)
    assert header == ('id', 'name', 'description')
    assert rows[0] == (1, 'Default', 'Default Subcloud Group')


def test_an_empty_list_is_one_row_of_none():
    header, rows = commands.listing([], resources.SUBCLOUD_BASIC)
    assert rows == [('<none>',) * 8]


def test_sync_column_defaults_to_unknown():
    doc = dict(sample('subclouds/subcloud-show-resp.json'))
    del doc['sync_status']
    values = dict(zip(names(resources.SUBCLOUD_BASIC),
                      commands.rows([doc], resources.SUBCLOUD_BASIC)[0], strict=True))
    assert values['sync'] == 'unknown'


def test_subcloud_detail_of_the_show_detail_sample():
    doc = sample('subclouds/subcloud-show-detail-resp.json')
    cols, values = resources.subcloud_detail(doc, show_region=True)
    endpoints = ['%s_sync_status' % e['endpoint_type'] for e in doc['endpoint_sync_status']]
    # oam_floating_ip "unavailable" and deploy_config_sync_status "unknown" are not shown.
    assert list(cols) == DETAIL21 + endpoints + ['region_name']
    shown = dict(zip(cols, values, strict=True))
    assert shown['region_name'] == doc['region_name']
    assert shown['platform_sync_status'] == 'unknown'
    assert shown['management'] == doc['management-state']


def test_subcloud_detail_shows_oam_and_deploy_config_when_known():
    doc = dict(sample('subclouds/subcloud-show-detail-resp.json'),
               oam_floating_ip='127.30.1.2', deploy_config_sync_status='out-of-sync')
    cols, values = resources.subcloud_detail(doc)
    assert list(cols[-2:]) == ['oam_floating_ip', 'deploy_config_sync_status']
    assert list(values[-2:]) == ['127.30.1.2', 'out-of-sync']
    assert 'region_name' not in cols  # add/update/manage/unmanage never print it


def test_alarm_summary_rows_of_the_sample():
    doc = sample('alarms/alarms-list-resp.json')
    assert list(doc) == [resources.ALARM_LIST_KEY]
    for item in doc['alarm_summary']:
        assert all(key in item for key in resources.ALARM_KEYS)
    rows = [resources.alarm_row(item) for item in doc['alarm_summary']]
    assert rows[0] == ('subcloud3', '-', '-', '-', '-', 'disabled')
    assert rows[1] == ('subcloud2', 2, 1, 4, 3, 'critical')
    assert resources.alarm_row(dict(doc['alarm_summary'][2], region_name=''))[0] == '-'


@pytest.mark.parametrize('resource, sample_file', [
    (resources.SUBCLOUD_GROUP, 'subcloud-groups/subcloud-group-create-req.json'),
    (resources.SYSTEM_PEER, 'system-peers/system-peer-create-req.json'),
    (resources.SUBCLOUD_PEER_GROUP, 'subcloud-peer-groups/subcloud-peer-group-create-req.json'),
    (resources.PEER_GROUP_ASSOCIATION,
     'peer-group-associations/peer-group-association-create-req.json'),
])
def test_add_options_fill_the_sample_request_keys(resource, sample_file):
    keys = {opt.key for opt in resource.add_options}
    assert set(sample(sample_file)) <= keys


@pytest.mark.parametrize('resource, sample_file', [
    (resources.SUBCLOUD_GROUP, 'subcloud-groups/subcloud-group-update-req.json'),
    (resources.SYSTEM_PEER, 'system-peers/system-peer-update-req.json'),
])
def test_update_options_fill_the_sample_request_keys(resource, sample_file):
    keys = {opt.key for opt in resource.update_options}
    assert set(sample(sample_file)) <= keys


def test_migrate_and_list_subclouds_use_detail21_and_ignore_extra_keys():
    # Unlike the reference (which adds one column per endpoint_sync_status entry to each row
    # and then fails to print the table), a member with endpoint_sync_status keeps 21 cells.
    doc = sample('subclouds/subcloud-show-detail-resp.json')
    header, rows = commands.listing([doc], resources.SUBCLOUD_DETAIL21)
    assert list(header) == DETAIL21 and len(rows[0]) == 21

"""JSON Schemas of the answers, built from the keys the views write (``dcmanager.api.views``).

They document the 200 answers in the OpenAPI document, and the fuzz tier checks every answer
against them. Extra keys are allowed (the CLI ignores them, and a key added to a view must not
break a client); the keys the CLI reads are required.
"""

from dcmanager.api import views
from dcmanager.objects import alarm_summary

_TEXT = {'type': ['string', 'null']}
_ID = {'type': 'integer', 'minimum': 1}
# The view keys that are not nullable text.
_SUBCLOUD_TYPES = {
    'id': _ID,
    'name': {'type': 'string'},
    'group_id': _ID,
    'peer_group_id': {'type': ['integer', 'null']},
    'openstack-installed': {'type': 'boolean'},
    'error-description': {'type': 'string'},
    'management-state': {'type': 'string'},
    'availability-status': {'type': 'string'},
    'deploy-status': {'type': 'string'},
}

SUBCLOUD = {
    'type': 'object',
    'properties': {key: _SUBCLOUD_TYPES.get(key, _TEXT) for key, _name in views.SUBCLOUD_KEYS},
    'required': [key for key, _name in views.SUBCLOUD_KEYS],
}
_ENDPOINT_STATUS = {
    'type': 'object',
    'properties': {'endpoint_type': {'type': 'string'}, 'sync_status': {'type': 'string'}},
    'required': ['endpoint_type', 'sync_status'],
}
SUBCLOUD_SHOW = {
    'allOf': [SUBCLOUD],
    'properties': {'sync_status': {'type': 'string'},
                   'endpoint_sync_status': {'type': 'array', 'items': _ENDPOINT_STATUS}},
    'required': ['sync_status', 'endpoint_sync_status'],
}
SUBCLOUD_DETAIL = {
    'allOf': [SUBCLOUD_SHOW],
    'properties': {'oam_floating_ip': {'type': 'string'},
                   'deploy_config_sync_status': {'type': 'string'},
                   'region_name': _TEXT},
    'required': ['oam_floating_ip', 'deploy_config_sync_status', 'region_name'],
}
SUBCLOUD_LIST = {
    'type': 'object',
    'properties': {'subclouds': {'type': 'array', 'items': SUBCLOUD},
                   'next': {'type': 'string', 'description': 'the URL of the next page'}},
    'required': ['subclouds'],
}

GROUP = {
    'type': 'object',
    'properties': {
        'id': _ID, 'name': {'type': 'string'}, 'description': _TEXT,
        'update_apply_type': {'type': 'string'},
        'max_parallel_subclouds': {'type': 'integer'},
        'created-at': _TEXT, 'updated-at': _TEXT,
    },
    'required': ['id', 'name', 'description', 'update_apply_type', 'max_parallel_subclouds',
                 'created-at', 'updated-at'],
}
GROUP_LIST = {
    'type': 'object',
    'properties': {'subcloud_groups': {'type': 'array', 'items': {
        'allOf': [GROUP], 'properties': {'subcloud_count': {'type': 'integer', 'minimum': 0}},
        'required': ['subcloud_count']}}},
    'required': ['subcloud_groups'],
}

_INT = {'type': 'integer'}
_SYSTEM_PEER_TYPES = {'id': _ID, 'heartbeat-interval': _INT, 'heartbeat-failure-threshold': _INT,
                      'heartbeat-maintenance-timeout': _INT}
SYSTEM_PEER = {
    'type': 'object',
    'properties': dict({key: _SYSTEM_PEER_TYPES.get(key, _TEXT)
                        for key, _name in views.SYSTEM_PEER_KEYS},
                       **{'created-at': _TEXT, 'updated-at': _TEXT}),
    'required': [key for key, _name in views.SYSTEM_PEER_KEYS] + ['created-at', 'updated-at'],
}
SYSTEM_PEER_UPDATED = {
    'allOf': [SYSTEM_PEER],
    'properties': {'info_message': {
        'type': 'string',
        'description': 'when the gateway address changed: the associations it made '
                       'out-of-sync, and the commands that sync them'}},
}
SYSTEM_PEER_LIST = {
    'type': 'object',
    'properties': {'system_peers': {'type': 'array', 'items': SYSTEM_PEER}},
    'required': ['system_peers'],
}
_PEER_GROUP_TYPES = {'id': _ID, 'group_priority': _INT, 'max_subcloud_rehoming': _INT,
                     'leader_term': _INT}
_PEER_GROUP_KEYS = list(views.PEER_GROUP_KEYS) + ['peer_group_uuid', 'leader_term', 'created-at',
                                                  'updated-at']
PEER_GROUP = {
    'type': 'object',
    'properties': {key: _PEER_GROUP_TYPES.get(key, _TEXT) for key in _PEER_GROUP_KEYS},
    'required': _PEER_GROUP_KEYS,
}
PEER_GROUP_LIST = {
    'type': 'object',
    'properties': {'subcloud_peer_groups': {'type': 'array', 'items': PEER_GROUP}},
    'required': ['subcloud_peer_groups'],
}

_STATUS_COUNTERS = ('total_subclouds', 'complete', 'waiting_for_migrate', 'rehoming',
                    'rehome_failed', 'managed', 'unmanaged')
PEER_GROUP_STATUS = {
    'type': 'object',
    'properties': dict({'peer_group_id': _ID, 'peer_group_name': {'type': 'string'}},
                       **{name: {'type': 'integer', 'minimum': 0} for name in _STATUS_COUNTERS}),
    'required': ['peer_group_id', 'peer_group_name', *_STATUS_COUNTERS],
}

_ASSOCIATION_TYPES = {'id': _ID, 'peer-group-id': _ID, 'system-peer-id': _ID,
                      'peer-group-priority': {'type': ['integer', 'null']},
                      'association-type': {'type': 'string'}, 'sync-status': {'type': 'string'}}
_ASSOCIATION_ROW = {
    'type': 'object',
    'properties': dict({key: _ASSOCIATION_TYPES[key] for key, _name in views.ASSOCIATION_KEYS},
                       **{'created-at': _TEXT, 'updated-at': _TEXT}),
    'required': [key for key, _name in views.ASSOCIATION_KEYS] + ['created-at', 'updated-at'],
}
ASSOCIATION = {
    'allOf': [_ASSOCIATION_ROW],
    'properties': {'sync-message': _TEXT},
    'required': ['sync-message'],
}
ASSOCIATION_LIST = {
    'type': 'object',
    'properties': {'peer_group_associations': {'type': 'array', 'items': _ASSOCIATION_ROW}},
    'required': ['peer_group_associations'],
}

_ALARM_KEYS = [{'subcloud_name': 'region_name'}.get(name, name)
               for name in alarm_summary.AlarmSummary.LIST_COLUMNS]
ALARM_LIST = {
    'type': 'object',
    'properties': {'alarm_summary': {'type': 'array', 'items': {
        'type': 'object',
        # -1: not known (cloud_status disabled).
        'properties': {key: ({'type': 'integer', 'minimum': -1}
                             if key in alarm_summary.COUNTS else _TEXT)
                       for key in _ALARM_KEYS},
        'required': _ALARM_KEYS}}},
    'required': ['alarm_summary'],
}

PEER_GROUP_AUDIT = {
    'type': 'object',
    'properties': {'message': _TEXT},
    'required': ['message'],
}

SITE_ALARM_LIST = {
    'type': 'object',
    'properties': {'site_alarms': {'type': 'array', 'items': {
        'type': 'object',
        'properties': dict({key: {'type': 'string'} for key in views.SITE_ALARM_KEYS},
                           **{'raised-at': _TEXT, 'updated-at': _TEXT}),
        'required': list(views.SITE_ALARM_KEYS) + ['raised-at']}}},
    'required': ['site_alarms'],
}

DELETED = {'type': 'null', 'description': 'JSON null (the CLI requires 200 with a body)'}

VERSIONS = {
    'type': 'object',
    'properties': {'versions': {'type': 'array', 'items': {
        'type': 'object',
        'properties': {'id': {'type': 'string'}, 'status': {'type': 'string'},
                       'updated': {'type': 'string'}, 'links': {'type': 'array'}},
        'required': ['id', 'status', 'links']}}},
    'required': ['versions'],
}
VERSION = {
    'type': 'object',
    'properties': {'id': {'type': 'string'}, 'status': {'type': 'string'}},
    'required': ['id', 'status'],
}
OPENAPI = {'type': 'object', 'required': ['openapi', 'info', 'paths'],
           'description': 'this document'}

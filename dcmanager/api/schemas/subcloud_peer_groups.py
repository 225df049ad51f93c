"""JSON Schemas of /v1.0/subcloud-peer-groups (hyphenated keys, as the CLI sends them)."""

from dcmanager.api import schemas
from dcmanager.api.schemas import system_peers
from dcmanager.common import states

GROUP_PRIORITY_RANGE = (0, 65536)
MAX_SUBCLOUD_REHOMING_RANGE = (1, 250)
DEFAULTS = {'group-state': states.GROUP_STATE_ENABLED, 'max-subcloud-rehoming': 10}

# "none" (any case) means "no peer group" in PATCH /subclouds (peer_group=none).
_NOT_NONE = {'not': {'pattern': '^[Nn][Oo][Nn][Ee]$'}}
_NAME = {'allOf': [schemas.REFERENCE_NAME, _NOT_NONE]}

_PROPERTIES = {
    'peer-group-name': _NAME,
    'group-priority': schemas.integer(*GROUP_PRIORITY_RANGE),
    'group-state': {'type': 'string',
                    'enum': [states.GROUP_STATE_ENABLED, states.GROUP_STATE_DISABLED]},
    'max-subcloud-rehoming': schemas.integer(*MAX_SUBCLOUD_REHOMING_RANGE),
    'system-leader-id': {'type': 'string', 'pattern': system_peers.UUID_PATTERN},
    'system-leader-name': schemas.REFERENCE_NAME,
}

CREATE = {
    'type': 'object',
    'properties': _PROPERTIES,
    'required': ['peer-group-name'],
    'additionalProperties': False,
}

# What an operator changes; priority, leader and migration status follow the group's
# leadership (the peer site and migrations write them).
UPDATE = {
    'type': 'object',
    'properties': {name: _PROPERTIES[name]
                   for name in ('peer-group-name', 'group-state', 'max-subcloud-rehoming')},
    'minProperties': 1,
    'additionalProperties': False,
}
LEADERSHIP_KEYS = ('group-priority', 'system-leader-id', 'system-leader-name',
                   'migration_status')

MESSAGES = {name: 'Invalid %s' % name for name in _PROPERTIES}

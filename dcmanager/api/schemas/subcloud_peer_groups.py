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
    # Sent by the peer site only, for its copy: the group's identity on both sites and the
    # leader's term.
    'peer-group-uuid': {'type': 'string', 'pattern': system_peers.UUID_PATTERN},
    'leader-term': schemas.integer(1, 2 ** 31 - 1),
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
                   'migration_status', 'peer-group-uuid', 'leader-term')
# The keys the peer site alone sends when it creates its copy.
PEER_KEYS = ('peer-group-uuid', 'leader-term')
# What the peer site creates: its copy of a group it leads (never a primary here).
_COPY_PRIORITY = {'group-priority': schemas.integer(1, GROUP_PRIORITY_RANGE[1])}
CREATE_COPY = dict(CREATE, required=['peer-group-name', 'group-priority', 'system-leader-id',
                                     'system-leader-name', 'peer-group-uuid'],
                   properties=dict(_PROPERTIES, **_COPY_PRIORITY))
# What the peer site changes of its copy: what an operator changes of a primary, and the copy's
# priority (a copy stays non-primary: only a migration makes it primary). The leadership
# follows migrations, fenced by the leader term.
UPDATE_COPY = dict(UPDATE, properties=dict(UPDATE['properties'], **_COPY_PRIORITY,
                                           **{'leader-term': _PROPERTIES['leader-term']}))

# PATCH .../<ref>/audit: the leader's view of the group, sent to its copy (the reference's keys,
# and the leader term).
AUDIT = {
    'type': 'object',
    'properties': {
        'peer_uuid': {'type': 'string', 'pattern': system_peers.UUID_PATTERN},
        'peer_group_name': _NAME,
        'group_priority': schemas.integer(*GROUP_PRIORITY_RANGE),
        'group_state': _PROPERTIES['group-state'],
        'system_leader_id': {'type': 'string', 'pattern': system_peers.UUID_PATTERN},
        'system_leader_name': schemas.REFERENCE_NAME,
        'migration_status': {'enum': [states.MIGRATION_MIGRATING, states.MIGRATION_COMPLETE,
                                      'none', None]},
        'leader_term': schemas.integer(1, 2 ** 31 - 1),
    },
    'required': ['peer_uuid', 'system_leader_id', 'system_leader_name', 'leader_term'],
    'additionalProperties': False,
}

# PATCH .../<ref>/migrate (``dcmanager subcloud-peer-group migrate``): the sysadmin password,
# base64, as the CLI sends it (it asks for it when the option is not given).
MIGRATE = {
    'type': 'object',
    'properties': {'sysadmin_password': {'type': 'string', 'minLength': 1, 'maxLength': 4096}},
    'required': ['sysadmin_password'],
    'additionalProperties': False,
}

MESSAGES = {name: 'Invalid %s' % name for name in _PROPERTIES}
MESSAGES['sysadmin_password'] = ('Failed to decode subcloud sysadmin_password, verify the '
                                 'password is base64 encoded')
MESSAGES.update({name: 'Invalid %s' % name for name in AUDIT['properties']})

"""JSON Schemas of /v1.0/peer-group-associations (underscore keys, as the CLI sends them)."""

from dcmanager.api import schemas
from dcmanager.common import states

PRIORITY_RANGE = (1, 65536)

CREATE = {
    'type': 'object',
    'properties': {
        'peer_group_id': schemas.ID,
        'system_peer_id': schemas.ID,
        'peer_group_priority': schemas.integer(*PRIORITY_RANGE),
    },
    # Required here: an operator associates a group this site leads (its primary).
    'required': ['peer_group_id', 'system_peer_id', 'peer_group_priority'],
    'additionalProperties': False,
}
# What the peer site sends for its copy of a group: no priority (that is the copy's group's).
# ``leader_term``: the peer site's term of the group, sent with its writes to its copies; one
# older than the copy's here is refused (its sender no longer leads the group).
LEADER_TERM = schemas.integer(1, 2 ** 31 - 1)
CREATE_NON_PRIMARY = dict(CREATE, properties=dict(CREATE['properties'], leader_term=LEADER_TERM),
                          required=['peer_group_id', 'system_peer_id'])

UPDATE = {
    'type': 'object',
    'properties': {
        'peer_group_priority': schemas.integer(*PRIORITY_RANGE),
        # Written by the primary site on its peer's non-primary copy (the peer role).
        'sync_status': {'type': 'string', 'enum': sorted(states.ASSOCIATION_SYNC.states)},
        'leader_term': LEADER_TERM,
    },
    'minProperties': 1,
    'additionalProperties': False,
}

# DELETE ...?force=true: delete even when the peer site's copies cannot be deleted now.
DELETE_QUERY = {
    'type': 'object',
    'properties': {'force': {'enum': ['true', 'false']}},
    'additionalProperties': False,
}

MESSAGES = {name: 'Invalid %s' % name
            for name in ('peer_group_id', 'system_peer_id', 'peer_group_priority', 'sync_status',
                         'leader_term')}
MESSAGES['force'] = 'Invalid force value: "true" or "false"'


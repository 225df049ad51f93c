"""JSON Schemas of /v1.0/system-peers (underscore keys, as the CLI sends them)."""

import copy

from dcmanager.api import schemas
from dcmanager.common import states

UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
HEARTBEAT_INTERVAL_RANGE = (10, 600)
HEARTBEAT_FAILURE_THRESHOLD_RANGE = (1, 30)
HEARTBEAT_MAINTENANCE_TIMEOUT_RANGE = (300, 36000)
DEFAULTS = {
    'administrative_state': states.ADMIN_STATE_ENABLED,
    'heartbeat_interval': 60,
    'heartbeat_failure_threshold': 3,
    'heartbeat_failure_policy': 'alarm',
    'heartbeat_maintenance_timeout': 600,
}

# A name that reads as a UUID would be taken for one in a path (/system-peers/<uuid>).
_NAME = {'allOf': [schemas.REFERENCE_NAME, {'not': {'pattern': UUID_PATTERN}}]}
_TEXT = {'allOf': [schemas.text(max_length=254, min_length=1), schemas.TRIMMED_RULE]}

_PROPERTIES = {
    'peer_uuid': {'type': 'string', 'pattern': UUID_PATTERN},
    'peer_name': _NAME,
    # The peer site's Keystone: the manager authenticates there.
    'manager_endpoint': {'allOf': [_TEXT, {'pattern': '^https?://[^/?#\\s]+(/[^\\s]*)?$'}]},
    'manager_username': _TEXT,
    # Base64 of the password (checked and decoded by the controller).
    'manager_password': {'type': 'string', 'minLength': 1, 'maxLength': 1024},
    'peer_controller_gateway_address': {'type': 'string', 'minLength': 2, 'maxLength': 45},
    'administrative_state': {'type': 'string',
                             'enum': [states.ADMIN_STATE_ENABLED, states.ADMIN_STATE_DISABLED]},
    'heartbeat_interval': schemas.integer(*HEARTBEAT_INTERVAL_RANGE),
    'heartbeat_failure_threshold': schemas.integer(*HEARTBEAT_FAILURE_THRESHOLD_RANGE),
    'heartbeat_failure_policy': {'type': 'string', 'enum': list(states.HEARTBEAT_POLICIES)},
    'heartbeat_maintenance_timeout': schemas.integer(*HEARTBEAT_MAINTENANCE_TIMEOUT_RANGE),
}

CREATE = {
    'type': 'object',
    'properties': _PROPERTIES,
    'required': ['peer_uuid', 'peer_name', 'manager_endpoint', 'manager_username',
                 'manager_password', 'peer_controller_gateway_address'],
    'additionalProperties': False,
}

UPDATE = {
    'type': 'object',
    'properties': copy.deepcopy(_PROPERTIES),
    'minProperties': 1,
    'additionalProperties': False,
}

MESSAGES = dict({name: 'Invalid peer %s' % name for name in _PROPERTIES},
                peer_uuid='Invalid peer uuid', peer_name='Invalid peer name')

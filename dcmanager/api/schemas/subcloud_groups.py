"""JSON Schemas of /v1.0/subcloud-groups (underscore keys, as the CLI sends them)."""

import copy

from dcmanager.api import schemas
from dcmanager.common import states

# The Default group's name, in any case, is no other group's (spelled out: ECMA-262 has no (?i)).
_NOT_DEFAULT = {'not': {'pattern': '^[Dd][Ee][Ff][Aa][Uu][Ll][Tt]$'}}
_NAME = {'allOf': [schemas.REFERENCE_NAME, _NOT_DEFAULT]}

_PROPERTIES = {
    'name': _NAME,
    'description': schemas.DESCRIPTION,
    'update_apply_type': {'type': 'string', 'enum': list(states.APPLY_TYPES)},
    'max_parallel_subclouds': schemas.integer(*states.MAX_PARALLEL_SUBCLOUDS_RANGE),
}

CREATE = {
    'type': 'object',
    'properties': _PROPERTIES,
    'required': ['name', 'description', 'update_apply_type', 'max_parallel_subclouds'],
    'additionalProperties': False,
}

UPDATE = {
    'type': 'object',
    # A name spelled like "Default" is judged by the manager: renaming the Default group is refused
    # with its own message, keeping its name is fine, and another group may not take it.
    'properties': dict(copy.deepcopy(_PROPERTIES), name=schemas.REFERENCE_NAME),
    'minProperties': 1,
    'additionalProperties': False,
}

MESSAGES = {
    'name': 'Invalid group name',
    'description': 'Invalid group description',
    'update_apply_type': 'Invalid group update_apply_type',
    'max_parallel_subclouds': 'Invalid group max_parallel_subclouds',
}

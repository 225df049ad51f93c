"""Policy rules of /v1.0/peer-group-associations."""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:peer_group_associations:%s'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'
GET = PREFIX % 'get'
MODIFY = PREFIX % 'modify'
NON_PRIMARY = PREFIX % 'non_primary'

_PATH = '/v1.0/peer-group-associations'
_PATH_ONE = _PATH + '/{peer_group_association}'

rules = [
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Create a peer group association.',
        operations=[{'method': 'POST', 'path': _PATH}]),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Delete a peer group association.',
        operations=[{'method': 'DELETE', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_PEER,
        description='List peer group associations and show one.',
        operations=[{'method': 'GET', 'path': _PATH},
                    {'method': 'GET', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=MODIFY, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Change a peer group association.',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'PATCH', 'path': _PATH_ONE + '/sync'}]),
    policy.DocumentedRuleDefault(
        name=NON_PRIMARY, check_str=base.PEER,
        description='Create a non-primary peer group association (for a non-primary peer group, '
                    'with the system peer that leads it), set its sync_status, delete it. '
                    'Needs no other rule.',
        operations=[{'method': 'POST', 'path': _PATH},
                    {'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'DELETE', 'path': _PATH_ONE}]),
]


def list_rules():
    return rules

"""Policy rules of /v1.0/subcloud-peer-groups."""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:subcloud_peer_groups:%s'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'
GET = PREFIX % 'get'
MODIFY = PREFIX % 'modify'
NON_PRIMARY = PREFIX % 'non_primary'

_PATH = '/v1.0/subcloud-peer-groups'
_PATH_ONE = _PATH + '/{subcloud_peer_group}'

rules = [
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Create a subcloud peer group (primary, led by this site).',
        operations=[{'method': 'POST', 'path': _PATH}]),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Delete a subcloud peer group.',
        operations=[{'method': 'DELETE', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_PEER,
        description='List subcloud peer groups, show one, its subclouds and its status.',
        operations=[{'method': 'GET', 'path': _PATH},
                    {'method': 'GET', 'path': _PATH_ONE},
                    {'method': 'GET', 'path': _PATH_ONE + '/subclouds'},
                    {'method': 'GET', 'path': _PATH_ONE + '/status'}]),
    policy.DocumentedRuleDefault(
        name=MODIFY, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Change a subcloud peer group that this site leads; migrate a group\'s '
                    'subclouds to this site.',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'PATCH', 'path': _PATH_ONE + '/migrate'}]),
    policy.DocumentedRuleDefault(
        name=NON_PRIMARY, check_str=base.PEER,
        description='Create, change, audit and delete a non-primary subcloud peer group: this '
                    'site\'s copy of a group the peer site leads (group-priority above 0). '
                    'Needs no other rule.',
        operations=[{'method': 'POST', 'path': _PATH},
                    {'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'PATCH', 'path': _PATH_ONE + '/audit'},
                    {'method': 'DELETE', 'path': _PATH_ONE}]),
]


def list_rules():
    return rules

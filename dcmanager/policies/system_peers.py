"""Policy rules of /v1.0/system-peers."""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:system_peers:%s'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'
GET = PREFIX % 'get'
MODIFY = PREFIX % 'modify'

_PATH = '/v1.0/system-peers'
_PATH_ONE = _PATH + '/{system_peer}'

rules = [
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Create a system peer.',
        operations=[{'method': 'POST', 'path': _PATH}]),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Delete a system peer.',
        operations=[{'method': 'DELETE', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_PEER,
        description='List system peers, show one, and list its subcloud peer groups.',
        operations=[{'method': 'GET', 'path': _PATH},
                    {'method': 'GET', 'path': _PATH_ONE},
                    {'method': 'GET', 'path': _PATH_ONE + '/subcloud-peer-groups'}]),
    policy.DocumentedRuleDefault(
        name=MODIFY, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Change a system peer.',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE}]),
]


def list_rules():
    return rules

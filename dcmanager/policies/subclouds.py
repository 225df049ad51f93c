"""Policy rules of /v1.0/subclouds.

A PATCH is authorized per field (finding F3 of the reference, which checked only the operator-level
rule whenever ``management-state`` was in the body, then applied every other field too): the
management fields need ``manage_unmanage``, any other field needs ``modify``, a body with both
needs both.
"""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:subclouds:%s'
CREATE = PREFIX % 'create'
DELETE = PREFIX % 'delete'
GET = PREFIX % 'get'
MODIFY = PREFIX % 'modify'
MANAGE_UNMANAGE = PREFIX % 'manage_unmanage'
SECONDARY = PREFIX % 'secondary'
MANAGE_PEER_GROUP_MEMBER = PREFIX % 'manage_peer_group_member'

_PATH = '/v1.0/subclouds'
_PATH_ONE = _PATH + '/{subcloud}'

rules = [
    policy.DocumentedRuleDefault(
        name=CREATE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Add (enroll) a subcloud.',
        operations=[{'method': 'POST', 'path': _PATH}]),
    policy.DocumentedRuleDefault(
        name=DELETE, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Delete a subcloud.',
        operations=[{'method': 'DELETE', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_PEER,
        description='List subclouds and show one (with or without detail).',
        operations=[{'method': 'GET', 'path': _PATH},
                    {'method': 'GET', 'path': _PATH_ONE},
                    {'method': 'GET', 'path': _PATH_ONE + '/detail'}]),
    policy.DocumentedRuleDefault(
        name=MODIFY, check_str=base.ADMIN_OR_CONFIGURATOR,
        description='Change a subcloud\'s fields other than its management state (name, '
                    'description, location, group, network, bootstrap address and values, '
                    'passwords, peer group); redeploy a subcloud (run its failed enrollment '
                    'again).',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'PATCH', 'path': _PATH_ONE + '/redeploy'}]),
    policy.DocumentedRuleDefault(
        name=MANAGE_UNMANAGE, check_str=base.ADMIN_OR_OPERATOR_OR_CONFIGURATOR,
        description='Manage or unmanage a subcloud (the management-state and force fields of a '
                    'PATCH; a PATCH that also changes other fields needs '
                    'dc_api:subclouds:modify as well).',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=SECONDARY, check_str=base.PEER,
        description='Add, change and delete a secondary subcloud: the copy of a subcloud of a '
                    'peer group the peer site leads (POST with secondary=true; PATCH and DELETE '
                    'of a subcloud whose deploy status is secondary or secondary-failed). '
                    'Needs no other rule.',
        operations=[{'method': 'POST', 'path': _PATH},
                    {'method': 'PATCH', 'path': _PATH_ONE},
                    {'method': 'DELETE', 'path': _PATH_ONE}]),
    policy.DocumentedRuleDefault(
        name=MANAGE_PEER_GROUP_MEMBER, check_str=base.PEER,
        description='Manage or unmanage a subcloud that is in a subcloud peer group (its '
                    'management state follows the group: a migration changes it). Replaces '
                    'dc_api:subclouds:manage_unmanage for such a subcloud.',
        operations=[{'method': 'PATCH', 'path': _PATH_ONE}]),
]


def list_rules():
    return rules


# The fields of a PATCH that manage or unmanage (``dcmanager subcloud manage/unmanage``).
MANAGE_FIELDS = frozenset(('management-state', 'force', 'migrate'))


def update_rules(fields):
    """The rules a PATCH carrying ``fields`` needs: manage_unmanage for the management fields,
    modify for any other (both when it has both)."""
    fields = set(fields)
    needed = []
    if fields & MANAGE_FIELDS:
        needed.append(MANAGE_UNMANAGE)
    if fields - MANAGE_FIELDS or not fields:
        needed.append(MODIFY)
    return needed

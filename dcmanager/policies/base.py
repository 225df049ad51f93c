"""Base rules: the roles the API knows, who counts as the system-controller's operators, and
who counts as the peer site (``peer``: the ``[peer] role``, never a header)."""

from oslo_policy import policy

# The default of ``[peer] role`` (policies import nothing server-side, so not from conf; a test
# keeps the two the same).
DEFAULT_PEER_ROLE = 'dcmanager-peer'

ADMIN_OR_CONFIGURATOR = 'rule:admin_or_configurator'
ADMIN_OR_OPERATOR_OR_CONFIGURATOR = 'rule:admin_or_operator_or_configurator'
READER_OR_OPERATOR_OR_CONFIGURATOR = 'rule:reader_or_operator_or_configurator'
PEER = 'rule:peer'
# What the peer site reads of a resource it keeps in sync: what the operators read, or the peer.
READER_OR_PEER = '%s or %s' % (READER_OR_OPERATOR_OR_CONFIGURATOR, PEER)

_SYSTEM_PROJECTS = '(project_name:admin or project_name:services)'

rules = [
    policy.RuleDefault(
        name='admin_or_configurator',
        check_str='(role:admin or role:configurator) and ' + _SYSTEM_PROJECTS,
        description='Administrators and configurators of the admin or services project: '
                    'may create, change and delete resources.'),
    policy.RuleDefault(
        name='admin_or_operator_or_configurator',
        check_str='(role:admin or role:operator or role:configurator) and ' + _SYSTEM_PROJECTS,
        description='Administrators, operators and configurators of the admin or services '
                    'project: may run operational actions such as manage and unmanage.'),
    policy.RuleDefault(
        name='reader_or_operator_or_configurator',
        # admin is listed so that reads do not depend on Keystone's implied roles.
        check_str='(role:admin or role:reader or role:operator or role:configurator) and '
                  + _SYSTEM_PROJECTS,
        description='Anyone with a role in the admin or services project: may read.'),
    policy.RuleDefault(
        name='default',
        check_str='rule:admin_or_configurator',
        description='Fallback for a rule that has no definition.'),
]


def peer_rule(role):
    """The ``peer`` rule for the peer role ``role`` (``[peer] role``)."""
    return policy.RuleDefault(
        name='peer',
        check_str='role:%s and %s' % (role, _SYSTEM_PROJECTS),
        description='The peer site: its service user, which holds the peer role ([peer] role, '
                    'default %s) in the admin or services project. It alone writes the copies '
                    'this site keeps for it (secondary subclouds, non-primary peer groups and '
                    'associations).' % DEFAULT_PEER_ROLE)


def list_rules(peer_role=DEFAULT_PEER_ROLE):
    return rules + [peer_rule(peer_role)]

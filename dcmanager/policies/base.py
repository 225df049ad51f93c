"""Base rules: the roles the API knows, and who counts as the system-controller's operators."""

from oslo_policy import policy

ADMIN_OR_CONFIGURATOR = 'rule:admin_or_configurator'
ADMIN_OR_OPERATOR_OR_CONFIGURATOR = 'rule:admin_or_operator_or_configurator'
READER_OR_OPERATOR_OR_CONFIGURATOR = 'rule:reader_or_operator_or_configurator'

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


def list_rules():
    return rules

"""Policy rules of /v1.0/site-alarms."""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:site_alarms:%s'
GET = PREFIX % 'get'

rules = [
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_OPERATOR_OR_CONFIGURATOR,
        description='List the alarms of the site itself (a peer site not answering its '
                    'heartbeat...).',
        operations=[{'method': 'GET', 'path': '/v1.0/site-alarms'}]),
]


def list_rules():
    return rules

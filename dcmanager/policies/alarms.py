"""Policy rules of /v1.0/alarms."""

from oslo_policy import policy

from dcmanager.policies import base

PREFIX = 'dc_api:alarm_manager:%s'
GET = PREFIX % 'get'

rules = [
    policy.DocumentedRuleDefault(
        name=GET, check_str=base.READER_OR_OPERATOR_OR_CONFIGURATOR,
        description='List the alarm summary of the subclouds.',
        operations=[{'method': 'GET', 'path': '/v1.0/alarms'}]),
]


def list_rules():
    return rules
